//! Human-readable query output and M3U playlists.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::QueryResult;
use crate::model::Track;
use crate::store::atomic::{write_atomic, WriteError};
use crate::store::text::safe;

/// "3:25" from seconds.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// The query result as text for a terminal: every name, label, title and
/// message from outside goes through [`safe`].
pub fn render(r: &QueryResult) -> String {
    let mut o = String::new();
    let title = r
        .title
        .as_deref()
        .map(|t| format!(" — {}", safe(t)))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "query: {}{title} ({})",
        safe(&r.source),
        clock(r.duration_s)
    );
    if r.track.title.is_some() && r.title.as_ref() != Some(&r.track.name) {
        let _ = writeln!(o, "track:   {}", safe(&r.track.name));
    }
    if r.library_track.is_some() {
        let _ = writeln!(
            o,
            "  (a track of the library; it is left out of its own neighbours)"
        );
    }
    match &r.genre {
        Some(g) => {
            let others: Vec<String> = g
                .votes
                .iter()
                .skip(1)
                .take(3)
                .map(|(n, s)| format!("{} {:.0}%", safe(n), s * 100.0))
                .collect();
            let rest = if others.is_empty() {
                String::new()
            } else {
                format!("; then {}", others.join(", "))
            };
            let _ = writeln!(
                o,
                "genre:   {} (confidence {:.0}%{rest})",
                safe(&g.genre),
                g.confidence * 100.0
            );
        }
        None => {
            let _ = writeln!(o, "genre:   unknown (the library has no genre labels)");
        }
    }
    let c = &r.cluster;
    let majority = c
        .majority
        .as_ref()
        .map(|(g, s)| format!(", mostly {} ({:.0}%)", safe(g), s * 100.0))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "cluster: {} ({} tracks{majority})",
        c.id, c.archetype.size
    );
    let _ = writeln!(o, "  archetype: {}", safe(&c.archetype.describe(5)));
    if !c.representatives.is_empty() {
        let shown: Vec<_> = c.representatives.iter().map(|p| safe(p)).collect();
        let _ = writeln!(o, "  representatives: {}", shown.join(", "));
    }
    let _ = writeln!(o, "map:     ({:.2}, {:.2})", r.map[0], r.map[1]);
    if r.similar.is_empty() {
        let _ = writeln!(o, "similar: none (the library has no other track)");
    } else {
        let _ = writeln!(o, "similar tracks:");
        for (i, s) in r.similar.iter().enumerate() {
            let label = safe(s.label.as_deref().unwrap_or("-"));
            let copies = if s.copies.is_empty() {
                String::new()
            } else {
                format!(
                    "  (+{} identical cop{})",
                    s.copies.len(),
                    if s.copies.len() == 1 { "y" } else { "ies" }
                )
            };
            let _ = writeln!(
                o,
                "  {:>2}. {:>6.3}  {label:<12} {}{copies}",
                i + 1,
                s.similarity,
                safe(&s.info.name)
            );
        }
    }
    if !r.why.is_empty() {
        let parts: Vec<String> = r
            .why
            .iter()
            .map(|w| format!("{} {:.2}", w.name, w.agreement))
            .collect();
        let _ = writeln!(
            o,
            "why similar (agreement, 1 = identical, 0 = chance): {}",
            parts.join(" · ")
        );
    }
    if !r.tags.is_empty() {
        let parts: Vec<String> = r
            .tags
            .iter()
            .map(|(t, s)| format!("{} {s:.2}", safe(t)))
            .collect();
        let _ = writeln!(o, "tags (musicnn, MSD): {}", parts.join(", "));
    }
    if !r.shared_tags.is_empty() {
        let parts: Vec<String> = r
            .shared_tags
            .iter()
            .map(|(t, s)| format!("{} {s:.2}", safe(t)))
            .collect();
        let _ = writeln!(o, "tags shared with its neighbours: {}", parts.join(", "));
    }
    for w in &r.warnings {
        let _ = writeln!(o, "warning: {}", safe(w));
    }
    o
}

/// Write the similar tracks as an extended M3U playlist (atomically).
pub fn write_m3u<R: super::Rows>(rows: &R, r: &QueryResult, path: &Path) -> Result<(), WriteError> {
    let mut text = String::from("#EXTM3U\n");
    for s in &r.similar {
        let track = (s.track as usize)
            .lt(&rows.len())
            .then(|| rows.track(s.track as usize).ok())
            .flatten();
        match track {
            Some(t) => push_track(&mut text, &t),
            None => push_entry(&mut text, -1, &s.info.name, &s.path),
        }
    }
    write_atomic(path, |w: &mut dyn Write| w.write_all(text.as_bytes()))
}

/// An extended M3U playlist of library tracks, in order: `#EXTM3U`, then
/// `#EXTINF:seconds,Artist - Title` and the path of each.
pub fn m3u<'a>(tracks: impl IntoIterator<Item = &'a Track>) -> String {
    let mut text = String::from("#EXTM3U\n");
    for t in tracks {
        push_track(&mut text, t);
    }
    text
}

fn push_track(text: &mut String, t: &Track) {
    // "Artist - Title" (M3U's usual separator), else the file stem.
    let name = t.meta.name_with(&t.path, " - ");
    push_entry(text, t.duration_s.round() as i64, &name, &t.path_text());
}

fn push_entry(text: &mut String, secs: i64, name: &str, path: &str) {
    // One line whatever the tags hold.
    let name: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(text, "#EXTINF:{secs},{name}");
    let _ = writeln!(text, "{path}");
}
