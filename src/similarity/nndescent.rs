//! Approximate k-nearest-neighbour lists by NN-descent (Dong, Moses & Li,
//! WWW 2011; the refinement pynndescent and openTSNE use): start from
//! random lists, then repeatedly compare each track's neighbours with one
//! another ("a neighbour of a neighbour is likely a neighbour") until the
//! lists stop improving. About n·k² comparisons a round instead of n²/2,
//! for any symmetric similarity (mutual proximity is not a metric, so
//! index structures that need one, such as vantage-point or ball trees,
//! do not apply).
//!
//! Written here rather than taken from a crate: hnsw_rs, instant-distance
//! and usearch insert points concurrently (the graph depends on thread
//! timing) or one at a time (one core), and want a distance of two
//! vectors, while the profiles' similarity needs each track's spreads and
//! is evaluated fastest a run of tracks at a time. Every round here is a
//! pure function of the previous one's lists: candidates are sampled by a
//! hash of (seed, round, pair), and lists keep the best `k` under one
//! strict order (more similar first, ties by lower row), so the order in
//! which threads offer pairs cannot change them. The result is the same on
//! every run and any number of threads.

use rayon::prelude::*;

use super::{order, Neighbour};

/// Settings of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Neighbours kept per track while searching (≥ the `k` wanted: a
    /// longer list finds the first `k` more reliably).
    pub k: usize,
    /// Most new (and most old) candidates joined per track and round.
    pub candidates: usize,
    /// Most rounds.
    pub rounds: usize,
    /// Stop once fewer than this share of the n·k list entries changed in
    /// a round.
    pub delta: f64,
    /// Seed of the initial lists and the candidate sampling.
    pub seed: u64,
    /// Random-projection trees of the starting lists (see [`forest`]).
    pub trees: usize,
    /// Most tracks in one of their leaves.
    pub leaf: usize,
}

impl Params {
    /// Settings for `k` neighbours kept.
    pub fn new(k: usize) -> Params {
        Params {
            k,
            candidates: k.min(15),
            rounds: 14,
            delta: 0.0005,
            seed: 0x6d75_7369_6d00,
            trees: 4,
            leaf: k.max(24),
        }
    }
}

/// A splitmix64 step: the hash behind every "random" choice.
#[inline]
fn mix(x: u64) -> u64 {
    crate::eval::SplitMix64::new(x).next_u64()
}

/// Priority of pair (i, j) in round `round`: lower is sampled first.
#[inline]
fn priority(seed: u64, round: usize, i: usize, j: u32) -> u64 {
    mix(seed ^ mix((round as u64) << 40 ^ (i as u64) << 20 ^ u64::from(j)))
}

/// One list entry: a neighbour, whether it arrived since its track's
/// candidates were last sampled, and the round that brought it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    nb: Neighbour,
    new: bool,
    round: u32,
}

/// Every track's best `k` so far (always `k`: the lists start full),
/// sorted, in one flat array.
struct Lists {
    k: usize,
    items: Vec<Entry>,
}

impl Lists {
    fn list(&self, i: usize) -> &[Entry] {
        &self.items[i * self.k..(i + 1) * self.k]
    }

    /// Whether `nb` would enter row `i`'s list (it may already be there).
    #[inline]
    fn admits(&self, i: usize, nb: &Neighbour) -> bool {
        admits(self.list(i), nb)
    }
}

/// Whether `nb` is better than the worst of the full, sorted `list`.
#[inline]
fn admits(list: &[Entry], nb: &Neighbour) -> bool {
    list.last().is_none_or(|w| order(nb, &w.nb).is_lt())
}

/// Offer `nb` to the full, sorted `list` in round `round`: inserted
/// (flagged new) in place of the worst if it is better and not already
/// there.
fn offer(list: &mut [Entry], nb: Neighbour, round: u32) {
    if !admits(list, &nb) || list.iter().any(|e| e.nb.index == nb.index) {
        return;
    }
    let pos = list.partition_point(|e| order(&e.nb, &nb).is_lt());
    let end = list.len() - 1;
    list.copy_within(pos..end, pos + 1);
    list[pos] = Entry {
        nb,
        new: true,
        round,
    };
}

/// Each of `n` tracks' `params.k` most similar others (best first, ties
/// by lower row), approximately. `sims(a, bs, out)` must write the
/// similarity of track `a` to each track of `bs` into `out`, symmetric
/// (sim(a, b) = sim(b, a)) and the same on every call.
///
/// `forest` (see [`forest`]) gives the starting lists: each track's
/// leaf-mates, best first, topped up with random tracks. Without one the
/// lists start random and take a few more rounds.
pub fn search<F>(n: usize, params: &Params, forest: Option<&Forest>, sims: F) -> Vec<Vec<Neighbour>>
where
    F: Fn(usize, &[u32], &mut [f32]) + Sync,
{
    let k = params.k.min(n.saturating_sub(1));
    if k == 0 {
        return vec![Vec::new(); n];
    }
    let mut lists = initial(n, k, params.seed, forest, &sims);
    for round in 0..params.rounds {
        let changed = descend(&mut lists, params, round, &sims);
        if (changed as f64) <= params.delta * (n * k) as f64 {
            break;
        }
    }
    (0..n)
        .map(|i| lists.list(i).iter().map(|e| e.nb).collect())
        .collect()
}

/// Leaves of random-projection trees (as Annoy and pynndescent start
/// their searches): tracks that fall in one leaf are likely neighbours.
#[derive(Debug, Clone, Default)]
pub struct Forest {
    /// Every tree's leaves (lists of tracks).
    leaves: Vec<Vec<u32>>,
    /// Each track's leaves, one per tree.
    of: Vec<Vec<u32>>,
}

/// `trees` random-projection trees over the `n` vectors `row(i)`, split
/// until a leaf holds at most `leaf` tracks: each split is the plane
/// halfway between two tracks drawn by hash (a split that leaves one side
/// empty halves the set instead).
pub fn forest<'a, R>(n: usize, trees: usize, leaf: usize, seed: u64, row: R) -> Forest
where
    R: Fn(usize) -> &'a [f32] + Sync,
{
    let leaf = leaf.max(2);
    let per_tree: Vec<Vec<Vec<u32>>> = (0..trees)
        .into_par_iter()
        .map(|t| {
            let mut leaves = Vec::new();
            let mut stack = vec![((0..n as u32).collect::<Vec<u32>>(), mix(seed ^ t as u64))];
            while let Some((set, h)) = stack.pop() {
                if set.len() <= leaf {
                    leaves.push(set);
                    continue;
                }
                let a = set[(h % set.len() as u64) as usize] as usize;
                let b = set[(mix(h) % set.len() as u64) as usize] as usize;
                let (ra, rb) = (row(a), row(b));
                let normal: Vec<f32> = ra.iter().zip(rb).map(|(x, y)| x - y).collect();
                let offset: f32 = normal
                    .iter()
                    .zip(ra.iter().zip(rb))
                    .map(|(w, (x, y))| w * 0.5 * (x + y))
                    .sum();
                let (mut left, mut right): (Vec<u32>, Vec<u32>) = set.iter().partition(|&&i| {
                    crate::similarity::kernels::dot(&normal, row(i as usize)) < offset
                });
                if left.is_empty() || right.is_empty() {
                    let mut all = set;
                    right = all.split_off(all.len() / 2);
                    left = all;
                }
                stack.push((right, mix(h ^ 2)));
                stack.push((left, mix(h ^ 1)));
            }
            leaves
        })
        .collect();
    let mut out = Forest {
        leaves: Vec::new(),
        of: vec![Vec::with_capacity(trees); n],
    };
    for leaves in per_tree {
        for l in leaves {
            let id = out.leaves.len() as u32;
            for &i in &l {
                out.of[i as usize].push(id);
            }
            out.leaves.push(l);
        }
    }
    out
}

/// Starting lists: each track's leaf-mates in `forest`, then random
/// tracks drawn by hash, the best `k` of them.
fn initial<F>(n: usize, k: usize, seed: u64, forest: Option<&Forest>, sims: &F) -> Lists
where
    F: Fn(usize, &[u32], &mut [f32]) + Sync,
{
    let rows: Vec<Vec<Entry>> = (0..n)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(picked, out): &mut (Vec<u32>, Vec<f32>), i| {
                picked.clear();
                if let Some(f) = forest {
                    for &l in f.of.get(i).into_iter().flatten() {
                        picked.extend(f.leaves[l as usize].iter().filter(|&&j| j as usize != i));
                    }
                    picked.sort_unstable();
                    picked.dedup();
                }
                let want = picked.len().max(k);
                let mut draw = mix(seed ^ (i as u64));
                while picked.len() < want {
                    draw = mix(draw);
                    let j = (draw % n as u64) as u32;
                    if j as usize != i && !picked.contains(&j) {
                        picked.push(j);
                    }
                }
                out.clear();
                out.resize(picked.len(), 0.0);
                sims(i, picked, out);
                let mut row: Vec<Entry> = picked
                    .iter()
                    .zip(out.iter())
                    .map(|(&index, &similarity)| Entry {
                        nb: Neighbour { index, similarity },
                        new: true,
                        round: 0,
                    })
                    .collect();
                row.sort_by(|a, b| order(&a.nb, &b.nb));
                row.truncate(k);
                row
            },
        )
        .collect();
    Lists {
        k,
        items: rows.into_iter().flatten().collect(),
    }
}

/// Tracks whose local joins are computed together before their pairs are
/// offered (bounds the pairs held at once).
const BLOCK: usize = 2048;

/// Tracks per task when offers are applied.
const APPLY: usize = 256;

/// One round: sample each track's new and old neighbours (and the tracks
/// that list it), compare them pairwise, offer every pair that would
/// improve a list. Returns how many list entries the round brought.
fn descend<F>(lists: &mut Lists, params: &Params, round: usize, sims: &F) -> usize
where
    F: Fn(usize, &[u32], &mut [f32]) + Sync,
{
    let n = lists.items.len() / lists.k;
    let cap = params.candidates.max(1);
    let seed = params.seed;
    let stamp = round as u32 + 1;
    // Forward candidates; the sampled new entries become old.
    let forward: Vec<(Vec<u32>, Vec<u32>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut new: Vec<u32> = Vec::new();
            let mut old: Vec<u32> = Vec::new();
            for e in lists.list(i) {
                if e.new {
                    new.push(e.nb.index);
                } else {
                    old.push(e.nb.index);
                }
            }
            let by_priority = |v: &mut Vec<u32>| {
                if v.len() > cap {
                    v.sort_by_key(|&j| (priority(seed, round, i, j), j));
                    v.truncate(cap);
                }
            };
            by_priority(&mut new);
            by_priority(&mut old);
            (new, old)
        })
        .collect();
    for (i, (new, _)) in forward.iter().enumerate() {
        let k = lists.k;
        for e in &mut lists.items[i * k..(i + 1) * k] {
            if e.new && new.contains(&e.nb.index) {
                e.new = false;
            }
        }
    }
    // Reverse candidates, capped the same way, merged in.
    let mut rev_new: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut rev_old: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, (new, old)) in forward.iter().enumerate() {
        for &j in new {
            rev_new[j as usize].push(i as u32);
        }
        for &j in old {
            rev_old[j as usize].push(i as u32);
        }
    }
    let joined: Vec<(Vec<u32>, Vec<u32>)> = forward
        .into_par_iter()
        .zip(rev_new.into_par_iter().zip(rev_old.into_par_iter()))
        .enumerate()
        .map(|(i, ((mut new, mut old), (mut rn, mut ro)))| {
            for (into, rev) in [(&mut new, &mut rn), (&mut old, &mut ro)] {
                if rev.len() > cap {
                    rev.sort_by_key(|&j| (priority(seed ^ 1, round, i, j), j));
                    rev.truncate(cap);
                }
                for &j in rev.iter() {
                    if !into.contains(&j) {
                        into.push(j);
                    }
                }
            }
            (new, old)
        })
        .collect();
    let k = lists.k;
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let shared: &Lists = lists;
        // Both sides of every pair that would improve a list, as
        // (track, neighbour) offers.
        let mut offers: Vec<(u32, Neighbour)> = joined[start..end]
            .par_iter()
            .fold(
                || (Vec::new(), Vec::new(), Vec::new()),
                |(mut found, mut bs, mut out), (new, old)| {
                    for (t, &a) in new.iter().enumerate() {
                        bs.clear();
                        bs.extend(new[t + 1..].iter().chain(old.iter()).filter(|&&b| b != a));
                        out.clear();
                        out.resize(bs.len(), 0.0);
                        sims(a as usize, &bs, &mut out);
                        for (&b, &s) in bs.iter().zip(out.iter()) {
                            let to_a = Neighbour {
                                index: b,
                                similarity: s,
                            };
                            let to_b = Neighbour {
                                index: a,
                                similarity: s,
                            };
                            if shared.admits(a as usize, &to_a) {
                                found.push((a, to_a));
                            }
                            if shared.admits(b as usize, &to_b) {
                                found.push((b, to_b));
                            }
                        }
                    }
                    (found, bs, out)
                },
            )
            .map(|(found, _, _)| found)
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            });
        offers.par_sort_unstable_by(|x, y| x.0.cmp(&y.0).then(order(&x.1, &y.1)));
        // Each run of tracks takes its own offers, runs in parallel.
        lists
            .items
            .par_chunks_mut(k * APPLY)
            .enumerate()
            .for_each(|(c, items)| {
                let first = c * APPLY;
                let last = first + items.len() / k;
                let lo = offers.partition_point(|o| (o.0 as usize) < first);
                let hi = offers.partition_point(|o| (o.0 as usize) < last);
                for &(to, nb) in &offers[lo..hi] {
                    let at = (to as usize - first) * k;
                    offer(&mut items[at..at + k], nb, stamp);
                }
            });
    }
    (0..n)
        .map(|i| lists.list(i).iter().filter(|e| e.round == stamp).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::best;

    /// Points in clusters with noise, `dims` values each.
    fn points(n: usize, dims: usize) -> Vec<Vec<f32>> {
        let mut s = 5u64;
        let mut r = move || {
            s = mix(s);
            (s >> 11) as f32 / (1u64 << 53) as f32 - 0.5
        };
        let centres: Vec<Vec<f32>> = (0..30)
            .map(|_| (0..dims).map(|_| 8.0 * r()).collect())
            .collect();
        (0..n)
            .map(|i| centres[i % 30].iter().map(|c| c + r()).collect())
            .collect()
    }

    fn neg_sq(rows: &[Vec<f32>]) -> impl Fn(usize, &[u32], &mut [f32]) + Sync + '_ {
        move |a, bs, out| {
            for (o, &b) in out.iter_mut().zip(bs) {
                *o = -rows[a]
                    .iter()
                    .zip(&rows[b as usize])
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f32>();
            }
        }
    }

    #[test]
    fn finds_nearly_every_true_neighbour_deterministically() {
        let rows = points(2000, 12);
        let sim = neg_sq(&rows);
        let params = Params::new(15);
        let got = search(rows.len(), &params, None, &sim);
        let mut hits = 0;
        for (i, list) in got.iter().enumerate() {
            assert_eq!(list.len(), 15);
            assert!(list.windows(2).all(|w| order(&w[0], &w[1]).is_lt()));
            let mut all: Vec<Neighbour> = Vec::new();
            let mut out = vec![0.0; rows.len()];
            let bs: Vec<u32> = (0..rows.len() as u32).collect();
            sim(i, &bs, &mut out);
            for (j, &s) in out.iter().enumerate().filter(|&(j, _)| j != i) {
                all.push(Neighbour {
                    index: j as u32,
                    similarity: s,
                });
            }
            let exact = best(all, 10);
            hits += exact
                .iter()
                .filter(|e| list[..10].iter().any(|g| g.index == e.index))
                .count();
        }
        let recall = hits as f64 / (10 * rows.len()) as f64;
        assert!(recall > 0.99, "recall@10 {recall}");
        assert_eq!(
            got,
            search(rows.len(), &params, None, &sim),
            "same lists on every run"
        );
        // Degenerate sizes.
        assert!(search(0, &params, None, &sim).is_empty());
        assert_eq!(search(1, &params, None, &sim), vec![Vec::new()]);
        let two = search(2, &params, None, &sim);
        assert_eq!((two[0][0].index, two[1][0].index), (1, 0));
    }
}
