//! The numbers of a report, as `metrics.json` stores them. Every metric is
//! a [`Score`]: its value, its chance level and, when the value cannot be
//! computed for this library (no labels, one genre, too few tracks), `null`
//! with the reason.

use serde::{Deserialize, Serialize};

/// Version of the `metrics.json` layout.
pub const SCHEMA_VERSION: u32 = 1;

/// One metric: value, chance level, and why the value is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The value, or `null` when it cannot be computed (see `reason`).
    pub value: Option<f64>,
    /// What a random guess of the same shape scores (see docs/ARCHITECTURE.md,
    /// "Evaluation", for each definition), or `null` when not defined.
    pub chance: Option<f64>,
    /// Why `value` is null.
    pub reason: Option<String>,
}

impl Score {
    /// A computed value with its chance level.
    pub fn new(value: f64, chance: Option<f64>) -> Score {
        Score {
            value: Some(value),
            chance,
            reason: None,
        }
    }

    /// A metric that cannot be computed here, and why.
    pub fn missing(reason: impl Into<String>) -> Score {
        Score {
            value: None,
            chance: None,
            reason: Some(reason.into()),
        }
    }
}

/// The whole report, as written to `metrics.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Version of musim that wrote it.
    pub musim_version: String,
    /// Library root, when known.
    pub library: Option<String>,
    /// Track counts.
    pub tracks: Counts,
    /// Settings the model and the metrics used.
    pub parameters: Parameters,
    /// Genres in the order of every genre axis (sorted by name).
    pub genres: Vec<String>,
    /// Genre prediction by leave-one-out k-NN vote; `null` when there is
    /// nothing to predict (see `classification_reason`).
    pub classification: Option<Classification>,
    /// Why `classification` is null.
    pub classification_reason: Option<String>,
    /// Precision@k of the neighbour search.
    pub neighbours: Vec<PrecisionAt>,
    /// Precision@5/@10 and 5-NN accuracy with the neighbours by the
    /// query's artist left out (see [`super::filtered`]).
    #[serde(default)]
    pub artist_filtered: Option<super::filtered::Filtered>,
    /// The same with the neighbours from the query's album left out.
    #[serde(default)]
    pub album_filtered: Option<super::filtered::Filtered>,
    /// Genre k-NN with a metric learned from the labels against the
    /// profile's own similarity, artist-disjoint (see [`super::learned`]).
    #[serde(default)]
    pub learned_metric: Option<super::learned::LearnedMetric>,
    /// Why `learned_metric` is null.
    #[serde(default)]
    pub learned_metric_reason: Option<String>,
    /// Similarity profiles side by side (`report --compare`; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparison: Vec<super::compare::ProfileScores>,
    /// K-Means clusters against the genres, and on their own.
    pub clustering: Clustering,
    /// Quality of the t-SNE map.
    pub map: MapQuality,
    /// Every cluster: size, genre mix, representatives.
    pub clusters: Vec<ClusterSummary>,
    /// Plain-language notes (why a plot is missing, what was left out).
    pub notes: Vec<String>,
    /// The PNGs written with this report (file names in the output folder).
    pub plots: Vec<String>,
}

/// How many tracks of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Analysed tracks (the model's rows).
    pub analysed: usize,
    /// Files the index could not analyse.
    pub failed: usize,
    /// Analysed tracks with a genre label.
    pub labelled: usize,
    /// Analysed tracks without one.
    pub unlabelled: usize,
    /// Distinct genres.
    pub genres: usize,
    /// K-Means clusters.
    pub clusters: usize,
}

/// Parameters of the model and of the evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// Number of clusters.
    pub k: usize,
    /// How k was chosen.
    pub k_choice: String,
    /// Silhouette of each k tried, when k was chosen by silhouette.
    pub k_silhouettes: Vec<(usize, f64)>,
    /// Seed of K-Means and of every chance-level shuffle.
    pub seed: u64,
    /// Neighbours per track in the similarity graph (PageRank).
    pub graph_neighbours: usize,
    /// Representatives per cluster (top PageRank).
    pub representatives: usize,
    /// t-SNE perplexity asked for.
    pub perplexity: f64,
    /// t-SNE perplexity used (clamped to (n − 1) / 3).
    pub perplexity_used: f64,
    /// t-SNE iterations.
    pub tsne_iterations: usize,
    /// Distance of the neighbour search and the k-NN vote.
    pub distance: String,
    /// k of the k-NN genre vote.
    pub knn_k: usize,
    /// The k of each precision@k.
    pub precision_k: Vec<usize>,
    /// k of the trustworthiness.
    pub trustworthiness_k: usize,
    /// Distance of the silhouette.
    pub silhouette_distance: String,
    /// Tracks the silhouette is computed on (all of them below this).
    pub silhouette_sample: usize,
    /// Shuffles behind each permutation chance level.
    pub chance_shuffles: usize,
}

/// Genre prediction by a leave-one-out k-NN vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Voters per track (`min(knn_k, labelled − 1)`).
    pub k_used: usize,
    /// Tracks predicted (the labelled ones).
    pub evaluated: usize,
    /// Share predicted right; chance = the largest genre's share.
    pub accuracy: Score,
    /// Mean recall over genres; chance = 1 / genres.
    pub balanced_accuracy: Score,
    /// Mean F1 over genres (no chance level).
    pub macro_f1: Score,
    /// Support-weighted mean F1 (no chance level).
    pub weighted_f1: Score,
    /// Per genre, in `genres` order.
    pub per_genre: Vec<GenreScore>,
    /// `confusion[true][predicted]`, genres in `genres` order.
    pub confusion: Vec<Vec<usize>>,
}

/// Precision, recall and F1 of one genre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenreScore {
    /// The genre.
    pub genre: String,
    /// Right predictions of it / all predictions of it.
    pub precision: f64,
    /// Right predictions of it / its tracks.
    pub recall: f64,
    /// Harmonic mean of the two.
    pub f1: f64,
    /// Its tracks.
    pub support: usize,
}

/// Leave-one-out precision@k of the neighbour search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecisionAt {
    /// k asked for.
    pub k: usize,
    /// Neighbours per query actually used (`min(k, labelled − 1)`).
    pub k_used: usize,
    /// Mean over tracks of the share of same-genre neighbours; chance =
    /// Σ n_g (n_g − 1) / (n (n − 1)).
    pub micro: Score,
    /// Mean over genres of that mean; chance = mean over genres of
    /// (n_g − 1) / (n − 1).
    #[serde(rename = "macro")]
    pub macro_: Score,
}

/// K-Means against the genres, and its silhouette.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clustering {
    /// Normalised mutual information (chance: permutations).
    pub nmi: Score,
    /// Adjusted Rand index (chance: permutations, ≈ 0).
    pub ari: Score,
    /// Purity (chance: permutations).
    pub purity: Score,
    /// Mean silhouette on the z-scored fingerprints, Euclidean (chance:
    /// permutations of the cluster ids on a sample).
    pub silhouette: Score,
}

/// How faithful the t-SNE map is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapQuality {
    /// k of the trustworthiness actually used (clamped to (n − 1) / 2).
    pub k_used: usize,
    /// Trustworthiness@k of the map against the z-scored fingerprints
    /// (Euclidean); chance = the expected value for a random map.
    pub trustworthiness: Score,
}

/// One K-Means cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Cluster id (as in the model: 0 is the largest).
    pub id: usize,
    /// Tracks in it.
    pub size: usize,
    /// Most frequent genre, if any track is labelled.
    pub majority: Option<String>,
    /// Its share of the cluster.
    pub majority_share: Option<f64>,
    /// (genre, tracks), most frequent first.
    pub counts: Vec<(String, usize)>,
    /// Tracks without a label.
    pub unlabelled: usize,
    /// Top-PageRank members.
    pub representatives: Vec<Representative>,
}

/// A cluster representative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Representative {
    /// Row of the model.
    pub track: usize,
    /// Path.
    pub path: String,
    /// File name without extension (as the map names it).
    pub name: String,
    /// Genre label.
    pub label: Option<String>,
    /// PageRank in the similarity graph.
    pub pagerank: f64,
}

/// `metrics.json`: the report, pretty-printed, with a final newline.
pub fn to_json(report: &Report) -> Vec<u8> {
    let mut v = crate::store::json::to_vec_pretty(report).unwrap_or_else(|e| {
        // Unreachable for these plain types; keep the file valid JSON.
        format!("{{\"error\": {:?}}}", e.to_string()).into_bytes()
    });
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scores_serialise_as_null_with_a_reason() {
        let s = serde_json::to_value(Score::missing("needs two genres")).unwrap();
        assert_eq!(
            s,
            serde_json::json!({"value": null, "chance": null, "reason": "needs two genres"})
        );
        let s = serde_json::to_value(Score::new(0.5, Some(0.1))).unwrap();
        assert_eq!(
            s,
            serde_json::json!({"value": 0.5, "chance": 0.1, "reason": null})
        );
    }
}
