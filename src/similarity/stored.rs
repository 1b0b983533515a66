//! A [`Space`] taken apart for the model file and put back together: its
//! small parts ([`Head`], serialised as a whole) and its per-track arrays,
//! which the model file stores flat so that loading them is a copy rather
//! than a decode.

use serde::{Deserialize, Serialize};

use super::deep::DeepPart;
use super::normalize::Normalizer;
use super::proximity::Spread;
use super::{Profile, Space};

/// Everything of a space but its per-track arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    profile: Profile,
    names: Vec<String>,
    dims: Vec<u32>,
    timbre_at: Option<u32>,
    row_len: u32,
    normalizer: Normalizer,
    centre: Vec<f64>,
    sample: Vec<u32>,
    deep_len: u32,
    /// The `fused` embedding part's dimensions, their statistics and the
    /// principal directions it is projected on.
    deep: Option<(Vec<u32>, Normalizer, Vec<Vec<f32>>)>,
}

/// The per-track arrays of a space, rows following the tracks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Arrays {
    /// Z-scored vectors.
    pub z: Vec<Vec<f32>>,
    /// Stored timbre Gaussians (`musim`, `fused`; else empty).
    pub timbre: Vec<Vec<f32>>,
    /// Vector- and timbre-distance spreads (mutual proximity; else empty).
    pub spreads: Vec<(Spread, Spread)>,
    /// The `fused` part's unit embeddings and their spreads.
    pub deep: Option<(Vec<Vec<f32>>, Vec<Spread>)>,
}

impl Head {
    /// Whether the space has a `fused` embedding part.
    pub fn has_deep(&self) -> bool {
        self.deep.is_some()
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The rows mutual proximity's spreads are measured against.
    pub fn sample(&self) -> &[u32] {
        &self.sample
    }
}

/// One track's row of a space's per-track arrays (see [`Arrays`]), read
/// on its own: what a query compares a new track with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    /// Z-scored vector.
    pub z: Vec<f32>,
    /// Stored timbre Gaussian (empty without).
    pub timbre: Vec<f32>,
    /// Vector- and timbre-distance spreads (mutual proximity).
    pub spreads: Option<(Spread, Spread)>,
    /// The `fused` part's unit embedding and its spread.
    pub deep: Option<(Vec<f32>, Spread)>,
}

impl Space {
    /// The small parts of the space.
    pub fn head(&self) -> Head {
        Head {
            profile: self.profile,
            names: self.names.clone(),
            dims: self.dims.clone(),
            timbre_at: self.timbre_at,
            row_len: self.row_len,
            normalizer: self.normalizer.clone(),
            centre: self.centre.clone(),
            sample: self.sample.clone(),
            deep_len: self.deep_len,
            deep: self
                .deep
                .as_ref()
                .map(|d| (d.dims.clone(), d.normalizer.clone(), d.basis.clone())),
        }
    }

    /// The stored timbre Gaussians (empty without).
    pub fn timbre(&self) -> &[Vec<f32>] {
        &self.timbre
    }

    /// Each track's vector- and timbre-distance spreads (empty without
    /// mutual proximity).
    pub fn stored_spreads(&self) -> impl Iterator<Item = (Spread, Spread)> + '_ {
        self.vector_spread
            .iter()
            .zip(&self.timbre_spread)
            .map(|(v, t)| (*v, *t))
    }

    /// The `fused` part's unit embeddings and spreads.
    pub fn deep_rows(&self) -> Option<(&[Vec<f32>], &[Spread])> {
        self.deep.as_ref().map(|d| (&d.unit[..], &d.spread[..]))
    }

    /// The space of `head` and `arrays`, its derived tables made.
    pub fn from_parts(head: Head, arrays: Arrays) -> Space {
        let (vector_spread, timbre_spread) = arrays.spreads.into_iter().unzip();
        let mut space = Space {
            profile: head.profile,
            names: head.names,
            dims: head.dims,
            timbre_at: head.timbre_at,
            row_len: head.row_len,
            normalizer: head.normalizer,
            z: arrays.z,
            timbre: arrays.timbre,
            centre: head.centre,
            vector_spread,
            timbre_spread,
            sample: head.sample,
            unit: Vec::new(),
            zp: Default::default(),
            gauss: Default::default(),
            deep_len: head.deep_len,
            deep: match (head.deep, arrays.deep) {
                (Some((dims, normalizer, basis)), Some((unit, spread))) => Some(DeepPart {
                    dims,
                    normalizer,
                    basis,
                    unit,
                    spread,
                    weights: super::FusedWeights::DEFAULT,
                }),
                _ => None,
            },
        };
        space.restore();
        space
    }
}

impl Space {
    /// Row `i` of the per-track arrays.
    pub fn stored_row(&self, i: usize) -> Row {
        Row {
            z: self.z.get(i).cloned().unwrap_or_default(),
            timbre: self.timbre.get(i).cloned().unwrap_or_default(),
            spreads: self
                .vector_spread
                .get(i)
                .zip(self.timbre_spread.get(i))
                .map(|(v, t)| (*v, *t)),
            deep: self
                .deep
                .as_ref()
                .and_then(|d| Some((d.unit.get(i)?.clone(), *d.spread.get(i)?))),
        }
    }

    /// The space of `head` holding only its sample's `rows` (in the
    /// sample's order), the sample renumbered to them: enough to place a
    /// new track ([`Space::point_with`], spreads equal to the whole
    /// space's) and compare it with any row ([`Space::similarity_to`]).
    pub fn of_sample(mut head: Head, rows: Vec<Row>) -> Space {
        head.sample = (0..rows.len() as u32).collect();
        let mut arrays = Arrays::default();
        let mut deep = (Vec::new(), Vec::new());
        for r in rows {
            arrays.z.push(r.z);
            if !r.timbre.is_empty() {
                arrays.timbre.push(r.timbre);
            }
            arrays.spreads.extend(r.spreads);
            if let Some((u, s)) = r.deep {
                deep.0.push(u);
                deep.1.push(s);
            }
        }
        arrays.deep = head.deep.is_some().then_some(deep);
        Space::from_parts(head, arrays)
    }
}

/// A table derived from a space's stored parts, made once when first
/// asked for ([`std::sync::OnceLock`]). Two spaces with the same stored
/// parts are equal whether or not they have made it yet.
#[derive(Debug, Clone, Default)]
pub struct Derived<T>(std::sync::OnceLock<T>);

impl<T> Derived<T> {
    /// The table, made by `make` the first time.
    pub fn get_or_init(&self, make: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(make)
    }

    /// The table if it was made.
    pub fn get(&self) -> Option<&T> {
        self.0.get()
    }

    /// The table if it was made, to change along with the stored parts.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.0.get_mut()
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
