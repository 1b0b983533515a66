//! The model of a library: z-scored fingerprints, K-Means clusters with
//! their archetypes, a t-SNE map, the kNN similarity graph with PageRank
//! and each cluster's representatives. Built from fingerprints by [`build`]
//! (progress and cancel for worker threads), immutable once built (share
//! it in an `Arc`). Which index a model belongs to, and its file beside
//! the index, are [`crate::app::model_file`]'s business.

pub mod archetype;
pub mod describe;
pub mod graph;
pub mod groups;
pub mod incremental;
pub mod interpolation;
pub mod kmeans;
pub mod memory;
pub mod phases;
pub mod tsne;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::analysis::Windows;
use crate::similarity::{Profile, Space, SpaceError};
use crate::tags::Tags;
use archetype::Archetype;
use graph::Neighbour;
pub use phases::Timings;
use tsne::TsneParams;

/// Settings a model is built with (part of its identity: changing one
/// rebuilds it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelParams {
    /// Number of clusters; `None` = number of genres in a labelled
    /// library, else chosen by silhouette.
    pub k: Option<usize>,
    /// Seed of K-Means (the map is deterministic without one).
    pub seed: u64,
    /// Neighbours per track in the similarity graph.
    pub neighbours: usize,
    /// Representatives kept per cluster.
    pub representatives: usize,
    /// t-SNE perplexity.
    pub perplexity: f64,
    /// t-SNE iterations.
    pub tsne_iterations: usize,
    /// Similarity profile.
    pub similarity: Profile,
    /// Libraries with fewer tracks get exact neighbour lists (the graph
    /// and the map's), all pairs compared; larger ones NN-descent's, and
    /// the map FFT-accelerated repulsion.
    pub exact_below: usize,
    /// K-Means is fitted on at most this many tracks (a seeded sample),
    /// then every track joins its nearest centroid.
    pub cluster_sample: usize,
    /// Tracks the silhouette of a candidate k is estimated on.
    pub silhouette_sample: usize,
    /// Tracks each track's distance statistics are measured against for
    /// mutual proximity (`musim`, `fused`).
    pub proximity_sample: usize,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            k: None,
            seed: 42,
            neighbours: 10,
            representatives: 3,
            perplexity: 30.0,
            tsne_iterations: 1000,
            similarity: Profile::default(),
            exact_below: 5000,
            cluster_sample: 20_000,
            silhouette_sample: 2000,
            proximity_sample: crate::similarity::proximity::SAMPLE,
        }
    }
}

/// Range of k tried by silhouette for an unlabelled library.
pub const K_RANGE: (usize, usize) = (2, 12);

/// How the number of clusters was decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum KChoice {
    /// `--k`.
    Given,
    /// One cluster per genre of a labelled library.
    Genres,
    /// Best silhouette; every (k, silhouette) tried.
    Silhouette(Vec<(usize, f64)>),
    /// Too few distinct tracks to choose.
    Trivial,
}

/// One track of the model (an analysed entry of the index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Path, raw OS bytes.
    pub path: Vec<u8>,
    /// Size when analysed (to recognise the file unchanged).
    pub size: u64,
    /// Modification time when analysed, ns.
    pub mtime_ns: i64,
    /// Genre label.
    pub label: Option<String>,
    /// Duration, seconds.
    pub duration_s: f64,
    /// The deep model's 50 tag scores when the track has an embedding.
    pub tags: Vec<f32>,
    /// The file's tags (title, artist, album, year, genres), empty when
    /// it has none.
    pub meta: Tags,
}

crate::store::stamp::stamped!(Track);

impl Track {
    /// Path for display on a terminal (controls escaped: see
    /// [`crate::store::paths::show`]).
    pub fn show_path(&self) -> String {
        crate::store::paths::show_bytes(&self.path)
    }

    /// Path as text data (JSON, playlists, the report's files): see
    /// [`crate::store::paths::lossy`].
    pub fn path_text(&self) -> String {
        crate::store::paths::lossy_bytes(&self.path)
    }

    /// The track's name as data: "Artist — Title", the title alone, else
    /// the file stem ([`Tags::name`]).
    pub fn name(&self) -> String {
        self.meta.name(&self.path)
    }

    /// [`Track::name`] made safe for a terminal (controls escaped).
    pub fn show_name(&self) -> String {
        self.meta.show_name(&self.path)
    }

    /// The track's name and main tags for outputs ([`Tags::info`]).
    pub fn info(&self) -> crate::tags::TrackInfo {
        self.meta.info(&self.path)
    }

    /// The artist neighbours are filtered by (track artist, else album
    /// artist), as data.
    pub fn artist(&self) -> Option<&str> {
        self.meta.main_artist()
    }
}

/// Revision of what [`build`] computes from the same input, part of the
/// model's content key: bumped when the values change (2: representatives
/// cover the genres a cluster is named by), so stored models are rebuilt.
pub const BUILD_REVISION: u32 = 2;

/// One K-Means cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Centroid in z-score space.
    pub centroid: Vec<f32>,
    /// Its genre mix.
    pub archetype: Archetype,
    /// Members: the representatives (the top-ranked track of each genre
    /// the cluster is named by, then the best-ranked of the rest), then the
    /// rest by decreasing PageRank.
    pub members: Vec<u32>,
    /// How many of `members` are representatives.
    pub representatives: usize,
}

impl Cluster {
    /// The representative tracks (see [`Cluster::members`]).
    pub fn representatives(&self) -> &[u32] {
        &self.members[..self.representatives.min(self.members.len())]
    }
}

/// A built model. Rows of every per-track vector follow `tracks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Identity of the index content and parameters it was built from.
    pub key: u64,
    /// Parameters used.
    pub params: ModelParams,
    /// Names of the dimensions of the vectors in `space.z`.
    pub feature_names: Vec<String>,
    /// What parts of long tracks the index analysed (queries do the same).
    pub windows: Windows,
    /// The tracks.
    pub tracks: Vec<Track>,
    /// The tracks in the similarity profile's terms.
    pub space: Space,
    /// Cluster of each track.
    pub assignment: Vec<u32>,
    /// The clusters.
    pub clusters: Vec<Cluster>,
    /// How k was chosen.
    pub k_choice: KChoice,
    /// t-SNE map position of each track.
    pub map: Vec<[f32; 2]>,
    /// Each track's nearest neighbours.
    pub graph: Vec<Vec<Neighbour>>,
    /// PageRank of each track in the graph.
    pub pagerank: Vec<f64>,
    /// Genres present, sorted.
    pub genres: Vec<String>,
}

/// Where a model build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Z-scoring.
    Normalise,
    /// K-Means (including the choice of k).
    Cluster,
    /// kNN graph and PageRank.
    Graph,
    /// t-SNE: iterations done of total.
    Map(usize, usize),
}

/// Why a model could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// No analysed track.
    #[error("the library has no analysed tracks; index a library first (`musim-tui index --library DIR`)")]
    Empty,
    /// Stopped on request.
    #[error("model building was cancelled")]
    Cancelled,
    /// The index does not hold what the similarity profile needs.
    #[error(transparent)]
    Space(#[from] SpaceError),
}

/// What a model is built from: each track's identity and fingerprint,
/// and for the deep profiles its embedding. Made from an index by
/// [`crate::app::model_file::input`].
#[derive(Debug, Clone)]
pub struct Input {
    /// The identity of this content with the build's parameters (stored
    /// in the model, to tell whether it is still current).
    pub key: u64,
    /// Names of the fingerprint's values.
    pub names: Vec<String>,
    /// Which parts of long tracks were analysed.
    pub windows: Windows,
    /// The tracks.
    pub tracks: Vec<Track>,
    /// Each track's fingerprint (`names.len()` values).
    pub rows: Vec<Vec<f32>>,
    /// Each track's deep embedding (the profiles that need one).
    pub embeddings: Option<Vec<Vec<f32>>>,
}

/// Build the model of `input`. `progress` is told the stage; `cancel`
/// stops the build at the next checkpoint with [`ModelError::Cancelled`].
/// The fingerprints and embeddings are freed once the space holds what it
/// needs of them (at 100 000 tracks with embeddings: 0.75 GB).
pub fn build(
    input: Input,
    params: &ModelParams,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Model, ModelError> {
    build_timed(input, params, progress, cancel).map(|(m, _)| m)
}

/// [`build`], with the time each phase took.
pub fn build_timed(
    input: Input,
    params: &ModelParams,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<(Model, Timings), ModelError> {
    let check = || {
        if cancel.load(Ordering::Relaxed) {
            Err(ModelError::Cancelled)
        } else {
            Ok(())
        }
    };
    let Input {
        key,
        names,
        windows,
        tracks,
        rows,
        embeddings,
    } = input;
    if tracks.is_empty() {
        return Err(ModelError::Empty);
    }
    let mut timings = Timings::default();
    // What was resident before the build (the index, the input).
    timings.push("input", 0.0);
    progress(Stage::Normalise);
    let space = timings.time("space", || {
        let rows: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let embeddings: Option<Vec<&[f32]>> = embeddings
            .as_ref()
            .map(|e| e.iter().map(Vec::as_slice).collect());
        Space::build_sampled(
            params.similarity,
            &names,
            &rows,
            embeddings.as_deref(),
            params.proximity_sample,
        )
    })?;
    drop((rows, embeddings));
    // Freed on this thread, they would stay resident beside what the
    // worker threads allocate next (see [`memory`]).
    memory::release_freed();
    let z = &space.z;
    check()?;

    progress(Stage::Cluster);
    let labels: Vec<Option<&str>> = tracks.iter().map(|t| t.label.as_deref()).collect();
    let genres: Vec<String> = {
        let s: std::collections::BTreeSet<&str> = labels.iter().flatten().copied().collect();
        s.into_iter().map(str::to_string).collect()
    };
    let (clusters, k_choice) =
        timings.time("K-Means", || cluster(z, params, genres.len(), &check))?;
    check()?;

    progress(Stage::Graph);
    let knn = timings.time("kNN graph", || {
        space.knn_graph_scaled(params.neighbours, params.exact_below)
    });
    let pagerank = timings.time("PageRank", || graph::pagerank(&knn));
    check()?;

    let tsne_params = TsneParams {
        perplexity: params.perplexity,
        iterations: params.tsne_iterations,
        exaggeration_iterations: params.tsne_iterations / 4,
        fft_from: params.exact_below,
        exact_neighbours_below: params.exact_below,
        ..TsneParams::default()
    };
    let mut map_phases = tsne::Phases::default();
    let map = tsne::tsne_timed(
        z,
        &tsne_params,
        &mut |done, total| {
            progress(Stage::Map(done, total));
            !cancel.load(Ordering::Relaxed)
        },
        &mut map_phases,
    )
    .ok_or(ModelError::Cancelled)?;
    timings.push("t-SNE neighbours", map_phases.affinities);
    timings.push("t-SNE map", map_phases.optimise);

    let clusters_out = clusters_of(
        &clusters.assignment,
        clusters.centroids,
        &pagerank,
        &labels,
        params.representatives,
    );
    Ok((
        Model {
            key,
            params: *params,
            feature_names: space.names.clone(),
            windows,
            tracks,
            space,
            assignment: clusters.assignment,
            clusters: clusters_out,
            k_choice,
            map,
            graph: knn,
            pagerank,
            genres,
        },
        timings,
    ))
}

/// The clusters of `assignment` around `centroids`: members by
/// decreasing PageRank, representatives first, genre mix from `labels`.
fn clusters_of(
    assignment: &[u32],
    centroids: Vec<Vec<f32>>,
    pagerank: &[f64],
    labels: &[Option<&str>],
    representatives: usize,
) -> Vec<Cluster> {
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); centroids.len()];
    for (i, &c) in assignment.iter().enumerate() {
        if let Some(m) = members.get_mut(c as usize) {
            m.push(i as u32);
        }
    }
    members
        .into_iter()
        .zip(centroids)
        .map(|(mut m, centroid)| {
            m.sort_by(|&a, &b| {
                pagerank[b as usize]
                    .total_cmp(&pagerank[a as usize])
                    .then(a.cmp(&b))
            });
            let archetype = Archetype::of(m.iter().map(|&i| labels[i as usize]));
            let places = representatives.min(m.len());
            archetype::representatives_first(&mut m, &archetype, |i| labels[i as usize], places);
            Cluster {
                archetype,
                representatives: places,
                members: m,
                centroid,
            }
        })
        .collect()
}

/// K-Means with k from `--k`, the genre count, or the best silhouette.
fn cluster(
    z: &[Vec<f32>],
    params: &ModelParams,
    genres: usize,
    check: &dyn Fn() -> Result<(), ModelError>,
) -> Result<(kmeans::Clusters, KChoice), ModelError> {
    let kmeans = |k: usize| kmeans::kmeans_sampled(z, k, params.seed, params.cluster_sample);
    if let Some(k) = params.k {
        return Ok((kmeans(k.max(1)), KChoice::Given));
    }
    if genres >= 2 {
        return Ok((kmeans(genres), KChoice::Genres));
    }
    let (lo, hi) = K_RANGE;
    let hi = hi.min(z.len().saturating_sub(1));
    if hi < lo {
        return Ok((kmeans(1), KChoice::Trivial));
    }
    let mut best: Option<(f64, kmeans::Clusters)> = None;
    let mut scores = Vec::new();
    for k in lo..=hi {
        check()?;
        let c = kmeans(k);
        if c.k() < k {
            // Fewer distinct tracks than k: larger k cannot help either.
            if best.is_none() {
                best = Some((0.0, c));
            }
            break;
        }
        let assignment: Vec<usize> = c.assignment.iter().map(|&a| a as usize).collect();
        let s =
            crate::eval::silhouette(z, &assignment, Some(params.silhouette_sample), params.seed);
        scores.push((k, s));
        if best.as_ref().is_none_or(|(b, _)| s > *b) {
            best = Some((s, c));
        }
    }
    match best {
        Some((_, c)) if !scores.is_empty() => Ok((c, KChoice::Silhouette(scores))),
        Some((_, c)) => Ok((c, KChoice::Trivial)),
        None => Ok((kmeans(1), KChoice::Trivial)),
    }
}

impl Model {
    /// Recompute what is not stored (after loading).
    pub fn restore(mut self) -> Model {
        self.space.restore();
        self
    }

    /// Number of tracks.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// The similarity profile the model compares tracks in: the one asked
    /// for, except `fused` on an index without any deep embedding, which
    /// is built as `musim` (see [`Model::fell_back`]).
    pub fn profile(&self) -> Profile {
        self.space.profile
    }

    /// True when `fused` was asked for but no track had a deep embedding,
    /// so the model is `musim`'s.
    pub fn fell_back(&self) -> bool {
        self.space.profile != self.params.similarity
    }

    /// True when the model has no tracks (never the case for a built model).
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// "k=7 (best of 2…12)" and the like, for logs and benchmarks.
    pub fn k_choice_summary(&self) -> String {
        match &self.k_choice {
            KChoice::Silhouette(s) => format!(
                "k={} (best silhouette of k={}…{})",
                self.clusters.len(),
                s.first().map_or(0, |x| x.0),
                s.last().map_or(0, |x| x.0)
            ),
            KChoice::Given => format!("k={} (given)", self.clusters.len()),
            KChoice::Genres => format!("k={} (one per genre)", self.clusters.len()),
            KChoice::Trivial => format!("k={} (trivial)", self.clusters.len()),
        }
    }

    /// Whether the library has at least one labelled track.
    pub fn is_labelled(&self) -> bool {
        !self.genres.is_empty()
    }
}
