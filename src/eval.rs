//! Evaluation metrics. For now: leave-one-out k-nearest-neighbour accuracy
//! on z-scored fingerprints (the demo library's bar: does similarity put
//! tracks of a style next to each other?).

/// Distance between two z-scored vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// 1 − cosine similarity.
    Cosine,
    /// Euclidean.
    Euclidean,
}

/// Z-score each column over the rows (mean 0, std 1, ddof 0). Constant
/// columns become 0 rather than NaN, so they simply do not count.
pub fn zscore(rows: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let Some(dims) = rows.first().map(Vec::len) else {
        return Vec::new();
    };
    let n = rows.len() as f64;
    let mut mean = vec![0.0f64; dims];
    let mut var = vec![0.0f64; dims];
    for r in rows {
        for (m, &v) in mean.iter_mut().zip(r) {
            *m += f64::from(v) / n;
        }
    }
    for r in rows {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(r) {
            *s += (f64::from(v) - m).powi(2) / n;
        }
    }
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(mean.iter().zip(&var))
                .map(|(&v, (&m, &s))| {
                    let sd = s.sqrt();
                    if sd > 1e-12 {
                        ((f64::from(v) - m) / sd) as f32
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

fn distance(a: &[f32], b: &[f32], d: Distance) -> f64 {
    match d {
        Distance::Euclidean => a
            .iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x - y).powi(2))
            .sum::<f64>()
            .sqrt(),
        Distance::Cosine => {
            let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
            for (&x, &y) in a.iter().zip(b) {
                dot += f64::from(x) * f64::from(y);
                na += f64::from(x) * f64::from(x);
                nb += f64::from(y) * f64::from(y);
            }
            if na == 0.0 || nb == 0.0 {
                1.0
            } else {
                1.0 - dot / (na.sqrt() * nb.sqrt())
            }
        }
    }
}

/// Leave-one-out k-NN accuracy: each row is classified by a majority vote
/// of its `k` nearest other rows (ties go to the label whose voters are
/// nearest in total). `rows` should already be z-scored. Returns 0 for
/// fewer than two rows.
pub fn knn_loo_accuracy<L: PartialEq>(
    rows: &[Vec<f32>],
    labels: &[L],
    k: usize,
    d: Distance,
) -> f64 {
    let n = rows.len().min(labels.len());
    if n < 2 || k == 0 {
        return 0.0;
    }
    let mut correct = 0usize;
    for i in 0..n {
        let mut near: Vec<(f64, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (distance(&rows[i], &rows[j], d), j))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        near.truncate(k);
        // (votes, summed distance) per distinct label among the neighbours.
        let mut tally: Vec<(usize, usize, f64)> = Vec::new();
        for &(dist, j) in &near {
            match tally.iter_mut().find(|t| labels[t.0] == labels[j]) {
                Some(t) => {
                    t.1 += 1;
                    t.2 += dist;
                }
                None => tally.push((j, 1, dist)),
            }
        }
        let best = tally
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
        if best.is_some_and(|b| labels[b.0] == labels[i]) {
            correct += 1;
        }
    }
    correct as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_clusters_score_one_and_zscore_is_safe() {
        let rows: Vec<Vec<f32>> = (0..20)
            .map(|i| vec![(i / 10) as f32 * 10.0 + (i % 10) as f32 * 0.1, 5.0])
            .collect();
        let labels: Vec<usize> = (0..20).map(|i| i / 10).collect();
        let z = zscore(&rows);
        assert!(z.iter().all(|r| r[1] == 0.0 && r[0].is_finite()));
        assert_eq!(knn_loo_accuracy(&z, &labels, 5, Distance::Euclidean), 1.0);
        let shuffled: Vec<usize> = (0..20).map(|i| i % 2).collect();
        assert!(knn_loo_accuracy(&z, &shuffled, 5, Distance::Euclidean) < 0.5);
        assert_eq!(
            knn_loo_accuracy::<usize>(&[], &[], 5, Distance::Cosine),
            0.0
        );
    }
}
