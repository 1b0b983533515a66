//! `report --compare`: several similarity profiles side by side on the
//! user's own labelled library — leave-one-out precision@5 and @10, 5-NN
//! genre accuracy, and hubness (skewness of how often each track turns up
//! in the others' 10 nearest neighbours; near 0 is healthy, above 1 means a
//! few "hub" songs are everybody's neighbour). Each profile after the
//! first gets its precision@5 difference from the first with a 95 %
//! interval ([`crate::eval::bootstrap`], whole artists resampled).

use serde::{Deserialize, Serialize};

use super::filtered::{score_with, space_distances, SubsetDistances};
use crate::eval;
use crate::eval::bootstrap;
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
    /// Precision@5 minus the first profile's, with its interval (None for
    /// the first profile, or when it cannot be made: see the reason).
    #[serde(default)]
    pub precision_at_5_diff: Option<Difference>,
    /// Why `precision_at_5_diff` is null.
    #[serde(default)]
    pub precision_at_5_diff_reason: Option<String>,
    /// Skewness of the 10-occurrence distribution over all tracks.
    pub hubness: f64,
    /// Seconds to build the profile's space and its neighbour graph.
    pub seconds: f64,
}

/// Fewer groups than this and the interval resamples tracks instead (a
/// percentile interval over 2–4 groups takes only a handful of values).
pub const MIN_GROUPS: usize = 5;

/// The reason the first profile has no difference.
const BASELINE: &str = "the profile the others are compared with";

/// A profile's precision@5 minus another's on the same queries, with the
/// 95 % interval of a paired bootstrap over whole groups of tracks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// This profile's precision@5 minus `against`'s.
    pub diff: f64,
    /// 2.5th percentile of the resampled differences.
    pub low: f64,
    /// 97.5th percentile.
    pub high: f64,
    /// The profile compared with (the first one).
    pub against: String,
    /// Groups resampled.
    pub groups: usize,
    /// What a group is: "artist", "album", "folder", several of these
    /// joined by "/" (plus "track" for tracks with none), or "track" alone
    /// when there were fewer than [`MIN_GROUPS`] groups.
    pub group_kind: String,
    /// Resamples drawn.
    pub resamples: usize,
}

impl Difference {
    /// "+0.164 [+0.044, +0.281] (2000 resamples of 10 artists)".
    pub fn interval(&self) -> String {
        let plural = match self.group_kind.as_str() {
            "artist" => "artists",
            "album" => "albums",
            "folder" => "folders",
            "track" => "tracks (too few artists, albums or folders to resample them)",
            _ => "groups",
        };
        let kind = if plural == "groups" {
            format!(" ({})", self.group_kind)
        } else {
            String::new()
        };
        format!(
            "{:+.3} [{:+.3}, {:+.3}] ({} resamples of {} {plural}{kind})",
            self.diff, self.low, self.high, self.resamples, self.groups
        )
    }
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
        let diff = match &self.precision_at_5_diff {
            Some(d) => format!("\n  P@5 {} − {}: {}", self.profile, d.against, d.interval()),
            None => match self.precision_at_5_diff_reason.as_deref() {
                Some(why) if why != BASELINE => format!("\n  P@5 difference: n/a ({why})"),
                _ => String::new(),
            },
        };
        format!(
            "similarity {:<6} P@5 {}  P@10 {}  5-NN {}  hubness {:.2}{artist}{diff}",
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
    let scored: Vec<(ProfileScores, Vec<f64>)> = profiles
        .iter()
        .map(|&p| {
            let started = std::time::Instant::now();
            let mut space =
                Space::build_with(p, names, &rows, any_deep.then_some(&embeddings[..]))?;
            space.set_fused_weights(weights);
            let graph = space.knn_graph(HUBNESS_K);
            let seconds = started.elapsed().as_secs_f64();
            let distances = space_distances(&space);
            Ok(labelled.scores_and_queries(
                &distances,
                p.name(),
                hubness(&graph, space.len()),
                seconds,
            ))
        })
        .collect::<Result<_, SpaceError>>()?;
    Ok(labelled.differences(scored))
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
    /// Their groups for the intervals ([`super::learned::group_key`]).
    groups: Vec<Option<(usize, String)>>,
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
            groups: rows
                .iter()
                .map(|&i| {
                    let e = entries[i];
                    super::learned::group_key(e.tags.as_ref(), &e.path, e.label.as_deref())
                })
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
        self.scores_and_queries(distances, profile, hubness, seconds)
            .0
    }

    /// [`Labelled::scores`] and each labelled track's precision@5 (empty
    /// when not scored), whose mean is the precision@5.
    pub fn scores_and_queries(
        &self,
        distances: &SubsetDistances<'_>,
        profile: &str,
        hubness: f64,
        seconds: f64,
    ) -> (ProfileScores, Vec<f64>) {
        let (mut p5, mut p10, mut acc) = (None, None, None);
        let mut queries = Vec::new();
        let (mut by_artist, mut by_album) = (None, None);
        if self.scored() {
            let (rows, truth) = (&self.rows, &self.truth);
            by_artist = Some(score_with(distances, rows, truth, &self.artists, "artist"));
            by_album = Some(score_with(distances, rows, truth, &self.albums, "album"));
            let fill = |i: usize, out: &mut Vec<(f64, usize)>| distances(rows, i, out);
            let nl = rows.len();
            let five = eval::knn_loo_with(nl, truth, 5, &fill);
            p5 = Some(five.precision_at_k.micro);
            queries = five.per_query;
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
        let scores = ProfileScores {
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
            precision_at_5_diff: None,
            precision_at_5_diff_reason: None,
            hubness,
            seconds,
        };
        (scores, queries)
    }

    /// The scores of several profiles (each with its per-query
    /// precision@5), every one after the first given its difference from
    /// the first, or the reason there is none.
    pub fn differences(&self, scored: Vec<(ProfileScores, Vec<f64>)>) -> Vec<ProfileScores> {
        let mut scored = scored.into_iter();
        let Some((mut first, base)) = scored.next() else {
            return Vec::new();
        };
        let rest: Vec<ProfileScores> = scored
            .map(|(mut s, queries)| {
                match self.difference(&base, &queries, &first.profile) {
                    Ok(d) => s.precision_at_5_diff = Some(d),
                    Err(why) => s.precision_at_5_diff_reason = Some(why),
                }
                s
            })
            .collect();
        first.precision_at_5_diff_reason = Some(if rest.is_empty() {
            "one profile: nothing to compare it with (name another with --compare)".into()
        } else {
            BASELINE.into()
        });
        std::iter::once(first).chain(rest).collect()
    }

    /// `queries`' precision@5 minus `base`'s (per-query, both of the
    /// labelled tracks) with its interval, or why it cannot be made.
    fn difference(
        &self,
        base: &[f64],
        queries: &[f64],
        against: &str,
    ) -> Result<Difference, String> {
        let n = self.rows.len();
        if n < 3 {
            return Err(format!("{n} labelled tracks; an interval needs at least 3"));
        }
        if base.len() != n || queries.len() != n {
            return Err("no precision@5: it needs labelled tracks of at least two genres".into());
        }
        let (group, groups, group_kind) = self.group_ids();
        let i = bootstrap::paired(queries, base, &group, bootstrap::RESAMPLES, bootstrap::SEED);
        Ok(Difference {
            diff: i.diff,
            low: i.low,
            high: i.high,
            against: against.to_string(),
            groups,
            group_kind,
            resamples: bootstrap::RESAMPLES,
        })
    }

    /// Each labelled track's group id for the bootstrap, the number of
    /// groups and their kind: by [`super::learned::group_key`] (a track
    /// without one is a group of its own), or one group a track when that
    /// leaves fewer than [`MIN_GROUPS`].
    fn group_ids(&self) -> (Vec<usize>, usize, String) {
        let mut names: Vec<&(usize, String)> = self.groups.iter().flatten().collect();
        names.sort_unstable();
        names.dedup();
        let mut alone = names.len();
        let ids: Vec<usize> = self
            .groups
            .iter()
            .map(|g| match g {
                Some(k) => names.binary_search(&k).unwrap_or(0),
                None => {
                    alone += 1;
                    alone - 1
                }
            })
            .collect();
        if alone < MIN_GROUPS {
            let n = self.rows.len();
            return ((0..n).collect(), n, "track".into());
        }
        let mut kinds: Vec<&str> = names
            .iter()
            .map(|k| {
                ["artist", "album", "folder"]
                    .get(k.0)
                    .copied()
                    .unwrap_or("group")
            })
            .collect();
        if alone > names.len() {
            kinds.push("track");
        }
        kinds.dedup();
        (ids, alone, kinds.join("/"))
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
    use crate::eval::SplitMix64;
    use crate::similarity::Neighbour;

    /// `genres` × `artists` × `per` tracks (each artist in one genre,
    /// tagged), analysed, in folders named after the genre.
    fn library(genres: usize, artists: usize, per: usize) -> Vec<Entry> {
        let mut out = Vec::new();
        for g in 0..genres {
            for a in 0..artists {
                for t in 0..per {
                    out.push(Entry {
                        path: format!("/m/g{g}/a{a}-{t}.wav").into_bytes(),
                        size: 1,
                        mtime_ns: 0,
                        label: Some(format!("g{g}")),
                        tags: Some(crate::tags::Tags {
                            artist: Some(format!("artist {g}-{a}")),
                            ..Default::default()
                        }),
                        outcome: Outcome::Analysed {
                            duration_s: 1.0,
                            values: vec![0.0],
                        },
                    });
                }
            }
        }
        out
    }

    /// Distances among `n` tracks of genres `genre`: same genre at `near`,
    /// others at 0.5, each plus a seeded jitter of ±0.2.
    fn matrix(genre: &[usize], near: f64, seed: u64) -> Vec<Vec<f64>> {
        let n = genre.len();
        let mut rng = SplitMix64::new(seed);
        let mut d = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in i + 1..n {
                let base = if genre[i] == genre[j] { near } else { 0.5 };
                d[i][j] = base + (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 0.4 - 0.2;
                d[j][i] = d[i][j];
            }
        }
        d
    }

    /// [`Labelled::differences`] of the profiles `named` with distances
    /// `ds` among `entries`, as [`compare`] scores them.
    fn scored(entries: &[Entry], ds: &[(&str, Vec<Vec<f64>>)]) -> Vec<ProfileScores> {
        let refs: Vec<&Entry> = entries.iter().collect();
        let labelled = Labelled::of(&refs);
        let all = ds
            .iter()
            .map(|(name, d)| {
                let fill = crate::report::filtered::matrix_distances(d);
                labelled.scores_and_queries(&fill, name, 0.0, 0.0)
            })
            .collect();
        labelled.differences(all)
    }

    /// Profiles "a" and "b" of same-genre distances `near_a` and `near_b`
    /// (matrices seeded `seed` and `seed + 1`) scored on `entries`.
    fn two(entries: &[Entry], near_a: f64, near_b: f64, seed: u64) -> Vec<ProfileScores> {
        let g = genres(entries);
        let (a, b) = (matrix(&g, near_a, seed), matrix(&g, near_b, seed + 1));
        scored(entries, &[("a", a), ("b", b)])
    }

    fn genres(entries: &[Entry]) -> Vec<usize> {
        entries
            .iter()
            .map(|e| {
                e.label
                    .as_deref()
                    .and_then(|l| l[1..].parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    }

    #[test]
    fn identical_profiles_differ_by_zero_with_a_zero_interval() {
        let lib = library(3, 4, 4);
        let d = matrix(&genres(&lib), 0.4, 1);
        let s = scored(&lib, &[("a", d.clone()), ("b", d)]);
        let diff = s[1].precision_at_5_diff.as_ref().unwrap();
        assert_eq!((diff.diff, diff.low, diff.high), (0.0, 0.0, 0.0));
        assert_eq!(
            (diff.against.as_str(), diff.groups, diff.group_kind.as_str()),
            ("a", 12, "artist")
        );
        assert_eq!(diff.resamples, bootstrap::RESAMPLES);
        assert!(s[0].precision_at_5_diff.is_none());
        assert!(s[0].precision_at_5_diff_reason.is_some());
    }

    #[test]
    fn a_profile_better_for_every_artist_has_an_interval_above_zero() {
        let lib = library(3, 4, 5);
        let g = genres(&lib);
        // The first profile ranks at random; the second puts same-genre
        // tracks nearest (0.1 ± 0.2 never reaches 0.5 − 0.2).
        let (poor, good) = (matrix(&g, 0.5, 2), matrix(&g, 0.1, 3));
        let s = scored(&lib, &[("poor", poor), ("good", good)]);
        let d = s[1].precision_at_5_diff.as_ref().unwrap();
        assert!(d.low > 0.0 && d.low <= d.diff && d.diff <= d.high, "{d:?}");
        // The difference is the two precisions@5 printed beside it.
        let (a, b) = (s[1].precision_at_5.unwrap(), s[0].precision_at_5.unwrap());
        assert!((d.diff - (a - b)).abs() < 1e-12, "{d:?} {a} {b}");
        assert!(
            d.interval().contains("resamples of 12 artists"),
            "{}",
            d.interval()
        );
        assert!(s[1].line().contains("good − poor: +"), "{}", s[1].line());
    }

    #[test]
    fn the_interval_is_the_study_bootstrap_of_the_same_queries() {
        // deep_study's bootstrap: per-query precisions from knn_loo_with,
        // then bootstrap::paired over the artists.
        let lib = library(2, 5, 3);
        let g = genres(&lib);
        let (x, y) = (matrix(&g, 0.45, 4), matrix(&g, 0.35, 5));
        let s = scored(&lib, &[("x", x.clone()), ("y", y.clone())]);
        let per = |d: &Vec<Vec<f64>>| {
            let fill = |i: usize, out: &mut Vec<(f64, usize)>| {
                out.clear();
                out.extend((0..d.len()).filter(|&j| j != i).map(|j| (d[i][j], j)));
            };
            eval::knn_loo_with(d.len(), &g, 5, &fill).per_query
        };
        let artist: Vec<usize> = (0..lib.len()).map(|q| q / 3).collect();
        let want = bootstrap::paired(&per(&y), &per(&x), &artist, 2000, bootstrap::SEED);
        let got = s[1].precision_at_5_diff.as_ref().unwrap();
        assert_eq!(
            (got.diff, got.low, got.high),
            (want.diff, want.low, want.high)
        );
        assert!(got.low < got.high, "{got:?}");
    }

    #[test]
    fn few_artists_resample_tracks_and_say_so() {
        // Two genres of two artists: 4 groups, under MIN_GROUPS.
        let lib = library(2, 2, 4);
        let s = two(&lib, 0.45, 0.3, 6);
        let d = s[1].precision_at_5_diff.as_ref().unwrap();
        assert_eq!((d.groups, d.group_kind.as_str()), (16, "track"));
        assert!(
            d.interval().contains("16 tracks (too few"),
            "{}",
            d.interval()
        );
        // Untagged, in folders named after the genre: every track alone.
        let mut bare = library(2, 3, 2);
        for e in &mut bare {
            e.tags = None;
        }
        let s = two(&bare, 0.45, 0.3, 8);
        let d = s[1].precision_at_5_diff.as_ref().unwrap();
        assert_eq!((d.groups, d.group_kind.as_str()), (12, "track"));
    }

    #[test]
    fn one_genre_or_one_profile_gives_null_with_a_reason_in_json() {
        let lib = library(1, 6, 2);
        let s = two(&lib, 0.4, 0.4, 10);
        let json = serde_json::to_value(&s[1]).unwrap();
        assert!(json["precision_at_5_diff"].is_null(), "{json}");
        let why = json["precision_at_5_diff_reason"].as_str().unwrap();
        assert!(why.contains("two genres"), "{why}");
        // One profile only.
        let lib = library(2, 3, 2);
        let g = genres(&lib);
        let s = scored(&lib, &[("a", matrix(&g, 0.4, 12))]);
        let json = serde_json::to_value(&s[0]).unwrap();
        assert!(json["precision_at_5_diff"].is_null(), "{json}");
        assert!(json["precision_at_5_diff_reason"]
            .as_str()
            .unwrap()
            .contains("one profile"));
        // Two tracks: scored, but no interval.
        let lib = library(2, 1, 1);
        let s = two(&lib, 0.4, 0.3, 13);
        assert!(s[1].precision_at_5.is_some());
        let why = s[1].precision_at_5_diff_reason.as_deref().unwrap();
        assert!(why.contains("at least 3"), "{why}");
        // Present, with every field, when made.
        let lib = library(2, 3, 2);
        let s = two(&lib, 0.4, 0.3, 15);
        let json = serde_json::to_value(&s[1]).unwrap();
        for field in [
            "diff",
            "low",
            "high",
            "against",
            "groups",
            "group_kind",
            "resamples",
        ] {
            assert!(
                !json["precision_at_5_diff"][field].is_null(),
                "{field}: {json}"
            );
        }
    }

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
