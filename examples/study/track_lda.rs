//! `deep_study` with `MUSIM_STUDY_TRACKLDA` set: a metric learned from
//! track identity, no labels (issue 22). A track's patches are different
//! samples of the same music, so shrinkage LDA with the tracks as classes
//! and their patches as samples (`musim::similarity::learned::fit_lda`)
//! keeps the directions along which tracks differ and drops those along
//! which a track varies within itself. The projected mean of a track's 6
//! default patches replaces the embedding part of `fused` (weights
//! 25/25/50, cosine, mutual proximity; the hand-crafted part unchanged),
//! and is also scored alone.
//!
//! Settings (comma-separated, or `grid`): `FORM:SHRINKAGE/DIMS/FIT`, FORM
//! `t` (transductive: fitted on this library's own patches) or `f` (fixed:
//! fitted on the library named by `MUSIM_STUDY_TRACKLDA_FIT=IDX,CACHE_DIR`,
//! applied unchanged), SHRINKAGE `fit_lda`'s fixed share, DIMS the axes
//! kept, FIT the patches a track contributes to the fit (`6`: the default
//! budget's, `all`). `grid`: `t` × 0.1, 0.3, 1.0 × 32, 64, 128 × 6, all.
//! Each is scored against the product's `fused` with the interval of
//! `study/bootstrap.rs` (and dumped with `MUSIM_STUDY_BOOTSTRAP_DUMP`).
//! Rule and results in docs/PERFORMANCE.md, "A metric learned from track
//! identity".

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use musim::deep::PatchOutputs;
use musim::library::index::Index;
use musim::report::compare::Labelled;
use musim::similarity::deep::{distance as cosine, live_dims};
use musim::similarity::kernels;
use musim::similarity::learned::{fit_lda, MetricError, Projection, Shrinkage};
use musim::similarity::{Profile, Space};
use musim::store::hash::fnv1a64;

use crate::bootstrap::{dump_file, interval, kept, precision, sources_of, Kept};
use crate::matrix::{matrix, print, space_matrix, Matrix};
use crate::windows::{fuse, mutual_proximity};

type Error = Box<dyn std::error::Error>;

/// A track's patches, each a row of the pooled layer.
type Patches = Vec<Vec<f32>>;

/// The default patch budget: the patches a track's embedding averages.
const BUDGET: usize = 6;

/// One setting of the study.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Setting {
    /// Fitted on another library (`f`) rather than this one (`t`).
    fixed: bool,
    /// `fit_lda`'s shrinkage share.
    shrinkage: f64,
    /// Axes kept.
    dims: usize,
    /// Patch budget of the fit (`usize::MAX`: every patch).
    fit: usize,
}

impl Setting {
    /// Reads `t:0.3/64/all`.
    fn parse(text: &str) -> Result<Setting, String> {
        let bad = || format!("tracklda setting {text:?}: want t|f:SHRINKAGE/DIMS/6|all");
        let (form, rest) = text.split_once(':').ok_or_else(bad)?;
        let fixed = match form {
            "t" => false,
            "f" => true,
            _ => return Err(bad()),
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let [s, d, f] = parts[..] else {
            return Err(bad());
        };
        Ok(Setting {
            fixed,
            shrinkage: s.parse().map_err(|_| bad())?,
            dims: d.parse().map_err(|_| bad())?,
            fit: match f {
                "all" => usize::MAX,
                n => n.parse().map_err(|_| bad())?,
            },
        })
    }

    fn name(&self) -> String {
        let fit = match self.fit {
            usize::MAX => "all".to_string(),
            n => n.to_string(),
        };
        let form = if self.fixed { "f" } else { "t" };
        format!("{form}:{}/{}/{fit}", self.shrinkage, self.dims)
    }

    /// The settings of `spec` (`grid` or a list).
    fn list(spec: &str) -> Result<Vec<Setting>, String> {
        if spec == "grid" {
            let mut out = Vec::new();
            for fit in [BUDGET, usize::MAX] {
                for shrinkage in [0.1, 0.3, 1.0] {
                    for dims in [32, 64, 128] {
                        out.push(Setting {
                            fixed: false,
                            shrinkage,
                            dims,
                            fit,
                        });
                    }
                }
            }
            return Ok(out);
        }
        spec.split(',').map(Setting::parse).collect()
    }
}

/// A projection learned from track identity: the live dimensions of the
/// fitting patches, and shrinkage LDA on them with tracks as classes.
/// (`fit_lda` shrinks in coordinates standardised by the within-track
/// spread, so z-scoring the patches first would change nothing.)
pub struct TrackMetric {
    /// Dimensions that vary among the fitting patches.
    dims: Vec<u32>,
    /// The learned projection of those dimensions.
    projection: Projection,
}

impl TrackMetric {
    /// Fits on `tracks` (each track's patches, all of one length), keeping
    /// at most `axes` axes.
    pub fn fit(
        tracks: &[Vec<Vec<f32>>],
        shrinkage: f64,
        axes: usize,
    ) -> Result<TrackMetric, MetricError> {
        let all: Vec<&[f32]> = tracks.iter().flatten().map(Vec::as_slice).collect();
        let dims = live_dims(&all);
        let rows: Vec<Vec<f32>> = all.iter().map(|r| pick(&dims, r)).collect();
        let labels: Vec<usize> = tracks
            .iter()
            .enumerate()
            .flat_map(|(t, p)| std::iter::repeat_n(t, p.len()))
            .collect();
        let projection = fit_lda(&rows, &labels, Shrinkage::Fixed(shrinkage), axes)?;
        Ok(TrackMetric { dims, projection })
    }

    /// The projected mean of `patches` (linear: the mean of their
    /// projections).
    pub fn embed(&self, patches: &[Vec<f32>]) -> Vec<f32> {
        let n = patches.len().max(1) as f64;
        let mut sum = vec![0.0f64; self.dims.len()];
        for p in patches {
            for (s, &d) in sum.iter_mut().zip(&self.dims) {
                *s += f64::from(p.get(d as usize).copied().unwrap_or(0.0));
            }
        }
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        self.projection.transform(&mean)
    }

    /// Axes of the projection.
    pub fn axes(&self) -> usize {
        self.projection.dims()
    }
}

/// The values of `row` at `dims`.
fn pick(dims: &[u32], row: &[f32]) -> Vec<f32> {
    dims.iter()
        .map(|&d| row.get(d as usize).copied().unwrap_or(0.0))
        .collect()
}

/// Cosine distances of `vectors` (each track's projection, its first
/// `dims` values), centred on their library mean first.
fn cosine_matrix(vectors: &[Vec<f32>], dims: usize) -> Matrix {
    let k = vectors.first().map_or(0, |v| v.len().min(dims));
    let n = vectors.len().max(1) as f32;
    let mut centre = vec![0.0f32; k];
    for v in vectors {
        for (c, x) in centre.iter_mut().zip(v) {
            *c += x / n;
        }
    }
    let units: Vec<Vec<f32>> = vectors
        .iter()
        .map(|v| {
            kernels::unit(
                &v.iter()
                    .zip(&centre)
                    .map(|(x, c)| x - c)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    matrix(units.len(), |i| {
        units.iter().map(|u| cosine(&units[i], u)).collect()
    })
}

/// Every analysed track's patches of `index` from `cache` (no network):
/// (per track, the budget's patches and every patch).
fn cached(index: &Index, cache: &Path) -> Vec<(Patches, Patches)> {
    index
        .entries
        .iter()
        .filter(|e| e.values().is_some())
        .filter_map(|e| {
            let file = cache.join(format!("{:016x}.patches", fnv1a64(&e.path)));
            six_and_all(&crate::load(&file).ok()?)
        })
        .collect()
}

/// A track's patch rows at the default budget (None when it has none) and
/// every one of them.
fn six_and_all(pieces: &[PatchOutputs]) -> Option<(Patches, Patches)> {
    let six = crate::patch_rows(pieces, BUDGET, "pool").filter(|p| !p.is_empty())?;
    let all = crate::patch_rows(pieces, usize::MAX, "pool")?;
    Some((six, all))
}

/// Scores every setting of `spec` on `index`'s labelled tracks.
pub fn run(
    index: &Index,
    index_name: &str,
    tracks: &[(usize, Vec<PatchOutputs>)],
    spec: &str,
) -> Result<(), Error> {
    let settings = Setting::list(spec)?;
    let names = &index.header.feature_names;
    let Kept {
        entries,
        rows,
        embeddings,
        extra,
    } = kept(index, tracks, six_and_all);
    let (six, all): (Vec<Patches>, Vec<Patches>) = extra.into_iter().unzip();
    let (sources, labels) = sources_of(&entries);
    eprintln!(
        "{} tracks, {} sources, {:.1} patches a track",
        labels.len(),
        sources.len(),
        all.iter().map(Vec::len).sum::<usize>() as f64 / labels.len().max(1) as f64
    );
    let labelled = Labelled::of(&entries);
    let space = |p: Profile| -> Result<Matrix, Error> {
        let s = Space::build_with(p, names, &rows, Some(&embeddings))?;
        Ok(space_matrix(&s))
    };
    let product = space(Profile::Fused)?;
    let hand = space(Profile::Musim)?;
    print(&labelled, "fused (product)", &product);
    print(&labelled, "musim", &hand);
    // The fixed form's library, read once.
    let other = match std::env::var("MUSIM_STUDY_TRACKLDA_FIT") {
        Ok(spec) if settings.iter().any(|s| s.fixed) => {
            let (idx, cache) = spec
                .split_once(',')
                .ok_or("MUSIM_STUDY_TRACKLDA_FIT: want IDX,CACHE_DIR")?;
            let other = Index::load(Path::new(idx))?.ok_or_else(|| format!("no index at {idx}"))?;
            let patches = cached(&other, Path::new(cache));
            eprintln!("fixed form: {} tracks of {idx}", patches.len());
            Some(patches)
        }
        _ if settings.iter().any(|s| s.fixed) => {
            return Err("an `f:` setting needs MUSIM_STUDY_TRACKLDA_FIT=IDX,CACHE_DIR".into())
        }
        _ => None,
    };
    let mut dump = dump_file()?;
    let base = precision(&product, &labels);
    // Fits differ only by form, shrinkage and fit budget: the first axes
    // of a fit keeping more are those of one keeping fewer.
    let mut fits: Vec<((bool, u64, usize), TrackMetric, f64)> = Vec::new();
    let most = settings.iter().map(|s| s.dims).max().unwrap_or(1);
    for s in &settings {
        let key = (s.fixed, s.shrinkage.to_bits(), s.fit);
        if !fits.iter().any(|f| f.0 == key) {
            let source: Vec<Vec<Vec<f32>>> = match (&other, s.fixed) {
                (Some(o), true) => o
                    .iter()
                    .map(|(six, all)| if s.fit == BUDGET { six } else { all }.clone())
                    .collect(),
                _ if s.fit == BUDGET => six.clone(),
                _ => all.clone(),
            };
            let started = Instant::now();
            let m = TrackMetric::fit(&source, s.shrinkage, most)?;
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "fit {}: {} tracks, {} patches, {} live dims, {} axes, {secs:.2} s",
                s.name(),
                source.len(),
                source.iter().map(Vec::len).sum::<usize>(),
                m.dims.len(),
                m.axes()
            );
            fits.push((key, m, secs));
        }
        let Some((_, m, _)) = fits.iter().find(|f| f.0 == key) else {
            continue;
        };
        let vectors: Vec<Vec<f32>> = six.iter().map(|p| m.embed(p)).collect();
        let raw = cosine_matrix(&vectors, s.dims);
        let mp = mutual_proximity(&raw);
        let fused = fuse(&hand, &mp);
        let name = s.name();
        print(&labelled, &format!("{name} mp"), &mp);
        print(&labelled, &format!("{name} fused"), &fused);
        let i = interval(&fused, &product, &labels);
        println!(
            "{:<24} fused − product {:+.4}  95 % [{:+.4}, {:+.4}]",
            name, i.diff, i.low, i.high
        );
        if let Some(out) = dump.as_mut() {
            let pc = precision(&fused, &labels);
            for (q, source) in labels.iter().enumerate() {
                writeln!(
                    out,
                    "tracklda:{name}\t{index_name}\t{}\t{}\t{}",
                    sources[*source], pc[q], base[q]
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// `tracks` tracks of `per` patches in 8 dimensions: a track's own
    /// signal (spread 0.3) on dimensions 0–6 plus small patch noise (0.05),
    /// and loud patch noise (spread 5) along dimension 7 that no track
    /// owns. Seeded, so the same each run.
    fn patches(tracks: usize, per: usize, seed: u64) -> Vec<Vec<Vec<f32>>> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        // A unit-variance draw (sum of 12 uniforms − 6).
        let mut normal = move || {
            (0..12)
                .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
                .sum::<f64>()
                - 6.0
        };
        (0..tracks)
            .map(|_| {
                let signal: Vec<f64> = (0..7).map(|_| 0.3 * normal()).collect();
                (0..per)
                    .map(|_| {
                        let mut p: Vec<f32> = signal
                            .iter()
                            .map(|s| (s + 0.05 * normal()) as f32)
                            .collect();
                        p.push((5.0 * normal()) as f32);
                        p
                    })
                    .collect()
            })
            .collect()
    }

    /// Share of tracks whose first half's mean (by `embed`) has its own
    /// second half's as nearest among every track's second half.
    fn identity(tracks: &[Vec<Vec<f32>>], embed: &dyn Fn(&[Vec<f32>]) -> Vec<f32>) -> f64 {
        let halves: Vec<(Vec<f32>, Vec<f32>)> = tracks
            .iter()
            .map(|p| {
                let (a, b) = p.split_at(p.len() / 2);
                (embed(a), embed(b))
            })
            .collect();
        let d =
            |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum() };
        let hits = halves
            .iter()
            .enumerate()
            .filter(|(i, (a, _))| {
                let nearest = (0..halves.len())
                    .min_by(|&j, &k| d(a, &halves[j].1).total_cmp(&d(a, &halves[k].1)));
                nearest == Some(*i)
            })
            .count();
        hits as f64 / tracks.len() as f64
    }

    #[test]
    fn the_track_metric_drops_within_track_noise_and_finds_tracks_again() {
        let fit = patches(40, 10, 1);
        let m = TrackMetric::fit(&fit, 0.1, 7).unwrap();
        assert_eq!(m.axes(), 7);
        // The noisy axis is dropped: a step along it moves the projection
        // far less than a step along a signal dimension.
        let at = |v: &[f32]| m.embed(&[v.to_vec()]);
        let norm = |a: Vec<f32>, b: Vec<f32>| -> f32 {
            a.iter()
                .zip(&b)
                .map(|(x, y)| (x - y).powi(2))
                .sum::<f32>()
                .sqrt()
        };
        let zero = vec![0.0f32; 8];
        let step = |d: usize| {
            let mut v = zero.clone();
            v[d] = 1.0;
            norm(at(&v), at(&zero))
        };
        let signal = (0..7).map(step).fold(f32::INFINITY, f32::min);
        assert!(step(7) < 0.02 * signal, "{} against {signal}", step(7));
        // Tracks it was not fitted on: the plain mean of half a track's
        // patches finds its other half less often than the projected one.
        let test = patches(40, 10, 2);
        let mean = |p: &[Vec<f32>]| -> Vec<f32> {
            (0..8)
                .map(|d| p.iter().map(|r| r[d]).sum::<f32>() / p.len() as f32)
                .collect()
        };
        let plain = identity(&test, &mean);
        let learned = identity(&test, &|p| m.embed(p));
        assert!(plain < 0.6, "plain {plain}");
        assert!(learned > 0.95, "learned {learned}");
    }

    #[test]
    fn settings_read_as_written() {
        let s = Setting::parse("f:0.3/64/all").unwrap();
        assert_eq!(
            s,
            Setting {
                fixed: true,
                shrinkage: 0.3,
                dims: 64,
                fit: usize::MAX
            }
        );
        assert_eq!(s.name(), "f:0.3/64/all");
        assert_eq!(Setting::list("grid").unwrap().len(), 18);
        assert!(Setting::parse("x:0.3/64/6").is_err());
        assert!(Setting::parse("t:0.3/64").is_err());
    }
}
