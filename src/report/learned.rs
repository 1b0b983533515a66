//! The report's "learned metric (artist-disjoint)" section: would a metric
//! learned from the library's own genre labels ([`crate::similarity::learned`])
//! predict genres better than the profile's similarity? Scored only on
//! artists neither the metric nor the vote has seen: the labelled tracks
//! are split into folds by artist, the metric is fitted on the other
//! folds, and each track's genre is the k-NN vote of the other folds'
//! tracks, in the learned space and in the profile's own.

use serde::{Deserialize, Serialize};

use super::metrics::Score;
use crate::eval::grouped::{group_folds, grouped_knn};
use crate::eval::{self, SplitMix64};
use crate::model::Model;
use crate::similarity::learned::{cross_fit, knn_vote, Shrinkage};

/// Shrinkage of the learned metric: chosen on development corpus 1, see
/// docs/PERFORMANCE.md ("A metric learned from labels").
pub const SHRINKAGE: f64 = 0.3;
/// Voters of the k-NN genre vote, in both spaces (chosen with it).
pub const K: usize = 5;
/// Folds at most (one per artist when there are fewer artists).
pub const MAX_FOLDS: usize = 10;
/// Labelled tracks scored at most (a seeded sample beyond): the fit costs
/// tracks × dimensions² per fold.
pub const MAX_TRACKS: usize = 3000;
/// Axes of the learned space at most (never more than genres − 1).
pub const MAX_DIMS: usize = 16;

/// The section's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedMetric {
    /// What keeps the folds apart: each track's artist (tags), else its
    /// album (tags), else its folder (unless the folder is its label).
    pub key: String,
    /// Tracks grouped by artist, by album, by folder.
    pub by_artist: usize,
    /// Grouped by album (no artist).
    pub by_album: usize,
    /// Grouped by folder (neither).
    pub by_folder: usize,
    /// Labelled tracks scored.
    pub evaluated: usize,
    /// Distinct groups among them.
    pub groups: usize,
    /// Folds.
    pub folds: usize,
    /// Genres left out because all their tracks share one group (no
    /// fold could learn them).
    pub genres_left_out: Vec<String>,
    /// Shrinkage share of the learned metric.
    pub shrinkage: f64,
    /// Voters.
    pub k: usize,
    /// k-NN accuracy in the profile's own similarity; chance = the
    /// largest genre's share.
    pub plain_accuracy: Score,
    /// k-NN accuracy in the learned space.
    pub learned_accuracy: Score,
    /// Balanced accuracy in the profile's similarity; chance = 1/genres.
    pub plain_balanced_accuracy: Score,
    /// Balanced accuracy in the learned space.
    pub learned_balanced_accuracy: Score,
}

/// The group key of each track (artist, else album, else folder unless
/// the folder is the label), and which kind it is (0 artist, 1 album,
/// 2 folder).
fn keys(model: &Model) -> Vec<Option<(usize, String)>> {
    model
        .tracks
        .iter()
        .map(|t| group_key(Some(&t.meta), &t.path, t.label.as_deref()))
        .collect()
}

/// The group a track's queries are not independent within: its artist
/// (tags), else its album, else its folder unless the folder is named
/// `label`; with its kind (0 artist, 1 album, 2 folder). Shared by the
/// learned metric's folds and `report --compare`'s intervals.
pub fn group_key(
    tags: Option<&crate::tags::Tags>,
    path: &[u8],
    label: Option<&str>,
) -> Option<(usize, String)> {
    if let Some(a) = tags.and_then(|t| t.main_artist()) {
        return Some((0, a.to_string()));
    }
    if let Some(a) = tags.and_then(|t| t.album.as_deref()) {
        return Some((1, a.to_string()));
    }
    let path = crate::store::paths::lossy_bytes(path);
    let folder = std::path::Path::new(&path).parent()?;
    let name = folder.file_name()?.to_string_lossy();
    (label != Some(&*name)).then(|| (2, folder.to_string_lossy().into_owned()))
}

/// The fold of each track from its group name ([`group_folds`]), and the
/// number of distinct groups.
fn folds_of<S: AsRef<str> + Ord>(names: &[S]) -> (Vec<usize>, usize) {
    let mut sorted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let group: Vec<usize> = names
        .iter()
        .map(|k| sorted.binary_search(&k.as_ref()).unwrap_or(0))
        .collect();
    (group_folds(&group, MAX_FOLDS), sorted.len())
}

/// The section for `model`: `Err` with the reason when it cannot be scored.
pub fn score(model: &Model) -> Result<LearnedMetric, String> {
    let genre_of = super::genre_ids(model);
    let keys = keys(model);
    let mut rows: Vec<usize> = (0..model.len())
        .filter(|&i| genre_of[i].is_some() && keys[i].is_some())
        .collect();
    if rows.is_empty() {
        return Err(
            "no labelled track has an artist, album or folder of its own \
             (a folder named after its genre does not count)"
                .into(),
        );
    }
    // Genres of one group cannot be predicted from other groups.
    let mut left_out = Vec::new();
    for (g, name) in model.genres.iter().enumerate() {
        let mut groups: Vec<&str> = rows
            .iter()
            .filter(|&&i| genre_of[i] == Some(g))
            .filter_map(|&i| keys[i].as_ref().map(|k| k.1.as_str()))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        if groups.len() == 1 {
            left_out.push(name.clone());
        }
    }
    rows.retain(|&i| genre_of[i].is_some_and(|g| !left_out.contains(&model.genres[g])));
    if rows.len() > MAX_TRACKS {
        SplitMix64::new(model.params.seed).shuffle(&mut rows);
        rows.truncate(MAX_TRACKS);
        rows.sort_unstable();
    }
    let truth: Vec<usize> = rows.iter().filter_map(|&i| genre_of[i]).collect();
    let mut distinct = truth.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(format!(
            "needs two genres each spread over at least two artists (albums, folders); {} here{}",
            distinct.len(),
            if left_out.is_empty() {
                String::new()
            } else {
                format!(" ({} of one artist each)", left_out.join(", "))
            }
        ));
    }
    let names: Vec<&str> = rows
        .iter()
        .filter_map(|&i| keys[i].as_ref().map(|k| k.1.as_str()))
        .collect();
    let (folds, groups) = folds_of(&names);
    let n = rows.len();
    let plain = super::labelled_distances(&model.space, &rows);
    let (_, p) = grouped_knn(n, &truth, &folds, K, &plain);
    let vectors: Vec<&[f32]> = rows.iter().map(|&i| model.space.z[i].as_slice()).collect();
    let fitted = cross_fit(
        &vectors,
        &truth,
        &folds,
        Shrinkage::Fixed(SHRINKAGE),
        MAX_DIMS,
    );
    let projected: Vec<Vec<Vec<f32>>> = fitted
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let learned = |i: usize, out: &mut Vec<(f64, usize)>| {
        out.clear();
        let Some(space) = projected.get(folds[i]) else {
            return;
        };
        out.extend((0..n).filter(|&j| j != i).map(|j| {
            let d: f64 = space[i]
                .iter()
                .zip(&space[j])
                .map(|(&a, &b)| f64::from(a - b).powi(2))
                .sum();
            (d, j)
        }));
    };
    let (_, l) = grouped_knn(n, &truth, &folds, K, &learned);
    let count = |kind: usize| {
        rows.iter()
            .filter(|&&i| keys[i].as_ref().is_some_and(|k| k.0 == kind))
            .count()
    };
    let chance = eval::chance_accuracy(&truth);
    let chance_balanced = eval::chance_balanced_accuracy(distinct.len());
    Ok(LearnedMetric {
        key: "artist (tags), else album (tags), else folder (unless named after the genre)"
            .to_string(),
        by_artist: count(0),
        by_album: count(1),
        by_folder: count(2),
        evaluated: n,
        groups,
        folds: folds.iter().max().map_or(0, |m| m + 1),
        genres_left_out: left_out,
        shrinkage: SHRINKAGE,
        k: K,
        plain_accuracy: Score::new(p.accuracy, Some(chance)),
        learned_accuracy: Score::new(l.accuracy, Some(chance)),
        plain_balanced_accuracy: Score::new(p.balanced_accuracy, Some(chance_balanced)),
        learned_balanced_accuracy: Score::new(l.balanced_accuracy, Some(chance_balanced)),
    })
}

/// Every track's genre by the learned metric (opt-in: `export --metric
/// learned`), as (genre, share of the vote): an unlabelled track by the
/// [`K`]-NN vote of the labelled tracks in the metric fitted on all of
/// them; a labelled one cross-fitted as the section scores it (metric and
/// voters from the other artists' folds; a track without artist, album or
/// folder of its own is a group alone). `Err` with the reason when no
/// metric can be fitted. On the development corpora this did worse than
/// the profile's vote on music it was not tuned on (docs/PERFORMANCE.md).
pub fn predict(model: &Model) -> Result<Vec<Option<(String, f64)>>, String> {
    let n = model.len();
    let genre_of = super::genre_ids(model);
    let labelled: Vec<usize> = (0..n).filter(|&i| genre_of[i].is_some()).collect();
    let truth: Vec<usize> = labelled.iter().filter_map(|&i| genre_of[i]).collect();
    let keys = keys(model);
    let names: Vec<String> = labelled
        .iter()
        .map(|&i| match &keys[i] {
            Some((_, k)) => format!("g:{k}"),
            None => format!("t:{}", model.tracks[i].path_text()),
        })
        .collect();
    let (folds, _) = folds_of(&names);
    let vectors: Vec<&[f32]> = labelled
        .iter()
        .map(|&i| model.space.z[i].as_slice())
        .collect();
    let shrink = Shrinkage::Fixed(SHRINKAGE);
    let all = crate::similarity::learned::fit_lda(&vectors, &truth, shrink, MAX_DIMS)
        .map_err(|e| e.to_string())?;
    // A fold whose other folds hold one genre cannot be fitted: its tracks
    // get no cross-fitted prediction.
    let fitted = cross_fit(&vectors, &truth, &folds, shrink, MAX_DIMS);
    let name = |(g, share): (usize, f64)| model.genres.get(g).map(|s| (s.clone(), share));
    let mut out: Vec<Option<(String, f64)>> = vec![None; n];
    for (pos, &i) in labelled.iter().enumerate() {
        let Some(Ok(space)) = fitted.get(folds[pos]) else {
            continue;
        };
        let voters = (0..labelled.len()).filter(|&j| folds[j] != folds[pos]);
        out[i] = knn_vote(space, &truth, &space[pos], voters, K).and_then(name);
    }
    let labelled_space = all.transform_all(&vectors);
    let is_labelled = {
        let mut v = vec![false; n];
        labelled.iter().for_each(|&i| v[i] = true);
        v
    };
    for (i, slot) in out.iter_mut().enumerate() {
        if is_labelled[i] {
            continue;
        }
        let q = all.transform(&model.space.z[i]);
        *slot = knn_vote(&labelled_space, &truth, &q, 0..labelled.len(), K).and_then(name);
    }
    Ok(out)
}
