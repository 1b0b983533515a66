//! What a file's tags say about its track: title, artist, album, track
//! number, year, genres and duration ([`Tags`]), read by [`read`] (lofty,
//! cover art never loaded), genres normalised by [`genre`], and the one
//! name a track is shown by ([`Tags::name`]: "Artist — Title", else the
//! file stem).
//!
//! Text is kept as the file has it (control characters included); it is
//! made safe only where it is shown ([`Tags::show_name`],
//! [`crate::store::text::safe`]).

pub mod genre;
pub mod ogg_headers;
pub mod read;

use serde::{Deserialize, Serialize};

pub use read::read;

/// The separator of [`Tags::name`] ("Artist — Title").
pub const NAME_SEPARATOR: &str = " — ";

/// A track's tags, as far as its file has them. Empty or blank text
/// fields are `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tags {
    /// Title.
    pub title: Option<String>,
    /// Track artist.
    pub artist: Option<String>,
    /// Album artist.
    pub album_artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Track number on its disc.
    pub track: Option<u32>,
    /// Release year.
    pub year: Option<u32>,
    /// Genre values as stored (each multi-value item; not normalised:
    /// see [`genre::normalise`] and [`Tags::genres`]).
    pub genres: Vec<String>,
    /// Duration from the container's header, seconds.
    pub duration_s: Option<f64>,
}

impl Tags {
    /// The artist a track is named and filtered by: the track artist,
    /// else the album artist.
    pub fn main_artist(&self) -> Option<&str> {
        self.artist.as_deref().or(self.album_artist.as_deref())
    }

    /// The normalised genres, primary first (see [`genre::normalise`]).
    pub fn genres(&self) -> Vec<String> {
        genre::normalise(&self.genres)
    }

    /// The primary genre, normalised.
    pub fn genre(&self) -> Option<String> {
        self.genres().into_iter().next()
    }

    /// The track's name, as data (not escaped): "Artist — Title", the
    /// title alone without an artist, else the stem of `path` (raw OS
    /// bytes).
    pub fn name(&self, path: &[u8]) -> String {
        self.name_with(path, NAME_SEPARATOR)
    }

    /// [`Tags::name`] with another separator between artist and title
    /// (M3U's `#EXTINF` uses " - ").
    pub fn name_with(&self, path: &[u8], separator: &str) -> String {
        match (self.main_artist(), self.title.as_deref()) {
            (Some(a), Some(t)) => format!("{a}{separator}{t}"),
            (None, Some(t)) => t.to_string(),
            _ => stem(path),
        }
    }

    /// [`Tags::name`] made safe for a terminal ([`crate::store::text::safe`]).
    pub fn show_name(&self, path: &[u8]) -> String {
        crate::store::text::safe(&self.name(path)).into_owned()
    }
}

/// What outputs say about a track besides its path (JSON, CSV): its name
/// and main tags, as data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrackInfo {
    /// "Artist — Title", else the file stem ([`Tags::name`]).
    pub name: String,
    /// Title tag.
    pub title: Option<String>,
    /// Artist (track artist, else album artist).
    pub artist: Option<String>,
    /// Album.
    pub album: Option<String>,
    /// Primary genre tag, normalised.
    pub genre: Option<String>,
    /// Year.
    pub year: Option<u32>,
}

impl Tags {
    /// The [`TrackInfo`] of the file at `path` (raw OS bytes) with these tags.
    pub fn info(&self, path: &[u8]) -> TrackInfo {
        TrackInfo {
            name: self.name(path),
            title: self.title.clone(),
            artist: self.main_artist().map(String::from),
            album: self.album.clone(),
            genre: self.genre(),
            year: self.year,
        }
    }
}

/// The file name of `path` without its extension (lossy UTF-8), or the
/// whole path when it has none.
pub fn stem(path: &[u8]) -> String {
    let p = crate::store::paths::from_bytes(path);
    match p.file_stem() {
        Some(s) => s.to_string_lossy().into_owned(),
        None => crate::store::paths::lossy_bytes(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(artist: Option<&str>, title: Option<&str>) -> Tags {
        Tags {
            artist: artist.map(String::from),
            title: title.map(String::from),
            ..Tags::default()
        }
    }

    #[test]
    fn names_artist_and_title_else_the_stem() {
        let p = b"/m/Artist/Album/07 Song.flac";
        assert_eq!(tags(Some("A"), Some("T")).name(p), "A — T");
        assert_eq!(tags(Some("A"), Some("T")).name_with(p, " - "), "A - T");
        assert_eq!(tags(None, Some("T")).name(p), "T");
        assert_eq!(tags(Some("A"), None).name(p), "07 Song");
        assert_eq!(tags(None, None).name(b"/m/x"), "x");
        let album_artist = Tags {
            album_artist: Some("B".into()),
            ..tags(None, Some("T"))
        };
        assert_eq!(album_artist.name(p), "B — T");
    }

    #[test]
    fn a_name_with_controls_is_shown_escaped_and_kept_as_data() {
        let t = tags(Some("\u{1b}]0;pwn\u{7}"), Some("a\nb"));
        assert_eq!(t.name(b"x"), "\u{1b}]0;pwn\u{7} — a\nb");
        assert_eq!(t.show_name(b"x"), "\\e]0;pwn\\a — a\\nb");
    }

    #[test]
    fn a_non_utf8_stem_is_lossy() {
        assert_eq!(tags(None, None).name(b"/m/caf\xe9.wav"), "caf\u{fffd}");
    }
}
