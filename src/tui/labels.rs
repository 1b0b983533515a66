//! How the explorer names things on screen: a track's display name and
//! search text, a cluster's genre mix with its ties, a genre vote. One
//! place, so the map title, the lists, the details and the finder agree.
//! Every string returned here is safe for a terminal.

use crate::model::archetype::Archetype;
use crate::model::Track;
use crate::query::GenreGuess;
use crate::store::text::safe;

/// A path's file name (the whole text when it has none).
fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A path's file name without its extension.
fn file_stem(path: &str) -> String {
    std::path::Path::new(path)
        .file_stem()
        .map_or_else(|| file_name(path), |n| n.to_string_lossy().into_owned())
}

/// What the explorer calls a track: "Artist — Title" from its tags, else
/// its file stem ([`Track::show_name`]).
pub fn display_name(track: &Track) -> String {
    track.show_name()
}

/// A track's album and year, "Album (1999)", when its tags have them.
pub fn album(track: &Track) -> Option<String> {
    let album = track.meta.album.as_deref().map(|a| safe(a).into_owned());
    match (album, track.meta.year) {
        (Some(a), Some(y)) => Some(format!("{a} ({y})")),
        (Some(a), None) => Some(a),
        (None, Some(y)) => Some(y.to_string()),
        (None, None) => None,
    }
}

/// The display name of a file that may not be in the library (a query).
pub fn path_name(path: &str) -> String {
    safe(&file_stem(path)).into_owned()
}

/// The file name of a path that may not be in the library (a query).
pub fn path_file(path: &str) -> String {
    safe(&file_name(path)).into_owned()
}

/// A track's file name, with its extension.
pub fn track_file(track: &Track) -> String {
    safe(&file_name(&track.path_text())).into_owned()
}

/// The text the finder matches a typed fragment against: the name
/// (artist and title, or the stem), the album and the file name with its
/// folder. Not shown, so not made safe.
pub fn search_text(track: &Track) -> String {
    let path = track.path_text();
    let parent = std::path::Path::new(&path)
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let album = track.meta.album.as_deref().unwrap_or("");
    format!("{} {album} {parent}/{}", track.name(), file_name(&path))
}

/// A track's name in a list, with a check mark when it is marked.
pub fn marked(app: &crate::tui::app::App, row: usize, name: String) -> String {
    if app.marked.contains(&row) {
        format!("{MARK} {name}")
    } else {
        name
    }
}

/// What shows a marked track in lists and on the map.
pub const MARK: &str = "✓";

/// "1:07".
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A cluster's majority genre with every genre tied with it:
/// "jazz/rock 50%"; None when nothing in it is labelled.
pub fn majority(arch: &Archetype) -> Option<String> {
    let top = arch.counts.first()?.1;
    let tied: Vec<String> = arch
        .counts
        .iter()
        .take_while(|(_, c)| *c == top)
        .map(|(g, _)| safe(g).into_owned())
        .collect();
    Some(format!(
        "{} {:.0}%",
        tied.join("/"),
        100.0 * top as f64 / arch.size.max(1) as f64
    ))
}

/// A genre vote with its ties: "jazz/rock 50%".
pub fn vote(g: &GenreGuess) -> String {
    // Shares are sums of similarities: equal to rounding, not bit for bit.
    let tied: Vec<String> = g
        .votes
        .iter()
        .take_while(|(_, v)| (v - g.confidence).abs() < 1e-9)
        .map(|(name, _)| safe(name).into_owned())
        .collect();
    let names = if tied.is_empty() {
        safe(&g.genre).into_owned()
    } else {
        tied.join("/")
    };
    format!("{names} {:.0}%", g.confidence * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(path: &str) -> Track {
        Track {
            path: path.as_bytes().to_vec(),
            size: 1,
            mtime_ns: 1,
            label: None,
            duration_s: 1.0,
            tags: Vec::new(),
            meta: Default::default(),
        }
    }

    #[test]
    fn names_come_from_the_file_stem_and_are_safe() {
        assert_eq!(display_name(&track("/m/jazz/jazz.03.wav")), "jazz.03");
        assert_eq!(track_file(&track("/m/jazz/jazz.03.wav")), "jazz.03.wav");
        assert_eq!(display_name(&track("/m/a\x1b[31mb.mp3")), "a\\e[31mb");
        assert_eq!(path_name("/tmp/new song.flac"), "new song");
        assert!(search_text(&track("/m/jazz/jazz.03.wav")).contains("jazz/jazz.03.wav"));
    }

    #[test]
    fn tags_name_a_track_and_are_searched() {
        let mut t = track("/m/x/07 song.flac");
        t.meta.artist = Some("Nina".into());
        t.meta.title = Some("Sinnerman".into());
        t.meta.album = Some("Pastel Blues".into());
        t.meta.year = Some(1965);
        assert_eq!(display_name(&t), "Nina — Sinnerman");
        assert_eq!(album(&t).as_deref(), Some("Pastel Blues (1965)"));
        let s = search_text(&t);
        for part in ["Nina", "Sinnerman", "Pastel Blues", "07 song.flac"] {
            assert!(s.contains(part), "{part} in {s}");
        }
        assert_eq!(album(&track("/m/a.wav")), None);
    }

    #[test]
    fn ties_are_named_together() {
        let a = Archetype::of([Some("rock"), Some("jazz"), Some("rock"), Some("jazz")]);
        assert_eq!(majority(&a).as_deref(), Some("jazz/rock 50%"));
        let b = Archetype::of([Some("rock"), Some("jazz"), Some("rock"), None]);
        assert_eq!(majority(&b).as_deref(), Some("rock 50%"));
        assert_eq!(majority(&Archetype::of([None])), None);
        let g = GenreGuess {
            genre: "jazz".into(),
            confidence: 0.5,
            votes: vec![("jazz".into(), 0.5), ("rock".into(), 0.5)],
        };
        assert_eq!(vote(&g), "jazz/rock 50%");
        let g = GenreGuess {
            genre: "jazz".into(),
            confidence: 0.75,
            votes: vec![("jazz".into(), 0.75), ("rock".into(), 0.25)],
        };
        assert_eq!(vote(&g), "jazz 75%");
    }
}
