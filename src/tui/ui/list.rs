//! Helpers for panes that show part of something: which rows of a long
//! list fit (only those are built, so lists of 100 000 tracks cost a
//! screenful), the hint that rows are hidden, and text cut to a width.

use std::ops::Range;

use unicode_width::UnicodeWidthStr;

/// The rows of a `len`-row list shown in `height` lines with `selected`
/// in view (scrolled only as far as needed).
pub fn visible(len: usize, selected: Option<usize>, height: usize) -> Range<usize> {
    if height == 0 || len == 0 {
        return 0..0;
    }
    let sel = selected.unwrap_or(0).min(len - 1);
    let start = (sel + 1).saturating_sub(height);
    start..(start + height).min(len)
}

/// "↑ 2 · ↓ 5 more" when rows are hidden above or below `shown`.
pub fn hint(shown: &Range<usize>, len: usize) -> Option<String> {
    let (above, below) = (shown.start, len.saturating_sub(shown.end));
    match (above, below) {
        (0, 0) => None,
        (0, b) => Some(format!("↓ {b} more")),
        (a, 0) => Some(format!("↑ {a} more")),
        (a, b) => Some(format!("↑ {a} · ↓ {b} more")),
    }
}

/// Display width of `s` in cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to `max` cells, ending in "…" when cut.
pub fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// The last `max` cells of `s`, starting with "…" when cut.
pub fn fit_tail(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        tail.push(c);
        w += cw;
    }
    let mut out = String::from("…");
    out.extend(tail.into_iter().rev());
    out
}

/// The first of `options` that fits `max` cells, else the last cut to fit:
/// pane titles say less on small screens instead of being cut mid-word.
pub fn title(options: &[String], max: usize) -> String {
    options
        .iter()
        .find(|o| width(o) <= max)
        .cloned()
        .unwrap_or_else(|| fit(options.last().map_or("", String::as_str), max))
}

/// `text` wrapped at spaces into lines of at most `max` cells (a word
/// longer than a line is cut with "…").
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let need = if cur.is_empty() {
            width(word)
        } else {
            width(&cur) + 1 + width(word)
        };
        if need <= max {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        } else {
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            cur = fit(word, max);
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selected_row_stays_in_view() {
        assert_eq!(visible(10, Some(0), 4), 0..4);
        assert_eq!(visible(10, Some(3), 4), 0..4);
        assert_eq!(visible(10, Some(7), 4), 4..8);
        assert_eq!(visible(10, Some(99), 4), 6..10);
        assert_eq!(visible(3, None, 4), 0..3);
        assert_eq!(visible(3, Some(1), 0), 0..0);
        assert_eq!(hint(&(0..4), 10).as_deref(), Some("↓ 6 more"));
        assert_eq!(hint(&(4..8), 10).as_deref(), Some("↑ 4 · ↓ 2 more"));
        assert_eq!(hint(&(0..3), 3), None);
    }

    #[test]
    fn text_is_cut_with_an_ellipsis_and_wrapped() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit_tail("/home/me/music/song.wav", 10), "…/song.wav");
        assert_eq!(
            title(
                &[
                    "clusters (10) · Enter: tracks".into(),
                    "clusters (10)".into()
                ],
                20
            ),
            "clusters (10)"
        );
        assert_eq!(
            wrap("why: timbre 0.83 · harmony 0.71", 16),
            vec!["why: timbre 0.83", "· harmony 0.71"]
        );
        assert_eq!(wrap("", 5), vec![""]);
    }
}
