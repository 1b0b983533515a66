//! A synthetic library's fingerprints and deep embeddings, shared by the
//! model bench and `examples/synthetic_library.rs` (included with
//! `#[path = ...] mod library;`): 20 Gaussian groups in the descriptor
//! dimensions, a timbre Gaussian per track, a stand-in musicnn embedding.

use musim::features::fingerprint::timbre_offset;
use musim::features::timbre::{tri_index, DIMS as TD, STORED};

/// Dimensions of the descriptor part (before the timbre Gaussian).
pub const DIMS: usize = timbre_offset();

/// Deterministic pseudo-random numbers in −0.5..0.5.
pub fn rng(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    }
}

/// Full index rows, one per track, made one at a time (a library of
/// 100 000 need not be held twice): track `i` belongs to group `i % 20`.
pub struct Rows {
    r: Box<dyn FnMut() -> f32>,
    centres: Vec<Vec<f32>>,
}

impl Rows {
    /// The rows of seed 7.
    pub fn new() -> Rows {
        let mut r = rng(7);
        let centres = (0..20)
            .map(|_| (0..DIMS + TD).map(|_| r() * 6.0).collect())
            .collect();
        Rows {
            r: Box::new(r),
            centres,
        }
    }

    /// The next row, of group `group`: descriptors around the group's
    /// centre, then a timbre Gaussian (group mean + noise, positive
    /// variances, mild correlations).
    pub fn row(&mut self, group: usize) -> Vec<f32> {
        let r = &mut self.r;
        let c = &self.centres[group % self.centres.len()];
        let mut row: Vec<f32> = c[..DIMS].iter().map(|v| v + r() * 4.0).collect();
        row.extend(c[DIMS..].iter().map(|v| 10.0 * v + r() * 8.0));
        let mut cov = vec![0.0f32; STORED - TD];
        for i in 0..TD {
            cov[tri_index(i, i)] = 20.0 + 10.0 * (c[DIMS + i].abs() + r());
            if i + 1 < TD {
                cov[tri_index(i, i + 1)] = 3.0 * r();
            }
        }
        row.extend(cov);
        row
    }
}

/// A stand-in musicnn embedding of a row: 426 live units that follow the
/// row (as many as the real network has) and 1080 dead ones, constant.
pub fn embedding(row: &[f32]) -> Vec<f32> {
    let mut e: Vec<f32> = (0..426)
        .map(|d| (0.3 * row[d % DIMS] + 0.01 * d as f32).sin())
        .collect();
    e.extend(std::iter::repeat_n(0.25f32, 1080));
    e
}

/// An index of `n` tracks of [`Rows`] (track `i` in group `i % 20`,
/// labelled by it), each with its stand-in embedding and 50 tag scores of
/// 0 when `embeddings`.
#[allow(dead_code)] // Not every includer builds an index.
pub fn index(n: usize, embeddings: bool) -> musim::library::index::Index {
    use musim::library::deep::{DeepRecord, DeepRow};
    use musim::library::index::{Entry, Index, Outcome};
    let mut rows = Rows::new();
    let mut index = Index::empty(std::path::Path::new("/bench"));
    index.header.feature_names = musim::features::fingerprint::feature_names().to_vec();
    for i in 0..n {
        let l = i % 20;
        let values = rows.row(l);
        let path = format!("/bench/g{l:02}/{i:06}.wav").into_bytes();
        if embeddings {
            index.deep.rows.push(DeepRow {
                path: path.clone(),
                size: 1,
                mtime_ns: 1,
                record: DeepRecord::Embedded {
                    embedding: embedding(&values),
                    tags: vec![0.0; 50],
                    patches: 10,
                    repeat_padded: false,
                },
            });
        }
        index.entries.push(Entry {
            path,
            size: 1,
            mtime_ns: 1,
            label: Some(format!("g{l:02}")),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values,
            },
        });
    }
    index.entries.sort_by(|a, b| a.path.cmp(&b.path));
    index.deep.rows.sort_by(|a, b| a.path.cmp(&b.path));
    index
}
