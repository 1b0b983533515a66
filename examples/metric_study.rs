//! Does a metric learned from genre labels predict the genre of music from
//! sources it never saw? Scores genre k-NN with and without the learned
//! metric (shrinkage LDA, `musim::similarity::learned`) under
//! source-disjoint folds, on one or two indexed corpora labelled by source.
//!
//! ```sh
//! cargo run --release --example metric_study -- tools/coarse_genres.tsv IDX [IDX2]
//! ```
//! The TSV maps each source label (the index's folder label) to a coarse
//! genre; a source it does not name is left out. Each corpus is scored
//! alone with leave-one-source-out folds; with two indexes, the two are
//! also merged into one library (z-scored together, as a user's library
//! would be) and scored with one fold per corpus: the metric and the
//! neighbours come from one corpus, the tracks predicted from the other.
//!
//! Lines: `corpus space method params accuracy balanced_accuracy`, and the
//! chance levels (largest genre's share; 0.5 for balanced accuracy).

use std::collections::HashMap;
use std::path::Path;

use musim::eval::grouped::{group_folds, grouped_knn};
use musim::eval::{chance_accuracy, Distance};
use musim::library::index::{Index, Outcome};
use musim::report::labelled_distances;
use musim::similarity::learned::{cross_fit, Shrinkage};
use musim::similarity::{Profile, Space};

/// One library's labelled tracks: index rows, embeddings, genre ids and
/// source ids.
struct Tracks<'a> {
    rows: Vec<&'a [f32]>,
    embeddings: Vec<&'a [f32]>,
    genre: Vec<usize>,
    source: Vec<usize>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(map), Some(first)) = (args.get(1), args.get(2)) else {
        return Err("usage: metric_study GENRES.tsv INDEX [INDEX2]".into());
    };
    let genres = read_map(Path::new(map))?;
    let mut names: Vec<String> = genres.values().cloned().collect();
    names.sort_unstable();
    names.dedup();
    println!("# genres: {}", names.join(", "));
    let indexes: Vec<Index> = args[2..]
        .iter()
        .map(|p| {
            Index::load(Path::new(p))?
                .ok_or_else(|| format!("no index at {p}").into())
                .map_err(|e: Box<dyn std::error::Error>| e)
        })
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    let _ = first;
    let mut sources: Vec<String> = Vec::new();
    let corpora: Vec<Tracks> = indexes
        .iter()
        .map(|ix| tracks(ix, &genres, &names, &mut sources))
        .collect();
    let feature_names = &indexes[0].header.feature_names;
    if indexes
        .iter()
        .any(|ix| &ix.header.feature_names != feature_names)
    {
        return Err("the indexes have different feature layouts".into());
    }
    for (c, t) in corpora.iter().enumerate() {
        let folds = group_folds(&t.source, usize::MAX);
        study(&format!("corpus{}", c + 1), feature_names, t, &folds)?;
    }
    if corpora.len() == 2 {
        let mut all = Tracks {
            rows: Vec::new(),
            embeddings: Vec::new(),
            genre: Vec::new(),
            source: Vec::new(),
        };
        let mut corpus = Vec::new();
        for (c, t) in corpora.iter().enumerate() {
            all.rows.extend(&t.rows);
            all.embeddings.extend(&t.embeddings);
            all.genre.extend(&t.genre);
            all.source.extend(&t.source);
            corpus.extend(std::iter::repeat_n(c, t.rows.len()));
        }
        study("across", feature_names, &all, &corpus)?;
    }
    Ok(())
}

/// Source label → genre name, from the TSV (`#` lines are comments).
fn read_map(path: &Path) -> Result<HashMap<String, String>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect())
}

fn tracks<'a>(
    index: &'a Index,
    genres: &HashMap<String, String>,
    names: &[String],
    sources: &mut Vec<String>,
) -> Tracks<'a> {
    let mut t = Tracks {
        rows: Vec::new(),
        embeddings: Vec::new(),
        genre: Vec::new(),
        source: Vec::new(),
    };
    for e in &index.entries {
        let Outcome::Analysed { values, .. } = &e.outcome else {
            continue;
        };
        let (Some(label), Some(emb)) = (e.label.as_deref(), index.deep.embedding(e)) else {
            continue;
        };
        let Some(g) = genres.get(label) else {
            continue;
        };
        let source = match sources.iter().position(|s| s == label) {
            Some(s) => s,
            None => {
                sources.push(label.to_string());
                sources.len() - 1
            }
        };
        t.rows.push(values);
        t.embeddings.push(emb);
        t.genre
            .push(names.iter().position(|n| n == g).unwrap_or_default());
        t.source.push(source);
    }
    t
}

/// Scores of one library under `folds`: each profile's own similarity, the
/// Euclidean distance of its z-scored vectors, and the learned metric on
/// those vectors over a grid of shrinkage and k.
fn study(
    name: &str,
    feature_names: &[String],
    t: &Tracks,
    folds: &[usize],
) -> Result<(), Box<dyn std::error::Error>> {
    let n = t.rows.len();
    println!(
        "# {name}: {n} tracks, {} folds, chance accuracy {:.3}, balanced 0.500",
        folds.iter().max().map_or(0, |m| m + 1),
        chance_accuracy(&t.genre)
    );
    let emb = Some(&t.embeddings[..]);
    let musim = Space::build_with(Profile::Musim, feature_names, &t.rows, emb)?;
    let deep = Space::build_with(Profile::Deep, feature_names, &t.rows, emb)?;
    let fused_vectors: Vec<Vec<f32>> = musim
        .z
        .iter()
        .zip(&deep.z)
        .map(|(a, b)| [a.as_slice(), b.as_slice()].concat())
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let spaces: [(&str, Profile, &[Vec<f32>]); 3] = [
        ("musim", Profile::Musim, &musim.z),
        ("deep", Profile::Deep, &deep.z),
        ("fused", Profile::Fused, &fused_vectors),
    ];
    for (label, profile, vectors) in spaces {
        let space = match profile {
            Profile::Musim => musim.clone(),
            Profile::Deep => deep.clone(),
            _ => Space::build_with(profile, feature_names, &t.rows, emb)?,
        };
        let own = labelled_distances(&space, &all);
        for k in [5, 10] {
            let (_, s) = grouped_knn(n, &t.genre, folds, k, &own);
            line(name, label, "profile", &format!("k={k}"), s);
        }
        let euclid = |i: usize, out: &mut Vec<(f64, usize)>| {
            out.clear();
            out.extend(
                (0..n)
                    .filter(|&j| j != i)
                    .map(|j| (dist(&vectors[i], &vectors[j], Distance::Euclidean), j)),
            );
        };
        for k in [5, 10] {
            let (_, s) = grouped_knn(n, &t.genre, folds, k, &euclid);
            line(name, label, "euclidean", &format!("k={k}"), s);
        }
        for (sname, shrink) in [
            ("lw", Shrinkage::LedoitWolf),
            ("0.1", Shrinkage::Fixed(0.1)),
            ("0.3", Shrinkage::Fixed(0.3)),
            ("0.5", Shrinkage::Fixed(0.5)),
            ("0.7", Shrinkage::Fixed(0.7)),
            ("0.9", Shrinkage::Fixed(0.9)),
        ] {
            let fitted = cross_fit(vectors, &t.genre, folds, shrink, 8);
            if let Some(Err(e)) = fitted.iter().find(|f| f.is_err()) {
                println!("{name} {label} learned shrink={sname}: {e}");
                continue;
            }
            let proj: Vec<&Vec<Vec<f32>>> = fitted.iter().flatten().collect();
            let learned = |i: usize, out: &mut Vec<(f64, usize)>| {
                let p = proj[folds[i]];
                out.clear();
                out.extend(
                    (0..n)
                        .filter(|&j| j != i)
                        .map(|j| (dist(&p[i], &p[j], Distance::Euclidean), j)),
                );
            };
            for k in [1, 5, 10, 20] {
                let (_, s) = grouped_knn(n, &t.genre, folds, k, &learned);
                line(name, label, "learned", &format!("shrink={sname} k={k}"), s);
            }
        }
    }
    Ok(())
}

fn dist(a: &[f32], b: &[f32], _d: Distance) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}

fn line(
    corpus: &str,
    space: &str,
    method: &str,
    params: &str,
    s: musim::eval::grouped::GroupedScores,
) {
    println!(
        "{corpus:<8} {space:<6} {method:<10} {params:<18} acc {:.3}  bal {:.3}",
        s.accuracy, s.balanced_accuracy
    );
}
