//! Bringing a kNN graph up to date when a few tracks are added or removed,
//! instead of searching it anew: each new track's neighbours are found by
//! a best-first search through the graph (as HNSW and NN-descent's queries
//! do, from the best of a fixed sample of entry tracks), the tracks it
//! passes are offered the new track, and a removed track's place in the
//! lists is refilled from the neighbours of the remaining neighbours.
//! Every step is a pure function of the graph and the similarity, run in
//! a fixed order, so the result does not depend on the threads.

use std::collections::{BinaryHeap, HashSet};

use rayon::prelude::*;

use super::{order, Neighbour};

/// Settings of an insertion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Insert {
    /// Neighbours per list.
    pub k: usize,
    /// Tracks kept while searching (≥ k: a wider search misses fewer).
    pub beam: usize,
    /// Size of the fixed sample the searches start from.
    pub entries: usize,
    /// New tracks compared all pairs up to this many; more are compared
    /// with the new tracks that share an old neighbour with them.
    pub exact_new: usize,
}

impl Insert {
    /// Settings for lists of `k`.
    pub fn new(k: usize) -> Insert {
        Insert {
            k,
            beam: (6 * k).max(48),
            entries: 256,
            exact_new: 2048,
        }
    }
}

/// Each track's out- and in-neighbours (the search walks both ways).
pub struct Links {
    start: Vec<usize>,
    to: Vec<u32>,
}

impl Links {
    /// The undirected links of `graph`.
    pub fn of(graph: &[Vec<Neighbour>]) -> Links {
        Links::of_lists(graph.len(), |i| graph[i].iter().map(|e| e.index))
    }

    /// The undirected links of the `n` lists `list(i)` (each walked
    /// twice; rows out of bounds left out).
    pub fn of_lists<I>(n: usize, list: impl Fn(usize) -> I) -> Links
    where
        I: Iterator<Item = u32>,
    {
        let mut count = vec![0usize; n + 1];
        for i in 0..n {
            for j in list(i).filter(|&j| (j as usize) < n) {
                count[i + 1] += 1;
                count[j as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            count[i] += count[i - 1];
        }
        let mut to = vec![0u32; count[n]];
        let mut fill = count.clone();
        for i in 0..n {
            for j in list(i).filter(|&j| (j as usize) < n) {
                to[fill[i]] = j;
                fill[i] += 1;
                to[fill[j as usize]] = i as u32;
                fill[j as usize] += 1;
            }
        }
        Links { start: count, to }
    }

    /// Tracks linked to `i`.
    pub fn of_track(&self, i: usize) -> &[u32] {
        self.start
            .get(i)
            .zip(self.start.get(i + 1))
            .map_or(&[], |(&a, &b)| &self.to[a..b])
    }
}

/// A candidate of the search: most similar popped first.
#[derive(Clone, Copy, PartialEq)]
struct Best(Neighbour);

impl Eq for Best {}

impl PartialOrd for Best {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Best {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        order(&other.0, &self.0)
    }
}

/// Best-first search through `links` from `entries` for the `beam` tracks
/// with the highest `score`; `score(bs, out)` writes the score of each of
/// `bs` into `out`. Returns every track scored (the best `beam` first, in
/// [`order`], then the rest in the order they were met).
pub fn search<S>(links: &Links, entries: &[u32], beam: usize, mut score: S) -> Vec<Neighbour>
where
    S: FnMut(&[u32], &mut [f32]),
{
    let mut seen: HashSet<u32> = HashSet::new();
    let mut met: Vec<Neighbour> = Vec::new();
    let mut out = Vec::new();
    let mut batch: Vec<u32> = entries
        .iter()
        .copied()
        .filter(|&e| seen.insert(e))
        .collect();
    // The frontier, and the best `beam` met so far (worst on top).
    let mut frontier: BinaryHeap<Best> = BinaryHeap::new();
    let mut kept: BinaryHeap<std::cmp::Reverse<Best>> = BinaryHeap::new();
    loop {
        out.resize(batch.len(), 0.0);
        score(&batch, &mut out);
        for (&b, &s) in batch.iter().zip(&out) {
            let nb = Neighbour {
                index: b,
                similarity: s,
            };
            met.push(nb);
            let admits =
                kept.len() < beam || kept.peek().is_some_and(|w| order(&nb, &w.0 .0).is_lt());
            if admits {
                frontier.push(Best(nb));
                kept.push(std::cmp::Reverse(Best(nb)));
                if kept.len() > beam {
                    kept.pop();
                }
            }
        }
        batch.clear();
        // The next track to expand, unless none can improve the kept set.
        let Some(Best(c)) = frontier.pop() else { break };
        if kept.len() >= beam && kept.peek().is_some_and(|w| order(&w.0 .0, &c).is_lt()) {
            break;
        }
        batch.extend(
            links
                .of_track(c.index as usize)
                .iter()
                .copied()
                .filter(|&j| seen.insert(j)),
        );
    }
    let mut best: Vec<Neighbour> = kept.into_iter().map(|r| r.0 .0).collect();
    best.sort_by(order);
    let chosen: HashSet<u32> = best.iter().map(|e| e.index).collect();
    best.extend(met.into_iter().filter(|e| !chosen.contains(&e.index)));
    best
}

/// `count` tracks of `0..n` spread evenly (the searches' fixed entries).
pub fn spread(n: usize, count: usize) -> Vec<u32> {
    let count = count.min(n);
    (0..count).map(|t| (t * n / count.max(1)) as u32).collect()
}

/// Adds `list` to the sorted `into` (best first, no repeats), keeping `k`.
fn merge(into: &mut Vec<Neighbour>, list: impl IntoIterator<Item = Neighbour>, k: usize) {
    into.extend(list);
    into.sort_by(order);
    into.dedup_by_key(|e| e.index);
    into.truncate(k);
}

/// Adds tracks `graph.len()..n` to `graph` (the lists of tracks
/// `0..graph.len()`, best first): their lists of `params.k` found by
/// [`search`] among the old tracks and compared with the other new tracks,
/// and every old track the searches scored offered each new one.
/// `sims(a, bs, out)` writes the similarity of track `a` to each of `bs`
/// into `out` (symmetric, as [`super::nndescent::search`] needs).
pub fn insert<F>(graph: &mut Vec<Vec<Neighbour>>, n: usize, params: &Insert, sims: F)
where
    F: Fn(usize, &[u32], &mut [f32]) + Sync,
{
    let old = graph.len();
    if n <= old {
        return;
    }
    let k = params.k.min(n - 1);
    let links = Links::of(graph);
    let entries = spread(old, params.entries);
    // Each new track's search among the old ones (all it scored).
    let found: Vec<Vec<Neighbour>> = (old..n)
        .into_par_iter()
        .map(|x| {
            if old == 0 {
                return Vec::new();
            }
            // Start from the best few of the fixed sample.
            let mut first = vec![0.0f32; entries.len()];
            sims(x, &entries, &mut first);
            let mut start: Vec<Neighbour> = entries
                .iter()
                .zip(&first)
                .map(|(&index, &similarity)| Neighbour { index, similarity })
                .collect();
            start.sort_by(order);
            let starts: Vec<u32> = start.iter().take(8).map(|e| e.index).collect();
            let mut met = search(&links, &starts, params.beam.max(k), |bs, out| {
                sims(x, bs, out)
            });
            let scored: HashSet<u32> = met.iter().map(|e| e.index).collect();
            met.extend(start.into_iter().filter(|e| !scored.contains(&e.index)));
            met
        })
        .collect();
    // Pairs of new tracks to compare: all, or those sharing an old neighbour.
    let m = n - old;
    let pairs: Vec<Vec<u32>> = if m <= params.exact_new {
        (0..m)
            .map(|a| (a + 1..m).map(|b| (old + b) as u32).collect())
            .collect()
    } else {
        let mut by_old: Vec<(u32, u32)> = found
            .iter()
            .enumerate()
            .flat_map(|(a, f)| {
                let mut near = f.clone();
                near.sort_by(order);
                near.truncate(k);
                near.into_iter().map(move |e| (e.index, a as u32))
            })
            .collect();
        by_old.sort_unstable();
        let mut pairs: Vec<Vec<u32>> = vec![Vec::new(); m];
        for group in by_old.chunk_by(|a, b| a.0 == b.0) {
            for (i, &(_, a)) in group.iter().enumerate() {
                for &(_, b) in &group[i + 1..] {
                    pairs[a as usize].push(old as u32 + b);
                }
            }
        }
        pairs.par_iter_mut().for_each(|p| {
            p.sort_unstable();
            p.dedup();
        });
        pairs
    };
    let among_new: Vec<Vec<Neighbour>> = pairs
        .par_iter()
        .enumerate()
        .map(|(a, bs)| {
            let mut out = vec![0.0f32; bs.len()];
            sims(old + a, bs, &mut out);
            bs.iter()
                .zip(out)
                .map(|(&index, similarity)| Neighbour { index, similarity })
                .collect()
        })
        .collect();
    // New lists: the old tracks found, the new tracks compared both ways.
    let mut new_lists: Vec<Vec<Neighbour>> = found
        .iter()
        .map(|f| {
            let mut l = Vec::new();
            merge(&mut l, f.iter().copied(), k);
            l
        })
        .collect();
    for (a, list) in among_new.iter().enumerate() {
        merge(&mut new_lists[a], list.iter().copied(), k);
        let from = Neighbour {
            index: (old + a) as u32,
            similarity: 0.0,
        };
        for e in list {
            let b = e.index as usize - old;
            let back = Neighbour {
                similarity: e.similarity,
                ..from
            };
            merge(&mut new_lists[b], [back], k);
        }
    }
    // Old tracks offered the new tracks that scored them.
    let mut offers: Vec<(u32, Neighbour)> = found
        .iter()
        .enumerate()
        .flat_map(|(a, f)| {
            f.iter().map(move |e| {
                (
                    e.index,
                    Neighbour {
                        index: (old + a) as u32,
                        similarity: e.similarity,
                    },
                )
            })
        })
        .filter(|(j, nb)| {
            let list = &graph[*j as usize];
            list.len() < k || list.last().is_some_and(|w| order(nb, w).is_lt())
        })
        .collect();
    offers.sort_unstable_by_key(|o| o.0);
    for group in offers.chunk_by(|a, b| a.0 == b.0) {
        let j = group[0].0 as usize;
        let keep = graph[j].len().max(k);
        merge(&mut graph[j], group.iter().map(|o| o.1), keep);
    }
    graph.extend(new_lists);
}

/// Drops the tracks whose `keep` is false from `graph` (rows renumbered
/// in order) and refills the lists that lost a neighbour from the lists
/// of their remaining and removed neighbours. `sims` is in the new
/// numbering. Lists stay `k` long where enough tracks remain.
pub fn remove<F>(
    graph: Vec<Vec<Neighbour>>,
    keep: &[bool],
    k: usize,
    sims: F,
) -> Vec<Vec<Neighbour>>
where
    F: Fn(usize, &[u32], &mut [f32]) + Sync,
{
    let kept = |i: u32| keep.get(i as usize).copied().unwrap_or(false);
    let mut renumber = vec![u32::MAX; graph.len()];
    let mut next = 0u32;
    for (i, r) in renumber.iter_mut().enumerate() {
        if kept(i as u32) {
            *r = next;
            next += 1;
        }
    }
    let n = next as usize;
    let k = k.min(n.saturating_sub(1));
    let graph = &graph;
    let renumber = &renumber;
    (0..graph.len())
        .into_par_iter()
        .filter(|&i| kept(i as u32))
        .map(|i| {
            let me = renumber[i];
            let old = &graph[i];
            let mut list: Vec<Neighbour> = old
                .iter()
                .filter(|e| kept(e.index))
                .map(|e| Neighbour {
                    index: renumber[e.index as usize],
                    ..*e
                })
                .collect();
            if list.len() >= old.len().min(k) {
                return list;
            }
            // Candidates: the neighbours' neighbours, removed ones' too.
            let have: HashSet<u32> = list.iter().map(|e| e.index).collect();
            let mut cands: Vec<u32> = old
                .iter()
                .filter_map(|e| graph.get(e.index as usize))
                .flatten()
                .filter(|e| kept(e.index))
                .map(|e| renumber[e.index as usize])
                .filter(|&c| c != me && !have.contains(&c))
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let mut out = vec![0.0f32; cands.len()];
            sims(me as usize, &cands, &mut out);
            let found = cands
                .iter()
                .zip(out)
                .map(|(&index, similarity)| Neighbour { index, similarity });
            merge(&mut list, found, k);
            list
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points on a few noisy clusters in 8 dimensions, and a similarity
    /// of them (1 / (1 + squared distance): symmetric, like the profiles').
    fn points(n: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut r = crate::eval::SplitMix64::new(seed);
        let mut u = move || (r.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
        (0..n)
            .map(|i| {
                let c = (i * 7 % 5) as f32 * 3.0;
                (0..8)
                    .map(|d| if d % 5 == 0 { c } else { 0.0 } + u())
                    .collect()
            })
            .collect()
    }

    fn sims(rows: &[Vec<f32>]) -> impl Fn(usize, &[u32], &mut [f32]) + Sync + '_ {
        move |a, bs, out| {
            for (o, &b) in out.iter_mut().zip(bs) {
                let d: f32 = rows[a]
                    .iter()
                    .zip(&rows[b as usize])
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum();
                *o = 1.0 / (1.0 + d);
            }
        }
    }

    fn exact(rows: &[Vec<f32>], k: usize) -> Vec<Vec<Neighbour>> {
        let s = sims(rows);
        (0..rows.len())
            .map(|a| {
                let bs: Vec<u32> = (0..rows.len() as u32)
                    .filter(|&b| b as usize != a)
                    .collect();
                let mut out = vec![0.0; bs.len()];
                s(a, &bs, &mut out);
                let all = bs
                    .iter()
                    .zip(out)
                    .map(|(&index, similarity)| Neighbour { index, similarity })
                    .collect();
                super::super::best(all, k)
            })
            .collect()
    }

    fn recall(got: &[Vec<Neighbour>], want: &[Vec<Neighbour>]) -> f64 {
        let (mut hit, mut all) = (0usize, 0usize);
        for (g, w) in got.iter().zip(want) {
            let g: HashSet<u32> = g.iter().map(|e| e.index).collect();
            hit += w.iter().filter(|e| g.contains(&e.index)).count();
            all += w.len();
        }
        hit as f64 / all as f64
    }

    #[test]
    fn inserted_tracks_find_their_neighbours_and_are_found() {
        let k = 10;
        let rows = points(3000, 7);
        let want = exact(&rows, k);
        // The first 2970 exactly, then 30 (1 %) inserted; then 30 more
        // than the all-pairs limit, by shared neighbours.
        for exact_new in [2048, 10] {
            let mut graph = exact(&rows[..2970], k);
            let params = Insert {
                exact_new,
                ..Insert::new(k)
            };
            insert(&mut graph, rows.len(), &params, sims(&rows));
            assert_eq!(graph.len(), rows.len());
            assert!(graph.iter().all(|l| l.len() == k));
            let r_new = recall(&graph[2970..], &want[2970..]);
            let r_all = recall(&graph, &want);
            assert!(
                r_new >= 0.98 && r_all >= 0.98,
                "{exact_new}: new {r_new}, all {r_all}"
            );
            // Old lists gained the new tracks that belong in them.
            let gained = graph[..2970]
                .iter()
                .flatten()
                .filter(|e| e.index >= 2970)
                .count();
            assert!(gained > 0);
        }
    }

    #[test]
    fn removed_tracks_leave_the_lists_and_their_places_are_refilled() {
        let k = 10;
        let rows = points(1500, 3);
        let graph = exact(&rows, k);
        let keep: Vec<bool> = (0..rows.len()).map(|i| i % 40 != 0).collect();
        let left: Vec<Vec<f32>> = rows
            .iter()
            .zip(&keep)
            .filter(|p| *p.1)
            .map(|p| p.0.clone())
            .collect();
        let got = remove(graph, &keep, k, sims(&left));
        assert_eq!(got.len(), left.len());
        assert!(got.iter().all(|l| l.len() == k));
        let r = recall(&got, &exact(&left, k));
        assert!(r >= 0.98, "recall {r}");
    }

    #[test]
    fn a_search_walks_to_the_best_tracks() {
        let rows = points(800, 5);
        let graph = exact(&rows, 10);
        let links = Links::of(&graph);
        assert!(links.of_track(0).len() >= 10 && links.of_track(9999).is_empty());
        let s = sims(&rows);
        // From a track of its cluster (the clusters' graphs are apart: the
        // insertion starts from the best of a sample spread over them all).
        let got = search(&links, &[2], 20, |bs, out| s(17, bs, out));
        let want = exact(&rows, 20);
        // Track 17 itself (similarity 1) comes first, then its neighbours.
        assert_eq!(got[0].index, 17);
        let found: HashSet<u32> = got[..20].iter().map(|e| e.index).collect();
        let hits = want[17].iter().filter(|e| found.contains(&e.index)).count();
        assert!(hits >= 18, "{hits}");
    }
}
