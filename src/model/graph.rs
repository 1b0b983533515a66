//! The similarity graph: each track's k nearest neighbours by cosine
//! similarity (brute force; 10 000 × 10 000 × 91 multiply-adds take well
//! under a second on two cores), weighted PageRank over it, and chains of
//! similar tracks between two songs.
//!
//! PageRank is a weighted power iteration here: petgraph's `page_rank`
//! ignores weights and is quadratic (~270 ms at 1000 nodes).

use petgraph::graph::{NodeIndex, UnGraph};
use serde::{Deserialize, Serialize};

use crate::features::matrix::dot;

/// One neighbour of a track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    /// Row of the neighbour.
    pub index: u32,
    /// Cosine similarity, −1..1.
    pub similarity: f32,
}

/// Rows scaled to unit length (zero rows stay zero: similar to nothing).
pub fn unit_rows(rows: &[Vec<f32>]) -> Vec<Vec<f32>> {
    rows.iter().map(|r| unit(r)).collect()
}

/// `v` scaled to unit length (a zero vector stays zero).
pub fn unit(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// Cosine similarity of two unit vectors.
pub fn dot_unit(a: &[f32], b: &[f32]) -> f32 {
    dot(a, b)
}

/// The `k` rows of `unit` most similar to the unit vector `q`, best first
/// (ties by lower row), skipping rows for which `skip` is true.
pub fn top_k(
    unit: &[Vec<f32>],
    q: &[f32],
    k: usize,
    skip: impl Fn(usize) -> bool,
) -> Vec<Neighbour> {
    let all: Vec<Neighbour> = unit
        .iter()
        .enumerate()
        .filter(|(j, _)| !skip(*j))
        .map(|(j, r)| Neighbour {
            index: j as u32,
            similarity: dot(q, r),
        })
        .collect();
    best(all, k)
}

/// The `k` most similar of `all`, best first, ties by lower index.
fn best(mut all: Vec<Neighbour>, k: usize) -> Vec<Neighbour> {
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

/// Each row's `k` nearest other rows (fewer when the library is smaller).
pub fn knn_graph(unit: &[Vec<f32>], k: usize) -> Vec<Vec<Neighbour>> {
    super::gram::map_rows_with_dots(unit, |i, dots| {
        let all = dots
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .map(|(j, &d)| Neighbour {
                index: j as u32,
                similarity: d,
            });
        best(all.collect(), k)
    })
}

/// Weighted PageRank over the directed kNN graph (edge i → j weighted by
/// max(similarity, 0)), damping 0.85; sums to 1. Rows with no positive
/// edge spread their rank evenly, as usual for dangling nodes.
pub fn pagerank(graph: &[Vec<Neighbour>]) -> Vec<f64> {
    const DAMPING: f64 = 0.85;
    let n = graph.len();
    if n == 0 {
        return Vec::new();
    }
    let out_weight: Vec<f64> = graph
        .iter()
        .map(|ns| ns.iter().map(|e| f64::from(e.similarity.max(0.0))).sum())
        .collect();
    let mut rank = vec![1.0 / n as f64; n];
    let mut next = vec![0.0f64; n];
    for _ in 0..200 {
        next.iter_mut().for_each(|v| *v = 0.0);
        let mut dangling = 0.0;
        for (i, ns) in graph.iter().enumerate() {
            if out_weight[i] <= 0.0 {
                dangling += rank[i];
                continue;
            }
            for e in ns {
                if let Some(slot) = next.get_mut(e.index as usize) {
                    *slot += rank[i] * f64::from(e.similarity.max(0.0)) / out_weight[i];
                }
            }
        }
        let base = (1.0 - DAMPING) / n as f64 + DAMPING * dangling / n as f64;
        next.iter_mut().for_each(|v| *v = base + DAMPING * *v);
        let delta: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        std::mem::swap(&mut rank, &mut next);
        if delta < 1e-10 {
            break;
        }
    }
    rank
}

/// Cost of one step of a chain: squared cosine distance, so a chain of
/// small steps beats one big jump.
fn step_cost(similarity: f32) -> f64 {
    let d = (1.0 - f64::from(similarity)).max(0.0);
    d * d + 1e-9
}

/// The cheapest chain from node `from` to node `to` over the kNN graph
/// taken as undirected, plus `extra` nodes (numbered after the graph's,
/// each with its own neighbours in the graph) — how a query file that is
/// not in the library joins it. `None` when no chain exists.
pub fn chain(
    graph: &[Vec<Neighbour>],
    extra: &[Vec<Neighbour>],
    from: usize,
    to: usize,
) -> Option<Vec<usize>> {
    let n = graph.len() + extra.len();
    if from >= n || to >= n {
        return None;
    }
    let mut g: UnGraph<(), f64> = UnGraph::with_capacity(n, n * 10);
    for _ in 0..n {
        g.add_node(());
    }
    let rows = graph.iter().chain(extra).enumerate();
    for (i, ns) in rows {
        for e in ns {
            let j = e.index as usize;
            if j < n && j != i {
                g.add_edge(
                    NodeIndex::new(i),
                    NodeIndex::new(j),
                    step_cost(e.similarity),
                );
            }
        }
    }
    let goal = NodeIndex::new(to);
    petgraph::algo::astar(
        &g,
        NodeIndex::new(from),
        |v| v == goal,
        |e| *e.weight(),
        |_| 0.0,
    )
    .map(|(_, path)| path.into_iter().map(NodeIndex::index).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> Vec<Vec<f32>> {
        // Points on a quarter circle: neighbours along the arc.
        (0..n)
            .map(|i| {
                let t = i as f32 / (n - 1) as f32 * std::f32::consts::FRAC_PI_2;
                vec![t.cos(), t.sin()]
            })
            .collect()
    }

    #[test]
    fn knn_is_nearest_first_and_excludes_self() {
        let u = unit_rows(&line(10));
        let g = knn_graph(&u, 2);
        assert_eq!(g[0].iter().map(|e| e.index).collect::<Vec<_>>(), vec![1, 2]);
        let mid: Vec<u32> = g[5].iter().map(|e| e.index).collect();
        assert!(mid == vec![4, 6] || mid == vec![6, 4], "{mid:?}");
        assert!(g[5][0].similarity >= g[5][1].similarity);
        assert!(knn_graph(&u, 50).iter().all(|ns| ns.len() == 9));
        assert!(top_k(&u, &u[0], 0, |_| false).is_empty());
        assert_eq!(unit(&[0.0, 0.0]), vec![0.0, 0.0]);
    }

    #[test]
    fn pagerank_favours_the_hub_and_sums_to_one() {
        // Star: everyone's nearest neighbour is node 0.
        let e = |i: u32, s: f32| Neighbour {
            index: i,
            similarity: s,
        };
        let g = vec![
            vec![e(1, 0.5)],
            vec![e(0, 0.9)],
            vec![e(0, 0.9)],
            vec![e(0, 0.9), e(1, 0.1)],
            vec![],
        ];
        let pr = pagerank(&g);
        assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(pr[0] > pr[1] && pr[1] > pr[2] && pr[2] == pr[4], "{pr:?}");
        assert!(pagerank(&[]).is_empty());
    }

    #[test]
    fn chain_walks_the_arc() {
        let u = unit_rows(&line(12));
        let g = knn_graph(&u, 3);
        let path = chain(&g, &[], 0, 11).unwrap();
        assert_eq!(path, (0..12).collect::<Vec<_>>());
        // An outside node joined to node 5.
        let extra = vec![vec![Neighbour {
            index: 5,
            similarity: 0.99,
        }]];
        assert_eq!(chain(&g, &extra, 12, 3).unwrap(), vec![12, 5, 4, 3]);
        // Two separate groups have no chain.
        let two = vec![
            vec![Neighbour {
                index: 1,
                similarity: 1.0,
            }],
            vec![],
            vec![],
        ];
        assert_eq!(chain(&two, &[], 0, 2), None);
        assert_eq!(chain(&two, &[], 0, 9), None);
    }
}
