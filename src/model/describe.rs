//! The model as text: how k was chosen, and each cluster with its size,
//! genre mix and representatives.

use std::fmt::Write as _;

use super::{KChoice, Model};

/// A multi-line summary of `model` for the terminal (genre labels and
/// paths shown through [`crate::store::text::safe`]).
pub fn describe(model: &Model) -> String {
    let mut o = String::new();
    let how = match &model.k_choice {
        KChoice::Given => "as requested with --k".to_string(),
        KChoice::Genres => format!("one per genre ({} genres)", model.genres.len()),
        KChoice::Silhouette(scores) => {
            let s: Vec<String> = scores
                .iter()
                .map(|(k, s)| format!("k={k}: {s:.3}"))
                .collect();
            format!("best silhouette of {}", s.join(", "))
        }
        KChoice::Trivial => "too few distinct tracks to split".to_string(),
    };
    let _ = writeln!(
        o,
        "model: {} tracks, {} clusters ({how}), similarity {} ({})",
        model.len(),
        model.clusters.len(),
        model.profile(),
        model.profile().describe()
    );
    if model.fell_back() {
        let _ = writeln!(o, "{}", fallback_note(model));
    }
    for (i, c) in model.clusters.iter().enumerate() {
        let _ = writeln!(
            o,
            "  cluster {i:>2} · {:>4} tracks · {}",
            c.archetype.size,
            crate::store::text::safe(&c.archetype.describe(4))
        );
        for &r in c.representatives() {
            if let Some(t) = model.tracks.get(r as usize) {
                let _ = writeln!(o, "      ★ {}", t.show_name());
            }
        }
    }
    o
}

/// The one-line note of a model built as `musim` because no track had the
/// deep embedding its `fused` profile needs.
pub fn fallback_note(model: &Model) -> String {
    format!(
        "  note: similarity {} needs deep embeddings and no track has one, so this model is {}'s; \
         `musim-tui index --deep` computes them",
        model.params.similarity,
        model.profile()
    )
}
