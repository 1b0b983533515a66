//! Reports: for a library's model, the pictures and the numbers behind
//! them, written to a folder (`results/` by default):
//!
//! - `confusion_matrix.png`: true × predicted genre of a leave-one-out
//!   k-NN vote (k = 5, cosine on the z-scored fingerprints);
//! - `tsne_map.png`: the t-SNE map coloured by genre (by cluster in an
//!   unlabelled library), cluster representatives marked and named;
//! - `clusters.png`: cluster × genre counts (cluster sizes and
//!   representatives when the library is unlabelled);
//! - `metrics.json` ([`metrics::Report`]) and `report.md` (the same in
//!   tables, with the PNGs embedded).
//!
//! [`compute`] is a pure function of the model; [`write`] draws and writes
//! the files (each atomically). Every metric comes from [`crate::eval`]
//! with its chance level; one that cannot be computed for this library is
//! `null` with the reason, never a crash.

pub mod compare;
pub mod filtered;
pub mod font;
pub mod learned;
pub mod markdown;
pub mod metrics;
pub mod plot;

use std::path::{Path, PathBuf};

use crate::eval::{self, CHANCE_SHUFFLES};
use crate::model::{KChoice, Model};
use crate::similarity::Space;
use crate::store::atomic::{write_atomic, WriteError};
use crate::store::paths::show;
pub use metrics::Report;
use metrics::{
    Classification, ClusterSummary, Clustering, Counts, GenreScore, MapQuality, Parameters,
    PrecisionAt, Representative, Score,
};

/// File names of the outputs.
pub const CONFUSION_PNG: &str = "confusion_matrix.png";
/// The t-SNE map.
pub const MAP_PNG: &str = "tsne_map.png";
/// The cluster heat map.
pub const CLUSTERS_PNG: &str = "clusters.png";
/// The numbers.
pub const METRICS_JSON: &str = "metrics.json";
/// The readable report.
pub const REPORT_MD: &str = "report.md";

/// Evaluation settings (the model's own are in its `params`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Voters of the leave-one-out k-NN genre vote.
    pub knn_k: usize,
    /// The k of each precision@k.
    pub precision_k: Vec<usize>,
    /// k of the map's trustworthiness.
    pub trustworthiness_k: usize,
    /// Above this many tracks the silhouette is computed on a seeded
    /// sample of this size (it costs n² distances).
    pub silhouette_sample: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            knn_k: 5,
            precision_k: vec![5, 10],
            trustworthiness_k: 10,
            silhouette_sample: 5000,
        }
    }
}

/// What the model does not know about its library.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Library root (text data, for the report files).
    pub library: Option<String>,
    /// Files the index could not analyse (`Index::failed`).
    pub failed: usize,
    /// Similarity profiles compared (`report --compare`), if any.
    pub comparison: Vec<compare::ProfileScores>,
}

impl Context {
    /// The context of an index: its root and failure count.
    pub fn of_index(index: &crate::library::index::Index) -> Context {
        Context {
            library: Some(crate::store::paths::lossy_bytes(&index.header.root)),
            failed: index.failed(),
            comparison: Vec::new(),
        }
    }
}

/// Tracks the permutation chance level of the silhouette is computed on
/// (each shuffle costs m² distances).
const SILHOUETTE_CHANCE_SAMPLE: usize = 500;

/// The genre (index into `model.genres`) of each track, if labelled.
fn genre_ids(model: &Model) -> Vec<Option<usize>> {
    model
        .tracks
        .iter()
        .map(|t| {
            t.label
                .as_deref()
                .and_then(|l| model.genres.iter().position(|g| g == l))
        })
        .collect()
}

/// The file name of a path without its extension.
pub fn stem(path: &str) -> String {
    let p = Path::new(path);
    p.file_stem()
        .or_else(|| p.file_name())
        .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
}

/// Compute the report of `model` (no file is touched).
pub fn compute(model: &Model, ctx: &Context, opts: &Options) -> Report {
    let n = model.len();
    let g = model.genres.len();
    let seed = model.params.seed;
    let ids = genre_ids(model);
    let labelled: Vec<usize> = (0..n).filter(|&i| ids[i].is_some()).collect();
    let truth: Vec<usize> = labelled.iter().filter_map(|&i| ids[i]).collect();
    let nl = labelled.len();
    let mut notes = Vec::new();

    // Why there is nothing to predict, if so.
    let genre_reason = match g {
        0 => Some(
            "the library has no genre labels (tracks are labelled by folder when every \
             file sits in <library>/<genre>/<file>)"
                .to_string(),
        ),
        1 => Some(format!(
            "the library has one genre ({}): there is nothing to tell apart; \
             genre metrics need at least two",
            model.genres[0]
        )),
        _ => None,
    };

    let mut classification = None;
    let mut neighbours = Vec::new();
    let (mut nmi, mut ari, mut purity) = (None, None, None);
    match &genre_reason {
        Some(why) => {
            for &k in &opts.precision_k {
                neighbours.push(PrecisionAt {
                    k,
                    k_used: 0,
                    micro: Score::missing(why.clone()),
                    macro_: Score::missing(why.clone()),
                });
            }
        }
        None => {
            let fill = labelled_distances(&model.space, &labelled);
            let loo = eval::knn_loo_with(nl, &truth, opts.knn_k, &fill);
            let c = eval::Classification::new(&truth, &loo.predictions, g);
            classification = Some(Classification {
                k_used: opts.knn_k.min(nl - 1),
                evaluated: nl,
                accuracy: Score::new(c.accuracy, Some(eval::chance_accuracy(&truth))),
                balanced_accuracy: Score::new(
                    c.balanced_accuracy,
                    Some(eval::chance_balanced_accuracy(g)),
                ),
                macro_f1: Score::new(c.macro_f1, None),
                weighted_f1: Score::new(c.weighted_f1, None),
                per_genre: c
                    .per_class
                    .iter()
                    .zip(&model.genres)
                    .map(|(r, genre)| GenreScore {
                        genre: genre.clone(),
                        precision: r.precision,
                        recall: r.recall,
                        f1: r.f1,
                        support: r.support,
                    })
                    .collect(),
                confusion: c.confusion,
            });
            let chance_micro = eval::chance_precision_at_k(&truth);
            let chance_macro = chance_precision_macro(&truth, g);
            for &k in &opts.precision_k {
                let p = if k == opts.knn_k {
                    loo.precision_at_k
                } else {
                    eval::knn_loo_with(nl, &truth, k, &fill).precision_at_k
                };
                neighbours.push(PrecisionAt {
                    k,
                    k_used: k.min(nl - 1),
                    micro: Score::new(p.micro, Some(chance_micro)),
                    macro_: Score::new(p.macro_, Some(chance_macro)),
                });
            }
            let clusters: Vec<usize> = labelled
                .iter()
                .map(|&i| model.assignment[i] as usize)
                .collect();
            nmi = Some(Score::new(
                eval::nmi(&truth, &clusters),
                Some(eval::chance_nmi(&truth, &clusters, CHANCE_SHUFFLES, seed)),
            ));
            ari = Some(Score::new(
                eval::ari(&truth, &clusters),
                Some(eval::chance_ari(&truth, &clusters, CHANCE_SHUFFLES, seed)),
            ));
            purity = Some(Score::new(
                eval::purity(&truth, &clusters),
                Some(chance_purity(&truth, &clusters, CHANCE_SHUFFLES, seed)),
            ));
        }
    }
    let genre_missing = || Score::missing(genre_reason.clone().unwrap_or_default());
    // The same scores with the neighbours by the query's artist, then its
    // album, left out (only tracks whose artist / album is known count).
    let (artist_filtered, album_filtered) = match &genre_reason {
        Some(why) => (
            filtered::Filtered::missing(why),
            filtered::Filtered::missing(why),
        ),
        None => {
            let artists: Vec<Option<&str>> =
                labelled.iter().map(|&i| model.tracks[i].artist()).collect();
            let albums: Vec<Option<&str>> = labelled
                .iter()
                .map(|&i| model.tracks[i].meta.album.as_deref())
                .collect();
            (
                filtered::score(&model.space, &labelled, &truth, &artists, "artist"),
                filtered::score(&model.space, &labelled, &truth, &albums, "album"),
            )
        }
    };

    let learned_metric = match &genre_reason {
        Some(why) => Err(why.clone()),
        None => learned::score(model),
    };

    let assignment: Vec<usize> = model.assignment.iter().map(|&c| c as usize).collect();
    let distinct_clusters = {
        let mut a = assignment.clone();
        a.sort_unstable();
        a.dedup();
        a.len()
    };
    let silhouette = if n < 2 {
        Score::missing("needs at least two tracks")
    } else if distinct_clusters < 2 {
        Score::missing("there is one cluster; the silhouette compares at least two")
    } else {
        let sample = (n > opts.silhouette_sample).then_some(opts.silhouette_sample);
        Score::new(
            eval::silhouette(&model.space.z, &assignment, sample, seed),
            Some(chance_silhouette(&model.space.z, &assignment, seed)),
        )
    };

    let k_trust = opts.trustworthiness_k.min(n.saturating_sub(1) / 2);
    let trustworthiness = if n < 3 || k_trust == 0 {
        Score::missing("needs at least three tracks")
    } else {
        Score::new(
            eval::trustworthiness(&model.space.z, &model.map, opts.trustworthiness_k),
            Some(chance_trustworthiness(n, k_trust)),
        )
    };

    if let Some(why) = &genre_reason {
        notes.push(format!(
            "No confusion matrix: {why}. The map is coloured by {}.",
            if g == 0 { "cluster" } else { "genre" }
        ));
    }
    if g >= 1 && nl < n {
        notes.push(format!(
            "{} of {n} analysed tracks have no genre label: they are left out of the \
             genre metrics and shown grey on the map.",
            n - nl
        ));
    }
    if n == 1 {
        notes.push(
            "The library has one analysed track: the report shows the map and the counts; \
             every metric that compares tracks needs at least two."
                .to_string(),
        );
    }
    if ctx.failed > 0 {
        notes.push(format!(
            "{} file{} could not be analysed and {} not in the report \
             (`musim-tui index` lists why).",
            ctx.failed,
            if ctx.failed == 1 { "" } else { "s" },
            if ctx.failed == 1 { "is" } else { "are" },
        ));
    }

    let (k_choice, k_silhouettes) = match &model.k_choice {
        KChoice::Given => ("given (--k)".to_string(), Vec::new()),
        KChoice::Genres => ("one per genre".to_string(), Vec::new()),
        KChoice::Silhouette(s) => (
            format!(
                "best silhouette over k = {}…{}",
                s.first().map_or(0, |x| x.0),
                s.last().map_or(0, |x| x.0)
            ),
            s.clone(),
        ),
        KChoice::Trivial => ("too few distinct tracks to choose".to_string(), Vec::new()),
    };
    let p = &model.params;
    let parameters = Parameters {
        k: model.clusters.len(),
        k_choice,
        k_silhouettes,
        seed,
        graph_neighbours: p.neighbours,
        representatives: p.representatives,
        perplexity: p.perplexity,
        perplexity_used: if n < 2 {
            0.0
        } else {
            p.perplexity.min((n - 1) as f64 / 3.0).max(1.0)
        },
        tsne_iterations: p.tsne_iterations,
        distance: match model.profile() {
            crate::similarity::Profile::Seed => "seed: cosine on z-scored fingerprints".to_string(),
            crate::similarity::Profile::Musim => {
                "musim: 1 − mutual-proximity fusion of L1 on z-scored descriptors and timbre KL"
                    .to_string()
            }
            crate::similarity::Profile::Deep => {
                "deep: cosine on z-scored musicnn embeddings".to_string()
            }
            crate::similarity::Profile::Fused => format!(
                "fused: 1 − mutual-proximity fusion of musim ({:.0} %) and the musicnn embedding's cosine distance ({:.0} %)",
                100.0 * (1.0 - crate::similarity::FUSED_DEEP_WEIGHT),
                100.0 * crate::similarity::FUSED_DEEP_WEIGHT
            ),
        },
        knn_k: opts.knn_k,
        precision_k: opts.precision_k.clone(),
        trustworthiness_k: opts.trustworthiness_k,
        silhouette_distance: "euclidean on the profile's z-scored vectors".to_string(),
        silhouette_sample: opts.silhouette_sample,
        chance_shuffles: CHANCE_SHUFFLES,
    };

    Report {
        schema_version: metrics::SCHEMA_VERSION,
        musim_version: env!("CARGO_PKG_VERSION").to_string(),
        library: ctx.library.clone(),
        tracks: Counts {
            analysed: n,
            failed: ctx.failed,
            labelled: nl,
            unlabelled: n - nl,
            genres: g,
            clusters: model.clusters.len(),
        },
        parameters,
        genres: model.genres.clone(),
        classification_reason: classification.is_none().then(|| {
            genre_reason
                .clone()
                .unwrap_or_else(|| "nothing to predict".to_string())
        }),
        classification,
        neighbours,
        artist_filtered: Some(artist_filtered),
        album_filtered: Some(album_filtered),
        learned_metric_reason: learned_metric.as_ref().err().cloned(),
        learned_metric: learned_metric.ok(),
        comparison: ctx.comparison.clone(),
        clustering: Clustering {
            nmi: nmi.unwrap_or_else(genre_missing),
            ari: ari.unwrap_or_else(genre_missing),
            purity: purity.unwrap_or_else(genre_missing),
            silhouette,
        },
        map: MapQuality {
            k_used: k_trust,
            trustworthiness,
        },
        clusters: cluster_summaries(model),
        notes,
        plots: Vec::new(),
    }
}

fn cluster_summaries(model: &Model) -> Vec<ClusterSummary> {
    model
        .clusters
        .iter()
        .enumerate()
        .map(|(id, c)| {
            let a = &c.archetype;
            ClusterSummary {
                id,
                size: a.size,
                majority: a.majority().map(|m| m.0.to_string()),
                majority_share: a.majority().map(|m| m.1),
                counts: a.counts.clone(),
                unlabelled: a.unlabelled,
                representatives: c
                    .representatives()
                    .iter()
                    .map(|&t| {
                        let t = t as usize;
                        let path = model.tracks[t].path_text();
                        Representative {
                            track: t,
                            name: model.tracks[t].name(),
                            path,
                            label: model.tracks[t].label.clone(),
                            pagerank: model.pagerank.get(t).copied().unwrap_or(0.0),
                        }
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Chance level of macro precision@k: a query of genre c whose neighbours
/// are random other tracks finds (n_c − 1) / (n − 1) of its genre; the
/// mean over genres present.
fn chance_precision_macro(truth: &[usize], g: usize) -> f64 {
    let n = truth.len();
    if n < 2 {
        return 0.0;
    }
    let mut counts = vec![0usize; g];
    for &t in truth {
        if let Some(c) = counts.get_mut(t) {
            *c += 1;
        }
    }
    let present: Vec<f64> = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| (c - 1) as f64 / (n - 1) as f64)
        .collect();
    present.iter().sum::<f64>() / present.len().max(1) as f64
}

/// Chance level of purity: its mean over `shuffles` seeded permutations of
/// the cluster ids (as `eval::chance_nmi` does for NMI).
fn chance_purity(truth: &[usize], clusters: &[usize], shuffles: usize, seed: u64) -> f64 {
    if shuffles == 0 {
        return 0.0;
    }
    let mut rng = eval::SplitMix64::new(seed);
    let mut sum = 0.0;
    for _ in 0..shuffles {
        let mut c = clusters.to_vec();
        rng.shuffle(&mut c);
        sum += eval::purity(truth, &c);
    }
    sum / shuffles as f64
}

/// Chance level of the silhouette: its mean over [`CHANCE_SHUFFLES`]
/// permutations of the cluster ids (same sizes, no structure), on a seeded
/// sample of at most [`SILHOUETTE_CHANCE_SAMPLE`] tracks.
fn chance_silhouette(z: &[Vec<f32>], assignment: &[usize], seed: u64) -> f64 {
    let n = z.len().min(assignment.len());
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = eval::SplitMix64::new(seed);
    if n > SILHOUETTE_CHANCE_SAMPLE {
        rng.shuffle(&mut idx);
        idx.truncate(SILHOUETTE_CHANCE_SAMPLE);
    }
    let rows: Vec<Vec<f32>> = idx.iter().map(|&i| z[i].clone()).collect();
    let base: Vec<usize> = idx.iter().map(|&i| assignment[i]).collect();
    let mut sum = 0.0;
    for _ in 0..CHANCE_SHUFFLES {
        let mut c = base.clone();
        rng.shuffle(&mut c);
        sum += eval::silhouette(&rows, &c, None, 0);
    }
    sum / CHANCE_SHUFFLES as f64
}

/// Expected trustworthiness@k of a random map of n points: each point's k
/// map neighbours are a uniformly random k-subset of the others, whose
/// original ranks r are uniform on 1..n−1, so E[Σ (r − k)⁺] per point is
/// k (n − 1 − k)(n − k) / (2 (n − 1)) and
/// T = 1 − (n − 1 − k)(n − k) / ((n − 1)(2n − 3k − 1)) (→ 0.5 for large n).
pub fn chance_trustworthiness(n: usize, k: usize) -> f64 {
    if n < 3 || k == 0 {
        return 1.0;
    }
    let (n, k) = (n as f64, k as f64);
    1.0 - (n - 1.0 - k) * (n - k) / ((n - 1.0) * (2.0 * n - 3.0 * k - 1.0))
}

/// Why a report could not be written (messages name the file or folder).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The output folder cannot be created.
    #[error("cannot create the report folder {}: {source}", show(.dir))]
    Dir {
        /// The folder.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A plot could not be drawn.
    #[error("cannot draw {}: {reason}", show(.path))]
    Plot {
        /// The file it was meant for.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// What [`write`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// The output folder.
    pub dir: PathBuf,
    /// Every file written, in order, with the PNGs' sizes.
    pub files: Vec<(PathBuf, Option<(u32, u32)>)>,
    /// The report (as in `metrics.json`).
    pub report: Report,
}

/// Compute the report of `model` and write it to `dir` (created if
/// missing): the PNGs, then `metrics.json`, then `report.md`, each
/// atomically. A confusion matrix is written only when the library has two
/// or more genres; an older one in `dir` is left alone (the report says
/// why there is none).
pub fn write(
    model: &Model,
    ctx: &Context,
    opts: &Options,
    dir: &Path,
) -> Result<Written, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Dir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut report = compute(model, ctx, opts);
    let mut pngs: Vec<(&str, plot::Png)> = Vec::new();
    let plot_err = |name: &str| {
        let path = dir.join(name);
        move |e: plot::PlotError| ReportError::Plot { path, reason: e.0 }
    };
    let (confusion, (map, clusters)) = rayon::join(
        || {
            report
                .classification
                .as_ref()
                .map(|c| plot::confusion::draw(&report, c))
        },
        || {
            rayon::join(
                || plot::map::draw(model, &report),
                || plot::clusters::draw(&report),
            )
        },
    );
    if let Some(c) = confusion {
        pngs.push((CONFUSION_PNG, c.map_err(plot_err(CONFUSION_PNG))?));
    }
    pngs.push((MAP_PNG, map.map_err(plot_err(MAP_PNG))?));
    pngs.push((CLUSTERS_PNG, clusters.map_err(plot_err(CLUSTERS_PNG))?));
    report.plots = pngs.iter().map(|(name, _)| name.to_string()).collect();

    let mut files = Vec::new();
    for (name, png) in &pngs {
        let path = dir.join(name);
        write_atomic(&path, |w| w.write_all(&png.bytes))?;
        files.push((path, Some((png.width, png.height))));
    }
    let path = dir.join(METRICS_JSON);
    let json = metrics::to_json(&report);
    write_atomic(&path, |w| w.write_all(&json))?;
    files.push((path, None));
    let path = dir.join(REPORT_MD);
    let md = markdown::render(&report);
    write_atomic(&path, |w| w.write_all(md.as_bytes()))?;
    files.push((path, None));
    Ok(Written {
        dir: dir.to_path_buf(),
        files,
        report,
    })
}

/// A few lines for the terminal: where the report went and its headline
/// numbers.
pub fn summary(w: &Written) -> String {
    use plot::style::fixed;
    use std::fmt::Write as _;
    let r = &w.report;
    let mut o = String::new();
    let names: Vec<String> = w
        .files
        .iter()
        .map(|(p, size)| {
            let name = p
                .file_name()
                .map_or_else(|| show(p), |n| n.to_string_lossy().into_owned());
            match size {
                Some((w, h)) => format!("{name} ({w}×{h})"),
                None => name,
            }
        })
        .collect();
    let _ = writeln!(
        o,
        "report written to {}: {}",
        show(&w.dir),
        names.join(", ")
    );
    let t = &r.tracks;
    let _ = writeln!(
        o,
        "  {} tracks analysed, {} failed · {} genres · {} clusters",
        t.analysed, t.failed, t.genres, t.clusters
    );
    let s = |x: &Score, pct: bool| match (x.value, x.chance) {
        (Some(v), Some(c)) if pct => format!("{:.1}% (chance {:.1}%)", 100.0 * v, 100.0 * c),
        (Some(v), Some(c)) => format!("{} (chance {})", fixed(v, 3), fixed(c, 3)),
        (Some(v), None) => fixed(v, 3),
        _ => format!("n/a: {}", x.reason.as_deref().unwrap_or("not computed")),
    };
    if let Some(c) = &r.classification {
        let _ = writeln!(
            o,
            "  {}-NN genre accuracy {}, balanced {}",
            r.parameters.knn_k,
            s(&c.accuracy, true),
            s(&c.balanced_accuracy, true)
        );
    }
    for p in &r.neighbours {
        if p.micro.value.is_some() {
            let _ = writeln!(o, "  precision@{} {}", p.k, s(&p.micro, false));
        }
    }
    let c = &r.clustering;
    if c.nmi.value.is_some() {
        let _ = writeln!(
            o,
            "  clusters vs genres: NMI {}, ARI {}, purity {}",
            s(&c.nmi, false),
            s(&c.ari, false),
            s(&c.purity, false)
        );
    }
    let _ = writeln!(o, "  silhouette {}", s(&c.silhouette, false));
    let _ = writeln!(
        o,
        "  map trustworthiness@{} {}",
        if r.map.k_used > 0 {
            r.map.k_used
        } else {
            r.parameters.trustworthiness_k
        },
        s(&r.map.trustworthiness, false)
    );
    for n in &r.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    o
}

/// Leave-one-out distances among the `labelled` rows of a space, in the
/// space's own similarity (1 − similarity), indexed within `labelled`.
pub fn labelled_distances<'a>(
    space: &'a Space,
    labelled: &'a [usize],
) -> impl Fn(usize, &mut Vec<(f64, usize)>) + Sync + 'a {
    move |i, out| {
        let p = space.row_point(labelled[i]);
        out.clear();
        out.extend(
            labelled
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, &row)| (1.0 - f64::from(space.similarity(&p, row)), j)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_trustworthiness_matches_a_brute_force_average() {
        // Exact expectation by enumerating every k-subset of ranks for a
        // small n: each point's penalty is Σ (r − k)⁺ over its subset.
        let (n, k) = (7usize, 2usize);
        let others = n - 1;
        let mut total = 0.0;
        let mut count = 0.0;
        for a in 1..=others {
            for b in a + 1..=others {
                total += [a, b]
                    .iter()
                    .map(|&r| r.saturating_sub(k) as f64)
                    .sum::<f64>();
                count += 1.0;
            }
        }
        let per_point = total / count;
        let t = 1.0 - 2.0 / (n * k * (2 * n - 3 * k - 1)) as f64 * n as f64 * per_point;
        assert!((chance_trustworthiness(n, k) - t).abs() < 1e-12);
        assert!((chance_trustworthiness(100_000, 10) - 0.5).abs() < 1e-3);
        assert_eq!(chance_trustworthiness(2, 1), 1.0);
    }

    #[test]
    fn macro_precision_chance_and_stems() {
        // Genres of 3 and 1 tracks: (2/3 + 0/3) / 2.
        assert!((chance_precision_macro(&[0, 0, 0, 1], 2) - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(chance_precision_macro(&[0], 1), 0.0);
        assert_eq!(stem("/music/rock/My Song.flac"), "My Song");
        assert_eq!(stem("noext"), "noext");
    }
}
