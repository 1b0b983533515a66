//! The incremental model: when a few tracks were added to or removed from
//! a library, the stored model is brought up to date instead of rebuilt.
//! Removed tracks leave every part of it (their places in the kNN lists
//! refilled); new tracks are placed in the space with the library's
//! statistics, inserted into the kNN graph
//! ([`crate::similarity::insertion`]), placed on the existing map as
//! openTSNE's `transform` does ([`place`]: the map stays as it is, only the
//! new points move), join their nearest cluster centroid; PageRank starts
//! from the old scores; clusters' members and representatives are worked
//! out again. A change of more than [`MAX_CHANGE`] of the library, or of
//! what the model is built from, is a rebuild ([`plan`] says why).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use super::interpolation::Field;
use super::{graph, kmeans, Input, Model, ModelError, ModelParams, Stage, Timings, Track};
use crate::similarity::insertion::{self, Insert, Links};
use crate::similarity::Neighbour;

/// Largest share of the library added plus removed that is updated; more
/// is rebuilt (the z-scoring, clusters and map were fitted to the old
/// library).
pub const MAX_CHANGE: f64 = 0.05;

/// What an update changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    /// Tracks added (new or changed files).
    pub added: usize,
    /// Tracks removed (gone or changed files).
    pub removed: usize,
}

/// Which tracks of the stored model stay and which of the input are new.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Per stored track: still in the library, unchanged.
    pub keep: Vec<bool>,
    /// Input tracks not in the stored model (new or changed files).
    pub added: Vec<usize>,
}

impl Diff {
    /// The counts.
    pub fn change(&self) -> Change {
        Change {
            added: self.added.len(),
            removed: self.keep.iter().filter(|k| !**k).count(),
        }
    }
}

/// Why a stored model is rebuilt rather than updated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebuild {
    /// More than [`MAX_CHANGE`] of the library changed.
    TooMany {
        /// What changed.
        change: Change,
        /// Tracks in the stored model.
        of: usize,
    },
    /// The model was built with other parameters, by other code or from
    /// other features.
    Settings,
    /// The library's genres changed (clusters follow them).
    Genres,
    /// The stored model has no clusters to join, or no tracks are left.
    Degenerate,
}

impl std::fmt::Display for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rebuild::TooMany { change, of } => write!(
                f,
                "{} tracks added and {} removed of {of}: more than {:.0} % changed",
                change.added,
                change.removed,
                MAX_CHANGE * 100.0
            ),
            Rebuild::Settings => write!(f, "the model's settings or features changed"),
            Rebuild::Genres => write!(f, "the library's genres changed"),
            Rebuild::Degenerate => write!(f, "too few tracks to update"),
        }
    }
}

/// Whether stored track `old` is `new` unchanged: the same file (path,
/// size, time), label, duration and file tags, and the same deep tag
/// scores as far as the model file keeps them (at half precision: a model
/// read back from its file holds `new`'s scores rounded to f16).
fn same_track(old: &Track, new: &Track) -> bool {
    // Destructured so that a field added to `Track` must be compared here.
    let Track {
        path,
        size,
        mtime_ns,
        label,
        duration_s,
        tags,
        meta,
    } = old;
    let same_tags = tags.len() == new.tags.len()
        && tags
            .iter()
            .zip(&new.tags)
            .all(|(&o, &n)| o == n || o == half::f16::from_f32(n).to_f32());
    *path == new.path
        && *size == new.size
        && *mtime_ns == new.mtime_ns
        && *label == new.label
        && *duration_s == new.duration_s
        && *meta == new.meta
        && same_tags
}

/// The tracks of `new` not in `old` and the tracks of `old` still in
/// `new`, unchanged (see [`same_track`]).
pub fn diff(old: &[Track], new: &[Track]) -> Diff {
    let at: HashMap<&[u8], usize> = old
        .iter()
        .enumerate()
        .map(|(i, t)| (t.path.as_slice(), i))
        .collect();
    let mut keep = vec![false; old.len()];
    let mut added = Vec::new();
    for (j, t) in new.iter().enumerate() {
        match at.get(t.path.as_slice()) {
            Some(&i) if same_track(&old[i], t) && !keep[i] => keep[i] = true,
            _ => added.push(j),
        }
    }
    Diff { keep, added }
}

/// Whether `old` can be updated to `input` with `params`, and how.
pub fn plan(old: &Model, input: &Input, params: &ModelParams) -> Result<Diff, Rebuild> {
    if old.params != *params || old.windows != input.windows || !old.space.fits_rows(&input.names) {
        return Err(Rebuild::Settings);
    }
    let d = diff(&old.tracks, &input.tracks);
    let change = d.change();
    let kept = old.len() - change.removed;
    if old.clusters.is_empty() || kept < 2 || matches!(old.k_choice, super::KChoice::Trivial) {
        return Err(Rebuild::Degenerate);
    }
    let genres: std::collections::BTreeSet<&str> = input
        .tracks
        .iter()
        .filter_map(|t| t.label.as_deref())
        .collect();
    if !genres
        .iter()
        .copied()
        .eq(old.genres.iter().map(String::as_str))
    {
        return Err(Rebuild::Genres);
    }
    // A track's worth of change is always allowed (a small library).
    let limit = (MAX_CHANGE * old.len() as f64).max(1.0);
    if (change.added + change.removed) as f64 > limit {
        return Err(Rebuild::TooMany {
            change,
            of: old.len(),
        });
    }
    Ok(d)
}

/// Settings of [`place`] (openTSNE's `transform` defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    /// Perplexity of a new point's affinities to its neighbours.
    pub perplexity: f64,
    /// Gradient steps.
    pub iterations: usize,
    /// Attraction exaggeration.
    pub exaggeration: f64,
    /// Step size.
    pub rate: f64,
    /// Longest step, map units.
    pub max_step: f64,
}

impl Default for Place {
    fn default() -> Self {
        Place {
            perplexity: 5.0,
            iterations: 250,
            exaggeration: 1.5,
            rate: 1.0,
            max_step: 1.0,
        }
    }
}

/// Neighbours looked up per new point for its place on the map.
pub const PLACE_NEIGHBOURS: usize = 15;

/// Positions on the fixed map `reference` of new points whose nearest
/// reference points are `near` (each: squared distance in the input space
/// and reference row, nearest first). Each new point is put at the mean
/// of its neighbours' positions weighted by its affinities to them (a
/// Gaussian of the given perplexity, as t-SNE's), then moved by gradient
/// descent on the KL divergence of its own affinities and its Cauchy
/// kernel to the reference points (which do not move); the reference's
/// repulsion is read from its interpolated field ([`Field`]).
pub fn place(reference: &[[f32; 2]], near: &[Vec<(f64, u32)>], params: &Place) -> Vec<[f32; 2]> {
    let y: Vec<[f64; 2]> = reference
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    let field = Field::of(&y, 5.0);
    near.par_iter()
        .map(|d| {
            let d: Vec<(f64, u32)> = d
                .iter()
                .copied()
                .filter(|&(_, j)| (j as usize) < y.len())
                .collect();
            if d.is_empty() {
                return [0.0, 0.0];
            }
            let perp = params.perplexity.min(d.len() as f64).max(1.0);
            let p = super::tsne::perplexity_weights(&d, perp);
            let at = |j: u32| y[j as usize];
            let mut x = [0.0f64; 2];
            for (&(_, j), &pj) in d.iter().zip(&p) {
                x[0] += pj * at(j)[0];
                x[1] += pj * at(j)[1];
            }
            x = field.clamp(x);
            let mut velocity = [0.0f64; 2];
            for it in 0..params.iterations {
                let mut attract = [0.0f64; 2];
                for (&(_, j), &pj) in d.iter().zip(&p) {
                    let (dx, dy) = (x[0] - at(j)[0], x[1] - at(j)[1]);
                    let q = 1.0 / (1.0 + dx * dx + dy * dy);
                    attract[0] += pj * q * dx;
                    attract[1] += pj * q * dy;
                }
                let (repel, z) = field.at(x);
                let z = z.max(f64::MIN_POSITIVE);
                let exaggeration = if it < params.iterations / 2 {
                    params.exaggeration
                } else {
                    1.0
                };
                let mut step = [0.0f64; 2];
                for a in 0..2 {
                    let g = exaggeration * attract[a] - repel[a] / z;
                    velocity[a] = 0.5 * velocity[a] - params.rate * g;
                    step[a] = velocity[a];
                }
                let len = (step[0] * step[0] + step[1] * step[1]).sqrt();
                if len > params.max_step {
                    step.iter_mut().for_each(|s| *s *= params.max_step / len);
                }
                x = field.clamp([x[0] + step[0], x[1] + step[1]]);
            }
            [x[0] as f32, x[1] as f32]
        })
        .collect()
}

/// `old` brought up to date with `input` as `diff` (from [`plan`]) says:
/// the model of `input`'s tracks (the stored ones in their order, then the
/// new ones), with `input`'s content key. `progress` is told the stages;
/// `cancel` stops it as [`super::build`] does.
pub fn update(
    old: Model,
    input: Input,
    diff: &Diff,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<(Model, Timings, Change), ModelError> {
    let check = || {
        if cancel.load(Ordering::Relaxed) {
            Err(ModelError::Cancelled)
        } else {
            Ok(())
        }
    };
    let change = diff.change();
    let Model {
        params,
        tracks: old_tracks,
        mut space,
        assignment,
        clusters,
        k_choice,
        map,
        graph: old_graph,
        pagerank: old_rank,
        genres,
        ..
    } = old;
    let keep = &diff.keep;
    let mut timings = Timings::default();
    timings.push("input", 0.0);
    progress(Stage::Normalise);
    let Input {
        key,
        windows,
        tracks: mut new_tracks,
        mut rows,
        embeddings,
        ..
    } = input;
    // Only the new tracks' rows are read: the others (with embeddings
    // 0.75 GB at 100 000 tracks) are freed before the space grows.
    let rows: Vec<Vec<f32>> = diff
        .added
        .iter()
        .map(|&j| std::mem::take(&mut rows[j]))
        .collect();
    let embeddings: Option<Vec<Vec<f32>>> = embeddings.map(|mut e| {
        diff.added
            .iter()
            .map(|&j| std::mem::take(&mut e[j]))
            .collect()
    });
    super::memory::release_freed();
    let (mut tracks, mut map, mut assignment, mut rank) = (
        kept(old_tracks, keep),
        kept(map, keep),
        kept(assignment, keep),
        kept(old_rank, keep),
    );
    let old_n = tracks.len();
    timings.time("space", || -> Result<(), ModelError> {
        space.retain_rows(keep);
        let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let emb: Option<Vec<&[f32]>> = embeddings
            .as_ref()
            .map(|e| e.iter().map(Vec::as_slice).collect());
        space.extend_rows(&rows, emb.as_deref())?;
        Ok(())
    })?;
    drop((rows, embeddings));
    let n = space.len();
    check()?;

    progress(Stage::Graph);
    let sims = |a: usize, bs: &[u32], out: &mut [f32]| space.row_similarities(a, bs, out);
    let graph = timings.time("kNN graph", || {
        let mut g = if change.removed > 0 {
            insertion::remove(old_graph, keep, params.neighbours, sims)
        } else {
            old_graph
        };
        insertion::insert(&mut g, n, &Insert::new(params.neighbours), sims);
        g
    });
    check()?;

    progress(Stage::Map(0, 1));
    let placed = timings.time("t-SNE map", || {
        let z = &space.z;
        // Each new point's nearest old points (Euclidean, as the map's),
        // searched through the old part of the graph from its neighbours.
        let links = Links::of(&graph[..old_n]);
        let near: Vec<Vec<(f64, u32)>> = (old_n..n)
            .into_par_iter()
            .map(|x| {
                let mut starts: Vec<u32> = graph[x]
                    .iter()
                    .map(|e| e.index)
                    .filter(|&j| (j as usize) < old_n)
                    .collect();
                if starts.is_empty() {
                    starts = (0..old_n.min(16) as u32).collect();
                }
                let found = insertion::search(&links, &starts, 2 * PLACE_NEIGHBOURS, |bs, out| {
                    for (o, &b) in out.iter_mut().zip(bs) {
                        *o = -(super::tsne::sq_dist(&z[x], &z[b as usize]) as f32);
                    }
                });
                found
                    .iter()
                    .take(PLACE_NEIGHBOURS)
                    .map(|e: &Neighbour| {
                        (super::tsne::sq_dist(&z[x], &z[e.index as usize]), e.index)
                    })
                    .collect()
            })
            .collect();
        place(&map, &near, &Place::default())
    });
    map.extend(placed);
    progress(Stage::Map(1, 1));
    check()?;

    let centroids: Vec<Vec<f32>> = clusters.into_iter().map(|c| c.centroid).collect();
    assignment.extend(
        space.z[old_n..]
            .iter()
            .map(|z| kmeans::nearest_centroid(&centroids, z) as u32),
    );
    rank.resize(n, 1.0 / n as f64);
    let pagerank = timings.time("PageRank", || graph::pagerank_from(&graph, rank).0);
    let added: Vec<Track> = diff
        .added
        .iter()
        .map(|&j| std::mem::replace(&mut new_tracks[j], empty_track()))
        .collect();
    tracks.extend(added);
    let clusters = timings.time("clusters", || {
        let labels: Vec<Option<&str>> = tracks.iter().map(|t| t.label.as_deref()).collect();
        super::clusters_of(
            &assignment,
            centroids,
            &pagerank,
            &labels,
            params.representatives,
        )
    });
    Ok((
        Model {
            key,
            params,
            feature_names: space.names.clone(),
            windows,
            tracks,
            space,
            assignment,
            clusters,
            k_choice,
            map,
            graph,
            pagerank,
            genres,
        },
        timings,
        change,
    ))
}

/// The items of `v` whose `keep` is true.
fn kept<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    v.into_iter()
        .zip(keep)
        .filter(|p| *p.1)
        .map(|p| p.0)
        .collect()
}

/// A placeholder left where a track was moved out of the input.
fn empty_track() -> Track {
    Track {
        path: Vec::new(),
        size: 0,
        mtime_ns: 0,
        label: None,
        duration_s: 0.0,
        tags: Vec::new(),
        meta: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Windows;
    use crate::similarity::Profile;

    /// `n` tracks in five labelled clusters of 10-value fingerprints.
    fn input(n: usize, seed: u64) -> Input {
        let mut r = crate::eval::SplitMix64::new(seed);
        let mut u = move || (r.next_u64() >> 11) as f32 / (1u64 << 53) as f32 - 0.5;
        let mut tracks = Vec::new();
        let mut rows = Vec::new();
        for i in 0..n {
            let g = i % 5;
            tracks.push(Track {
                path: format!("g{g}/t{i:05}.wav").into_bytes(),
                size: 1000 + i as u64,
                mtime_ns: 7,
                label: Some(format!("g{g}")),
                duration_s: 1.0,
                tags: Vec::new(),
                meta: Default::default(),
            });
            rows.push(
                (0..10)
                    .map(|d| if d % 5 == g { 4.0 } else { 0.0 } + 2.0 * u())
                    .collect(),
            );
        }
        Input {
            key: n as u64,
            names: (0..10).map(|d| format!("f{d}")).collect(),
            windows: Windows::default(),
            tracks,
            rows,
            embeddings: None,
        }
    }

    fn params() -> ModelParams {
        ModelParams {
            similarity: Profile::Seed,
            tsne_iterations: 500,
            ..ModelParams::default()
        }
    }

    fn build(input: Input) -> Model {
        super::super::build(input, &params(), &|_| {}, &AtomicBool::new(false)).unwrap()
    }

    /// `input` without the tracks `drop` says.
    fn without(input: &Input, drop: impl Fn(usize) -> bool) -> Input {
        let keep: Vec<usize> = (0..input.tracks.len()).filter(|&i| !drop(i)).collect();
        Input {
            key: 1,
            tracks: keep.iter().map(|&i| input.tracks[i].clone()).collect(),
            rows: keep.iter().map(|&i| input.rows[i].clone()).collect(),
            ..input.clone()
        }
    }

    #[test]
    fn placed_points_land_near_their_neighbours() {
        // Two clumps 40 units apart; new points whose neighbours are in one.
        let reference: Vec<[f32; 2]> = (0..400)
            .map(|i| {
                let t = i as f32 * 0.61;
                let c = if i % 2 == 0 { -20.0 } else { 20.0 };
                [c + 3.0 * t.cos() * (i % 7) as f32 / 7.0, 3.0 * t.sin()]
            })
            .collect();
        let near: Vec<Vec<(f64, u32)>> = (0..10u32)
            .map(|q| {
                (0..15)
                    .map(|t| (1.0 + t as f64 * 0.1, 2 * (q + 7 * t) + q % 2))
                    .collect()
            })
            .collect();
        let placed = place(&reference, &near, &Place::default());
        for (q, p) in placed.iter().enumerate() {
            let c = if q % 2 == 0 { -20.0 } else { 20.0 };
            assert!((p[0] - c).abs() < 6.0 && p[1].abs() < 6.0, "{q}: {p:?}");
        }
        assert_eq!(placed, place(&reference, &near, &Place::default()));
    }

    #[test]
    fn diff_finds_added_removed_and_changed_tracks() {
        let a = input(20, 1).tracks;
        let mut b: Vec<Track> = a[2..].to_vec();
        b[0].mtime_ns += 1;
        b.push(input(25, 2).tracks[24].clone());
        let d = diff(&a, &b);
        assert_eq!(d.added, vec![0, 18]);
        assert_eq!(d.keep.iter().filter(|k| !**k).count(), 3);
        assert!(!d.keep[0] && !d.keep[1] && !d.keep[2] && d.keep[3]);
        assert_eq!(
            d.change(),
            Change {
                added: 2,
                removed: 3
            }
        );
    }

    #[test]
    fn a_track_read_back_from_the_model_file_is_unchanged() {
        // The model file keeps deep tag scores at half precision.
        let mut fresh = input(3, 5).tracks;
        fresh[0].tags = vec![0.123_456_7, 0.987_654_3];
        fresh[1].tags = vec![0.5; 2];
        let mut stored = fresh.clone();
        for v in stored.iter_mut().flat_map(|t| t.tags.iter_mut()) {
            *v = half::f16::from_f32(*v).to_f32();
        }
        assert_ne!(stored[0].tags, fresh[0].tags);
        assert_eq!(diff(&stored, &fresh).change(), Change::default());
        // Other scores (say, from another deep model) are a change.
        let mut other = fresh.clone();
        other[0].tags[1] = 0.9;
        let d = diff(&stored, &other);
        assert_eq!(d.added, vec![0]);
        assert_eq!(d.change().removed, 1);
    }

    #[test]
    fn an_update_matches_a_rebuild() {
        let all = input(1500, 9);
        // 15 tracks (1 %) new, 5 gone.
        let before = without(&all, |i| i % 100 == 37);
        let after = without(&all, |i| i % 300 == 11);
        let old = build(before);
        let d = plan(&old, &after, &params()).unwrap();
        assert_eq!(
            d.change(),
            Change {
                added: 15,
                removed: 5
            }
        );
        let key = after.key;
        let (model, timings, change) = update(
            old.clone(),
            after.clone(),
            &d,
            &|_| {},
            &AtomicBool::new(false),
        )
        .unwrap();
        assert_eq!(change, d.change());
        assert!(timings.0.iter().any(|p| p.name == "kNN graph"));
        let n = after.tracks.len();
        assert_eq!(model.key, key);
        assert_eq!((model.len(), model.map.len(), model.graph.len()), (n, n, n));
        assert_eq!(model.assignment.len(), n);
        assert!((model.pagerank.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let members: usize = model.clusters.iter().map(|c| c.members.len()).sum();
        assert_eq!(members, n);
        // The same tracks as the input, the stored ones first.
        let mut paths: Vec<&[u8]> = model.tracks.iter().map(|t| t.path.as_slice()).collect();
        let mut want: Vec<&[u8]> = after.tracks.iter().map(|t| t.path.as_slice()).collect();
        paths.sort();
        want.sort();
        assert_eq!(paths, want);
        assert_eq!(model.tracks[0], old.tracks[0]);
        // Old points keep their places; new ones join their genre's cluster
        // and land among its tracks.
        let rebuilt = build(without(&model_input(&model, &after), |_| false));
        let exact = model.space.knn_graph(10);
        let (mut hit, mut total) = (0, 0);
        for (g, w) in model.graph.iter().zip(&exact) {
            hit += w
                .iter()
                .filter(|e| g.iter().any(|f| f.index == e.index))
                .count();
            total += w.len();
        }
        let recall = hit as f64 / total as f64;
        assert!(recall >= 0.98, "recall {recall}");
        let t_update = crate::eval::trustworthiness(&model.space.z, &model.map, 10);
        let t_full = crate::eval::trustworthiness(&rebuilt.space.z, &rebuilt.map, 10);
        assert!(
            t_update >= t_full - 0.01,
            "update {t_update}, rebuild {t_full}"
        );
        for i in (n - 15)..n {
            let genre = model.tracks[i].label.as_deref();
            let c = &model.clusters[model.assignment[i] as usize];
            assert_eq!(c.archetype.majority().map(|m| m.0), genre, "track {i}");
        }
    }

    /// The input of `model`'s tracks in its order (to rebuild the same).
    fn model_input(model: &Model, like: &Input) -> Input {
        let at: HashMap<&[u8], usize> = like
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.path.as_slice(), i))
            .collect();
        let order: Vec<usize> = model.tracks.iter().map(|t| at[t.path.as_slice()]).collect();
        Input {
            tracks: order.iter().map(|&i| like.tracks[i].clone()).collect(),
            rows: order.iter().map(|&i| like.rows[i].clone()).collect(),
            ..like.clone()
        }
    }

    #[test]
    fn large_or_other_changes_are_rebuilt() {
        let all = input(200, 4);
        let old = build(without(&all, |i| i >= 190));
        // 10 of 190 added: over 5 %.
        assert!(matches!(
            plan(&old, &all, &params()),
            Err(Rebuild::TooMany {
                change: Change {
                    added: 10,
                    removed: 0
                },
                of: 190
            })
        ));
        let fewer = without(&all, |i| i >= 195);
        assert!(plan(&old, &fewer, &params()).is_ok());
        let other = ModelParams {
            neighbours: 5,
            ..params()
        };
        assert_eq!(plan(&old, &fewer, &other), Err(Rebuild::Settings));
        let mut relabelled = fewer.clone();
        relabelled.tracks[0].label = Some("new genre".into());
        assert_eq!(plan(&old, &relabelled, &params()), Err(Rebuild::Genres));
        assert!(Rebuild::TooMany {
            change: Change {
                added: 10,
                removed: 0
            },
            of: 190
        }
        .to_string()
        .contains("10 tracks added and 0 removed of 190"));
    }
}
