//! How similar two tracks are, in named profiles behind one interface, so
//! the model, queries, the graph, the explorer and reports never care which
//! is active.
//!
//! * `seed` — the original design: the librosa-parity fingerprint, z-scored,
//!   cosine similarity.
//! * `musim` (the default of builds without the `embeddings` feature) — the fingerprint plus MFCC delta spread and rhythm
//!   descriptors, z-scored, compared by L1 distance; a timbre Gaussian per
//!   track compared by symmetrised KL divergence; both made comparable and
//!   hub-free by mutual proximity and fused 50/50. Similarity = 1 − the
//!   fused distance, in 0..1.
//! * `deep` — the musicnn embedding (feature `embeddings`), constant
//!   dimensions dropped, z-scored, cosine similarity.
//! * `fused` (the default) — `musim` and the embedding's cosine distance, all three made
//!   comparable by mutual proximity and fused ([`FUSED_DEEP_WEIGHT`]).

pub mod deep;
pub mod fastmath;
pub mod gaussian;
pub mod gram;
pub mod insertion;
pub mod kernels;
mod knn;
pub mod learned;
pub mod nndescent;
pub mod normalize;
pub mod pca;
pub mod proximity;
pub mod stored;
mod update;

use std::cmp::Ordering;
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::fingerprint::seed_names;
use crate::features::timbre::{DIMS as TIMBRE_DIMS, STORED as TIMBRE_STORED};
use crate::similarity::normalize::Normalizer;
use gaussian::Prepared;
use kernels::{with_simd, Isa, Rows, LANES32};
use proximity::Spread;

/// A similarity profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The original design: librosa-parity fingerprint, cosine.
    Seed,
    /// Richer descriptors, timbre Gaussian, mutual proximity (the default
    /// of builds without the `embeddings` feature).
    #[cfg_attr(not(feature = "embeddings"), default)]
    Musim,
    /// The deep (musicnn) embedding, cosine.
    Deep,
    /// `musim` fused with the deep embedding through mutual proximity: the
    /// default, the best profile on three disjoint real corpora at about
    /// 0.3 s of CPU a track (docs/PERFORMANCE.md).
    #[cfg_attr(feature = "embeddings", default)]
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

/// Shares of the descriptor, timbre and deep-embedding distances in the
/// `fused` distance (summing to 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusedWeights {
    /// Share of the descriptor vector's proximity distance.
    pub descriptors: f64,
    /// Share of the timbre Gaussian's proximity distance.
    pub timbre: f64,
    /// Share of the deep embedding's proximity distance.
    pub deep: f64,
}

impl FusedWeights {
    /// The product's weights: [`FUSED_DEEP_WEIGHT`] for the embedding, the
    /// rest split evenly.
    pub const DEFAULT: FusedWeights = FusedWeights {
        descriptors: 0.5 * (1.0 - FUSED_DEEP_WEIGHT),
        timbre: 0.5 * (1.0 - FUSED_DEEP_WEIGHT),
        deep: FUSED_DEEP_WEIGHT,
    };

    /// Weights in these proportions (scaled to sum to 1); `None` when one
    /// is negative or not finite, or all are 0.
    pub fn new(descriptors: f64, timbre: f64, deep: f64) -> Option<FusedWeights> {
        let all = [descriptors, timbre, deep];
        let sum: f64 = all.iter().sum();
        (all.iter().all(|w| w.is_finite() && *w >= 0.0) && sum > 0.0).then(|| FusedWeights {
            descriptors: descriptors / sum,
            timbre: timbre / sum,
            deep: deep / sum,
        })
    }

    /// The descriptors' share of the hand-crafted part (even without one).
    fn descriptor_share(&self) -> f64 {
        let hand = self.descriptors + self.timbre;
        if hand > 0.0 {
            self.descriptors / hand
        } else {
            0.5
        }
    }
}

impl Default for FusedWeights {
    fn default() -> Self {
        FusedWeights::DEFAULT
    }
}

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
    /// Unit-length `z` (seed, deep: cosine = dot product); not stored.
    #[serde(skip)]
    unit: Vec<Vec<f32>>,
    /// `z` in flat zero-padded rows for the proximity kernels; not
    /// stored, made when first used (see [`Space::zp`]).
    #[serde(skip)]
    zp: stored::Derived<Rows<f32>>,
    /// Prepared Gaussians in flat rows; not stored, made when first used
    /// (a query answered from the stored graph never needs them).
    #[serde(skip)]
    gauss: stored::Derived<gaussian::Table>,
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
    /// `z` zero-padded like the space's rows.
    zp: Vec<f32>,
    unit: Vec<f32>,
    gauss: Option<Prepared>,
    vector_spread: Spread,
    timbre_spread: Spread,
    /// Unit-length deep vector and its spread (`fused`).
    deep: Option<(Vec<f32>, Spread)>,
}

impl Point {
    /// What the kernels need of it.
    fn probe(&self) -> Probe<'_> {
        Probe {
            z: &self.zp,
            unit: &self.unit,
            gauss: self.gauss.as_ref().map(Prepared::view),
            vector_spread: self.vector_spread,
            timbre_spread: self.timbre_spread,
            deep: self.deep.as_ref().map(|(u, s)| (u.as_slice(), *s)),
        }
    }
}

/// One side of the pairs the kernels compare: a point or a library row,
/// without copying it.
#[derive(Debug, Clone, Copy)]
struct Probe<'a> {
    /// Padded z-scored vector.
    z: &'a [f32],
    /// Unit-length z (seed).
    unit: &'a [f32],
    gauss: Option<gaussian::View<'a>>,
    vector_spread: Spread,
    timbre_spread: Spread,
    /// Unit-length deep vector and its spread (`fused`).
    deep: Option<(&'a [f32], Spread)>,
}

/// The spread of a track that has none (seed, or no timbre Gaussian).
const NO_SPREAD: Spread = Spread { mean: 0.0, sd: 1.0 };

/// Running sums of a track's distances to the sample.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    /// Σd and Σd² of the vector distances.
    v: [f64; 2],
    /// Σd and Σd² of the timbre distances.
    t: [f64; 2],
    /// Number of distances.
    n: usize,
}

impl Sums {
    /// The vector and timbre spreads.
    fn spreads(&self) -> (Spread, Spread) {
        (
            Spread::from_sums(self.n, self.v[0], self.v[1]),
            Spread::from_sums(self.n, self.t[0], self.t[1]),
        )
    }
}

/// Scratch arrays of the batch kernels: raw distances of one probe to a
/// run of library rows.
#[derive(Debug, Default)]
struct Scratch {
    /// L1 distances of the z-scored vectors.
    dv: Vec<f64>,
    /// Timbre distances (0 without Gaussians).
    dt: Vec<f64>,
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
        Self::build_sampled(profile, names, rows, embeddings, proximity::SAMPLE)
    }

    /// [`Space::build_with`], mutual proximity's statistics measured
    /// against at most `sample` tracks.
    pub fn build_sampled(
        profile: Profile,
        names: &[String],
        rows: &[&[f32]],
        embeddings: Option<&[&[f32]]>,
        sample: usize,
    ) -> Result<Space, SpaceError> {
        // Without any embedding, `fused` keeps its hand-crafted part: its
        // descriptor and timbre proximities weighted 50/50, i.e. `musim`.
        let profile = match (profile, embeddings) {
            (Profile::Fused, None) => Profile::Musim,
            _ => profile,
        };
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
        drop(picked_refs);
        // Each picked row is freed as its z-scored row is made.
        let z: Vec<Vec<f32>> = picked.into_iter().map(|r| normalizer.apply(&r)).collect();
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
            zp: Default::default(),
            gauss: Default::default(),
            deep_len: emb.first().map_or(0, |r| r.len() as u32),
            deep: (profile == Profile::Fused).then(|| deep::DeepPart::build(emb)),
        };
        space.restore();
        // Made now, before the parallel spreads need them.
        space.zp();
        space.gauss();
        if profile.uses_proximity() {
            space.sample = proximity::sample_of(space.len(), sample);
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

    /// Recompute what is not stored (after loading): the unit vectors of
    /// the cosine profiles now, the padded rows and prepared Gaussians of
    /// the others when first used.
    pub fn restore(&mut self) {
        // Cosine profiles compare unit vectors, the others padded rows:
        // each keeps only what its kernels read (at 100 000 tracks of the
        // deep profile the padded rows would be 170 MB more).
        if !self.profile.uses_proximity() {
            self.unit = self.z.iter().map(|r| kernels::unit(r)).collect();
        }
        self.zp = stored::Derived::default();
        self.gauss = stored::Derived::default();
    }

    /// The padded rows of the proximity profiles (empty for the others).
    fn zp(&self) -> &Rows<f32> {
        self.zp.get_or_init(|| {
            if self.profile.uses_proximity() {
                Rows::new(self.z.iter().map(Vec::as_slice), self.dims.len(), LANES32)
            } else {
                Rows::default()
            }
        })
    }

    /// The prepared timbre Gaussians (none without). Made on one thread:
    /// a rayon worker waiting for its own parallel work could steal a task
    /// that asks for them again while they are being made.
    fn gauss(&self) -> &gaussian::Table {
        self.gauss.get_or_init(|| {
            let gauss: Vec<Prepared> = self
                .timbre
                .iter()
                .map(|g| gaussian::prepare(g, &self.centre).unwrap_or_else(|| self.flat_gaussian()))
                .collect();
            gaussian::Table::new(&gauss)
        })
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
            u: vec![0.0; gaussian::PADDED],
            v: vec![0.0; gaussian::PADDED],
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

    /// Library row `i` for the kernels.
    #[inline(always)]
    fn row_probe(&self, i: usize) -> Probe<'_> {
        Probe {
            z: self.zp().row(i),
            unit: self.unit.get(i).map_or(&[], Vec::as_slice),
            gauss: self.gauss().get(i),
            vector_spread: self.vector_spread.get(i).copied().unwrap_or(NO_SPREAD),
            timbre_spread: self.timbre_spread.get(i).copied().unwrap_or(NO_SPREAD),
            deep: self.deep.as_ref().and_then(|d| {
                let sp = d.spread.get(i).copied().unwrap_or(NO_SPREAD);
                Some((d.unit.get(i)?.as_slice(), sp))
            }),
        }
    }

    /// The descriptors' share of the hand-crafted part: `fused`'s weights
    /// say it, the other profiles split evenly.
    #[inline(always)]
    fn descriptor_share(&self) -> f64 {
        self.deep
            .as_ref()
            .map_or(0.5, |d| d.weights.descriptor_share())
    }

    /// Sets `fused`'s weights (no effect on the other profiles). For
    /// studies of the weights: spaces are always built with
    /// [`FusedWeights::DEFAULT`], and the weights are not stored.
    pub fn set_fused_weights(&mut self, weights: FusedWeights) {
        if let Some(d) = &mut self.deep {
            d.weights = weights;
        }
    }

    /// `fused`'s deep part made anew from `embeddings` (the space's own),
    /// keeping `components` principal components (`None`: all live
    /// dimensions, unprojected). For studies of the choice: spaces are
    /// always built with [`deep::COMPONENTS`].
    pub fn set_deep_components(&mut self, embeddings: &[&[f32]], components: Option<usize>) {
        if let Some(d) = &mut self.deep {
            let mut part = deep::DeepPart::build_with(embeddings, components);
            part.weights = d.weights;
            part.set_spreads(&self.sample);
            *d = part;
        }
    }

    /// `fused`: the hand-crafted similarity `hand` combined with the deep
    /// embedding's mutual proximity to row `j` (other profiles: `hand`).
    #[inline(always)]
    fn with_deep(&self, hand: f32, q: &Probe, j: usize) -> f32 {
        let row = self
            .deep
            .as_ref()
            .and_then(|d| Some((d.unit.get(j)?.as_slice(), *d.spread.get(j)?)));
        self.deep_pair(hand, q, row)
    }

    /// [`Space::with_deep`] against a row's unit embedding and spread.
    #[inline(always)]
    fn deep_pair(&self, hand: f32, q: &Probe, row: Option<(&[f32], Spread)>) -> f32 {
        let (Some((u, sp)), Some(d), Some((v, dsp))) = (q.deep, &self.deep, row) else {
            return hand;
        };
        let md = proximity::distance(deep::distance(u, v), &sp, &dsp);
        let hd = 1.0 - f64::from(hand);
        let w = d.weights.deep;
        (1.0 - ((1.0 - w) * hd + w * md)) as f32
    }

    /// Raw distances of `q` to the `len` library rows `col(0..len)` into
    /// `s` (vector L1, and timbre distance when both sides have Gaussians,
    /// else 0): first the distances pair by pair (divergences four rows at
    /// a time), then the logarithm over the whole run so it vectorises.
    #[inline(always)]
    fn raw_into(
        &self,
        isa: Isa,
        q: &Probe,
        len: usize,
        col: impl Fn(usize) -> usize,
        s: &mut Scratch,
    ) {
        s.dv.clear();
        s.dv.extend((0..len).map(|k| kernels::l1(q.z, self.zp().row(col(k)))));
        s.dt.clear();
        s.dt.resize(len, 0.0);
        if let Some(a) = q.gauss {
            let mut k = 0;
            while k + 4 <= len {
                let g = [0, 1, 2, 3].map(|c| self.gauss().get(col(k + c)));
                if let [Some(b0), Some(b1), Some(b2), Some(b3)] = g {
                    let d = gaussian::skl_x4(isa, a, [b0, b1, b2, b3]);
                    s.dt[k..k + 4].copy_from_slice(&d);
                } else {
                    break;
                }
                k += 4;
            }
            for (k, d) in s.dt.iter_mut().enumerate().skip(k) {
                if let Some(b) = self.gauss().get(col(k)) {
                    *d = gaussian::skl(isa, a, b);
                }
            }
        }
        for d in &mut s.dt {
            *d = fastmath::ln_1p(*d);
        }
    }

    /// Similarities of `q` to library rows `cols` into `out` (one per
    /// row), equal bit for bit to [`Space::similarity`] pair by pair.
    #[inline(always)]
    fn sims_into(&self, isa: Isa, q: &Probe, cols: Range<usize>, s: &mut Scratch, out: &mut [f32]) {
        let out = &mut out[..cols.len()];
        if !self.profile.uses_proximity() {
            for (o, j) in out.iter_mut().zip(cols) {
                *o = kernels::dot(q.unit, self.unit.get(j).map_or(&[], Vec::as_slice));
            }
            return;
        }
        self.raw_into(isa, q, cols.len(), |k| cols.start + k, s);
        let timbre = q.gauss.is_some() && self.gauss().get(cols.start).is_some();
        let share = self.descriptor_share();
        let raw = s.dv.iter().zip(&s.dt);
        match (
            self.vector_spread.get(cols.clone()),
            self.timbre_spread.get(cols.clone()),
        ) {
            (Some(vs), Some(ts)) => {
                for (((o, (&dv, &dt)), v), t) in out.iter_mut().zip(raw).zip(vs).zip(ts) {
                    *o = fuse(dv, dt, timbre, share, q, v, t);
                }
            }
            // No spreads (never for a built space): as `similarity` does.
            _ => {
                for (o, (&dv, &dt)) in out.iter_mut().zip(raw) {
                    *o = fuse(dv, dt, timbre, share, q, &NO_SPREAD, &NO_SPREAD);
                }
            }
        }
        if self.deep.is_some() {
            for (o, j) in out.iter_mut().zip(cols) {
                *o = self.with_deep(*o, q, j);
            }
        }
    }

    /// Similarities of `q` to every library row, in runs that keep the
    /// kernels' scratch small.
    fn sims_all(&self, q: &Probe) -> Vec<f32> {
        let n = self.len();
        let mut out = vec![0.0f32; n];
        with_simd(
            #[inline(always)]
            |isa| {
                let mut s = Scratch::default();
                for (c, chunk) in out.chunks_mut(RUN).enumerate() {
                    let start = c * RUN;
                    self.sims_into(isa, q, start..start + chunk.len(), &mut s, chunk);
                }
            },
        );
        out
    }

    /// Adds `q`'s distances to the sample rows `chunk`, leaving out row
    /// `own`, to `sums`.
    #[inline(always)]
    fn sample_sums(
        &self,
        isa: Isa,
        (q, own): (&Probe, Option<usize>),
        chunk: &[u32],
        s: &mut Scratch,
        sums: &mut Sums,
    ) {
        self.raw_into(isa, q, chunk.len(), |k| chunk[k] as usize, s);
        for ((&dv, &dt), &c) in s.dv.iter().zip(&s.dt).zip(chunk) {
            if Some(c as usize) == own {
                continue;
            }
            sums.v[0] += dv;
            sums.v[1] += dv * dv;
            sums.t[0] += dt;
            sums.t[1] += dt * dt;
            sums.n += 1;
        }
    }

    /// Distance spreads of a new track against the sample.
    fn spreads(&self, q: &Probe) -> (Spread, Spread) {
        let sums = with_simd(
            #[inline(always)]
            |isa| {
                let mut s = Scratch::default();
                let mut sums = Sums::default();
                for chunk in self.sample.chunks(RUN) {
                    self.sample_sums(isa, (q, None), chunk, &mut s, &mut sums);
                }
                sums
            },
        );
        let (v, t) = sums.spreads();
        (v, if q.gauss.is_some() { t } else { NO_SPREAD })
    }

    /// Distance spreads of library rows `block` against the sample
    /// (leaving each row out of its own), walking the sample in runs so
    /// each run is loaded from memory once per block, not once per track.
    fn spreads_block(&self, block: &[usize]) -> Vec<(Spread, Spread)> {
        let mut sums = vec![Sums::default(); block.len()];
        with_simd(
            #[inline(always)]
            |isa| {
                let mut s = Scratch::default();
                for chunk in self.sample.chunks(RUN) {
                    for (&i, sums) in block.iter().zip(&mut sums) {
                        self.sample_sums(isa, (&self.row_probe(i), Some(i)), chunk, &mut s, sums);
                    }
                }
            },
        );
        sums.iter().map(Sums::spreads).collect()
    }

    /// Library track `i` as a point.
    pub fn row_point(&self, i: usize) -> Point {
        let q = self.row_probe(i);
        Point {
            z: self.z[i].clone(),
            zp: q.z.to_vec(),
            unit: q.unit.to_vec(),
            gauss: self.gauss().prepared(i),
            vector_spread: q.vector_spread,
            timbre_spread: q.timbre_spread,
            deep: q.deep.map(|(u, sp)| (u.to_vec(), sp)),
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
        let deep = self.deep.as_ref().map(|d| {
            let u = d.vector(emb);
            let sp = d.spread_of(&u, &self.sample, None);
            (u, sp)
        });
        let mut point = Point {
            zp: kernels::padded(&z, LANES32),
            unit: kernels::unit(&z),
            z,
            gauss,
            vector_spread: NO_SPREAD,
            timbre_spread: NO_SPREAD,
            deep,
        };
        if self.profile.uses_proximity() {
            (point.vector_spread, point.timbre_spread) = self.spreads(&point.probe());
        }
        Ok(point)
    }

    /// Similarity of point `p` to library track `j`.
    #[inline]
    pub fn similarity(&self, p: &Point, j: usize) -> f32 {
        let q = p.probe();
        match self.profile {
            Profile::Seed | Profile::Deep => {
                kernels::dot(q.unit, self.unit.get(j).map_or(&[], Vec::as_slice))
            }
            Profile::Musim | Profile::Fused => {
                let dv = kernels::l1(q.z, self.zp().row(j));
                let (dt, timbre) = match (q.gauss, self.gauss().get(j)) {
                    (Some(a), Some(b)) => (gaussian::distance(Isa::base(), a, b), true),
                    _ => (0.0, false),
                };
                let spread = |v: &[Spread]| v.get(j).copied().unwrap_or(NO_SPREAD);
                let hand = fuse(
                    dv,
                    dt,
                    timbre,
                    self.descriptor_share(),
                    &q,
                    &spread(&self.vector_spread),
                    &spread(&self.timbre_spread),
                );
                self.with_deep(hand, &q, j)
            }
        }
    }

    /// Similarity of point `p` to a track given by its stored row (read
    /// on its own, e.g. from the model file): equal to
    /// [`Space::similarity`] of the space that holds the row.
    pub fn similarity_to(&self, p: &Point, row: &stored::Row) -> f32 {
        let q = p.probe();
        match self.profile {
            Profile::Seed | Profile::Deep => kernels::dot(q.unit, &kernels::unit(&row.z)),
            Profile::Musim | Profile::Fused => {
                let dv = kernels::l1(q.z, &kernels::padded(&row.z, LANES32));
                // As the space's table prepares a stored Gaussian.
                let g = (!row.timbre.is_empty()).then(|| {
                    gaussian::prepare(&row.timbre, &self.centre)
                        .unwrap_or_else(|| self.flat_gaussian())
                });
                let (dt, timbre) = match (q.gauss, &g) {
                    (Some(a), Some(b)) => (gaussian::distance(Isa::base(), a, b.view()), true),
                    _ => (0.0, false),
                };
                let (v, t) = row.spreads.unwrap_or((NO_SPREAD, NO_SPREAD));
                let hand = fuse(dv, dt, timbre, self.descriptor_share(), &q, &v, &t);
                let deep = row.deep.as_ref().map(|(u, s)| (u.as_slice(), *s));
                self.deep_pair(hand, &q, deep)
            }
        }
    }

    /// The `k` tracks most similar to `p`, best first (ties by lower row),
    /// leaving out rows for which `skip` is true.
    pub fn top_k(&self, p: &Point, k: usize, skip: impl Fn(usize) -> bool) -> Vec<Neighbour> {
        let all = self
            .sims_all(&p.probe())
            .into_iter()
            .enumerate()
            .filter(|&(j, _)| !skip(j))
            .map(|(j, s)| Neighbour {
                index: j as u32,
                similarity: s,
            })
            .collect();
        best(all, k)
    }

    /// Similarities of library row `a` to each of rows `bs` into `out`,
    /// equal bit for bit to [`Space::similarity`] pair by pair (the
    /// proximity profiles; cosine ones to f32 rounding of the dot product).
    #[inline(always)]
    fn sims_rows(&self, isa: Isa, a: usize, bs: &[u32], s: &mut Scratch, out: &mut [f32]) {
        let q = self.row_probe(a);
        let out = &mut out[..bs.len()];
        if !self.profile.uses_proximity() {
            for (o, &b) in out.iter_mut().zip(bs) {
                *o = kernels::dot(q.unit, self.unit.get(b as usize).map_or(&[], Vec::as_slice));
            }
            return;
        }
        self.raw_into(isa, &q, bs.len(), |t| bs[t] as usize, s);
        let timbre = q.gauss.is_some()
            && bs
                .first()
                .is_some_and(|&b| self.gauss().get(b as usize).is_some());
        let spread = |v: &[Spread], b: u32| v.get(b as usize).copied().unwrap_or(NO_SPREAD);
        let share = self.descriptor_share();
        for ((o, (&dv, &dt)), &b) in out.iter_mut().zip(s.dv.iter().zip(&s.dt)).zip(bs) {
            let hand = fuse(
                dv,
                dt,
                timbre,
                share,
                &q,
                &spread(&self.vector_spread, b),
                &spread(&self.timbre_spread, b),
            );
            *o = self.with_deep(hand, &q, b as usize);
        }
    }

    /// Each track's `k` most similar other tracks (ties by lower row):
    /// exact below `exact_below` tracks, else by NN-descent
    /// ([`nndescent`], recall@10 ≥ 0.98 on 10 000 tracks).
    pub fn knn_graph_scaled(&self, k: usize, exact_below: usize) -> Vec<Vec<Neighbour>> {
        if self.len() < exact_below {
            return self.knn_graph(k);
        }
        self.approximate_knn(&nndescent::Params::new(3 * k))
            .into_iter()
            .map(|mut l| {
                l.truncate(k);
                l.shrink_to_fit();
                l
            })
            .collect()
    }

    /// Each track's neighbours by NN-descent with `params` (its lists are
    /// `params.k` long).
    pub fn approximate_knn(&self, params: &nndescent::Params) -> Vec<Vec<Neighbour>> {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
        }
        // Start from random-projection trees over the vectors the
        // similarity mostly depends on.
        let forest = nndescent::forest(self.len(), params.trees, params.leaf, params.seed, |i| {
            if self.profile.uses_proximity() {
                &self.z[i]
            } else {
                &self.unit[i]
            }
        });
        nndescent::search(self.len(), params, Some(&forest), |a, bs, out| {
            SCRATCH.with(|s| {
                let s = &mut s.borrow_mut();
                with_simd(
                    #[inline(always)]
                    |isa| self.sims_rows(isa, a, bs, s, out),
                )
            })
        })
    }

    /// Each track's `k` most similar other tracks (ties by lower row),
    /// exactly (all pairs).
    pub fn knn_graph(&self, k: usize) -> Vec<Vec<Neighbour>> {
        if !self.profile.uses_proximity() {
            return crate::similarity::gram::map_rows_with_dots(&self.unit, |i, dots| {
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
        // The similarity is exactly symmetric: each pair once, for both rows.
        knn::symmetric(self.len(), k, |rows, cols, s: &mut Scratch, emit| {
            with_simd(
                #[inline(always)]
                |isa| {
                    let mut out = vec![0.0f32; cols.len()];
                    for i in rows {
                        let from = cols.start.max(i + 1);
                        if from >= cols.end {
                            continue;
                        }
                        let out = &mut out[..cols.end - from];
                        self.sims_into(isa, &self.row_probe(i), from..cols.end, s, out);
                        for (j, &v) in (from..cols.end).zip(out.iter()) {
                            emit(i, j, v);
                        }
                    }
                },
            )
        })
    }

    /// Similarities of each of `points` to every library track, walking
    /// the library once for the whole block so each track's data is loaded
    /// from memory once per block (the per-point loop is memory-bound).
    pub fn similarities_block(&self, points: &[Point]) -> Vec<Vec<f32>> {
        let n = self.len();
        let mut out = vec![vec![0.0f32; n]; points.len()];
        let probes: Vec<Probe> = points.iter().map(Point::probe).collect();
        with_simd(
            #[inline(always)]
            |isa| {
                let mut s = Scratch::default();
                for start in (0..n).step_by(BLOCK) {
                    let cols = start..(start + BLOCK).min(n);
                    for (q, row) in probes.iter().zip(out.iter_mut()) {
                        self.sims_into(isa, q, cols.clone(), &mut s, &mut row[cols.clone()]);
                    }
                }
            },
        );
        out
    }

    /// Distances (1 − similarity) from track `i` to every other track, as
    /// (distance, row) pairs, for leave-one-out evaluation.
    pub fn distances_from(&self, i: usize, out: &mut Vec<(f64, usize)>) {
        out.clear();
        out.extend(
            self.sims_all(&self.row_probe(i))
                .into_iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, s)| (1.0 - s as f64, j)),
        );
    }
}

/// The fused similarity of a pair from its raw distances: 1 − the mean of
/// the two mutual-proximity distances weighted by `share` for the vector
/// one (the vector one twice without timbre). Exactly symmetric in the pair's two sides.
#[inline(always)]
fn fuse(dv: f64, dt: f64, timbre: bool, share: f64, q: &Probe, v: &Spread, t: &Spread) -> f32 {
    let mv = proximity::distance(dv, &q.vector_spread, v);
    let mt = proximity::distance(dt, &q.timbre_spread, t);
    let mt = if timbre { mt } else { mv };
    // With the even share, bit for bit 1 − (mv + mt) / 2.
    (1.0 - (share * mv + (1.0 - share) * mt)) as f32
}

/// Library rows per run of the one-probe kernels (their scratch stays in
/// the L1 cache).
const RUN: usize = 64;

/// Tracks per block of [`Space::similarities_block`]: their data (≈ 4 KB
/// each) stays in the L2 cache while the library streams past.
const BLOCK: usize = 32;

/// Neighbour order: more similar first, ties by lower index.
#[inline(always)]
fn order(a: &Neighbour, b: &Neighbour) -> Ordering {
    b.similarity
        .total_cmp(&a.similarity)
        .then(a.index.cmp(&b.index))
}

/// The `k` most similar of `all`, best first, ties by lower index, in a
/// vector of exactly that length.
pub fn best(mut all: Vec<Neighbour>, k: usize) -> Vec<Neighbour> {
    let k = k.min(all.len());
    if k == 0 {
        return Vec::new();
    }
    if k < all.len() {
        all.select_nth_unstable_by(k - 1, order);
    }
    // A fresh vector: truncating `all` would keep its capacity, n entries
    // per row, and a kNN graph would hold n² of them.
    let mut top = all[..k].to_vec();
    top.sort_by(order);
    top
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::fingerprint::{feature_names, timbre_offset};
    use crate::features::timbre::tri_index;

    /// `n` synthetic index rows: descriptors around 12 group centres and a
    /// timbre Gaussian per track (group mean + noise, positive variances,
    /// mild correlations); every fifth track duplicates an earlier one, so
    /// there are exact ties.
    pub(super) fn rows(n: usize) -> Vec<Vec<f32>> {
        let mut s = 11u64;
        let mut r = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
        };
        let d = timbre_offset();
        let centres: Vec<Vec<f32>> = (0..12)
            .map(|_| (0..d + TIMBRE_DIMS).map(|_| r() * 6.0).collect())
            .collect();
        let mut out: Vec<Vec<f32>> = Vec::new();
        for i in 0..n {
            if i % 5 == 4 {
                out.push(out[i / 2].clone());
                continue;
            }
            let c = &centres[i % centres.len()];
            let mut row: Vec<f32> = c[..d].iter().map(|v| v + r() * 4.0).collect();
            row.extend(c[d..].iter().map(|v| 10.0 * v + r() * 8.0));
            let mut cov = vec![0.0f32; TIMBRE_STORED - TIMBRE_DIMS];
            for t in 0..TIMBRE_DIMS {
                cov[tri_index(t, t)] = 20.0 + 10.0 * (c[d + t].abs() + r());
                if t + 1 < TIMBRE_DIMS {
                    cov[tri_index(t, t + 1)] = 3.0 * r();
                }
            }
            row.extend(cov);
            out.push(row);
        }
        out
    }

    /// A stand-in deep embedding of a row: 40 values that follow it, and
    /// 20 dead units.
    pub(super) fn embedding(row: &[f32]) -> Vec<f32> {
        let mut e: Vec<f32> = row[..40].iter().map(|v| (0.1 * v).sin()).collect();
        e.extend([0.5f32; 20]);
        e
    }

    fn space(profile: Profile, rows: &[Vec<f32>]) -> Space {
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let emb: Vec<Vec<f32>> = rows.iter().map(|r| embedding(r)).collect();
        let emb: Vec<&[f32]> = emb.iter().map(Vec::as_slice).collect();
        Space::build_with(profile, feature_names(), &refs, Some(&emb)).unwrap()
    }

    /// Row-by-row search with the per-pair `similarity`.
    fn brute_graph(space: &Space, k: usize) -> Vec<Vec<Neighbour>> {
        (0..space.len())
            .map(|i| {
                let p = space.row_point(i);
                let all = (0..space.len())
                    .filter(|&j| j != i)
                    .map(|j| Neighbour {
                        index: j as u32,
                        similarity: space.similarity(&p, j),
                    })
                    .collect();
                best(all, k)
            })
            .collect()
    }

    #[test]
    fn fused_weights_reach_every_path() {
        let rows = rows(200);
        let musim = space(Profile::Musim, &rows);
        // No embedding share: `fused` is `musim`, bit for bit.
        let mut hand = space(Profile::Fused, &rows);
        hand.set_fused_weights(FusedWeights::new(1.0, 1.0, 0.0).unwrap());
        assert_eq!(hand.knn_graph(10), musim.knn_graph(10));
        // Uneven weights: the batch kernels still equal the per-pair path,
        // and the neighbours differ from the product's.
        let mut uneven = space(Profile::Fused, &rows);
        uneven.set_fused_weights(FusedWeights::new(0.6, 0.1, 0.3).unwrap());
        let graph = uneven.knn_graph(10);
        assert_eq!(graph, brute_graph(&uneven, 10));
        assert_ne!(graph, space(Profile::Fused, &rows).knn_graph(10));
        assert_eq!(FusedWeights::new(0.0, 0.0, 0.0), None);
        assert_eq!(FusedWeights::new(1.0, -1.0, 1.0), None);
        assert_eq!(
            FusedWeights::new(1.0, 1.0, 2.0),
            Some(FusedWeights::DEFAULT)
        );
    }

    #[test]
    fn batch_paths_equal_the_per_pair_similarity_exactly() {
        // The batch kernels (AVX2 where the CPU has it, two phases, each
        // pair once in the graph) add in the same order as the per-pair
        // path (baseline build), so the results are identical bit for bit.
        let rows = rows(300);
        for profile in Profile::ALL {
            let space = space(profile, &rows);
            let graph = space.knn_graph(10);
            let brute = brute_graph(&space, 10);
            assert!(graph.iter().all(|l| l.len() == 10));
            for (i, (got, want)) in graph.iter().zip(&brute).enumerate() {
                match profile {
                    Profile::Musim | Profile::Fused => assert_eq!(got, want, "row {i}"),
                    // seed's and deep's graphs come from f32 matrix products
                    // (another summation order): equal values to rounding.
                    Profile::Seed | Profile::Deep => {
                        for (a, b) in got.iter().zip(want) {
                            assert!((a.similarity - b.similarity).abs() < 1e-5, "row {i}");
                        }
                    }
                }
            }
            let points: Vec<Point> = [0, 7, 150, 299].map(|i| space.row_point(i)).to_vec();
            let block = space.similarities_block(&points);
            for (p, got) in points.iter().zip(&block) {
                let want: Vec<f32> = (0..space.len()).map(|j| space.similarity(p, j)).collect();
                assert_eq!(got, &want, "{profile}");
            }
            let mut dist = Vec::new();
            space.distances_from(7, &mut dist);
            assert_eq!(dist.len(), space.len() - 1);
            for &(d, j) in &dist {
                assert_ne!(j, 7);
                assert_eq!(d, 1.0 - block[1][j] as f64);
            }
            // A new track (a perturbed row): top_k against the brute force.
            let mut raw = rows[42].clone();
            raw.iter_mut().take(20).for_each(|v| *v += 0.3);
            let p = space.point_with(&raw, Some(&embedding(&raw))).unwrap();
            let skip = |j: usize| j.is_multiple_of(3);
            let all = (0..space.len())
                .filter(|&j| !skip(j))
                .map(|j| Neighbour {
                    index: j as u32,
                    similarity: space.similarity(&p, j),
                })
                .collect();
            assert_eq!(space.top_k(&p, 10, skip), best(all, 10), "{profile}");
        }
    }

    /// P(D ≤ d) with libm's erfc.
    fn cdf(s: &Spread, d: f64) -> f64 {
        0.5 * libm::erfc((s.mean - d) / (s.sd * std::f64::consts::SQRT_2))
    }

    #[test]
    fn musim_kernels_match_the_definition() {
        // The similarity written out plainly (f64 sums in index order,
        // std ln_1p, libm erfc, spreads from the definition) against the
        // kernels: equal within 5e-7 (the fast erfc's 1.2e-7 relative
        // error dominates), and the same neighbour lists.
        let rows = rows(300);
        let space = space(Profile::Musim, &rows);
        let n = space.len();
        let l1 = |i: usize, j: usize| -> f64 {
            space.z[i]
                .iter()
                .zip(&space.z[j])
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
                .sum()
        };
        let gauss: Vec<Prepared> = (0..n).map(|i| space.gauss().prepared(i).unwrap()).collect();
        let timbre = |i: usize, j: usize| -> f64 {
            let (a, b) = (&gauss[i], &gauss[j]);
            let ab: f64 = a.u.iter().zip(&b.v).map(|(x, y)| x * y).sum();
            let ba: f64 = b.u.iter().zip(&a.v).map(|(x, y)| x * y).sum();
            (0.5 * (ab + ba + a.c + b.c) - TIMBRE_DIMS as f64)
                .max(0.0)
                .ln_1p()
        };
        // Spreads against the sample, leaving the track itself out.
        for i in [0, 1, 123, 299] {
            let others = space.sample.iter().map(|&s| s as usize).filter(|&s| s != i);
            let v = Spread::of(others.clone().map(|s| l1(i, s)));
            let t = Spread::of(others.map(|s| timbre(i, s)));
            let (gv, gt) = (space.vector_spread[i], space.timbre_spread[i]);
            // The kernels sum |Δz| in f32 lanes: relative rounding ~1e-8.
            for (got, want, scale) in [
                (gv.mean, v.mean, v.mean),
                (gv.sd, v.sd, v.mean),
                (gt.mean, t.mean, t.mean),
                (gt.sd, t.sd, t.mean),
            ] {
                assert!(
                    (got - want).abs() <= 1e-7 * scale,
                    "row {i}: {got} vs {want}"
                );
            }
        }
        let (vs, ts) = (&space.vector_spread, &space.timbre_spread);
        let mp = |d: f64, x: &Spread, y: &Spread| {
            let (a, b) = (cdf(x, d), cdf(y, d));
            a + b - a * b
        };
        let plain = |i: usize, j: usize| -> f64 {
            let mv = mp(l1(i, j), &vs[i], &vs[j]);
            let mt = mp(timbre(i, j), &ts[i], &ts[j]);
            1.0 - 0.5 * (mv + mt)
        };
        let graph = space.knn_graph(10);
        let mut worst = 0.0f64;
        let mut same_lists = 0;
        for (i, list) in graph.iter().enumerate() {
            let p = space.row_point(i);
            let want: Vec<f64> = (0..n).map(|j| plain(i, j)).collect();
            for (j, &w) in want.iter().enumerate() {
                worst = worst.max((f64::from(space.similarity(&p, j)) - w).abs());
            }
            let all = (0..n)
                .filter(|&j| j != i)
                .map(|j| Neighbour {
                    index: j as u32,
                    similarity: want[j] as f32,
                })
                .collect();
            let plain_list = best(all, 10);
            same_lists += usize::from(
                plain_list
                    .iter()
                    .map(|nb| nb.index)
                    .eq(list.iter().map(|nb| nb.index)),
            );
            // Where the lists differ, only by near-ties: the k-th best
            // similarities agree.
            for (a, b) in plain_list.iter().zip(list) {
                assert!((a.similarity - b.similarity).abs() < 2e-6, "row {i}");
            }
        }
        // Measured: largest difference 1.05e-7, all 300 lists identical.
        assert!(worst < 5e-7, "largest difference {worst:e}");
        assert_eq!(same_lists, n, "lists identical");
    }

    #[test]
    fn nn_descent_graph_recalls_the_exact_one() {
        // Recall@10 of the approximate graph against the exact one: on
        // 10 000 tracks for the cosine profile, 2 000 for the proximity
        // ones (their exact graph is the slow part of this test). Measured
        // 0.999 / 0.998 / 0.998.
        for (profile, n) in [
            (Profile::Seed, 10_000),
            (Profile::Musim, 2_000),
            (Profile::Fused, 2_000),
        ] {
            let space = space(profile, &rows(n));
            let exact = space.knn_graph(10);
            let approx = space.knn_graph_scaled(10, 0);
            let mut hits = 0;
            for (i, (a, e)) in approx.iter().zip(&exact).enumerate() {
                assert_eq!(a.len(), 10, "{profile} row {i}");
                assert!(a.iter().all(|nb| nb.index as usize != i));
                hits += a
                    .iter()
                    .filter(|nb| e.iter().any(|x| x.index == nb.index))
                    .count();
                // Each similarity is the pair's own.
                let p = space.row_point(i);
                for nb in a {
                    let want = space.similarity(&p, nb.index as usize);
                    assert!((nb.similarity - want).abs() < 1e-5, "{profile} row {i}");
                }
            }
            let recall = hits as f64 / (10 * n) as f64;
            assert!(recall >= 0.98, "{profile}: recall@10 {recall}");
            if profile == Profile::Musim {
                assert_eq!(approx, space.knn_graph_scaled(10, 0), "deterministic");
            }
            // Below the threshold: the exact graph itself.
            assert_eq!(space.knn_graph_scaled(10, n + 1), exact);
        }
    }

    /// Every profile's graph holds k neighbours per row and no more memory:
    /// at 12 000 tracks a row that kept room for all n others (as the
    /// unit-vector path once did) would make the graph 1.15 GB.
    #[test]
    fn knn_graph_rows_hold_only_k_neighbours() {
        let k = 10;
        for (profile, n) in [
            (Profile::Seed, 12_000),
            (Profile::Deep, 12_000),
            (Profile::Musim, 1_200),
            (Profile::Fused, 1_200),
        ] {
            let graph = space(profile, &rows(n)).knn_graph(k);
            assert_eq!(graph.len(), n, "{profile}");
            for (i, list) in graph.iter().enumerate() {
                assert_eq!(list.len(), k, "{profile} row {i}");
                assert_eq!(
                    list.capacity(),
                    k,
                    "{profile} row {i}: room for {}",
                    list.capacity()
                );
            }
        }
        assert!(best(
            vec![
                Neighbour {
                    index: 0,
                    similarity: 1.0
                };
                50
            ],
            0
        )
        .is_empty());
        let few = best(Vec::with_capacity(1000), 10);
        assert_eq!(few.capacity(), 0);
    }
}
