//! k-reciprocal re-ranking (Zhong et al. 2017, "Re-ranking Person
//! Re-identification with k-reciprocal Encoding"): two tracks are close
//! when, besides their own distance, their k-reciprocal neighbour sets
//! (the tracks each has among its nearest *and* that have it among
//! theirs) overlap. A "hub" that is everybody's neighbour but has few
//! reciprocal ones loses its place. Written after the authors' reference
//! code, for all tracks both probe and gallery, in the form a product
//! would need: each track's encoding from its few nearest and its largest
//! distance, then any pair's re-ranked distance. Not in the product: its
//! gain did not hold (docs/PERFORMANCE.md, "Re-ranking the neighbour
//! lists"); `cargo test --example deep_study` runs its tests.

use std::collections::BTreeMap;

/// The parameters of the re-ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KReciprocal {
    /// Size of the neighbour lists whose reciprocity is checked.
    pub k1: usize,
    /// Each track's encoding is averaged over itself and its `k2 − 1`
    /// nearest (local query expansion; 1: none).
    pub k2: usize,
    /// Share of the original distance in the result (the rest Jaccard).
    pub lambda: f64,
}

/// A track's k-reciprocal encoding: (track, weight) by track, weights
/// summing to 1.
type Sparse = Vec<(u32, f64)>;

/// Every track's encoding, ready to re-rank any pair.
#[derive(Debug, Clone)]
pub struct Encoding {
    /// Per track, its (expanded) encoding.
    v: Vec<Sparse>,
    /// Per track, its largest distance to any other (the row's scale).
    max: Vec<f64>,
    /// [`KReciprocal::lambda`].
    lambda: f64,
}

impl KReciprocal {
    /// k1 5, k2 3, λ 0.6: the setting chosen on corpus 1.
    #[cfg(test)]
    pub const CHOSEN: KReciprocal = KReciprocal {
        k1: 5,
        k2: 3,
        lambda: 0.6,
    };

    /// Neighbours each track's list must hold (fewer only when the
    /// library has fewer other tracks).
    pub fn list_len(&self) -> usize {
        self.k1.max(self.k2.saturating_sub(1))
    }

    /// The encodings of tracks `0..near.len()`, from each track's nearest
    /// others (`near[i]`, nearest first, at least [`Self::list_len`] long
    /// unless the library is smaller), their largest distance to any other
    /// (`max[i]`) and `distance(i, j)` for any pair of distinct tracks.
    pub fn encode(
        &self,
        near: &[Vec<u32>],
        max: &[f64],
        distance: impl Fn(usize, usize) -> f64,
    ) -> Encoding {
        let n = near.len();
        let scale = |i: usize| max.get(i).copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
        // The track itself, then its `k` nearest.
        let head = |i: usize, k: usize| -> Vec<usize> {
            let others = near.get(i).map_or(&[][..], |l| &l[..k.min(l.len())]);
            std::iter::once(i)
                .chain(others.iter().map(|&j| j as usize))
                .collect()
        };
        let reciprocal = |i: usize, k: usize| -> Vec<usize> {
            head(i, k)
                .into_iter()
                .filter(|&c| head(c, k).contains(&i))
                .collect()
        };
        let half = (self.k1 as f64 / 2.0).round_ties_even() as usize;
        let mut v: Vec<Sparse> = (0..n)
            .map(|i| {
                let r = reciprocal(i, self.k1);
                let mut set = r.clone();
                for &c in &r {
                    let rc = reciprocal(c, half);
                    let common = rc.iter().filter(|x| r.contains(x)).count();
                    if common as f64 > 2.0 / 3.0 * rc.len() as f64 {
                        set.extend(rc);
                    }
                }
                set.sort_unstable();
                set.dedup();
                let w: Vec<f64> = set
                    .iter()
                    .map(|&j| {
                        let d = if j == i { 0.0 } else { distance(i, j) };
                        (-d / scale(i)).exp()
                    })
                    .collect();
                let sum: f64 = w.iter().sum();
                set.iter()
                    .zip(&w)
                    .map(|(&j, w)| (j as u32, w / sum))
                    .collect()
            })
            .collect();
        if self.k2 > 1 {
            v = (0..n)
                .map(|i| {
                    let heads = head(i, self.k2 - 1);
                    let mut acc: BTreeMap<u32, f64> = BTreeMap::new();
                    for &a in &heads {
                        for &(l, w) in &v[a] {
                            *acc.entry(l).or_insert(0.0) += w;
                        }
                    }
                    let count = heads.len() as f64;
                    acc.into_iter().map(|(l, w)| (l, w / count)).collect()
                })
                .collect();
        }
        Encoding {
            v,
            max: (0..n).map(scale).collect(),
            lambda: self.lambda,
        }
    }
}

impl Encoding {
    /// The re-ranked distance from track `a` to track `b`, whose original
    /// distance is `d` (not symmetric: `a`'s scale divides it).
    pub fn distance(&self, a: usize, b: usize, d: f64) -> f64 {
        let (Some(va), Some(vb)) = (self.v.get(a), self.v.get(b)) else {
            return d;
        };
        let (mut x, mut y, mut m) = (0, 0, 0.0f64);
        while let (Some(&(la, wa)), Some(&(lb, wb))) = (va.get(x), vb.get(y)) {
            match la.cmp(&lb) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    m += wa.min(wb);
                    x += 1;
                    y += 1;
                }
            }
        }
        let jaccard = 1.0 - m / (2.0 - m);
        let o = d / self.max.get(a).copied().unwrap_or(1.0);
        (1.0 - self.lambda) * jaccard + self.lambda * o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256Plus;

    /// Distances among 3 classes of 8 tracks whose ranges overlap (within
    /// 0.3..0.6, across 0.45..0.9), and a last track, the hub, at 0.32
    /// from everyone.
    fn library(seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = Xoshiro256Plus::seed_from_u64(seed);
        let mut u = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let class: Vec<usize> = (0..24).map(|i| i / 8).chain([usize::MAX]).collect();
        let n = class.len();
        let mut d = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in i + 1..n {
                let v = match (class[i], class[j]) {
                    (usize::MAX, _) | (_, usize::MAX) => 0.32,
                    (a, b) if a == b => 0.3 + 0.3 * u(),
                    _ => 0.45 + 0.45 * u(),
                };
                d[i][j] = v;
                d[j][i] = v;
            }
        }
        (d, class)
    }

    /// Each track's others, nearest first (ties by lower index).
    fn order(n: usize, dist: impl Fn(usize, usize) -> f64) -> Vec<Vec<u32>> {
        (0..n)
            .map(|i| {
                let mut r: Vec<u32> = (0..n as u32).filter(|&j| j as usize != i).collect();
                r.sort_by(|&a, &b| dist(i, a as usize).total_cmp(&dist(i, b as usize)));
                r
            })
            .collect()
    }

    fn encode(kr: KReciprocal, d: &[Vec<f64>]) -> Encoding {
        let near: Vec<Vec<u32>> = order(d.len(), |i, j| d[i][j])
            .into_iter()
            .map(|mut l| {
                l.truncate(kr.list_len());
                l
            })
            .collect();
        let max: Vec<f64> = d
            .iter()
            .map(|r| r.iter().copied().fold(0.0, f64::max))
            .collect();
        kr.encode(&near, &max, |i, j| d[i][j])
    }

    #[test]
    fn the_hub_loses_its_place_and_same_class_neighbours_gain() {
        let (d, class) = library(7);
        let n = d.len();
        let hub = n - 1;
        let enc = encode(KReciprocal::CHOSEN, &d);
        let before = order(n, |i, j| d[i][j]);
        let after = order(n, |i, j| enc.distance(i, j, d[i][j]));
        let score = |lists: &[Vec<u32>]| {
            let (mut hubbed, mut hits) = (0, 0);
            for i in 0..hub {
                let top = &lists[i][..5];
                hubbed += usize::from(top.contains(&(hub as u32)));
                hits += top
                    .iter()
                    .filter(|&&j| class[j as usize] == class[i])
                    .count();
            }
            (hubbed, hits)
        };
        let (hub_before, hits_before) = score(&before);
        let (hub_after, hits_after) = score(&after);
        // The hub is at 0.32 from everyone: first in every plain list.
        assert_eq!(hub_before, hub);
        // Its own 5 nearest are five tracks, so it is reciprocal to few
        // (everyone's query expansion still takes it in, through their
        // nearest: it keeps a place in some lists).
        assert!(
            hub_after <= hub * 2 / 3,
            "hub in {hub_after} of {hub} lists"
        );
        // 120 top-5 places: re-ranked, at least 10 more of the same class.
        assert!(
            hits_after >= hits_before + 10,
            "same-class neighbours in the top 5: {hits_before} → {hits_after}"
        );
    }

    #[test]
    fn a_track_is_at_zero_from_itself_and_lambda_one_keeps_the_order() {
        let (d, _) = library(11);
        let enc = encode(KReciprocal::CHOSEN, &d);
        for a in 0..d.len() {
            assert!(enc.distance(a, a, 0.0).abs() < 1e-12, "{a}");
        }
        let plain = KReciprocal {
            lambda: 1.0,
            ..KReciprocal::CHOSEN
        };
        let enc = encode(plain, &d);
        let n = d.len();
        assert_eq!(
            order(n, |i, j| enc.distance(i, j, d[i][j])),
            order(n, |i, j| d[i][j])
        );
    }

    #[test]
    fn libraries_smaller_than_the_lists_still_rank() {
        for n in 0..4 {
            let d: Vec<Vec<f64>> = (0..n)
                .map(|i| (0..n).map(|j| (i as f64 - j as f64).abs() / 4.0).collect())
                .collect();
            let enc = encode(KReciprocal::CHOSEN, &d);
            for (a, row) in d.iter().enumerate() {
                for (b, &dab) in row.iter().enumerate() {
                    let v = enc.distance(a, b, dab);
                    assert!(
                        v.is_finite() && (0.0..=1.0).contains(&v),
                        "{n}: {a} {b} {v}"
                    );
                }
            }
        }
    }
}
