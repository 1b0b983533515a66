//! Classification metrics: predicted class ids against true ones, with
//! scikit-learn's semantics (`zero_division=0`: a ratio whose denominator
//! is 0 counts as 0). Empty input scores 0 everywhere.

use serde::Serialize;

use super::dense_ids;

/// Precision, recall, F1 and support of one class, as sklearn's
/// `precision_recall_fscore_support(..., zero_division=0)` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassReport {
    /// Correct predictions of the class / all predictions of it (0 if never
    /// predicted).
    pub precision: f64,
    /// Correct predictions of the class / its true members (0 if it has
    /// none).
    pub recall: f64,
    /// 2·tp / (true members + predictions of it): the harmonic mean of
    /// precision and recall (0 when both are 0 or undefined).
    pub f1: f64,
    /// Number of true members.
    pub support: usize,
}

impl ClassReport {
    fn new(tp: usize, true_n: usize, pred_n: usize) -> Self {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Self {
            precision: ratio(tp, pred_n),
            recall: ratio(tp, true_n),
            f1: ratio(2 * tp, true_n + pred_n),
            support: true_n,
        }
    }
}

/// Everything a report needs about one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Number of classes: the shape of `confusion` and `per_class`.
    pub n_classes: usize,
    /// `confusion[t][p]`: how many rows of true class `t` were predicted as
    /// `p` (see [`confusion`]).
    pub confusion: Vec<Vec<usize>>,
    /// One report per class id `0..n_classes` (see [`class_reports`]).
    pub per_class: Vec<ClassReport>,
    /// See [`accuracy`].
    pub accuracy: f64,
    /// See [`balanced_accuracy`].
    pub balanced_accuracy: f64,
    /// See [`macro_f1`].
    pub macro_f1: f64,
    /// See [`weighted_f1`].
    pub weighted_f1: f64,
}

impl Classification {
    /// All metrics of `pred` against `truth`. `n_classes` only fixes the
    /// shape of the matrix and of the per-class list; the scalars use every
    /// (truth, pred) pair, whatever its ids, as sklearn does by default.
    pub fn new(truth: &[usize], pred: &[usize], n_classes: usize) -> Self {
        Self {
            n_classes,
            confusion: confusion(truth, pred, n_classes),
            per_class: class_reports(truth, pred, n_classes),
            accuracy: accuracy(truth, pred),
            balanced_accuracy: balanced_accuracy(truth, pred),
            macro_f1: macro_f1(truth, pred),
            weighted_f1: weighted_f1(truth, pred),
        }
    }
}

/// Confusion matrix, `n_classes` × `n_classes`, row = true class, column =
/// predicted class. Pairs with either id ≥ `n_classes` are left out (as
/// sklearn's `confusion_matrix(labels=range(n_classes))` does), so a row may
/// sum to less than the class's support when some predictions are outside
/// the class range (e.g. [`NO_VOTE`](super::NO_VOTE)).
pub fn confusion(truth: &[usize], pred: &[usize], n_classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0usize; n_classes]; n_classes];
    for (&t, &p) in truth.iter().zip(pred) {
        if let Some(cell) = m.get_mut(t).and_then(|row| row.get_mut(p)) {
            *cell += 1;
        }
    }
    m
}

/// Per-class precision, recall, F1 and support for class ids
/// `0..n_classes`, as sklearn's `precision_recall_fscore_support(truth,
/// pred, labels=range(n_classes), zero_division=0)`: support counts every
/// true member, including those predicted as an id ≥ `n_classes`. A class
/// absent from both slices reports zeros.
pub fn class_reports(truth: &[usize], pred: &[usize], n_classes: usize) -> Vec<ClassReport> {
    let (mut tp, mut true_n, mut pred_n) =
        (vec![0; n_classes], vec![0; n_classes], vec![0; n_classes]);
    for (&t, &p) in truth.iter().zip(pred) {
        if let Some(x) = true_n.get_mut(t) {
            *x += 1;
        }
        if let Some(x) = pred_n.get_mut(p) {
            *x += 1;
        }
        if t == p {
            if let Some(x) = tp.get_mut(t) {
                *x += 1;
            }
        }
    }
    (0..n_classes)
        .map(|c| ClassReport::new(tp[c], true_n[c], pred_n[c]))
        .collect()
}

/// Per-class counts over the union of ids in both slices (sklearn's
/// default `labels=None`): (tp, true members, predictions) per class.
fn union_counts(truth: &[usize], pred: &[usize]) -> Vec<(usize, usize, usize)> {
    let n = truth.len().min(pred.len());
    let all: Vec<usize> = truth[..n].iter().chain(&pred[..n]).copied().collect();
    let (ids, m) = dense_ids(&all);
    let mut c = vec![(0usize, 0usize, 0usize); m];
    for i in 0..n {
        let (t, p) = (ids[i], ids[n + i]);
        c[t].1 += 1;
        c[p].2 += 1;
        if t == p {
            c[t].0 += 1;
        }
    }
    c
}

/// Share of rows predicted correctly (sklearn `accuracy_score`); 0 for
/// empty input.
pub fn accuracy(truth: &[usize], pred: &[usize]) -> f64 {
    let n = truth.len().min(pred.len());
    if n == 0 {
        return 0.0;
    }
    let correct = truth.iter().zip(pred).filter(|(t, p)| t == p).count();
    correct as f64 / n as f64
}

/// Mean recall over the classes present in `truth` (sklearn
/// `balanced_accuracy_score`); predicted ids that are no true class only
/// count as misses. 0 for empty input.
pub fn balanced_accuracy(truth: &[usize], pred: &[usize]) -> f64 {
    let recalls: Vec<f64> = union_counts(truth, pred)
        .into_iter()
        .filter(|c| c.1 > 0)
        .map(|(tp, t, _)| tp as f64 / t as f64)
        .collect();
    mean(&recalls)
}

/// Unweighted mean F1 over every class present in `truth` or `pred`
/// (sklearn `f1_score(average="macro", zero_division=0)`); 0 for empty
/// input.
pub fn macro_f1(truth: &[usize], pred: &[usize]) -> f64 {
    let f1: Vec<f64> = union_counts(truth, pred)
        .into_iter()
        .map(|(tp, t, p)| ClassReport::new(tp, t, p).f1)
        .collect();
    mean(&f1)
}

/// Support-weighted mean F1 over the classes (sklearn
/// `f1_score(average="weighted", zero_division=0)`); 0 for empty input.
pub fn weighted_f1(truth: &[usize], pred: &[usize]) -> f64 {
    let (mut sum, mut total) = (0.0, 0usize);
    for (tp, t, p) in union_counts(truth, pred) {
        sum += ClassReport::new(tp, t, p).f1 * t as f64;
        total += t;
    }
    if total == 0 {
        0.0
    } else {
        sum / total as f64
    }
}

/// Chance level of [`accuracy`]: the share of the most frequent class
/// (what always predicting that class scores). 0 for no labels.
pub fn chance_accuracy(labels: &[usize]) -> f64 {
    let (ids, m) = dense_ids(labels);
    let most = super::counts(&ids, m).into_iter().max().unwrap_or(0);
    if labels.is_empty() {
        0.0
    } else {
        most as f64 / labels.len() as f64
    }
}

/// Chance level of [`balanced_accuracy`]: `1 / n_classes` (any constant or
/// random guess has expected mean recall 1/C). 0 for no classes.
pub fn chance_balanced_accuracy(n_classes: usize) -> f64 {
    if n_classes == 0 {
        0.0
    } else {
        1.0 / n_classes as f64
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_example() {
        // Class 2 is never predicted, class 3 never true.
        let truth = [0, 0, 0, 1, 1, 2];
        let pred = [0, 0, 1, 1, 3, 0];
        let c = Classification::new(&truth, &pred, 4);
        assert_eq!(
            c.confusion,
            vec![
                vec![2, 1, 0, 0],
                vec![0, 1, 0, 1],
                vec![1, 0, 0, 0],
                vec![0, 0, 0, 0]
            ]
        );
        assert_eq!(c.accuracy, 0.5);
        // Recalls 2/3, 1/2, 0 over the three true classes.
        assert!((c.balanced_accuracy - (2.0 / 3.0 + 0.5) / 3.0).abs() < 1e-15);
        assert_eq!(c.per_class[2], ClassReport::new(0, 1, 0));
        assert_eq!(c.per_class[2].precision, 0.0);
        assert_eq!(c.per_class[3].support, 0);
        // F1: 2·2/(3+3), 2·1/(2+2), 0, 0 over four classes.
        assert!((c.macro_f1 - (4.0 / 6.0 + 0.5) / 4.0).abs() < 1e-15);
    }

    #[test]
    fn empty_and_out_of_range_never_panic() {
        let c = Classification::new(&[], &[], 0);
        assert!(c.confusion.is_empty() && c.per_class.is_empty());
        assert_eq!(
            (c.accuracy, c.balanced_accuracy, c.macro_f1),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(c.weighted_f1, 0.0);
        let c = Classification::new(&[0, 5, usize::MAX], &[usize::MAX, 5, 1], 2);
        assert_eq!(c.confusion, vec![vec![0, 0], vec![0, 0]]);
        assert_eq!(c.per_class[0].support, 1);
        assert_eq!(c.accuracy, 1.0 / 3.0);
        assert_eq!(chance_accuracy(&[]), 0.0);
        assert_eq!(chance_balanced_accuracy(0), 0.0);
        assert_eq!(chance_accuracy(&[4, 4, 1]), 2.0 / 3.0);
        // Mismatched lengths: the common prefix.
        assert_eq!(accuracy(&[1, 2, 3], &[1]), 1.0);
    }
}
