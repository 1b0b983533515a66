//! Human-readable summaries: of an indexing run, and of a library's index.
//! Every path, label, reason and warning in them is shown through
//! [`safe`] (paths by way of [`show`]), one field at a time, so the lines
//! stay the lines they are.

use std::fmt::Write;
use std::path::Path;

use crate::library::index::Index;
use crate::library::indexer::{Report, Saved};
use crate::library::labels::{LabelSource, Used};
use crate::library::scan::ProblemKind;
use crate::store::paths::{from_bytes, show};
use crate::store::text::safe;

/// How many example paths to show per group.
pub const EXAMPLES: usize = 3;

fn list(paths: &[String]) -> String {
    let mut s = paths
        .iter()
        .take(EXAMPLES)
        .map(|p| safe(p))
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > EXAMPLES {
        let _ = write!(s, ", … ({} more)", paths.len() - EXAMPLES);
    }
    s
}

/// Whether an entry's tags name or classify its track.
fn has_tags(e: &crate::library::index::Entry) -> bool {
    e.tags
        .as_ref()
        .is_some_and(|t| t.title.is_some() || t.main_artist().is_some() || !t.genres.is_empty())
}

/// The end-of-run summary, one fact per line.
pub fn run_summary(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "library {}", show(&r.root));
    let _ = writeln!(
        s,
        "  {} analysed, {} unchanged, {} removed, {} failed",
        r.analysed,
        r.unchanged,
        r.removed,
        r.failed()
    );
    if let Some(sh) = &r.index.header.shard {
        let _ = writeln!(
            s,
            "  shard {}/{}: {} of the library's {} audio files",
            sh.index,
            sh.count,
            r.scan.files.len(),
            sh.library_files
        );
    }
    let tagged = r.index.entries.iter().filter(|e| has_tags(e)).count();
    if !r.index.entries.is_empty() {
        let _ = writeln!(
            s,
            "  {tagged} of {} tracks have tags (title, artist or genre)",
            r.index.entries.len()
        );
    }
    if r.known_failures > 0 {
        let _ = writeln!(
            s,
            "  {} files failed before and are unchanged (not retried)",
            r.known_failures
        );
    }
    for (kind, fails) in &r.failures {
        let _ = writeln!(s, "  {} × {kind}:", fails.len());
        for f in fails.iter().take(EXAMPLES) {
            let _ = writeln!(s, "    {}", safe(&f.reason));
        }
        if fails.len() > EXAMPLES {
            let _ = writeln!(s, "    … and {} more", fails.len() - EXAMPLES);
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(s, "  {} analysed with warnings:", r.warned_files);
        for w in r.warnings.iter().take(EXAMPLES) {
            let _ = writeln!(s, "    {}", safe(w));
        }
        if r.warnings.len() > EXAMPLES {
            let _ = writeln!(s, "    … and {} more", r.warnings.len() - EXAMPLES);
        }
    }
    if !r.scan.problems.is_empty() {
        let _ = writeln!(s, "  {} scan problems:", r.scan.problems.len());
        for p in r.scan.problems.iter().take(EXAMPLES) {
            let _ = writeln!(s, "    {}", safe(&p.to_string()));
        }
        if r.scan.problems.len() > EXAMPLES {
            let _ = writeln!(s, "    … and {} more", r.scan.problems.len() - EXAMPLES);
        }
    }
    if !r.scan.skipped.is_empty() {
        let names: Vec<String> = r.scan.skipped.iter().map(|p| show(p)).collect();
        let _ = writeln!(
            s,
            "  {} non-audio files skipped: {}",
            names.len(),
            list(&names)
        );
    }
    for g in r.duplicates.iter().take(EXAMPLES) {
        let _ = writeln!(s, "  {} files look identical: {}", g.len(), list(g));
    }
    if r.duplicates.len() > EXAMPLES {
        let _ = writeln!(
            s,
            "  … and {} more groups of identical files",
            r.duplicates.len() - EXAMPLES
        );
    }
    if r.interrupted {
        let _ = writeln!(
            s,
            "  interrupted: {} files not analysed (run `musim-tui index` to continue)",
            r.not_reached
        );
    }
    let _ = match &r.saved {
        Saved::Written { backup: Some(b) } => writeln!(
            s,
            "  index saved to {} (the unusable old one was moved to {})",
            show(&r.index_path),
            show(b)
        ),
        Saved::Written { backup: None } => {
            writeln!(s, "  index saved to {}", show(&r.index_path))
        }
        Saved::UpToDate => writeln!(s, "  index {} is up to date", show(&r.index_path)),
        Saved::KeptOld(why) => writeln!(s, "  {why}: index {} left unchanged", show(&r.index_path)),
    };
    s
}

/// Counts of scan problems by kind (for tests and terse output).
pub fn problem_count(r: &Report, kind: ProblemKind) -> usize {
    r.scan.problems.iter().filter(|p| p.kind == kind).count()
}

/// A summary of the library as indexed: root, index, counts, labels, dims.
pub fn library_summary(index: &Index, index_path: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "library:   {}",
        crate::store::paths::show_bytes(&index.header.root)
    );
    let _ = writeln!(s, "index:     {}", show(index_path));
    let _ = writeln!(
        s,
        "tracks:    {} analysed, {} failed",
        index.analysed(),
        index.failed()
    );
    let labels = index.label_counts();
    let analysed: Vec<_> = index
        .entries
        .iter()
        .filter(|e| e.values().is_some())
        .collect();
    let count = |f: &dyn Fn(&crate::tags::Tags) -> bool| {
        analysed
            .iter()
            .filter(|e| e.tags.as_ref().is_some_and(f))
            .count()
    };
    let _ = writeln!(
        s,
        "tags:      {} of {} analysed tracks have a title, {} an artist, {} a genre",
        count(&|t| t.title.is_some()),
        analysed.len(),
        count(&|t| t.main_artist().is_some()),
        count(&|t| !t.genres().is_empty()),
    );
    let source = crate::library::labels::used(
        &index.entries,
        &from_bytes(&index.header.root),
        index.header.labels,
    );
    let from = match source {
        Used::Folder => "folders",
        Used::Tag => "genre tags",
        Used::None => "none",
    };
    if labels.is_empty() {
        let why = match index.header.labels {
            LabelSource::None => "--labels none",
            LabelSource::Folder => "not in the <genre>/<file> layout",
            LabelSource::Tag => "no genre tags",
            LabelSource::Auto => "no genre tags, and not in the <genre>/<file> layout",
        };
        let _ = writeln!(s, "labels:    none ({why})");
    } else {
        let parts: Vec<String> = labels
            .iter()
            .map(|(l, n)| format!("{} ({n})", safe(l)))
            .collect();
        let labelled: usize = labels.iter().map(|(_, n)| n).sum();
        let _ = writeln!(
            s,
            "labels:    {}: {} (from {from}; {labelled} of {} tracks labelled)",
            labels.len(),
            parts.join(", "),
            analysed.len()
        );
    }
    let _ = writeln!(
        s,
        "features:  {} dimensions (feature set v{})",
        index.header.feature_names.len(),
        index.header.feature_set_version
    );
    s
}
