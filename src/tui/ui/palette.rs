//! Colours: a colour-blind-safe categorical palette (Okabe–Ito, then Paul
//! Tol's "muted" set) for clusters and genres.

use ratatui::style::Color;

const COLOURS: [(u8, u8, u8); 16] = [
    (230, 159, 0),   // orange
    (86, 180, 233),  // sky blue
    (0, 158, 115),   // bluish green
    (240, 228, 66),  // yellow
    (0, 114, 178),   // blue
    (213, 94, 0),    // vermillion
    (204, 121, 167), // reddish purple
    (200, 200, 200), // grey
    (136, 34, 85),   // wine
    (68, 170, 153),  // teal
    (153, 153, 51),  // olive
    (221, 204, 119), // sand
    (51, 34, 136),   // indigo
    (136, 204, 238), // cyan
    (170, 68, 153),  // purple
    (17, 119, 51),   // green
];

/// The colour of category `i` (cycles after 16).
pub fn colour(i: usize) -> Color {
    let (r, g, b) = COLOURS[i % COLOURS.len()];
    Color::Rgb(r, g, b)
}
