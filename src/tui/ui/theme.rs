//! The explorer's colours and styles in one place. Category colours come
//! from the report's palette ([`crate::report::plot::style::CATEGORICAL`]),
//! so a genre has the same colour on the map and in the PNGs.

use ratatui::style::{Color, Modifier, Style};

use crate::report::plot::style::{Rgb, CATEGORICAL, UNLABELLED};

fn rgb(c: Rgb) -> Color {
    Color::Rgb(c.0, c.1, c.2)
}

/// The colour of category `i` (genre or cluster; cycles after 16).
pub fn colour(i: usize) -> Color {
    rgb(CATEGORICAL[i % CATEGORICAL.len()])
}

/// Tracks without a genre label.
pub fn unlabelled() -> Color {
    rgb(UNLABELLED)
}

/// Background of the selected row: light, so black text on it reads at
/// ≥ 4.5:1 (WCAG AA) and the category colours of its bars stay visible.
pub const SELECTION_BG: Rgb = Rgb(200, 220, 240);

/// The selected row of a list: black on [`SELECTION_BG`], bold. Rows draw
/// their text without colours of their own when selected.
pub fn selection() -> Style {
    Style::default()
        .fg(Color::Black)
        .bg(rgb(SELECTION_BG))
        .add_modifier(Modifier::BOLD)
}

/// Secondary text (labels, hints).
pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

/// Tertiary text that must still read on a dark background.
pub fn soft() -> Style {
    Style::default().fg(Color::Gray)
}

/// Neighbour lines on the map: dim, beneath the points.
pub const LINE: Color = Color::Rgb(88, 88, 88);

/// The path between marked tracks on the map: bright, unlike the
/// neighbour lines, and still beneath the points.
pub const PATH: Color = Color::Rgb(255, 175, 0);

/// Marked tracks on the map.
pub fn marked() -> Style {
    Style::default()
        .fg(PATH)
        .add_modifier(ratatui::style::Modifier::BOLD)
}

/// Similarity figures.
pub fn figure() -> Style {
    Style::default().fg(Color::Green)
}

/// Keys in the help and hints.
pub fn key() -> Style {
    Style::default().fg(Color::Cyan)
}

/// Titles of what is shown (a track's name).
pub fn strong() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// What is playing.
pub fn playing() -> Style {
    Style::default().fg(Color::Green)
}

/// Errors in the status bar.
pub fn error() -> Style {
    Style::default().fg(Color::White).bg(Color::Red)
}

/// A pane's border, highlighted when focused.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().fg(Color::DarkGray)
    }
}

/// Contrast ratio of two colours (WCAG 2), 1..21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_text_reads_on_the_selection_bar() {
        assert!(contrast(Rgb(0, 0, 0), SELECTION_BG) >= 4.5);
        assert!(contrast(Rgb(0, 0, 0), Rgb(255, 255, 255)) > 20.0);
    }

    #[test]
    fn neighbouring_categories_differ_and_none_is_the_unlabelled_grey() {
        for i in 0..16 {
            assert_ne!(colour(i), colour(i + 1));
            assert_ne!(colour(i), unlabelled());
        }
    }
}
