//! `report --compare`: several similarity profiles side by side on the
//! user's own labelled library — leave-one-out precision@5 and @10, 5-NN
//! genre accuracy, and hubness (skewness of how often each track turns up
//! in the others' 10 nearest neighbours; near 0 is healthy, above 1 means a
//! few "hub" songs are everybody's neighbour).

use serde::{Deserialize, Serialize};

use super::filtered::{score_with, space_distances, SubsetDistances};
use crate::eval;
use crate::library::index::{Entry, Index, Outcome};
use crate::similarity::{FusedWeights, Profile, Space, SpaceError};

/// Neighbours counted for hubness.
pub const HUBNESS_K: usize = 10;

/// One profile's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileScores {
    /// Profile name.
    pub profile: String,
    /// Leave-one-out precision@5 over labelled tracks (None: no labels).
    pub precision_at_5: Option<f64>,
    /// Leave-one-out precision@10.
    pub precision_at_10: Option<f64>,
    /// Leave-one-out 5-NN genre accuracy.
    pub knn_accuracy: Option<f64>,
    /// Precision@5 with the neighbours by the query's artist left out
    /// (tracks with a known artist; see [`super::filtered`]).
    #[serde(default)]
    pub precision_at_5_artist_filtered: Option<f64>,
    /// Precision@10, artist-filtered.
    #[serde(default)]
    pub precision_at_10_artist_filtered: Option<f64>,
    /// 5-NN accuracy, artist-filtered.
    #[serde(default)]
    pub knn_accuracy_artist_filtered: Option<f64>,
    /// Precision@5 with the neighbours from the query's album left out.
    #[serde(default)]
    pub precision_at_5_album_filtered: Option<f64>,
    /// 5-NN accuracy, album-filtered.
    #[serde(default)]
    pub knn_accuracy_album_filtered: Option<f64>,
    /// Skewness of the 10-occurrence distribution over all tracks.
    pub hubness: f64,
    /// Seconds to build the profile's space and its neighbour graph.
    pub seconds: f64,
}

impl ProfileScores {
    /// One line: "similarity musim  P@5 0.571  P@10 0.492  5-NN 0.722  hubness 0.80".
    pub fn line(&self) -> String {
        let f = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
        let artist = match self.precision_at_5_artist_filtered {
            Some(_) => format!(
                "  artist-filtered P@5 {}  5-NN {}",
                f(self.precision_at_5_artist_filtered),
                f(self.knn_accuracy_artist_filtered)
            ),
            None => String::new(),
        };
        format!(
            "similarity {:<6} P@5 {}  P@10 {}  5-NN {}  hubness {:.2}{artist}",
            self.profile,
            f(self.precision_at_5),
            f(self.precision_at_10),
            f(self.knn_accuracy),
            self.hubness
        )
    }
}

/// Scores of each of `profiles` on the analysed tracks of `index` (when a
/// profile needs deep embeddings, every profile is scored on the tracks
/// that have one, so the figures compare like with like).
pub fn compare(index: &Index, profiles: &[Profile]) -> Result<Vec<ProfileScores>, SpaceError> {
    compare_weighted(index, profiles, FusedWeights::DEFAULT)
}

/// [`compare`] with `fused` weighted by `weights` (for studies of the
/// weights; the product always uses [`FusedWeights::DEFAULT`]).
pub fn compare_weighted(
    index: &Index,
    profiles: &[Profile],
    weights: FusedWeights,
) -> Result<Vec<ProfileScores>, SpaceError> {
    let names = &index.header.feature_names;
    let any_deep = profiles.iter().any(|p| p.needs_embeddings());
    let mut rows: Vec<&[f32]> = Vec::new();
    let mut embeddings: Vec<&[f32]> = Vec::new();
    let mut entries: Vec<&Entry> = Vec::new();
    for e in &index.entries {
        if let Outcome::Analysed { values, .. } = &e.outcome {
            if values.len() != names.len() {
                continue;
            }
            if any_deep {
                let Some(emb) = index.deep.embedding(e) else {
                    continue;
                };
                embeddings.push(emb);
            }
            rows.push(values);
            entries.push(e);
        }
    }
    let labelled = Labelled::of(&entries);
    profiles
        .iter()
        .map(|&p| {
            let started = std::time::Instant::now();
            let mut space =
                Space::build_with(p, names, &rows, any_deep.then_some(&embeddings[..]))?;
            space.set_fused_weights(weights);
            let graph = space.knn_graph(HUBNESS_K);
            let seconds = started.elapsed().as_secs_f64();
            let distances = space_distances(&space);
            let scores =
                labelled.scores(&distances, p.name(), hubness(&graph, space.len()), seconds);
            Ok(scores)
        })
        .collect()
}

/// The labelled tracks among those compared, with their genre ids,
/// artists and albums.
#[derive(Debug, Clone)]
pub struct Labelled<'a> {
    /// Positions (among the compared tracks) of the labelled ones.
    rows: Vec<usize>,
    /// Their genre ids.
    truth: Vec<usize>,
    /// Their main artists, when known.
    artists: Vec<Option<&'a str>>,
    /// Their albums, when known.
    albums: Vec<Option<&'a str>>,
}

impl<'a> Labelled<'a> {
    /// The labelled ones of the compared tracks `entries`.
    pub fn of(entries: &[&'a Entry]) -> Labelled<'a> {
        let rows: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].label.is_some())
            .collect();
        let label = |i: usize| entries[i].label.as_deref();
        let mut genres: Vec<&str> = rows.iter().filter_map(|&i| label(i)).collect();
        genres.sort_unstable();
        genres.dedup();
        let truth = rows
            .iter()
            .filter_map(|&i| label(i).and_then(|l| genres.iter().position(|g| *g == l)))
            .collect();
        let tags = |i: usize| entries[i].tags.as_ref();
        Labelled {
            artists: rows
                .iter()
                .map(|&i| tags(i).and_then(|t| t.main_artist()))
                .collect(),
            albums: rows
                .iter()
                .map(|&i| tags(i).and_then(|t| t.album.as_deref()))
                .collect(),
            truth,
            rows,
        }
    }

    /// True when there is something to score: two genres, two tracks.
    fn scored(&self) -> bool {
        let mut genres = self.truth.clone();
        genres.sort_unstable();
        genres.dedup();
        genres.len() >= 2 && self.rows.len() >= 2
    }

    /// The scores of the distances `distances` among the compared tracks,
    /// named `profile`, with the `hubness` and build `seconds` measured
    /// by the caller.
    pub fn scores(
        &self,
        distances: &SubsetDistances<'_>,
        profile: &str,
        hubness: f64,
        seconds: f64,
    ) -> ProfileScores {
        let (mut p5, mut p10, mut acc) = (None, None, None);
        let (mut by_artist, mut by_album) = (None, None);
        if self.scored() {
            let (rows, truth) = (&self.rows, &self.truth);
            by_artist = Some(score_with(distances, rows, truth, &self.artists, "artist"));
            by_album = Some(score_with(distances, rows, truth, &self.albums, "album"));
            let fill = |i: usize, out: &mut Vec<(f64, usize)>| distances(rows, i, out);
            let nl = rows.len();
            let five = eval::knn_loo_with(nl, truth, 5, &fill);
            p5 = Some(five.precision_at_k.micro);
            let hits = five
                .predictions
                .iter()
                .zip(truth)
                .filter(|(a, b)| a == b)
                .count();
            acc = Some(hits as f64 / nl as f64);
            p10 = Some(
                eval::knn_loo_with(nl, truth, 10, &fill)
                    .precision_at_k
                    .micro,
            );
        }
        ProfileScores {
            profile: profile.to_string(),
            precision_at_5: p5,
            precision_at_10: p10,
            knn_accuracy: acc,
            precision_at_5_artist_filtered: by_artist.as_ref().and_then(|f| f.precision_at_5.value),
            precision_at_10_artist_filtered: by_artist
                .as_ref()
                .and_then(|f| f.precision_at_10.value),
            knn_accuracy_artist_filtered: by_artist.as_ref().and_then(|f| f.knn_accuracy.value),
            precision_at_5_album_filtered: by_album.as_ref().and_then(|f| f.precision_at_5.value),
            knn_accuracy_album_filtered: by_album.as_ref().and_then(|f| f.knn_accuracy.value),
            hubness,
            seconds,
        }
    }
}

/// Skewness of the k-occurrence counts (how often each of `n` tracks is in
/// another's neighbour list); 0 when all counts are equal.
pub fn hubness(graph: &[Vec<crate::similarity::Neighbour>], n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let mut count = vec![0.0f64; n];
    for ns in graph {
        for e in ns {
            if let Some(c) = count.get_mut(e.index as usize) {
                *c += 1.0;
            }
        }
    }
    let mean = count.iter().sum::<f64>() / n as f64;
    let m2 = count.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / n as f64;
    let m3 = count.iter().map(|c| (c - mean).powi(3)).sum::<f64>() / n as f64;
    if m2 <= 1e-12 {
        0.0
    } else {
        m3 / m2.powf(1.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::Neighbour;

    #[test]
    fn hubness_of_a_star_is_large_and_of_a_ring_zero() {
        let e = |i: u32| Neighbour {
            index: i,
            similarity: 1.0,
        };
        // Everyone's neighbour is track 0 (and the next one).
        let star: Vec<Vec<Neighbour>> = (0..20u32).map(|i| vec![e(0), e((i + 1) % 20)]).collect();
        assert!(hubness(&star, 20) > 3.0, "{}", hubness(&star, 20));
        let ring: Vec<Vec<Neighbour>> = (0..20u32).map(|i| vec![e((i + 1) % 20)]).collect();
        assert_eq!(hubness(&ring, 20), 0.0);
        assert_eq!(hubness(&[], 0), 0.0);
    }
}
