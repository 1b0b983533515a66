//! Text from outside musim (file and folder names, genre labels, tags,
//! yt-dlp titles, subprocess and OS error text) made safe to show on a
//! terminal.
//!
//! A terminal obeys control characters: a file named `\e]0;x\a` retitles
//! the window, `\e[2J` clears the screen, `\r` overwrites the line, and
//! U+009B is a one-character CSI on terminals that honour C1 controls.
//! [`safe`] is the one place that decides how such text is shown; every
//! path shown goes through it by way of [`super::paths::show`].

use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` as it may be printed on a terminal: every control character (C0
/// U+0000–U+001F, DEL U+007F and C1 U+0080–U+009F; `char::is_control`) is
/// shown as a visible escape, everything else is kept as it is.
///
/// The escapes are C's: `\a` `\b` `\t` `\n` `\v` `\f` `\r`, `\e` for ESC,
/// and `\xNN` (two lower-case hex digits of the code point) for the rest,
/// e.g. `\x00`, `\x7f`, `\x9b` for U+009B. Tab and newline are escaped too:
/// the result is always one line and can be used as a field of one (a
/// caller joining several lines escapes each field, never the whole text).
///
/// A literal backslash is left alone, deliberately:
/// - the function is idempotent (`safe(safe(s)) == safe(s)`), so text
///   that embeds already-shown parts (an error message naming a path, a
///   stored failure reason) can go through it again where it is printed
///   without doubling escapes;
/// - Windows paths and ordinary names with backslashes stay readable;
/// - the only ambiguity left is that a name containing the two characters
///   `\` `e` looks like one containing ESC. The output never contains a
///   control character, so nothing it shows can act on the terminal; and
///   the exact name is always available as data (`--json`, CSV export).
///
/// Invalid UTF-8 never reaches here: callers turn it into U+FFFD first
/// (see [`super::paths::show`]).
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\x07' => o.push_str("\\a"),
            '\x08' => o.push_str("\\b"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\x0b' => o.push_str("\\v"),
            '\x0c' => o.push_str("\\f"),
            '\r' => o.push_str("\\r"),
            '\x1b' => o.push_str("\\e"),
            c if c.is_control() => {
                let _ = write!(o, "\\x{:02x}", u32::from(c));
            }
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "rock/song.wav",
            "café — ♪ 日本",
            "a\\b",
            "C:\\Music\\x.wav",
        ] {
            assert!(matches!(safe(s), Cow::Borrowed(b) if b == s), "{s}");
        }
    }

    #[test]
    fn c0_del_and_c1_controls_are_shown_escaped() {
        assert_eq!(safe("\x1b]0;pwned\x07.wav"), "\\e]0;pwned\\a.wav");
        assert_eq!(safe("a\x1b[2Jb"), "a\\e[2Jb");
        assert_eq!(safe("over\rwrite"), "over\\rwrite");
        assert_eq!(safe("two\nlines\tand tab"), "two\\nlines\\tand tab");
        assert_eq!(safe("\x00\x01\x08\x0b\x0c\x1f"), "\\x00\\x01\\b\\v\\f\\x1f");
        assert_eq!(safe("del\x7f"), "del\\x7f");
        assert_eq!(safe("\u{80}csi\u{9b}2J\u{9f}"), "\\x80csi\\x9b2J\\x9f");
        // U+00A0 and above are not controls.
        assert_eq!(safe("\u{a0}é"), "\u{a0}é");
    }

    #[test]
    fn output_has_no_control_character_and_is_idempotent() {
        let all: String = (0u32..0x100).filter_map(char::from_u32).collect();
        let once = safe(&all).into_owned();
        assert!(!once.chars().any(char::is_control), "{once:?}");
        assert_eq!(safe(&once), once);
        // A backslash is kept as it is.
        assert_eq!(safe("a\\e\x1b"), "a\\e\\e");
    }
}
