//! Paths as raw OS bytes (for storage), as lossy text (for data: JSON,
//! CSV, M3U) and as text for people ([`show`]: what a terminal may print).
//!
//! Why bytes: Unix file names need not be UTF-8, and serde's `PathBuf`
//! serialisation refuses such names, so the index stores the exact bytes.

use std::path::{Path, PathBuf};

/// The exact bytes of `path` (on Unix the raw file-name bytes).
pub fn to_bytes(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

/// Rebuild a path from bytes produced by [`to_bytes`].
#[cfg(unix)]
pub fn from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Rebuild a path from bytes produced by [`to_bytes`].
#[cfg(not(unix))]
pub fn from_bytes(bytes: &[u8]) -> PathBuf {
    // Off Unix the encoded bytes are WTF-8; a lossy round trip is the best
    // we can do without `unsafe`, and only affects unpaired surrogates.
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// A path for display (messages, summaries, anything printed):
/// invalid UTF-8 is replaced by U+FFFD and control characters are shown
/// escaped by [`super::text::safe`], so a file name cannot act on the
/// terminal. For the path as data (JSON, CSV, playlists) use [`lossy`].
pub fn show(path: &Path) -> String {
    super::text::safe(&path.to_string_lossy()).into_owned()
}

/// Stored path bytes for display (see [`show`]).
pub fn show_bytes(bytes: &[u8]) -> String {
    super::text::safe(&String::from_utf8_lossy(bytes)).into_owned()
}

/// A path as text data: invalid UTF-8 is replaced by U+FFFD, nothing else
/// is changed. For JSON (which escapes it), CSV and playlists; never print
/// it to a terminal as it is (use [`show`]).
pub fn lossy(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Stored path bytes as text data (see [`lossy`]).
pub fn lossy_bytes(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_round_trip_exactly() {
        use std::os::unix::ffi::OsStrExt;
        let p = PathBuf::from(std::ffi::OsStr::from_bytes(b"/music/caf\xe9.wav"));
        assert_eq!(from_bytes(&to_bytes(&p)), p);
        assert_eq!(show(&p), "/music/caf\u{fffd}.wav");
        assert_eq!(lossy(&p), "/music/caf\u{fffd}.wav");
    }

    #[test]
    fn shown_paths_escape_controls_and_data_keeps_them() {
        let p = Path::new("/music/\x1b]0;title\x07/a\r\u{9b}2J.wav");
        assert_eq!(show(p), "/music/\\e]0;title\\a/a\\r\\x9b2J.wav");
        assert_eq!(show_bytes(&to_bytes(p)), show(p));
        assert_eq!(lossy(p), "/music/\x1b]0;title\x07/a\r\u{9b}2J.wav");
        assert_eq!(lossy_bytes(&to_bytes(p)), lossy(p));
    }
}
