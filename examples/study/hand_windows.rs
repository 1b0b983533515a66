//! `deep_study` with `MUSIM_STUDY_HAND` set: the hand-crafted part of
//! `fused` described by a track's windows instead of their pooled frames
//! (issue 22 item 5, hand-crafted side; docs/PERFORMANCE.md "The
//! hand-crafted features across windows").
//!
//! Each track is decoded as the index decoded it (`analyze_file_observed`,
//! whose pooled fingerprint is checked against the index's row) and every
//! window (a long track's windows; a track analysed whole cut into 30-s
//! pieces, a last piece under 10 s joined to the one before) gets its own
//! fingerprint (`fingerprint_of`): descriptors and timbre Gaussian. The
//! rows are cached in CACHE_DIR (`.windows` files). Variants
//! (comma-separated; D = descriptor part, T = timbre part, each through
//! mutual proximity, the embedding part always the index's):
//!
//! - `product`: D and T of the product (from the index's rows);
//! - `mean`: D = the window rows' mean (weighted by frames), z-scored over the
//!   tracks, L1; T = the windows' Gaussians moment-matched (pooled);
//! - `meanstd`: D = mean ⊕ std over the windows of the window rows
//!   z-scored over the corpus's windows, z-scored over the tracks, L1;
//! - `set-d`: D = mean L1 distance of each window to the other track's
//!   nearest window, both ways;
//! - `set-t`: T = the same set distance over the windows' Gaussians;
//! - `set`: `set-d` and `set-t`.
//!
//! Each is printed alone (`hand`: D and T 50/50) and in `fused` (25/25/50).

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use musim::analysis::{analyze_file_observed, Decoded, Windows};
use musim::features::analyzer::fingerprint_of;
use musim::features::fingerprint::timbre_offset;
use musim::features::stft::n_frames;
use musim::features::timbre::{tri_index, DIMS, STORED};
use musim::features::SR;
use musim::library::index::Index;
use musim::report::compare::Labelled;
use musim::similarity::gaussian::{self, Prepared};
use musim::similarity::kernels::{l1, Isa};
use musim::similarity::normalize::Normalizer;
use musim::similarity::{FusedWeights, Profile, Space};
use musim::store::hash::fnv1a64;
use musim::store::paths::from_bytes;

use crate::matrix::{compared, matrix, print, space_matrix, Matrix};
use crate::windows::mutual_proximity;

type Error = Box<dyn std::error::Error>;

/// A last piece of a track read whole shorter than this joins the piece
/// before it, seconds.
const SHORTEST_PIECE: usize = 10;

/// One track's analysis: the pooled fingerprint (the index's, recomputed)
/// and each window's length in samples and fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackWindows {
    /// The pooled fingerprint, as `index` computes it.
    pub pooled: Vec<f32>,
    /// Each window: samples, fingerprint values.
    pub windows: Vec<(u64, Vec<f32>)>,
}

/// Cuts a decoded track into windows and fingerprints each.
#[derive(Debug)]
struct Pieces {
    /// Samples of a piece of a track read whole.
    len: usize,
    windowed: bool,
    current: Vec<f32>,
    /// The last full piece of a track read whole, analysed once it is
    /// known whether the last piece joins it.
    previous: Option<Vec<f32>>,
    done: Vec<(u64, Vec<f32>)>,
}

impl Pieces {
    fn new(seconds: u32) -> Pieces {
        Pieces {
            len: seconds.max(1) as usize * SR as usize,
            windowed: false,
            current: Vec::new(),
            previous: None,
            done: Vec::new(),
        }
    }

    fn analyse(&mut self, samples: &[f32]) {
        if !samples.is_empty() {
            let values = fingerprint_of(samples).values;
            self.done.push((samples.len() as u64, values));
        }
    }

    fn see(&mut self, d: Decoded<'_>) {
        match d {
            Decoded::Start { windows, .. } => self.windowed = windows.is_some(),
            Decoded::Samples(mut c) if !self.windowed => {
                while !c.is_empty() {
                    let take = (self.len - self.current.len()).min(c.len());
                    self.current.extend_from_slice(&c[..take]);
                    c = &c[take..];
                    if self.current.len() == self.len {
                        let full = std::mem::take(&mut self.current);
                        if let Some(p) = self.previous.replace(full) {
                            self.analyse(&p);
                        }
                    }
                }
            }
            Decoded::Samples(c) => self.current.extend_from_slice(c),
            Decoded::WindowEnd => {
                let w = std::mem::take(&mut self.current);
                self.analyse(&w);
            }
        }
    }

    fn finish(mut self) -> Vec<(u64, Vec<f32>)> {
        let last = std::mem::take(&mut self.current);
        match self.previous.take() {
            Some(mut p) if last.len() < SHORTEST_PIECE * SR as usize => {
                p.extend_from_slice(&last);
                self.analyse(&p);
            }
            Some(p) => {
                self.analyse(&p);
                self.analyse(&last);
            }
            None => self.analyse(&last),
        }
        self.done
    }
}

/// Decodes `path` as the index did and fingerprints each of its windows.
pub fn analyse(path: &Path, windows: &Windows) -> Result<TrackWindows, Error> {
    let mut pieces = Pieces::new(windows.seconds);
    let analysis = analyze_file_observed(path, windows, &mut |d| pieces.see(d))?;
    Ok(TrackWindows {
        pooled: analysis.fingerprint.values,
        windows: pieces.finish(),
    })
}

/// Cache format (little endian): row length (u32), the pooled row, the
/// number of windows (u32), then each window's samples (u64) and row.
fn save(file: &Path, t: &TrackWindows) -> std::io::Result<()> {
    let mut out = Vec::new();
    out.extend_from_slice(&(t.pooled.len() as u32).to_le_bytes());
    let floats = |out: &mut Vec<u8>, v: &[f32]| v.iter().for_each(|x| out.extend(x.to_le_bytes()));
    floats(&mut out, &t.pooled);
    out.extend_from_slice(&(t.windows.len() as u32).to_le_bytes());
    for (n, v) in &t.windows {
        out.extend_from_slice(&n.to_le_bytes());
        floats(&mut out, v);
    }
    std::fs::File::create(file)?.write_all(&out)
}

/// Reads what [`save`] wrote.
fn load(file: &Path) -> std::io::Result<TrackWindows> {
    let mut bytes = Vec::new();
    std::fs::File::open(file)?.read_to_end(&mut bytes)?;
    let mut r = Cursor {
        bytes: &bytes,
        at: 0,
    };
    let len = r.u32()? as usize;
    let pooled = r.floats(len)?;
    let count = r.u32()? as usize;
    let mut windows = Vec::with_capacity(count.min(1 << 16));
    for _ in 0..count {
        let n = u64::from(r.u32()?) | u64::from(r.u32()?) << 32;
        windows.push((n, r.floats(len)?));
    }
    Ok(TrackWindows { pooled, windows })
}

/// Reads little-endian values from a cache file.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn u32(&mut self) -> std::io::Result<u32> {
        let b = self
            .bytes
            .get(self.at..self.at + 4)
            .ok_or_else(|| std::io::Error::other("truncated cache file"))?;
        self.at += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn floats(&mut self, n: usize) -> std::io::Result<Vec<f32>> {
        (0..n).map(|_| self.u32().map(f32::from_bits)).collect()
    }
}

/// Scores every variant of `variants` on the tracks `report --compare`
/// scores, their windows cached in `cache`.
pub fn run(index: &Index, cache: &Path, variants: &str) -> Result<(), Error> {
    std::fs::create_dir_all(cache)?;
    let (entries, rows, embeddings) = compared(index);
    let windows = index.header.params.windows;
    let started = Instant::now();
    let analysed: Vec<Option<TrackWindows>> = entries
        .par_iter()
        .map(|e| {
            let file = cache.join(format!("{:016x}.windows", fnv1a64(&e.path)));
            if let Ok(t) = load(&file) {
                return Some(t);
            }
            match analyse(&from_bytes(&e.path), &windows) {
                Ok(t) => {
                    if let Err(err) = save(&file, &t) {
                        eprintln!("cannot cache {}: {err}", file.display());
                    }
                    Some(t)
                }
                Err(err) => {
                    eprintln!("{err}");
                    None
                }
            }
        })
        .collect();
    eprintln!(
        "windows of {} tracks in {:.1} s wall",
        analysed.len(),
        started.elapsed().as_secs_f64()
    );
    // The tracks analysed now, with their index rows and embeddings.
    let keep: Vec<usize> = (0..entries.len())
        .filter(|&i| analysed[i].as_ref().is_some_and(|t| !t.windows.is_empty()))
        .collect();
    let entries: Vec<_> = keep.iter().map(|&i| entries[i]).collect();
    let rows: Vec<&[f32]> = keep.iter().map(|&i| rows[i]).collect();
    let embeddings: Vec<&[f32]> = keep.iter().map(|&i| embeddings[i]).collect();
    let tracks: Vec<TrackWindows> = keep.iter().filter_map(|&i| analysed[i].clone()).collect();
    check_pooled(&rows, &tracks);
    let labelled = Labelled::of(&entries);
    let names = &index.header.feature_names;

    // The product's parts: `fused` is linear in them.
    let mut space = Space::build_with(Profile::Fused, names, &rows, Some(&embeddings))?;
    print(&labelled, "product fused (space)", &space_matrix(&space));
    let mut part = |d: f64, t: f64, e: f64| -> Result<Matrix, Error> {
        space.set_fused_weights(FusedWeights::new(d, t, e).ok_or("weights")?);
        Ok(space_matrix(&space))
    };
    let (d_product, t_product, embedding) = (
        part(1.0, 0.0, 0.0)?,
        part(0.0, 1.0, 0.0)?,
        part(0.0, 0.0, 1.0)?,
    );
    let dims: Vec<usize> = space
        .names
        .iter()
        .filter_map(|n| names.iter().position(|m| m == n))
        .collect();
    let parts = Parts::new(&tracks, &dims);

    for variant in variants.split(',') {
        let t0 = Instant::now();
        let (d, t) = match variant {
            "product" => (None, None),
            "mean" => (Some(parts.d_mean()), Some(parts.t_mean())),
            "meanstd" => (Some(parts.d_meanstd()), None),
            "set-d" => (Some(parts.d_set()), None),
            "set-t" => (None, Some(parts.t_set())),
            "set" => (Some(parts.d_set()), Some(parts.t_set())),
            _ => return Err(format!("unknown variant {variant:?}").into()),
        };
        let d = d.map(|raw| mutual_proximity(&raw));
        let t = t.map(|raw| mutual_proximity(&raw));
        eprintln!(
            "{variant}: distances in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        let (d, t) = (
            d.as_ref().unwrap_or(&d_product),
            t.as_ref().unwrap_or(&t_product),
        );
        if variant == "mean" {
            eprintln!(
                "mean vs product: correlation of the proximities D {:.4}, T {:.4}",
                correlation(d, &d_product),
                correlation(t, &t_product)
            );
        }
        let mix = |wd: f64, wt: f64, we: f64| -> Matrix {
            matrix(d.len(), |i| {
                (0..d.len())
                    .map(|j| wd * d[i][j] + wt * t[i][j] + we * embedding[i][j])
                    .collect()
            })
        };
        print(&labelled, &format!("{variant} hand"), &mix(0.5, 0.5, 0.0));
        let w = FusedWeights::DEFAULT;
        print(
            &labelled,
            &format!("{variant} fused"),
            &mix(w.descriptors, w.timbre, w.deep),
        );
    }
    Ok(())
}

/// Reports how far the recomputed pooled fingerprints are from the
/// index's rows (the same decoding and analysis: they should be equal).
fn check_pooled(rows: &[&[f32]], tracks: &[TrackWindows]) {
    let mut equal = 0usize;
    let mut worst = 0.0f64;
    for (r, t) in rows.iter().zip(tracks) {
        if r[..] == t.pooled[..] {
            equal += 1;
        }
        for (a, b) in r.iter().zip(&t.pooled) {
            let d = f64::from((a - b).abs()) / (1.0 + f64::from(a.abs()));
            worst = worst.max(d);
        }
    }
    eprintln!(
        "pooled fingerprints: {equal} of {} equal to the index's rows, largest relative difference {worst:.2e}; {:.2} windows a track",
        rows.len(),
        tracks.iter().map(|t| t.windows.len()).sum::<usize>() as f64 / tracks.len().max(1) as f64
    );
}

/// Pearson correlation of the off-diagonal entries of two matrices.
fn correlation(a: &Matrix, b: &Matrix) -> f64 {
    let pairs: Vec<(f64, f64)> = (0..a.len())
        .flat_map(|i| (0..a.len()).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| (a[i][j], b[i][j]))
        .collect();
    let n = pairs.len().max(1) as f64;
    let (ma, mb) = pairs
        .iter()
        .fold((0.0, 0.0), |(x, y), (a, b)| (x + a / n, y + b / n));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sab += (a - ma) * (b - mb);
        saa += (a - ma) * (a - ma);
        sbb += (b - mb) * (b - mb);
    }
    sab / (saa * sbb).sqrt().max(1e-300)
}

/// The tracks' windows, ready for each variant.
struct Parts<'a> {
    tracks: &'a [TrackWindows],
    /// Positions of the descriptor dimensions in a row.
    dims: &'a [usize],
    /// Every window's descriptors z-scored over the corpus's windows.
    wz: Vec<Vec<f32>>,
    /// Where each track's windows start in `wz` (and one past the end).
    start: Vec<usize>,
}

impl<'a> Parts<'a> {
    fn new(tracks: &'a [TrackWindows], dims: &'a [usize]) -> Parts<'a> {
        let picked: Vec<Vec<f32>> = tracks
            .iter()
            .flat_map(|t| &t.windows)
            .map(|(_, v)| dims.iter().map(|&d| v[d]).collect())
            .collect();
        let refs: Vec<&[f32]> = picked.iter().map(Vec::as_slice).collect();
        let norm = Normalizer::fit(&refs, dims.len());
        let mut start = vec![0usize];
        for t in tracks {
            start.push(start[start.len() - 1] + t.windows.len());
        }
        Parts {
            tracks,
            dims,
            wz: picked.iter().map(|r| norm.apply(r)).collect(),
            start,
        }
    }

    /// Track `t`'s z-scored windows.
    fn wz_of(&self, t: usize) -> &[Vec<f32>] {
        &self.wz[self.start[t]..self.start[t + 1]]
    }

    /// L1 distances among rows z-scored over the tracks.
    fn l1_of(rows: &[Vec<f32>]) -> Matrix {
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let norm = Normalizer::fit(&refs, rows.first().map_or(0, Vec::len));
        let z: Vec<Vec<f32>> = rows.iter().map(|r| norm.apply(r)).collect();
        matrix(z.len(), |i| z.iter().map(|b| l1(&z[i], b)).collect())
    }

    fn d_mean(&self) -> Matrix {
        let rows: Vec<Vec<f32>> = self
            .tracks
            .iter()
            .map(|t| {
                let frames = |n: u64| n_frames(n as usize) as f64;
                let total = t.windows.iter().map(|(n, _)| frames(*n)).sum::<f64>();
                let total = total.max(1.0);
                self.dims
                    .iter()
                    .map(|&d| {
                        let s: f64 = t
                            .windows
                            .iter()
                            .map(|(n, v)| frames(*n) * f64::from(v[d]))
                            .sum();
                        (s / total) as f32
                    })
                    .collect()
            })
            .collect();
        Self::l1_of(&rows)
    }

    fn d_meanstd(&self) -> Matrix {
        let rows: Vec<Vec<f32>> = (0..self.tracks.len())
            .map(|t| {
                let w = self.wz_of(t);
                let n = w.len().max(1) as f64;
                let dims = w.first().map_or(0, Vec::len);
                let mean: Vec<f64> = (0..dims)
                    .map(|d| w.iter().map(|r| f64::from(r[d])).sum::<f64>() / n)
                    .collect();
                let sd = (0..dims).map(|d| {
                    let v = w
                        .iter()
                        .map(|r| (f64::from(r[d]) - mean[d]).powi(2))
                        .sum::<f64>()
                        / n;
                    v.sqrt() as f32
                });
                mean.iter().map(|&m| m as f32).chain(sd).collect()
            })
            .collect();
        Self::l1_of(&rows)
    }

    /// Mean over each window of `a` of its distance to the nearest of
    /// `b`, averaged with the same from `b`; `w` holds every pair of
    /// windows' distances.
    fn chamfer(&self, w: &Matrix) -> Matrix {
        let near = |a: usize, b: usize| -> f64 {
            let (ra, rb) = (
                self.start[a]..self.start[a + 1],
                self.start[b]..self.start[b + 1],
            );
            let n = ra.len().max(1) as f64;
            ra.map(|i| {
                w[i][rb.clone()]
                    .iter()
                    .copied()
                    .fold(f64::INFINITY, f64::min)
            })
            .sum::<f64>()
                / n
        };
        matrix(self.tracks.len(), |a| {
            (0..self.tracks.len())
                .map(|b| 0.5 * (near(a, b) + near(b, a)))
                .collect()
        })
    }

    fn d_set(&self) -> Matrix {
        let w = matrix(self.wz.len(), |i| {
            self.wz.iter().map(|b| l1(&self.wz[i], b)).collect()
        });
        self.chamfer(&w)
    }

    /// Log(1 + symmetrised KL) among Gaussians (stored layout), as the
    /// product's timbre distance.
    fn timbre_distances(g: &[Vec<f32>]) -> Matrix {
        let mut centre = vec![0.0f64; DIMS];
        for x in g {
            for (c, &m) in centre.iter_mut().zip(x) {
                *c += f64::from(m) / g.len().max(1) as f64;
            }
        }
        let p: Vec<Option<Prepared>> = g.iter().map(|x| gaussian::prepare(x, &centre)).collect();
        matrix(p.len(), |i| {
            p.iter()
                .map(|b| match (&p[i], b) {
                    (Some(a), Some(b)) => gaussian::distance(Isa::base(), a.view(), b.view()),
                    _ => f64::INFINITY,
                })
                .collect()
        })
    }

    fn gaussian_of(v: &[f32]) -> &[f32] {
        let at = timbre_offset();
        &v[at..at + STORED]
    }

    /// The Gaussian with the mean and covariance of the windows' frames
    /// together (each window weighted by its number of frames, as the
    /// product pools frames).
    fn pooled_gaussian(t: &TrackWindows) -> Vec<f32> {
        let frames = |n: u64| n_frames(n as usize) as f64;
        let total = t.windows.iter().map(|(n, _)| frames(*n)).sum::<f64>();
        let mut mean = [0.0f64; DIMS];
        let mut second = vec![0.0f64; DIMS * DIMS];
        for (n, v) in &t.windows {
            let w = frames(*n) / total.max(1.0);
            let g = Self::gaussian_of(v);
            for i in 0..DIMS {
                mean[i] += w * f64::from(g[i]);
                for j in 0..DIMS {
                    let c = f64::from(g[DIMS + tri_index(i, j)]);
                    second[i * DIMS + j] += w * (c + f64::from(g[i]) * f64::from(g[j]));
                }
            }
        }
        let mut out: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
        for i in 0..DIMS {
            for j in i..DIMS {
                out.push((second[i * DIMS + j] - mean[i] * mean[j]) as f32);
            }
        }
        out
    }

    fn t_mean(&self) -> Matrix {
        let g: Vec<Vec<f32>> = self.tracks.iter().map(Self::pooled_gaussian).collect();
        Self::timbre_distances(&g)
    }

    fn t_set(&self) -> Matrix {
        let g: Vec<Vec<f32>> = self
            .tracks
            .iter()
            .flat_map(|t| &t.windows)
            .map(|(_, v)| Self::gaussian_of(v).to_vec())
            .collect();
        self.chamfer(&Self::timbre_distances(&g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(seconds: f64, hz: f32) -> Vec<f32> {
        (0..(seconds * f64::from(SR)) as usize)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * hz * i as f32 / SR as f32).sin())
            .collect()
    }

    /// 30-s pieces that have seen the start of a track of `duration`
    /// seconds read in `windows` windows (`None`: whole).
    fn started(duration: f64, windows: Option<usize>) -> Pieces {
        let mut p = Pieces::new(30);
        p.see(Decoded::Start {
            duration_s: Some(duration),
            windows,
        });
        p
    }

    /// A track read whole is cut into 30-s pieces, a short last piece
    /// joined to the one before, each piece fingerprinted on its own.
    #[test]
    fn pieces_of_a_whole_track() {
        let (a, b) = (tone(30.0, 220.0), tone(35.0, 880.0));
        let mut p = started(65.0, None);
        for c in a.chunks(4000).chain(b.chunks(3000)) {
            p.see(Decoded::Samples(c));
        }
        let done = p.finish();
        assert_eq!(done.len(), 2, "the 5-s tail joins the second piece");
        assert_eq!(done[0].0, a.len() as u64);
        assert_eq!(done[1].0, b.len() as u64);
        assert_eq!(done[0].1, fingerprint_of(&a).values);
        assert_eq!(done[1].1, fingerprint_of(&b).values);
    }

    /// For a windowed track the product analyses each window on its own and
    /// pools their frames: the Gaussian moment-matched to the windows'
    /// Gaussians (the `mean` variant's timbre) is the product's.
    #[test]
    fn pooled_gaussian_is_the_products() {
        let noisy = |seconds: f64, hz: f32, seed: usize| -> Vec<f32> {
            tone(seconds, hz)
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.05 * (((i * 7919 + seed) % 1013) as f32 / 1013.0 - 0.5))
                .collect()
        };
        let (a, b) = (noisy(4.0, 330.0, 1), noisy(3.0, 1200.0, 2));
        let mut an = musim::features::Analyzer::new();
        for w in [&a, &b] {
            an.push(w);
            an.end_segment();
        }
        let product = an.finish().values;
        let windows = vec![
            (a.len() as u64, fingerprint_of(&a).values),
            (b.len() as u64, fingerprint_of(&b).values),
        ];
        let pooled = Parts::pooled_gaussian(&TrackWindows {
            pooled: product.clone(),
            windows,
        });
        let want = Parts::gaussian_of(&product);
        assert_eq!(pooled.len(), want.len());
        for (k, (x, y)) in pooled.iter().zip(want).enumerate() {
            assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{k}: {x} vs {y}");
        }
        // The two windows differ, so the pool is not either one's.
        let first = fingerprint_of(&a).values;
        assert!(Parts::gaussian_of(&first)
            .iter()
            .zip(want)
            .any(|(x, y)| (x - y).abs() > 0.1 * (1.0 + y.abs())));
    }

    /// Windows end where the decoder says, and the cache reads back what
    /// it wrote.
    #[test]
    fn windows_and_cache() {
        let (a, b) = (tone(3.0, 440.0), tone(2.0, 660.0));
        let mut p = started(600.0, Some(2));
        for w in [&a, &b] {
            p.see(Decoded::Samples(w));
            p.see(Decoded::WindowEnd);
        }
        let t = TrackWindows {
            pooled: fingerprint_of(&a).values,
            windows: p.finish(),
        };
        assert_eq!(t.windows.len(), 2);
        assert_eq!(t.windows[1].1, fingerprint_of(&b).values);
        let dir = std::env::temp_dir().join(format!("hand-windows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("t.windows");
        save(&file, &t).unwrap();
        assert_eq!(load(&file).unwrap(), t);
        std::fs::write(&file, [1u8, 0]).unwrap();
        assert!(load(&file).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
