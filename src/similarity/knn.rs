//! The k-nearest-neighbour graph of a symmetric similarity, computing each
//! unordered pair once and offering it to both rows' lists: half the work
//! of a row-by-row search, with the same result (lists are kept under one
//! strict order, so the order pairs arrive in cannot change them).

use std::ops::Range;

use rayon::prelude::*;

use super::{order, Neighbour};

/// Rows per side of a tile: a tile's two blocks of track data (≈ 4 KB a
/// track) stay in the L2 cache while its pairs are computed.
const TILE: usize = 48;

/// Each of `n` rows' `k` best neighbours (best first, ties by lower row),
/// from `tile(rows, cols, scratch, emit)`, which must call `emit(i, j, s)`
/// with the similarity `s` of every pair i < j with i in `rows` and j in
/// `cols`.
pub fn symmetric<S, T>(n: usize, k: usize, tile: T) -> Vec<Vec<Neighbour>>
where
    S: Default + Send,
    T: Fn(Range<usize>, Range<usize>, &mut S, &mut dyn FnMut(usize, usize, f32)) + Sync,
{
    let blocks = n.div_ceil(TILE);
    let tiles: Vec<(usize, usize)> = (0..blocks)
        .flat_map(|a| (a..blocks).map(move |b| (a, b)))
        .collect();
    let block = |b: usize| b * TILE..((b + 1) * TILE).min(n);
    tiles
        .par_iter()
        .fold(
            || (Lists::new(n, k), S::default()),
            |(mut lists, mut scratch), &(a, b)| {
                tile(block(a), block(b), &mut scratch, &mut |i, j, s| {
                    lists.offer(i, j, s);
                    lists.offer(j, i, s);
                });
                (lists, scratch)
            },
        )
        .map(|(lists, _)| lists)
        .reduce(|| Lists::new(n, k), Lists::merge)
        .into_vecs()
}

/// Every row's best `k` so far, sorted, in one flat array.
struct Lists {
    k: usize,
    len: Vec<usize>,
    items: Vec<Neighbour>,
}

impl Lists {
    fn new(n: usize, k: usize) -> Lists {
        Lists {
            k,
            len: vec![0; n],
            items: vec![
                Neighbour {
                    index: 0,
                    similarity: 0.0
                };
                n * k
            ],
        }
    }

    /// Offer neighbour `j` with similarity `s` to row `i`.
    #[inline]
    fn offer(&mut self, i: usize, j: usize, s: f32) {
        let k = self.k;
        let (Some(len), Some(list)) = (self.len.get_mut(i), self.items.get_mut(i * k..(i + 1) * k))
        else {
            return;
        };
        let nb = Neighbour {
            index: j as u32,
            similarity: s,
        };
        if k == 0 || (*len == k && order(&nb, &list[k - 1]).is_ge()) {
            return;
        }
        let mut pos = (*len).min(k - 1);
        while pos > 0 && order(&nb, &list[pos - 1]).is_lt() {
            list[pos] = list[pos - 1];
            pos -= 1;
        }
        list[pos] = nb;
        *len = (*len + 1).min(k);
    }

    /// The best `k` of both, row by row.
    fn merge(mut self, other: Lists) -> Lists {
        for (i, &m) in other.len.iter().enumerate() {
            for t in 0..m {
                let nb = other.items[i * other.k + t];
                self.offer(i, nb.index as usize, nb.similarity);
            }
        }
        self
    }

    fn into_vecs(self) -> Vec<Vec<Neighbour>> {
        let k = self.k;
        self.len
            .iter()
            .enumerate()
            .map(|(i, &m)| self.items[i * k..i * k + m].to_vec())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::best;

    /// A symmetric similarity with many exact ties.
    fn sim(i: usize, j: usize) -> f32 {
        (((i * j + 7 * (i + j)) % 23) as f32 * 0.25).sin()
    }

    #[test]
    fn equals_row_by_row_search_with_ties() {
        for (n, k) in [
            (0, 3),
            (1, 3),
            (2, 1),
            (5, 10),
            (97, 0),
            (97, 5),
            (150, 12),
            (300, 10),
        ] {
            let got = symmetric(n, k, |rows, cols, _: &mut (), emit| {
                for i in rows {
                    for j in cols.clone().filter(|&j| j > i) {
                        emit(i, j, sim(i, j));
                    }
                }
            });
            assert_eq!(got.len(), n);
            for (i, list) in got.iter().enumerate() {
                let all = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| Neighbour {
                        index: j as u32,
                        similarity: sim(i, j),
                    })
                    .collect();
                assert_eq!(list, &best(all, k), "n={n} k={k} row {i}");
            }
        }
    }
}
