//! The similarity graph (each track's k nearest neighbours in the active
//! similarity profile, see [`crate::similarity::Space::knn_graph`]):
//! weighted PageRank over it, and chains of similar tracks between two songs.
//!
//! PageRank is a weighted power iteration here: petgraph's `page_rank`
//! ignores weights and is quadratic (~270 ms at 1000 nodes).

use petgraph::graph::{NodeIndex, UnGraph};

pub use crate::similarity::Neighbour;

/// Weighted PageRank over the directed kNN graph (edge i → j weighted by
/// max(similarity, 0)), damping 0.85; sums to 1. Rows with no positive
/// edge spread their rank evenly, as usual for dangling nodes.
pub fn pagerank(graph: &[Vec<Neighbour>]) -> Vec<f64> {
    let n = graph.len();
    pagerank_from(graph, vec![1.0 / n.max(1) as f64; n]).0
}

/// [`pagerank`] started from `start` (e.g. the scores before a few tracks
/// were added: fewer steps to converge), with the number of steps taken.
/// `start` is normalised to sum to 1; of the wrong length, it is uniform.
pub fn pagerank_from(graph: &[Vec<Neighbour>], start: Vec<f64>) -> (Vec<f64>, usize) {
    const DAMPING: f64 = 0.85;
    let n = graph.len();
    if n == 0 {
        return (Vec::new(), 0);
    }
    let total: f64 = start.iter().filter(|v| v.is_finite() && **v > 0.0).sum();
    let mut rank = if start.len() == n && total > 0.0 {
        start
            .into_iter()
            .map(|v| {
                if v.is_finite() {
                    v.max(0.0) / total
                } else {
                    0.0
                }
            })
            .collect()
    } else {
        vec![1.0 / n as f64; n]
    };
    let out_weight: Vec<f64> = graph
        .iter()
        .map(|ns| ns.iter().map(|e| f64::from(e.similarity.max(0.0))).sum())
        .collect();
    let mut next = vec![0.0f64; n];
    let mut steps = 0;
    for _ in 0..200 {
        steps += 1;
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
    (rank, steps)
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
        // Started from the answer, one step confirms it; from elsewhere
        // it converges to the same scores.
        let (again, steps) = pagerank_from(&g, pr.clone());
        assert_eq!(steps, 1);
        let (other, more) = pagerank_from(&g, vec![5.0, 0.0, 0.0, 0.0, 1.0]);
        assert!(more > 1);
        for (a, b) in pr.iter().zip(again.iter().zip(&other)) {
            assert!((a - b.0).abs() < 1e-9 && (a - b.1).abs() < 1e-9);
        }
    }

    #[test]
    fn chain_walks_the_arc() {
        // Points along an arc: each linked to the 3 nearest, nearer = more similar.
        let g: Vec<Vec<Neighbour>> = (0..12i32)
            .map(|i| {
                let mut ns: Vec<Neighbour> = [-3, -2, -1, 1, 2, 3]
                    .iter()
                    .map(|&o| i + o)
                    .filter(|j| (0..12).contains(j))
                    .map(|j| Neighbour {
                        index: j as u32,
                        similarity: 1.0 - 0.05 * (j - i).abs() as f32,
                    })
                    .collect();
                ns.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
                ns.truncate(3);
                ns
            })
            .collect();
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
