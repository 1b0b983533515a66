//! Reading a file's tags with lofty (ID3v2/ID3v1, Vorbis comments, MP4
//! atoms, APE, RIFF INFO, AIFF chunks), pictures skipped.
//!
//! Why lofty rather than symphonia's metadata: symphonia hands tags over
//! only as a side effect of opening a decoder, as format-specific keys
//! (no album-artist or multi-value genre mapping across formats), and
//! reads embedded pictures into memory; lofty maps every format onto one
//! set of keys, can skip pictures (`read_cover_art(false)`), caps any one
//! item's allocation (16 MB), and needs no audio decoding.

use std::path::Path;

use lofty::config::ParseOptions;
use lofty::file::{AudioFile, TaggedFileExt};
use lofty::probe::Probe;
use lofty::tag::{Accessor, ItemKey, Tag};

use super::Tags;
use crate::store::paths::show;

/// Text fields longer than this many bytes are cut (at a character
/// boundary): a tag is a name, not a document.
pub const MAX_TEXT: usize = 4096;
/// At most this many genre items are kept per file.
pub const MAX_GENRE_ITEMS: usize = 64;
/// Tags are not read from a file with a tag item (an Ogg header packet,
/// an MP4 `ilst`) over this many bytes: lofty's own allocation limit,
/// reached only by embedded pictures.
pub const MAX_ITEM: u64 = 16 << 20;

/// Why a file's tags could not be read (its audio may still be fine).
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    /// Not a regular file (a FIFO would block): not opened.
    #[error("cannot read the tags of {}: not a regular file", show(.path))]
    NotAFile {
        /// The file.
        path: std::path::PathBuf,
    },
    /// A tag item is too large to read (an embedded picture, mostly):
    /// the file's tags are not read, and the user is told.
    #[error("{}: tags not read: {reason}", show(.path))]
    TooLarge {
        /// The file.
        path: std::path::PathBuf,
        /// What is too large.
        reason: String,
    },
    /// The file cannot be opened or its tags cannot be parsed.
    #[error("cannot read the tags of {}: {reason}", show(.path))]
    Unreadable {
        /// The file.
        path: std::path::PathBuf,
        /// lofty's or the OS's message.
        reason: String,
    },
}

/// The tags of the file at `path`. Tags of several kinds in one file (say
/// ID3v2 and ID3v1) are merged, the file's main kind first. Pictures are
/// skipped, never decoded or kept.
pub fn read(path: &Path) -> Result<Tags, TagError> {
    let unreadable = |reason: String| TagError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(TagError::NotAFile {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(unreadable(e.to_string())),
    }
    // lofty would read an oversized Ogg header packet whole before
    // refusing it; the page headers tell its size without reading it.
    if let Some(n) = super::ogg_headers::largest_header_packet(path, MAX_ITEM) {
        if n > MAX_ITEM {
            return Err(TagError::TooLarge {
                path: path.to_path_buf(),
                reason: format!(
                    "an Ogg header packet is over {} MB (an embedded picture?)",
                    MAX_ITEM >> 20
                ),
            });
        }
    }
    let options = ParseOptions::new().read_cover_art(false);
    // lofty 0.24 panics on some damaged files (an Opus header with a bad
    // channel count: `expect("Channel count is valid")`, found by
    // tests/fuzz_inputs.rs): contained as an unreadable file.
    let lofty = |e: lofty::error::LoftyError| match e.kind() {
        lofty::error::ErrorKind::TooMuchData => TagError::TooLarge {
            path: path.to_path_buf(),
            reason: format!(
                "a tag item is over {} MB (an embedded picture?)",
                MAX_ITEM >> 20
            ),
        },
        _ => unreadable(e.to_string()),
    };
    let probed = std::panic::catch_unwind(|| {
        Probe::open(path)
            .map_err(lofty)?
            .options(options)
            .guess_file_type()
            .map_err(|e| unreadable(e.to_string()))?
            .read()
            .map_err(lofty)
    });
    let file = probed.unwrap_or_else(|_| Err(unreadable("damaged tags".into())))?;
    let mut tags = Tags::default();
    let primary = file.primary_tag_type();
    let mut all: Vec<&Tag> = file.tags().iter().collect();
    all.sort_by_key(|t| t.tag_type() != primary);
    for tag in all {
        merge(&mut tags, tag);
    }
    let d = file.properties().duration().as_secs_f64();
    tags.duration_s = (d > 0.0 && d.is_finite()).then_some(d);
    Ok(tags)
}

/// Fill the fields of `tags` still empty from `tag`.
fn merge(tags: &mut Tags, tag: &Tag) {
    let text = |key: ItemKey| tag.get_strings(key).find_map(clean);
    if tags.title.is_none() {
        tags.title = text(ItemKey::TrackTitle);
    }
    if tags.artist.is_none() {
        tags.artist = text(ItemKey::TrackArtist);
    }
    if tags.album_artist.is_none() {
        tags.album_artist = text(ItemKey::AlbumArtist);
    }
    if tags.album.is_none() {
        tags.album = text(ItemKey::AlbumTitle);
    }
    if tags.track.is_none() {
        tags.track = tag.track().filter(|&n| n > 0);
    }
    if tags.year.is_none() {
        tags.year = tag
            .date()
            .map(|d| u32::from(d.year))
            .filter(|&y| y > 0)
            .or_else(|| {
                [
                    ItemKey::Year,
                    ItemKey::RecordingDate,
                    ItemKey::OriginalReleaseDate,
                ]
                .into_iter()
                .find_map(|k| tag.get_strings(k).find_map(leading_year))
            });
    }
    if tags.genres.is_empty() {
        tags.genres = tag
            .get_strings(ItemKey::Genre)
            .filter_map(clean)
            .take(MAX_GENRE_ITEMS)
            .collect();
    }
}

/// A text value worth keeping: not blank, cut to [`MAX_TEXT`] bytes.
/// Control characters are kept (they are data; see [`crate::store::text`]).
fn clean(s: &str) -> Option<String> {
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if s.is_empty() {
        return None;
    }
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).map(str::to_string)
}

/// The year a date text starts with ("1997", "1997-05-01").
fn leading_year(s: &str) -> Option<u32> {
    let digits: String = s.trim().chars().take_while(char::is_ascii_digit).collect();
    (digits.len() == 4)
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|&y| y > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_is_no_value_and_long_text_is_cut_on_a_character() {
        assert_eq!(clean("  \0 "), None);
        assert_eq!(clean(" a b "), Some("a b".into()));
        let long = "é".repeat(MAX_TEXT);
        let cut = clean(&long).unwrap();
        assert!(cut.len() <= MAX_TEXT && cut.len() >= MAX_TEXT - 1);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn years_come_from_the_start_of_dates() {
        assert_eq!(leading_year("1997-05-01"), Some(1997));
        assert_eq!(leading_year("2004"), Some(2004));
        assert_eq!(leading_year("97"), None);
        assert_eq!(leading_year("May 1997"), None);
    }

    #[test]
    fn a_missing_file_or_a_folder_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let e = read(d.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read(&d.path().join("none.mp3")).unwrap_err().to_string();
        assert!(e.contains("none.mp3"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_audio_has_unreadable_tags() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.mp3");
        std::fs::write(&p, b"this is not audio at all").unwrap();
        assert!(read(&p).is_err());
    }
}
