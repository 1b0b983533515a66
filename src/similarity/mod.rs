//! How similar two tracks are, in named profiles behind one interface, so
//! the model, queries, the graph, the explorer and reports never care which
//! is active.
//!
//! * `seed` — the original design: the librosa-parity fingerprint, z-scored,
//!   cosine similarity.
//! * `musim` (default) — the fingerprint plus MFCC delta spread and rhythm
//!   descriptors, z-scored, compared by L1 distance; a timbre Gaussian per
//!   track compared by symmetrised KL divergence; both made comparable and
//!   hub-free by mutual proximity and fused 50/50. Similarity = 1 − the
//!   fused distance, in 0..1.
//! * `deep` — the musicnn embedding (feature `embeddings`), constant
//!   dimensions dropped, z-scored, cosine similarity.
//! * `fused` — `musim` and the embedding's cosine distance, all three made
//!   comparable by mutual proximity and fused ([`FUSED_DEEP_WEIGHT`]).

pub mod deep;
pub mod gaussian;
pub mod kernels;
pub mod proximity;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::fingerprint::seed_names;
use crate::features::timbre::{DIMS as TIMBRE_DIMS, STORED as TIMBRE_STORED};
use crate::model::normalize::Normalizer;
use gaussian::Prepared;
use proximity::Spread;

/// A similarity profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The original design: librosa-parity fingerprint, cosine.
    Seed,
    /// Richer descriptors, timbre Gaussian, mutual proximity.
    #[default]
    Musim,
    /// The deep (musicnn) embedding, cosine.
    Deep,
    /// `musim` fused with the deep embedding through mutual proximity.
    Fused,
}

impl Profile {
    /// Every profile, default first.
    pub const ALL: [Profile; 4] = [Profile::Musim, Profile::Seed, Profile::Deep, Profile::Fused];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Seed => "seed",
            Profile::Musim => "musim",
            Profile::Deep => "deep",
            Profile::Fused => "fused",
        }
    }

    /// True when the profile needs the tracks' deep embeddings.
    pub fn needs_embeddings(self) -> bool {
        matches!(self, Profile::Deep | Profile::Fused)
    }

    /// True when similarity goes through mutual proximity.
    fn uses_proximity(self) -> bool {
        matches!(self, Profile::Musim | Profile::Fused)
    }

    /// A one-line description.
    pub fn describe(self) -> &'static str {
        match self {
            Profile::Seed => "librosa-parity fingerprint, z-scored cosine (the original design)",
            Profile::Musim => {
                "fingerprint + deltas + rhythm (L1) fused with a timbre Gaussian (KL), mutual proximity"
            }
            Profile::Deep => "musicnn deep embedding (MSD-trained), z-scored cosine",
            Profile::Fused => "musim fused with the musicnn embedding, mutual proximity",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown similarity profile {s:?} (known: musim, seed, deep, fused)")
            })
    }
}

/// One neighbour of a track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    /// Row of the neighbour.
    pub index: u32,
    /// Similarity: cosine (−1..1) for `seed` and `deep`, 1 − fused distance
    /// (0..1) for `musim` and `fused`.
    pub similarity: f32,
}

/// Why a space cannot be built or a track placed in it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpaceError {
    /// A track's values do not match the index's layout.
    #[error("the track has {got} values, the library's tracks have {want}")]
    Dimensions {
        /// Values the library's tracks have.
        want: usize,
        /// Values the track has.
        got: usize,
    },
    /// The profile needs deep embeddings that are not there.
    #[error("the {0} similarity profile needs deep embeddings, and {1}")]
    NoEmbeddings(Profile, &'static str),
}

/// Share of the deep embedding's proximity in the `fused` distance (the
/// rest is split evenly between the descriptor and timbre distances).
pub const FUSED_DEEP_WEIGHT: f64 = 0.5;

/// The tracks of a library in one profile's terms, ready to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    /// The profile.
    pub profile: Profile,
    /// Names of the vector dimensions (the z-scored part).
    pub names: Vec<String>,
    /// Their positions in an index row.
    dims: Vec<u32>,
    /// Where the timbre Gaussian starts in an index row (musim only).
    timbre_at: Option<u32>,
    /// Length of an index row.
    row_len: u32,
    /// Per-dimension statistics of the library.
    pub normalizer: Normalizer,
    /// Z-scored vectors, one per track.
    pub z: Vec<Vec<f32>>,
    /// Stored timbre Gaussians (musim only).
    timbre: Vec<Vec<f32>>,
    /// Mean of the Gaussians' means (their centre for the divergence).
    centre: Vec<f64>,
    /// Each track's vector-distance spread (musim only).
    vector_spread: Vec<Spread>,
    /// Each track's timbre-distance spread (musim only).
    timbre_spread: Vec<Spread>,
    /// Sample the spreads are measured against.
    sample: Vec<u32>,
    /// Unit-length `z` (seed: cosine = dot product); not stored.
    #[serde(skip)]
    unit: Vec<Vec<f32>>,
    /// Prepared Gaussians; not stored.
    #[serde(skip)]
    gauss: Vec<Prepared>,
    /// Length of a deep embedding (`deep`, `fused`).
    deep_len: u32,
    /// The embedding part of `fused`.
    deep: Option<deep::DeepPart>,
}

/// A track placed in a space: a library row or a new (query) track.
#[derive(Debug, Clone)]
pub struct Point {
    /// Z-scored vector.
    pub z: Vec<f32>,
    unit: Vec<f32>,
    gauss: Option<Prepared>,
    vector_spread: Spread,
    timbre_spread: Spread,
    /// Unit-length deep vector and its spread (`fused`).
    deep: Option<(Vec<f32>, Spread)>,
}

/// Positions of the profile's vector dimensions and of the timbre Gaussian
/// in index rows named `names`. `seed` takes the librosa-parity dimensions
/// (all dimensions of an index that has no others); `musim` takes every
/// dimension but the Gaussian (and raw tempo when its logarithm is there),
/// plus the Gaussian when the index has one.
fn layout(profile: Profile, names: &[String]) -> (Vec<u32>, Option<u32>) {
    let timbre = names
        .iter()
        .position(|n| n == "timbre_mean[0]")
        .filter(|&t| names.len() >= t + TIMBRE_STORED);
    let is_timbre = |i: usize| timbre.is_some_and(|t| (t..t + TIMBRE_STORED).contains(&i));
    match profile {
        Profile::Seed => {
            let seed = seed_names();
            let mut dims: Vec<u32> = (0..names.len())
                .filter(|&i| seed.contains(&names[i]))
                .map(|i| i as u32)
                .collect();
            if dims.is_empty() {
                dims = (0..names.len() as u32).collect();
            }
            (dims, None)
        }
        Profile::Musim | Profile::Fused | Profile::Deep => {
            let has_log = names.iter().any(|n| n == "tempo_log");
            let dims = (0..names.len())
                .filter(|&i| !(is_timbre(i) || has_log && names[i] == "tempo"))
                .map(|i| i as u32)
                .collect();
            (dims, timbre.map(|t| t as u32))
        }
    }
}

impl Space {
    /// Build the space of `rows` (full index rows, named `names`).
    pub fn build(profile: Profile, names: &[String], rows: &[&[f32]]) -> Result<Space, SpaceError> {
        Self::build_with(profile, names, rows, None)
    }

    /// [`Space::build`] with each row's deep embedding, which the `deep`
    /// and `fused` profiles need.
    pub fn build_with(
        profile: Profile,
        names: &[String],
        rows: &[&[f32]],
        embeddings: Option<&[&[f32]]>,
    ) -> Result<Space, SpaceError> {
        if let Some(bad) = rows.iter().find(|r| r.len() != names.len()) {
            return Err(SpaceError::Dimensions {
                want: names.len(),
                got: bad.len(),
            });
        }
        let emb: &[&[f32]] = match (profile.needs_embeddings(), embeddings) {
            (false, _) => &[],
            (true, None) => {
                return Err(SpaceError::NoEmbeddings(
                    profile,
                    "the library's tracks have none",
                ))
            }
            (true, Some(e)) => {
                let want = e.first().map_or(0, |r| r.len());
                if e.len() != rows.len() || want == 0 {
                    return Err(SpaceError::NoEmbeddings(profile, "not every track has one"));
                }
                if let Some(bad) = e.iter().find(|r| r.len() != want) {
                    return Err(SpaceError::Dimensions {
                        want,
                        got: bad.len(),
                    });
                }
                e
            }
        };
        let (dims, timbre_at) = match profile {
            Profile::Deep => (deep::live_dims(emb), None),
            _ => layout(profile, names),
        };
        let source: &[&[f32]] = if profile == Profile::Deep { emb } else { rows };
        let pick = |r: &[f32]| -> Vec<f32> { dims.iter().map(|&d| r[d as usize]).collect() };
        let picked: Vec<Vec<f32>> = source.iter().map(|r| pick(r)).collect();
        let picked_refs: Vec<&[f32]> = picked.iter().map(|v| v.as_slice()).collect();
        let normalizer = Normalizer::fit(&picked_refs, dims.len());
        let z: Vec<Vec<f32>> = picked.iter().map(|r| normalizer.apply(r)).collect();
        let timbre: Vec<Vec<f32>> = match timbre_at {
            Some(t) => rows
                .iter()
                .map(|r| r[t as usize..t as usize + TIMBRE_STORED].to_vec())
                .collect(),
            None => Vec::new(),
        };
        let mut centre = vec![0.0f64; TIMBRE_DIMS];
        for g in &timbre {
            for (c, &m) in centre.iter_mut().zip(g) {
                *c += m as f64;
            }
        }
        centre
            .iter_mut()
            .for_each(|c| *c /= timbre.len().max(1) as f64);
        let row_len = names.len() as u32;
        let names = match profile {
            Profile::Deep => dims.iter().map(|d| format!("deep[{d}]")).collect(),
            _ => dims.iter().map(|&d| names[d as usize].clone()).collect(),
        };
        let mut space = Space {
            profile,
            names,
            dims,
            timbre_at,
            row_len,
            normalizer,
            z,
            timbre,
            centre,
            vector_spread: Vec::new(),
            timbre_spread: Vec::new(),
            sample: Vec::new(),
            unit: Vec::new(),
            gauss: Vec::new(),
            deep_len: emb.first().map_or(0, |r| r.len() as u32),
            deep: (profile == Profile::Fused).then(|| deep::DeepPart::build(emb)),
        };
        space.restore();
        if profile.uses_proximity() {
            space.sample = proximity::sample(space.len());
            if let Some(d) = space.deep.as_mut() {
                d.set_spreads(&space.sample);
            }
            let rows: Vec<usize> = (0..space.len()).collect();
            let spreads: Vec<(Spread, Spread)> = rows
                .par_chunks(BLOCK)
                .flat_map_iter(|block| space.spreads_block(block))
                .collect();
            (space.vector_spread, space.timbre_spread) = spreads.into_iter().unzip();
        }
        Ok(space)
    }

    /// Recompute what is not stored (after loading).
    pub fn restore(&mut self) {
        self.unit = self.z.iter().map(|r| kernels::unit(r)).collect();
        self.gauss = self
            .timbre
            .iter()
            .map(|g| gaussian::prepare(g, &self.centre).unwrap_or_else(|| self.flat_gaussian()))
            .collect();
    }

    /// A stand-in for a Gaussian that cannot be prepared (never happens for
    /// rows of the right length): the library's centre, unit covariance.
    fn flat_gaussian(&self) -> Prepared {
        let mut g = vec![0.0f32; TIMBRE_STORED];
        for (i, c) in self.centre.iter().enumerate() {
            g[i] = *c as f32;
            g[TIMBRE_DIMS + crate::features::timbre::tri_index(i, i)] = 1.0;
        }
        gaussian::prepare(&g, &self.centre).unwrap_or(Prepared {
            u: vec![0.0; gaussian::LEN],
            v: vec![0.0; gaussian::LEN],
            c: 0.0,
        })
    }

    /// Number of tracks.
    pub fn len(&self) -> usize {
        self.z.len()
    }

    /// True when there are no tracks.
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }

    /// Distance spreads of a track against the sample (leaving out `own`).
    fn spreads(&self, z: &[f32], g: Option<&Prepared>, own: Option<usize>) -> (Spread, Spread) {
        let others = || {
            self.sample
                .iter()
                .map(|&s| s as usize)
                .filter(move |&s| Some(s) != own)
        };
        let v = Spread::of(others().map(|s| kernels::l1(z, &self.z[s])));
        let t = match g {
            Some(g) => Spread::of(others().map(|s| gaussian::distance(g, &self.gauss[s]))),
            None => Spread { mean: 0.0, sd: 1.0 },
        };
        (v, t)
    }

    /// [`Space::spreads`] of library rows `block`, walking the sample once
    /// for the whole block (each sample row is loaded from memory once per
    /// block, not once per track).
    fn spreads_block(&self, block: &[usize]) -> Vec<(Spread, Spread)> {
        let mut acc = vec![[0.0f64; 4]; block.len()];
        let mut count = vec![0usize; block.len()];
        for &s in &self.sample {
            let s = s as usize;
            let (zs, gs) = (&self.z[s], self.gauss.get(s));
            for (b, &i) in block.iter().enumerate() {
                if i == s {
                    continue;
                }
                let dv = kernels::l1(&self.z[i], zs);
                let dt = match (self.gauss.get(i), gs) {
                    (Some(a), Some(g)) => gaussian::distance(a, g),
                    _ => 0.0,
                };
                let a = &mut acc[b];
                a[0] += dv;
                a[1] += dv * dv;
                a[2] += dt;
                a[3] += dt * dt;
                count[b] += 1;
            }
        }
        acc.iter()
            .zip(&count)
            .map(|(a, &n)| {
                (
                    Spread::from_sums(n, a[0], a[1]),
                    Spread::from_sums(n, a[2], a[3]),
                )
            })
            .collect()
    }

    /// Library track `i` as a point.
    pub fn row_point(&self, i: usize) -> Point {
        Point {
            z: self.z[i].clone(),
            unit: self.unit[i].clone(),
            gauss: self.gauss.get(i).cloned(),
            vector_spread: self
                .vector_spread
                .get(i)
                .copied()
                .unwrap_or(Spread { mean: 0.0, sd: 1.0 }),
            timbre_spread: self
                .timbre_spread
                .get(i)
                .copied()
                .unwrap_or(Spread { mean: 0.0, sd: 1.0 }),
            deep: self.deep.as_ref().and_then(|d| {
                let s = d
                    .spread
                    .get(i)
                    .copied()
                    .unwrap_or(Spread { mean: 0.0, sd: 1.0 });
                Some((d.unit.get(i)?.clone(), s))
            }),
        }
    }

    /// A new track, from its full index row (e.g. a query's analysis).
    pub fn point(&self, values: &[f32]) -> Result<Point, SpaceError> {
        self.point_with(values, None)
    }

    /// A new track from its index row and deep embedding (which the `deep`
    /// and `fused` profiles need).
    pub fn point_with(
        &self,
        values: &[f32],
        embedding: Option<&[f32]>,
    ) -> Result<Point, SpaceError> {
        if values.len() != self.row_len as usize {
            return Err(SpaceError::Dimensions {
                want: self.row_len as usize,
                got: values.len(),
            });
        }
        let emb = match (self.profile.needs_embeddings(), embedding) {
            (false, _) => &[][..],
            (true, None) => {
                return Err(SpaceError::NoEmbeddings(self.profile, "the track has none"))
            }
            (true, Some(e)) if e.len() != self.deep_len as usize => {
                return Err(SpaceError::Dimensions {
                    want: self.deep_len as usize,
                    got: e.len(),
                })
            }
            (true, Some(e)) => e,
        };
        let source = if self.profile == Profile::Deep {
            emb
        } else {
            values
        };
        let picked: Vec<f32> = self.dims.iter().map(|&d| source[d as usize]).collect();
        let z = self.normalizer.apply(&picked);
        let gauss = self.timbre_at.and_then(|t| {
            let t = t as usize;
            gaussian::prepare(&values[t..t + TIMBRE_STORED], &self.centre)
        });
        let (vector_spread, timbre_spread) = if self.profile.uses_proximity() {
            self.spreads(&z, gauss.as_ref(), None)
        } else {
            (Spread { mean: 0.0, sd: 1.0 }, Spread { mean: 0.0, sd: 1.0 })
        };
        let deep = self.deep.as_ref().map(|d| {
            let u = d.vector(emb);
            let s = d.spread_of(&u, &self.sample, None);
            (u, s)
        });
        Ok(Point {
            unit: kernels::unit(&z),
            z,
            gauss,
            vector_spread,
            timbre_spread,
            deep,
        })
    }

    /// Similarity of point `p` to library track `j`.
    #[inline]
    pub fn similarity(&self, p: &Point, j: usize) -> f32 {
        match self.profile {
            Profile::Seed | Profile::Deep => kernels::dot(&p.unit, &self.unit[j]),
            Profile::Musim | Profile::Fused => {
                let dv = kernels::l1(&p.z, &self.z[j]);
                let mv = proximity::distance(dv, &p.vector_spread, &self.vector_spread[j]);
                let mt = match (&p.gauss, self.gauss.get(j)) {
                    (Some(a), Some(b)) => proximity::distance(
                        gaussian::distance(a, b),
                        &p.timbre_spread,
                        &self.timbre_spread[j],
                    ),
                    _ => mv,
                };
                let hand = 0.5 * (mv + mt);
                let fused = match (&p.deep, &self.deep) {
                    (Some((u, s)), Some(d)) => {
                        let md =
                            proximity::distance(deep::distance(u, &d.unit[j]), s, &d.spread[j]);
                        (1.0 - FUSED_DEEP_WEIGHT) * hand + FUSED_DEEP_WEIGHT * md
                    }
                    _ => hand,
                };
                (1.0 - fused) as f32
            }
        }
    }

    /// The `k` tracks most similar to `p`, best first (ties by lower row),
    /// leaving out rows for which `skip` is true.
    pub fn top_k(&self, p: &Point, k: usize, skip: impl Fn(usize) -> bool) -> Vec<Neighbour> {
        let all = (0..self.len())
            .filter(|&j| !skip(j))
            .map(|j| Neighbour {
                index: j as u32,
                similarity: self.similarity(p, j),
            })
            .collect();
        best(all, k)
    }

    /// Each track's `k` most similar other tracks.
    pub fn knn_graph(&self, k: usize) -> Vec<Vec<Neighbour>> {
        if !self.profile.uses_proximity() {
            return crate::model::gram::map_rows_with_dots(&self.unit, |i, dots| {
                let all = dots
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(j, &d)| Neighbour {
                        index: j as u32,
                        similarity: d,
                    });
                best(all.collect(), k)
            });
        }
        let rows: Vec<usize> = (0..self.len()).collect();
        rows.par_chunks(BLOCK)
            .flat_map_iter(|block| {
                let points: Vec<Point> = block.iter().map(|&i| self.row_point(i)).collect();
                let sims = self.similarities_block(&points);
                block
                    .iter()
                    .zip(sims)
                    .map(|(&i, row)| {
                        let all = row
                            .into_iter()
                            .enumerate()
                            .filter(|&(j, _)| j != i)
                            .map(|(j, s)| Neighbour {
                                index: j as u32,
                                similarity: s,
                            })
                            .collect();
                        best(all, k)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Similarities of each of `points` to every library track, walking
    /// the library once for the whole block so each track's data is loaded
    /// from memory once per block (the per-point loop is memory-bound).
    pub fn similarities_block(&self, points: &[Point]) -> Vec<Vec<f32>> {
        let n = self.len();
        let mut out = vec![vec![0.0f32; n]; points.len()];
        for j in 0..n {
            for (p, row) in points.iter().zip(out.iter_mut()) {
                row[j] = self.similarity(p, j);
            }
        }
        out
    }

    /// Distances (1 − similarity) from track `i` to every other track, as
    /// (distance, row) pairs, for leave-one-out evaluation.
    pub fn distances_from(&self, i: usize, out: &mut Vec<(f64, usize)>) {
        let p = self.row_point(i);
        out.clear();
        out.extend(
            (0..self.len())
                .filter(|&j| j != i)
                .map(|j| (1.0 - self.similarity(&p, j) as f64, j)),
        );
    }
}

/// Tracks per block of [`Space::similarities_block`]: their data (≈ 4 KB
/// each) stays in the L2 cache while the library streams past.
const BLOCK: usize = 32;

/// The `k` most similar of `all`, best first, ties by lower index.
pub fn best(mut all: Vec<Neighbour>, k: usize) -> Vec<Neighbour> {
    let order = |a: &Neighbour, b: &Neighbour| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.index.cmp(&b.index))
    };
    if k < all.len() {
        if k == 0 {
            return Vec::new();
        }
        all.select_nth_unstable_by(k - 1, order);
        all.truncate(k);
    }
    all.sort_by(order);
    all
}
