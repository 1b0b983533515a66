//! Group-disjoint cross-validation: every artist (or album, or source) is
//! in exactly one fold, and a test track's neighbours are drawn from the
//! other folds only, so what is scored is how well genres carry over to
//! artists the metric (and the vote) never saw.

use super::neighbours::FillDistances;
use super::{accuracy, balanced_accuracy, dense_ids, knn_loo_with, SplitMix64};

/// Seed of the shuffle that deals groups to folds.
pub const FOLD_SEED: u64 = 0x6d75_7369_6d22;

/// The fold of each row: one fold per group when there are at most
/// `max_folds` groups (leave-one-group-out), else the groups dealt in a
/// seeded shuffled order over `max_folds` folds. Group ids are any
/// `usize` values.
pub fn group_folds(groups: &[usize], max_folds: usize) -> Vec<usize> {
    let (ids, m) = dense_ids(groups);
    let folds = max_folds.max(2);
    if m <= folds {
        return ids;
    }
    let mut order: Vec<usize> = (0..m).collect();
    SplitMix64::new(FOLD_SEED).shuffle(&mut order);
    let mut fold_of = vec![0usize; m];
    for (pos, &g) in order.iter().enumerate() {
        fold_of[g] = pos % folds;
    }
    ids.iter().map(|&g| fold_of[g]).collect()
}

/// Scores of a k-NN vote under group-disjoint folds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupedScores {
    /// Rows predicted.
    pub evaluated: usize,
    /// Share predicted right.
    pub accuracy: f64,
    /// Mean per-genre recall.
    pub balanced_accuracy: f64,
}

/// Predict each of `n` rows (genre ids `truth`) by the `k`-NN vote of
/// [`knn_loo_with`] among the rows of the other folds; `fill(i, out)` puts
/// (distance, j) for every j ≠ i, and may depend on `i`'s fold (a metric
/// fitted without that fold). Rows whose fold holds every row get no vote
/// and count as wrong.
pub fn grouped_knn(
    n: usize,
    truth: &[usize],
    folds: &[usize],
    k: usize,
    fill: &FillDistances<'_>,
) -> (Vec<usize>, GroupedScores) {
    let n = n.min(truth.len()).min(folds.len());
    let other_folds = |i: usize, out: &mut Vec<(f64, usize)>| {
        fill(i, out);
        out.retain(|&(_, j)| folds.get(j).is_some_and(|&f| f != folds[i]));
    };
    let predictions = knn_loo_with(n, &truth[..n], k, &other_folds).predictions;
    let scores = GroupedScores {
        evaluated: n,
        accuracy: accuracy(&truth[..n], &predictions),
        balanced_accuracy: balanced_accuracy(&truth[..n], &predictions),
    };
    (predictions, scores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_never_straddle_folds() {
        let groups: Vec<usize> = (0..200).map(|i| 1000 + (i * 7) % 23).collect();
        let folds = group_folds(&groups, 5);
        for i in 0..200 {
            for j in 0..200 {
                if groups[i] == groups[j] {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
        let mut used = folds.clone();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, vec![0, 1, 2, 3, 4]);
        // Few groups: one fold each.
        assert_eq!(group_folds(&[9, 4, 9, 7], 10), vec![2, 0, 2, 1]);
    }

    #[test]
    fn a_group_signature_does_not_leak_into_the_score() {
        // Four artists, two per genre; each artist's tracks sit on one
        // point of its own (an artist signature), the genre on nothing.
        // Leave-one-out scores 1.0 by recognising artists; across artists
        // each track's nearest other artist is of the other genre.
        let artist: Vec<usize> = (0..40).map(|i| i / 10).collect();
        let genre: Vec<usize> = artist.iter().map(|a| a % 2).collect();
        let pos: Vec<f64> = artist.iter().map(|&a| [0.0, 1.0, 5.0, 6.0][a]).collect();
        let fill = |i: usize, out: &mut Vec<(f64, usize)>| {
            out.clear();
            out.extend(
                (0..40)
                    .filter(|&j| j != i)
                    .map(|j| ((pos[i] - pos[j]).abs(), j)),
            );
        };
        let loo = knn_loo_with(40, &genre, 5, &fill);
        assert_eq!(accuracy(&genre, &loo.predictions), 1.0);
        let folds = group_folds(&artist, 10);
        let (pred, s) = grouped_knn(40, &genre, &folds, 5, &fill);
        assert_eq!(s.accuracy, 0.0, "{pred:?}");
        assert_eq!(s.evaluated, 40);
    }
}
