//! `deep_study` with `MUSIM_STUDY_BOOTSTRAP` set: how sure a difference in
//! precision@5 is. Each candidate of a comma-separated list (`seed`,
//! `musim`, `deep`, `fused`, `weights:D/T/E`, `krecip:K1/K2/λ`, and the
//! window variants of `study/windows.rs` at a budget, e.g. `set:12`,
//! `diag:12`, `mean:6`) is scored against the product's `fused` (the
//! index's own embeddings), or against the baseline named after an `@`
//! (`set:12@mean:6`), on the same tracks, with a 95 % interval
//! on the difference from a paired cluster bootstrap: whole sources (the
//! labels) are resampled with replacement, since a source's queries are
//! correlated (they share a composer, a production and each other as
//! neighbours), 2000 resamples, seeded, so a rerun prints the same figures.
//! Rule and results in docs/PERFORMANCE.md, "Confidence intervals".

use std::io::Write;

use musim::deep::PatchOutputs;
use musim::eval::bootstrap::{paired, stratified, Interval, RESAMPLES, SEED};
use musim::eval::knn_loo_with;
use musim::library::index::{Entry, Index};
use musim::similarity::{FusedWeights, Profile, Space};

use crate::matrix::{space_matrix, Matrix};

type Error = Box<dyn std::error::Error>;

/// Neighbours a query's precision counts.
const K: usize = 5;

/// Per query (every row of `d`), the share of its `K` nearest others
/// carrying its label: `report --compare`'s own per-query precision
/// ([`knn_loo_with`]; ranked by distance, then row).
pub fn precision(d: &Matrix, labels: &[usize]) -> Vec<f64> {
    let n = d.len().min(labels.len());
    let fill = |i: usize, out: &mut Vec<(f64, usize)>| {
        out.clear();
        out.extend((0..n).filter(|&j| j != i).map(|j| (d[i][j], j)));
    };
    knn_loo_with(n, labels, K, &fill).per_query
}

/// The interval of precision@5 of `candidate` − `baseline`, two distance
/// matrices of the same tracks labelled `labels` (dense source ids).
pub fn interval(candidate: &Matrix, baseline: &Matrix, labels: &[usize]) -> Interval {
    paired(
        &precision(candidate, labels),
        &precision(baseline, labels),
        labels,
        RESAMPLES,
        SEED,
    )
}

/// Scores each candidate of `spec` against the product's `fused` on
/// `index`'s labelled tracks that have a row, an embedding and (for the
/// candidates that need them) cached patches.
/// With `MUSIM_STUDY_BOOTSTRAP_DUMP=FILE`, each query's two precisions are
/// appended to FILE (pair, `index_name`, source, candidate, baseline;
/// tab-separated) for [`pool`].
pub fn run(
    index: &Index,
    index_name: &str,
    tracks: &[(usize, Vec<PatchOutputs>)],
    spec: &str,
) -> Result<(), Error> {
    let names = &index.header.feature_names;
    let needs_patches = spec
        .split(',')
        .any(|c| ["set:", "diag:", "mean:"].iter().any(|p| c.starts_with(p)));
    let Kept {
        entries,
        rows,
        embeddings,
        extra: pieces,
    } = kept(index, tracks, |p| {
        (!needs_patches || !p.is_empty()).then_some(p)
    });
    let (sources, labels) = sources_of(&entries);
    eprintln!("{} tracks, {} sources", labels.len(), sources.len());
    let space = |p: Profile, w: FusedWeights| -> Result<Matrix, Error> {
        let mut s = Space::build_with(p, names, &rows, Some(&embeddings))?;
        s.set_fused_weights(w);
        Ok(space_matrix(&s))
    };
    let fused = space(Profile::Fused, FusedWeights::DEFAULT)?;
    let hand = space(Profile::Musim, FusedWeights::DEFAULT)?;
    let build = |candidate: &str| -> Result<Matrix, Error> {
        Ok(match candidate.split_once(':') {
            None if candidate == "fused" => fused.clone(),
            None => {
                let profile = Profile::ALL
                    .into_iter()
                    .find(|p| p.name() == candidate)
                    .ok_or_else(|| format!("bootstrap: unknown profile {candidate:?}"))?;
                space(profile, FusedWeights::DEFAULT)?
            }
            Some(("weights", w)) => space(Profile::Fused, crate::weights(w)?)?,
            Some(("krecip", k)) => {
                let p: Vec<f64> = k.split('/').map(str::parse).collect::<Result<_, _>>()?;
                let [k1, k2, lambda] = p[..] else {
                    return Err(format!("bootstrap: krecip:{k}: want K1/K2/λ").into());
                };
                let mut d = fused.clone();
                for (i, row) in d.iter_mut().enumerate() {
                    row[i] = 0.0;
                }
                crate::rerank::k_reciprocal(&d, k1 as usize, k2 as usize, lambda, true)
            }
            Some((variant, budget)) => {
                let budget: usize = match budget {
                    "all" => usize::MAX,
                    b => b.parse()?,
                };
                let patches: Vec<Vec<Vec<f32>>> = pieces
                    .iter()
                    .map(|p| crate::patch_rows(p, budget, "pool").unwrap_or_default())
                    .collect();
                if patches.iter().any(Vec::is_empty) {
                    return Err(format!("bootstrap: {candidate}: a track has no patches").into());
                }
                crate::windows::fused_of(&hand, &patches, variant)
                    .ok_or_else(|| format!("bootstrap: unknown variant {variant:?}"))?
            }
        })
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    // Each query's precisions, for pooling corpora (`pool`).
    let corpus = index_name;
    let mut dump = dump_file()?;
    for pair in spec.split(',') {
        // `candidate@baseline`; the baseline is the product's `fused`
        // unless named.
        let (candidate, baseline) = pair.split_once('@').unwrap_or((pair, "fused"));
        let (c, b) = (build(candidate)?, build(baseline)?);
        let i = interval(&c, &b, &labels);
        if let Some(out) = dump.as_mut() {
            let (pc, pb) = (precision(&c, &labels), precision(&b, &labels));
            for (q, source) in labels.iter().enumerate() {
                writeln!(
                    out,
                    "{pair}\t{corpus}\t{}\t{}\t{}",
                    sources[*source], pc[q], pb[q]
                )?;
            }
        }
        println!(
            "{candidate:<20} P@5 {:.3}  {baseline:<8} {:.3}  difference {:+.4}  95 % [{:+.4}, {:+.4}]",
            mean(&precision(&c, &labels)),
            mean(&precision(&b, &labels)),
            i.diff,
            i.low,
            i.high
        );
    }
    Ok(())
}

/// Track `i` of `index` when it can be scored: labelled, with a full row
/// of the index's features and an embedding (its entry, row, embedding).
pub fn scored(index: &Index, i: usize) -> Option<(&Entry, &[f32], &[f32])> {
    let e = index.entries.get(i).filter(|e| e.label.is_some())?;
    let values = e
        .values()
        .filter(|v| v.len() == index.header.feature_names.len())?;
    Some((e, values, index.deep.embedding(e)?))
}

/// The tracks a study scores ([`scored`]), each with what `extra` makes of
/// its cached patches; a track for which `extra` gives None is left out.
pub struct Kept<'a, T> {
    /// The tracks' index entries.
    pub entries: Vec<&'a Entry>,
    /// Their fingerprints.
    pub rows: Vec<&'a [f32]>,
    /// Their embeddings.
    pub embeddings: Vec<&'a [f32]>,
    /// What `extra` made of each one's patches.
    pub extra: Vec<T>,
}

/// The scored tracks of `tracks` (index row, cached patches) that `extra`
/// accepts.
pub fn kept<'a, T>(
    index: &'a Index,
    tracks: &'a [(usize, Vec<PatchOutputs>)],
    extra: impl Fn(&'a [PatchOutputs]) -> Option<T>,
) -> Kept<'a, T> {
    let mut k = Kept {
        entries: Vec::new(),
        rows: Vec::new(),
        embeddings: Vec::new(),
        extra: Vec::new(),
    };
    for (i, p) in tracks {
        let Some((e, values, emb)) = scored(index, *i) else {
            continue;
        };
        let Some(x) = extra(p) else {
            continue;
        };
        k.entries.push(e);
        k.rows.push(values);
        k.embeddings.push(emb);
        k.extra.push(x);
    }
    k
}

/// The sorted distinct sources (labels) of `entries`, and each labelled
/// entry's index among them.
pub fn sources_of<'a>(entries: &[&'a Entry]) -> (Vec<&'a str>, Vec<usize>) {
    let mut sources: Vec<&str> = entries.iter().filter_map(|e| e.label.as_deref()).collect();
    sources.sort_unstable();
    sources.dedup();
    let labels = entries
        .iter()
        .filter_map(|e| e.label.as_deref())
        .filter_map(|l| sources.iter().position(|s| *s == l))
        .collect();
    (sources, labels)
}

/// The file `MUSIM_STUDY_BOOTSTRAP_DUMP` names, opened to append, if set.
pub fn dump_file() -> std::io::Result<Option<std::io::BufWriter<std::fs::File>>> {
    match std::env::var("MUSIM_STUDY_BOOTSTRAP_DUMP") {
        Ok(file) => Ok(Some(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)?,
        ))),
        Err(_) => Ok(None),
    }
}

/// A dumped query: candidate's and baseline's precision, source, corpus.
type Query = (f64, f64, String, String);

/// The corpora of a dump file (`MUSIM_STUDY_BOOTSTRAP_DUMP`) pooled: for
/// each pair, the difference over every query of every corpus, with the
/// interval of [`stratified`] (sources resampled within their corpus).
pub fn pool(file: &std::path::Path) -> Result<(), Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    // Per pair (in first-seen order): per query its values, source and corpus.
    let mut pairs: Vec<(String, Vec<Query>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let [pair, corpus, source, c, b] = f[..] else {
            return Err(
                format!("{}:{}: want 5 tab-separated fields", file.display(), n + 1).into(),
            );
        };
        let row = (
            c.parse()?,
            b.parse()?,
            source.to_string(),
            corpus.to_string(),
        );
        match pairs.iter_mut().find(|(p, _)| p == pair) {
            Some((_, rows)) => rows.push(row),
            None => pairs.push((pair.to_string(), vec![row])),
        }
    }
    for (pair, rows) in &pairs {
        let id = |keys: Vec<String>| -> Vec<usize> {
            let mut seen: Vec<String> = Vec::new();
            keys.into_iter()
                .map(|k| match seen.iter().position(|s| *s == k) {
                    Some(i) => i,
                    None => {
                        seen.push(k);
                        seen.len() - 1
                    }
                })
                .collect()
        };
        let stratum = id(rows.iter().map(|r| r.3.clone()).collect());
        let cluster = id(rows.iter().map(|r| format!("{}\t{}", r.3, r.2)).collect());
        let a: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let b: Vec<f64> = rows.iter().map(|r| r.1).collect();
        let i = stratified(&a, &b, &cluster, &stratum, RESAMPLES, SEED);
        println!(
            "{pair:<28} {} corpora, {} sources, {} queries  difference {:+.4}  95 % [{:+.4}, {:+.4}]",
            stratum.iter().max().map_or(0, |m| m + 1),
            cluster.iter().max().map_or(0, |m| m + 1),
            rows.len(),
            i.diff,
            i.low,
            i.high
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Distances among `sources` × `per` tracks: same-source pairs at
    /// `near`, others at 0.5, each plus a seeded jitter of ±0.2.
    fn corpus(sources: usize, per: usize, near: f64, seed: u64) -> (Matrix, Vec<usize>) {
        let n = sources * per;
        let labels: Vec<usize> = (0..n).map(|i| i / per).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut d = vec![vec![0.0; n]; n];
        for i in 0..n {
            for j in i + 1..n {
                let jitter = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 0.4 - 0.2;
                let base = if labels[i] == labels[j] { near } else { 0.5 };
                d[i][j] = base + jitter;
                d[j][i] = d[i][j];
            }
        }
        (d, labels)
    }

    #[test]
    fn precision_is_report_compare_s() {
        let (d, labels) = corpus(6, 7, 0.45, 1);
        let p = precision(&d, &labels);
        // Counted here from a full sort by (distance, row).
        for (i, &got) in p.iter().enumerate() {
            let mut others: Vec<(f64, usize)> = (0..d.len())
                .filter(|&j| j != i)
                .map(|j| (d[i][j], j))
                .collect();
            others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let same = others[..K]
                .iter()
                .filter(|(_, j)| labels[*j] == labels[i])
                .count();
            assert_eq!(got, same as f64 / K as f64, "query {i}");
        }
        let fill = |i: usize, out: &mut Vec<(f64, usize)>| {
            out.clear();
            out.extend((0..d.len()).filter(|&j| j != i).map(|j| (d[i][j], j)));
        };
        let micro = knn_loo_with(d.len(), &labels, 5, &fill)
            .precision_at_k
            .micro;
        assert!((p.iter().sum::<f64>() / p.len() as f64 - micro).abs() < 1e-12);
        assert!(micro > 0.0 && micro < 1.0, "{micro}");
    }

    #[test]
    fn identical_matrices_give_zero() {
        let (d, labels) = corpus(8, 6, 0.4, 2);
        let i = interval(&d, &d, &labels);
        assert_eq!((i.diff, i.low, i.high), (0.0, 0.0, 0.0));
    }

    #[test]
    fn better_on_every_source_is_above_zero() {
        // The candidate's same-source distances are smaller; the baseline's
        // jitter hides them. Checked per source, then the interval.
        let (good, labels) = corpus(8, 6, 0.2, 3);
        let (poor, _) = corpus(8, 6, 0.45, 4);
        let (g, p) = (precision(&good, &labels), precision(&poor, &labels));
        for s in 0..8 {
            let sum = |v: &[f64]| {
                (0..v.len())
                    .filter(|&q| labels[q] == s)
                    .map(|q| v[q])
                    .sum::<f64>()
            };
            assert!(sum(&g) > sum(&p), "source {s}");
        }
        let i = interval(&good, &poor, &labels);
        assert!(i.low > 0.0 && i.low <= i.diff && i.diff <= i.high, "{i:?}");
        let back = interval(&poor, &good, &labels);
        assert!(back.high < 0.0, "{back:?}");
    }
}
