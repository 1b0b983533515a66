//! Scores with the artist (or album) filter: a query's neighbours by the
//! same artist (album) are left out before precision@k and the k-NN vote.
//! Tracks by one artist sound alike for reasons that are not their genre
//! (voice, production, mastering); without the filter a library of few
//! artists scores high by recognising artists, not genres.

use serde::{Deserialize, Serialize};

use super::metrics::Score;
use crate::eval;
use crate::similarity::Space;

/// Precision@5, @10 and 5-NN accuracy with a filter, each with its chance
/// level (same rules, neighbours drawn at random among those the filter
/// allows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filtered {
    /// Labelled tracks evaluated (those whose artist, or album, is known).
    pub evaluated: usize,
    /// Distinct artists (albums) among them.
    pub groups: usize,
    /// Leave-one-out precision@5 (micro).
    pub precision_at_5: Score,
    /// Leave-one-out precision@10 (micro).
    pub precision_at_10: Score,
    /// Leave-one-out 5-NN genre accuracy.
    pub knn_accuracy: Score,
}

impl Filtered {
    /// Nothing could be scored, and why.
    pub fn missing(why: &str) -> Filtered {
        Filtered {
            evaluated: 0,
            groups: 0,
            precision_at_5: Score::missing(why),
            precision_at_10: Score::missing(why),
            knn_accuracy: Score::missing(why),
        }
    }
}

/// Distances among a subset of library rows: `fill(rows, i, out)` puts
/// (distance, j) in `out` for every j ≠ i, `i` and `j` positions in `rows`.
pub type SubsetDistances<'a> = dyn Fn(&[usize], usize, &mut Vec<(f64, usize)>) + Sync + 'a;

/// The distances of `space` among subsets of its rows.
pub fn space_distances(
    space: &Space,
) -> impl Fn(&[usize], usize, &mut Vec<(f64, usize)>) + Sync + '_ {
    move |rows, i, out| super::labelled_distances(space, rows)(i, out)
}

/// The distances of a full matrix `d` (a row per compared track) among
/// subsets of its rows: [`SubsetDistances`] for studies, tests and benches.
pub fn matrix_distances(
    d: &[Vec<f64>],
) -> impl Fn(&[usize], usize, &mut Vec<(f64, usize)>) + Sync + '_ {
    move |rows, i, out| {
        out.clear();
        let Some(q) = rows.get(i).and_then(|&r| d.get(r)) else {
            return;
        };
        out.extend(
            rows.iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .filter_map(|(j, &r)| q.get(r).map(|&v| (v, j))),
        );
    }
}

/// The scores of the labelled `rows` of `space` (genre ids `truth`) with
/// neighbours of the same `keys` value (artist, album) left out; rows
/// whose key is unknown take no part. `what` names the key in reasons.
pub fn score(
    space: &Space,
    rows: &[usize],
    truth: &[usize],
    keys: &[Option<&str>],
    what: &str,
) -> Filtered {
    score_with(&space_distances(space), rows, truth, keys, what)
}

/// [`score`] with the distances among rows given by `distances` (e.g. a
/// study's own distance matrix).
pub fn score_with(
    distances: &SubsetDistances<'_>,
    rows: &[usize],
    truth: &[usize],
    keys: &[Option<&str>],
    what: &str,
) -> Filtered {
    let keep: Vec<usize> = (0..rows.len().min(truth.len()).min(keys.len()))
        .filter(|&i| keys[i].is_some())
        .collect();
    let sub_rows: Vec<usize> = keep.iter().map(|&i| rows[i]).collect();
    let sub_truth: Vec<usize> = keep.iter().map(|&i| truth[i]).collect();
    let sub_keys: Vec<&str> = keep.iter().filter_map(|&i| keys[i]).collect();
    let mut groups = sub_keys.clone();
    groups.sort_unstable();
    groups.dedup();
    let mut genres = sub_truth.clone();
    genres.sort_unstable();
    genres.dedup();
    if groups.len() < 2 {
        return Filtered::missing(&format!(
            "needs labelled tracks of at least two known {what}s ({} here)",
            groups.len()
        ));
    }
    if genres.len() < 2 {
        return Filtered::missing(&format!(
            "the labelled tracks with a known {what} have fewer than two genres"
        ));
    }
    let n = sub_rows.len();
    // With two or more groups every query keeps at least one neighbour.
    let fill = |i: usize, out: &mut Vec<(f64, usize)>| {
        distances(&sub_rows, i, out);
        out.retain(|&(_, j)| sub_keys[j] != sub_keys[i]);
    };
    let five = eval::knn_loo_with(n, &sub_truth, 5, &fill);
    let ten = eval::knn_loo_with(n, &sub_truth, 10, &fill);
    let hits = five
        .predictions
        .iter()
        .zip(&sub_truth)
        .filter(|(a, b)| a == b)
        .count();
    let chance = chance_precision(&sub_truth, &sub_keys);
    Filtered {
        evaluated: n,
        groups: groups.len(),
        precision_at_5: Score::new(five.precision_at_k.micro, Some(chance)),
        precision_at_10: Score::new(ten.precision_at_k.micro, Some(chance)),
        knn_accuracy: Score::new(
            hits as f64 / n as f64,
            Some(eval::chance_accuracy(&sub_truth)),
        ),
    }
}

/// Chance level of filtered precision@k: for each query, the share of the
/// tracks the filter allows that share its genre, averaged over queries.
pub fn chance_precision(truth: &[usize], keys: &[&str]) -> f64 {
    use std::collections::HashMap;
    let n = truth.len().min(keys.len());
    // Allowed = every other track minus the query's group.
    let mut genre: HashMap<usize, usize> = HashMap::new();
    let mut group: HashMap<&str, usize> = HashMap::new();
    let mut both: HashMap<(usize, &str), usize> = HashMap::new();
    for i in 0..n {
        *genre.entry(truth[i]).or_default() += 1;
        *group.entry(keys[i]).or_default() += 1;
        *both.entry((truth[i], keys[i])).or_default() += 1;
    }
    let mut sum = 0.0;
    let mut queries = 0usize;
    for i in 0..n {
        let total = n - group.get(keys[i]).copied().unwrap_or(0);
        let same = genre.get(&truth[i]).copied().unwrap_or(0)
            - both.get(&(truth[i], keys[i])).copied().unwrap_or(0);
        if total > 0 {
            sum += same as f64 / total as f64;
            queries += 1;
        }
    }
    if queries == 0 {
        0.0
    } else {
        sum / queries as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_counts_only_what_the_filter_allows() {
        // Two artists per genre: a query's allowed neighbours are the other
        // three tracks' artists' tracks.
        let truth = [0, 0, 0, 0, 1, 1];
        let keys = ["a", "a", "b", "b", "c", "c"];
        // Genre-0 queries: 2 of 4 allowed share the genre; genre 1: 0 of 4.
        let want = (4.0 * 0.5 + 2.0 * 0.0) / 6.0;
        assert!((chance_precision(&truth, &keys) - want).abs() < 1e-12);
        assert_eq!(chance_precision(&[0, 1], &["a", "a"]), 0.0);
    }

    #[test]
    fn a_distance_matrix_is_scored_with_the_artist_left_out() {
        // 12 tracks: artists a, b play genre 0, c, d genre 1, 3 tracks
        // each; a track is nearest its own artist's (0.1), then the other
        // tracks of its genre (`same`), then the other genre (1.0).
        let truth: Vec<usize> = (0..12).map(|i| i / 6).collect();
        let artist = ["a", "b", "c", "d"];
        let keys: Vec<Option<&str>> = (0..12).map(|i| Some(artist[i / 3])).collect();
        let rows: Vec<usize> = (0..12).collect();
        let scores = |same: f64| {
            let d = |a: usize, b: usize| match (a / 3 == b / 3, a / 6 == b / 6) {
                (true, _) => 0.1,
                (false, true) => same,
                (false, false) => 1.0,
            };
            let fill = |rows: &[usize], i: usize, out: &mut Vec<(f64, usize)>| {
                out.clear();
                let others = rows.iter().enumerate().filter(|&(j, _)| j != i);
                out.extend(others.map(|(j, &r)| (d(rows[i], r), j)));
            };
            score_with(&fill, &rows, &truth, &keys, "artist")
        };
        // Own artist left out: 3 of the 5 nearest share the genre, and win
        // the vote.
        let near = scores(0.5);
        assert_eq!((near.evaluated, near.groups), (12, 4));
        let p5 = near.precision_at_5.value.unwrap_or(-1.0);
        assert!((p5 - 0.6).abs() < 1e-12, "{p5}");
        assert_eq!(near.knn_accuracy.value, Some(1.0));
        // The genre's other artist farther than the other genre: nothing.
        let far = scores(2.0);
        assert_eq!(far.precision_at_5.value, Some(0.0));
        assert_eq!(far.knn_accuracy.value, Some(0.0));
        // Unknown artists take no part.
        let mut some = keys.clone();
        some[..6].fill(None);
        let fill = |rows: &[usize], i: usize, out: &mut Vec<(f64, usize)>| {
            out.clear();
            out.extend((0..rows.len()).filter(|&j| j != i).map(|j| (1.0, j)));
        };
        let part = score_with(&fill, &rows, &truth, &some, "artist");
        assert!(part.precision_at_5.value.is_none(), "{part:?}");
    }
}
