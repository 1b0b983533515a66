//! `report.md`: the report for people. The plots are embedded with
//! relative links (the file sits beside them) and every number of
//! `metrics.json` is in a table, next to its chance level.

use std::fmt::Write;

use super::metrics::{Report, Score};
use super::{CLUSTERS_PNG, CONFUSION_PNG, MAP_PNG, METRICS_JSON};

/// Text for Markdown: `<`, `>` and `&` as entities (so `<genre>` is not
/// taken for HTML), newlines flattened.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A table cell: [`text`] with `|` escaped.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

fn num(v: f64) -> String {
    super::plot::style::fixed(v, 3)
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

/// A "metric | value | chance" table; a metric without a value shows
/// "n/a", and the reasons follow the table, each once.
struct Table {
    out: String,
    reasons: Vec<String>,
}

impl Table {
    fn new() -> Self {
        Table {
            out: "| metric | value | chance |\n| --- | ---: | ---: |\n".to_string(),
            reasons: Vec::new(),
        }
    }

    fn row(&mut self, name: &str, s: &Score, fmt: fn(f64) -> String) {
        let value = match s.value {
            Some(v) => fmt(v),
            None => {
                let why = s.reason.clone().unwrap_or_else(|| "not computed".into());
                if !self.reasons.contains(&why) {
                    self.reasons.push(why);
                }
                "n/a".to_string()
            }
        };
        let chance = s.chance.map_or("–".to_string(), fmt);
        let _ = writeln!(self.out, "| {name} | {value} | {chance} |");
    }

    fn finish(self, o: &mut String) {
        o.push_str(&self.out);
        for r in &self.reasons {
            let _ = writeln!(o, "\nn/a: {}.", text(r));
        }
    }
}

fn has(report: &Report, file: &str) -> bool {
    report.plots.iter().any(|p| p == file)
}

/// Render the report as Markdown.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let t = &r.tracks;
    let p = &r.parameters;
    let _ = writeln!(o, "# musim report\n");
    if let Some(lib) = &r.library {
        let _ = writeln!(o, "Library: `{}`  ", lib.replace('`', "'"));
    }
    let _ = writeln!(
        o,
        "Tracks: **{}** analysed, {} failed · {} labelled, {} unlabelled · {} genre{} · {} cluster{}  ",
        t.analysed,
        t.failed,
        t.labelled,
        t.unlabelled,
        t.genres,
        if t.genres == 1 { "" } else { "s" },
        t.clusters,
        if t.clusters == 1 { "" } else { "s" },
    );
    let _ = writeln!(
        o,
        "Written by musim {}; every number is also in [`{METRICS_JSON}`]({METRICS_JSON}).\n",
        r.musim_version
    );
    if !r.notes.is_empty() {
        for n in &r.notes {
            let _ = writeln!(o, "> {}  ", text(n));
        }
        o.push('\n');
    }

    // Genre prediction.
    let _ = writeln!(
        o,
        "## Genre prediction ({}-NN vote, leave-one-out)\n",
        p.knn_k
    );
    match &r.classification {
        Some(c) => {
            if has(r, CONFUSION_PNG) {
                let _ = writeln!(o, "![confusion matrix]({CONFUSION_PNG})\n");
            }
            let _ = writeln!(
                o,
                "Each labelled track's genre is predicted by a vote of its {} nearest other \
                 tracks (cosine on z-scored fingerprints; ties to the nearer voters). \
                 {} tracks, {} genres.\n",
                c.k_used,
                c.evaluated,
                r.genres.len()
            );
            let mut t = Table::new();
            t.row("accuracy", &c.accuracy, pct);
            t.row("balanced accuracy", &c.balanced_accuracy, pct);
            t.row("macro F1", &c.macro_f1, num);
            t.row("weighted F1", &c.weighted_f1, num);
            t.finish(&mut o);
            let _ = writeln!(
                o,
                "\nChance: accuracy = share of the largest genre; balanced accuracy = 1 / genres.\n"
            );
            let _ = writeln!(
                o,
                "| genre | precision | recall | F1 | support |\n| --- | ---: | ---: | ---: | ---: |"
            );
            for g in &c.per_genre {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    cell(&g.genre),
                    num(g.precision),
                    num(g.recall),
                    num(g.f1),
                    g.support
                );
            }
            o.push('\n');
        }
        None => {
            let _ = writeln!(
                o,
                "No confusion matrix: {}.\n",
                text(
                    r.classification_reason
                        .as_deref()
                        .unwrap_or("nothing to predict")
                )
            );
        }
    }

    // Neighbour search.
    let _ = writeln!(o, "## Neighbour search (precision@k, leave-one-out)\n");
    let _ = writeln!(
        o,
        "The share of a track's k nearest other tracks that share its genre: micro = mean \
         over tracks, macro = mean over genres of their tracks' mean.\n"
    );
    let mut t = Table::new();
    for n in &r.neighbours {
        let used = if n.k_used > 0 && n.k_used < n.k {
            format!(" ({} used)", n.k_used)
        } else {
            String::new()
        };
        t.row(&format!("precision@{}{used}, micro", n.k), &n.micro, num);
        t.row(&format!("precision@{}{used}, macro", n.k), &n.macro_, num);
    }
    t.finish(&mut o);
    let _ = writeln!(
        o,
        "\nChance: the expected share for random neighbours (micro Σ n_g(n_g − 1) / (n(n − 1)), \
         macro the mean over genres of (n_g − 1) / (n − 1)).\n"
    );

    for (f, what, why) in [
        (
            &r.artist_filtered,
            "artist",
            "Artist-filtered: the same scores with every neighbour by the query's artist left out, \
             so that recognising an artist's sound does not count as recognising a genre.",
        ),
        (
            &r.album_filtered,
            "album",
            "Album-filtered: the same with every neighbour from the query's album left out, \
             the guard against one album's production passing for its genre.",
        ),
    ] {
        let Some(f) = f else { continue };
        let _ = writeln!(o, "## Neighbour search, {what}-filtered (leave-one-out)\n");
        let _ = writeln!(o, "{why}\n");
        if f.evaluated > 0 {
            let _ = writeln!(
                o,
                "Evaluated on the {} labelled tracks whose {what} is known ({} {what}s).\n",
                f.evaluated, f.groups
            );
        }
        let mut t = Table::new();
        t.row("precision@5", &f.precision_at_5, num);
        t.row("precision@10", &f.precision_at_10, num);
        t.row("5-NN accuracy", &f.knn_accuracy, pct);
        t.finish(&mut o);
        let _ = writeln!(
            o,
            "\nChance: precision, the mean share of the tracks the filter allows that share the \
             query's genre; accuracy, the largest genre's share.\n"
        );
    }

    let _ = writeln!(o, "## Learned metric (artist-disjoint)\n");
    match (&r.learned_metric, &r.learned_metric_reason) {
        (Some(m), _) => {
            let _ = writeln!(
                o,
                "Genre of each labelled track by a {k}-NN vote of tracks by other artists: in the \
                 profile's similarity, and in a metric learned from the labels (shrinkage LDA, \
                 shrinkage {s}) fitted without the track's fold. {e} tracks, {g} groups in {f} \
                 folds; groups by {key} ({a} by artist, {b} by album, {c} by folder).\n",
                k = m.k,
                s = m.shrinkage,
                e = m.evaluated,
                g = m.groups,
                f = m.folds,
                key = m.key,
                a = m.by_artist,
                b = m.by_album,
                c = m.by_folder,
            );
            if !m.genres_left_out.is_empty() {
                let _ = writeln!(
                    o,
                    "Left out (all their tracks in one group): {}.\n",
                    m.genres_left_out.join(", ")
                );
            }
            let mut t = Table::new();
            t.row("accuracy, profile's similarity", &m.plain_accuracy, pct);
            t.row("accuracy, learned metric", &m.learned_accuracy, pct);
            t.row(
                "balanced accuracy, profile's similarity",
                &m.plain_balanced_accuracy,
                pct,
            );
            t.row(
                "balanced accuracy, learned metric",
                &m.learned_balanced_accuracy,
                pct,
            );
            t.finish(&mut o);
            let _ = writeln!(
                o,
                "\nChance: accuracy, the largest genre's share; balanced accuracy, 1/genres. \
                 On musim's development corpora the learned metric did not help on music \
                 it was not tuned on, so genres shown elsewhere use the profile's similarity.\n"
            );
        }
        (None, why) => {
            let _ = writeln!(
                o,
                "Not computed: {}.\n",
                why.as_deref().unwrap_or("not computed")
            );
        }
    }

    if !r.comparison.is_empty() {
        let _ = writeln!(o, "## Similarity profiles compared (leave-one-out)\n");
        let _ = writeln!(
            o,
            "| profile | precision@5 | precision@10 | 5-NN accuracy | artist-filtered precision@5 | artist-filtered 5-NN | album-filtered precision@5 | album-filtered 5-NN | hubness (10-occurrence skewness) | build s |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        let opt = |v: Option<f64>| v.map_or("n/a".to_string(), num);
        for c in &r.comparison {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} |",
                cell(&c.profile),
                opt(c.precision_at_5),
                opt(c.precision_at_10),
                opt(c.knn_accuracy),
                opt(c.precision_at_5_artist_filtered),
                opt(c.knn_accuracy_artist_filtered),
                opt(c.precision_at_5_album_filtered),
                opt(c.knn_accuracy_album_filtered),
                num(c.hubness),
                c.seconds
            );
        }
        let _ = writeln!(
            o,
            "\nHubness near 0 means no track is everybody's neighbour; above 1, a few \"hub\" songs crowd the neighbour lists.\n"
        );
        if let Some(first) = r.comparison.first() {
            let _ = writeln!(
                o,
                "Precision@5 against `{}`, with a 95 % interval: whole artists (else albums, else folders) \
                 resampled with replacement, since one artist's tracks are not independent. \
                 A difference whose interval includes 0 is not established.\n",
                cell(&first.profile)
            );
            let _ = writeln!(
                o,
                "| profile | difference in precision@5 (95 % interval) |\n| --- | --- |"
            );
            for c in r.comparison.iter().skip(1) {
                let text = match (&c.precision_at_5_diff, &c.precision_at_5_diff_reason) {
                    (Some(d), _) => d.interval(),
                    (None, why) => format!("n/a: {}", why.as_deref().unwrap_or("not computed")),
                };
                let _ = writeln!(o, "| {} | {} |", cell(&c.profile), cell(&text));
            }
            if r.comparison.len() == 1 {
                let why = first
                    .precision_at_5_diff_reason
                    .as_deref()
                    .unwrap_or("one profile");
                let _ = writeln!(o, "| {} | n/a: {} |", cell(&first.profile), cell(why));
            }
            let _ = writeln!(o);
        }
    }

    // Clusters.
    let _ = writeln!(o, "## Clusters (K-Means, k = {}, {})\n", p.k, p.k_choice);
    if has(r, CLUSTERS_PNG) {
        let _ = writeln!(o, "![clusters]({CLUSTERS_PNG})\n");
    }
    let c = &r.clustering;
    let mut t = Table::new();
    t.row("NMI (clusters vs genres)", &c.nmi, num);
    t.row("ARI (clusters vs genres)", &c.ari, num);
    t.row("purity", &c.purity, num);
    t.row("silhouette (Euclidean, z-scored)", &c.silhouette, num);
    t.finish(&mut o);
    let _ = writeln!(
        o,
        "\nChance: the mean over {} seeded shuffles of the cluster ids (same sizes, no link \
         to the genres or the data; the silhouette's on at most 500 tracks).\n",
        p.chance_shuffles
    );
    if !p.k_silhouettes.is_empty() {
        let tried: Vec<String> = p
            .k_silhouettes
            .iter()
            .map(|(k, s)| format!("k = {k}: {}", num(*s)))
            .collect();
        let _ = writeln!(o, "Silhouette of each k tried: {}.\n", tried.join(", "));
    }
    let _ = writeln!(
        o,
        "| cluster | tracks | majority genre | genre mix | representatives |\n| ---: | ---: | --- | --- | --- |"
    );
    for cl in &r.clusters {
        let majority = match (&cl.majority, cl.majority_share) {
            (Some(g), Some(s)) => format!("{} ({})", cell(g), pct(s)),
            _ => "–".to_string(),
        };
        let mut mix: Vec<String> = cl
            .counts
            .iter()
            .map(|(g, n)| format!("{} {n}", cell(g)))
            .collect();
        if cl.unlabelled > 0 {
            mix.push(format!("no label {}", cl.unlabelled));
        }
        let reps: Vec<String> = cl
            .representatives
            .iter()
            .map(|x| format!("`{}`", x.name.replace('`', "'").replace('|', "\\|")))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            cl.id,
            cl.size,
            majority,
            mix.join(", "),
            reps.join(", ")
        );
    }
    o.push('\n');

    // Map.
    let _ = writeln!(o, "## Map (t-SNE)\n");
    if has(r, MAP_PNG) {
        let _ = writeln!(o, "![t-SNE map]({MAP_PNG})\n");
    }
    let mut t = Table::new();
    let k = if r.map.k_used > 0 {
        r.map.k_used
    } else {
        p.trustworthiness_k
    };
    t.row(&format!("trustworthiness@{k}"), &r.map.trustworthiness, num);
    t.finish(&mut o);
    let _ = writeln!(
        o,
        "\nTrustworthiness: 1 when every track's map neighbours are also its neighbours in the \
         fingerprint space (Euclidean, z-scored); chance = its expected value for a random map.\n"
    );

    // Parameters.
    let _ = writeln!(o, "## Parameters\n");
    let _ = writeln!(o, "| parameter | value |\n| --- | --- |");
    let rows: [(&str, String); 13] = [
        ("clusters k", format!("{} ({})", p.k, p.k_choice)),
        ("seed", p.seed.to_string()),
        (
            "similarity-graph neighbours",
            p.graph_neighbours.to_string(),
        ),
        ("representatives per cluster", p.representatives.to_string()),
        (
            "t-SNE perplexity",
            if p.perplexity_used < p.perplexity {
                format!("{} (clamped to {:.1})", p.perplexity, p.perplexity_used)
            } else {
                p.perplexity.to_string()
            },
        ),
        ("t-SNE iterations", p.tsne_iterations.to_string()),
        ("distance", p.distance.clone()),
        ("k-NN vote k", p.knn_k.to_string()),
        (
            "precision@k",
            p.precision_k
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("trustworthiness k", p.trustworthiness_k.to_string()),
        ("silhouette", p.silhouette_distance.clone()),
        (
            "silhouette sample",
            format!("all tracks up to {}", p.silhouette_sample),
        ),
        ("chance shuffles", p.chance_shuffles.to_string()),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "| {k} | {} |", cell(&v));
    }
    o
}
