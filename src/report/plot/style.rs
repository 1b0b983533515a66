//! Colours and markers shared by the plots: viridis for quantities
//! (perceptually uniform, readable in greyscale and with every common
//! colour-vision deficiency), [`CATEGORICAL`] for categories (Okabe–Ito's
//! colour-blind-safe set, then Paul Tol's; the explorer's map uses the same
//! table, so a genre has one colour everywhere), extended by marker shapes
//! beyond 16 categories.

use plotters::prelude::*;

use super::{Area, Drawn, PlotError};

/// An 8-bit RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// As a plotters colour.
    pub fn rgb(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }

    /// Mixed with `other`: `t` = 0 gives self, 1 gives other.
    pub fn mix(self, other: Rgb, t: f64) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }

    /// Relative luminance (sRGB, 0..1), to choose readable text on it.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// Dark or white text, whichever reads better on this colour.
    pub fn text_on(self) -> Rgb {
        if self.luminance() > 0.28 {
            INK
        } else {
            WHITE
        }
    }
}

/// Page background.
pub const WHITE: Rgb = Rgb(255, 255, 255);
/// Main text.
pub const INK: Rgb = Rgb(34, 34, 34);
/// Secondary text (subtitles, axis titles).
pub const MUTED: Rgb = Rgb(96, 96, 96);
/// Faint text and frames.
pub const FAINT: Rgb = Rgb(170, 170, 170);
/// Light rules and empty cells.
pub const RULE: Rgb = Rgb(225, 225, 225);
/// Colour of tracks without a label on the map.
pub const UNLABELLED: Rgb = Rgb(160, 160, 160);

/// Viridis at 11 evenly spaced stops (matplotlib's colormap), interpolated
/// linearly in between.
const VIRIDIS: [Rgb; 11] = [
    Rgb(0x44, 0x01, 0x54),
    Rgb(0x48, 0x24, 0x75),
    Rgb(0x41, 0x44, 0x87),
    Rgb(0x35, 0x5f, 0x8d),
    Rgb(0x2a, 0x78, 0x8e),
    Rgb(0x21, 0x91, 0x8c),
    Rgb(0x22, 0xa8, 0x84),
    Rgb(0x44, 0xbf, 0x70),
    Rgb(0x7a, 0xd1, 0x51),
    Rgb(0xbd, 0xdf, 0x26),
    Rgb(0xfd, 0xe7, 0x25),
];

/// Viridis at `t` in 0..1 (clamped; NaN gives the low end).
pub fn viridis(t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    VIRIDIS[i].mix(VIRIDIS[i + 1], x - i as f64)
}

/// Colour of a heat-map cell holding share `t` of its row: white for
/// exactly 0 (nothing there), else viridis.
pub fn heat(t: f64) -> Rgb {
    if t <= 0.0 {
        Rgb(247, 247, 247)
    } else {
        viridis(t)
    }
}

/// The categorical palette of the plots and of the explorer's map: Okabe &
/// Ito's seven colours (their black left out: invisible on a dark terminal),
/// then Paul Tol's "muted" and "bright" hues. No grey (that is for
/// unlabelled tracks and for lines); all 16 distinct, so genres next to
/// each other in a legend never share a colour.
pub const CATEGORICAL: [Rgb; 16] = [
    Rgb(230, 159, 0),   // orange
    Rgb(86, 180, 233),  // sky blue
    Rgb(0, 158, 115),   // bluish green
    Rgb(240, 228, 66),  // yellow
    Rgb(0, 114, 178),   // blue
    Rgb(213, 94, 0),    // vermillion
    Rgb(204, 121, 167), // reddish purple
    Rgb(204, 102, 119), // rose
    Rgb(68, 170, 153),  // teal
    Rgb(153, 153, 51),  // olive
    Rgb(170, 68, 153),  // purple
    Rgb(136, 204, 238), // cyan
    Rgb(221, 204, 119), // sand
    Rgb(17, 119, 51),   // green
    Rgb(136, 34, 85),   // wine
    Rgb(51, 34, 136),   // indigo
];

/// Marker shapes, in the order categories beyond the palette use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled triangle, point up.
    Triangle,
    /// Filled square.
    Square,
    /// Filled diamond.
    Diamond,
    /// Filled triangle, point down.
    TriangleDown,
}

impl Marker {
    /// All shapes, in order of use.
    pub const ALL: [Marker; 5] = [
        Marker::Circle,
        Marker::Triangle,
        Marker::Square,
        Marker::Diamond,
        Marker::TriangleDown,
    ];

    /// Draw the marker centred on (x, y) with "radius" `r` (shapes are
    /// scaled to about the same area as a circle of radius r), filled with
    /// `fill` and outlined with `edge` (`None`: no outline).
    pub fn draw(
        self,
        area: &Area<'_>,
        x: i32,
        y: i32,
        r: f64,
        fill: Rgb,
        edge: Option<(Rgb, u32)>,
    ) -> Drawn {
        let fill_style = fill.rgb().filled();
        let pts = self.outline(x, y, r);
        let result = match self {
            Marker::Circle => {
                area.draw(&Circle::new((x, y), r.round().max(1.0) as i32, fill_style))
            }
            _ => area.draw(&Polygon::new(pts.clone(), fill_style)),
        };
        result.map_err(PlotError::from_any)?;
        if let Some((c, w)) = edge {
            let stroke = c.rgb().stroke_width(w);
            let result = match self {
                Marker::Circle => {
                    area.draw(&Circle::new((x, y), r.round().max(1.0) as i32, stroke))
                }
                _ => {
                    let mut closed = pts;
                    closed.push(closed[0]);
                    area.draw(&PathElement::new(closed, stroke))
                }
            };
            result.map_err(PlotError::from_any)?;
        }
        Ok(())
    }

    /// Corner points of a polygon marker (empty for a circle).
    fn outline(self, x: i32, y: i32, r: f64) -> Vec<(i32, i32)> {
        let p = |dx: f64, dy: f64| (x + dx.round() as i32, y + dy.round() as i32);
        match self {
            Marker::Circle => Vec::new(),
            Marker::Triangle => {
                let s = r * 1.35;
                vec![p(0.0, -s), p(s * 0.93, s * 0.62), p(-s * 0.93, s * 0.62)]
            }
            Marker::TriangleDown => {
                let s = r * 1.35;
                vec![p(0.0, s), p(s * 0.93, -s * 0.62), p(-s * 0.93, -s * 0.62)]
            }
            Marker::Square => {
                let s = r * 0.89;
                vec![p(-s, -s), p(s, -s), p(s, s), p(-s, s)]
            }
            Marker::Diamond => {
                let s = r * 1.25;
                vec![p(0.0, -s), p(s, 0.0), p(0.0, s), p(-s, 0.0)]
            }
        }
    }
}

/// Colour and marker of category `i`: colours cycle fastest, so the first
/// 16 categories are all circles and neighbours in the list never share a
/// colour; then triangles, squares, … (80 distinct combinations, then they
/// repeat).
pub fn category(i: usize) -> (Rgb, Marker) {
    let n = CATEGORICAL.len();
    (CATEGORICAL[i % n], Marker::ALL[(i / n) % Marker::ALL.len()])
}

/// A filled rectangle from (x0, y0) to (x1, y1), both inclusive.
pub fn rect(area: &Area<'_>, x0: i32, y0: i32, x1: i32, y1: i32, fill: Rgb) -> Drawn {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], fill.rgb().filled()))
        .map_err(PlotError::from_any)
}

/// A rectangle outline.
pub fn frame(area: &Area<'_>, x0: i32, y0: i32, x1: i32, y1: i32, color: Rgb, width: u32) -> Drawn {
    area.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        color.rgb().stroke_width(width),
    ))
    .map_err(PlotError::from_any)
}

/// A straight line.
pub fn line(area: &Area<'_>, from: (i32, i32), to: (i32, i32), color: Rgb, width: u32) -> Drawn {
    area.draw(&PathElement::new(
        vec![from, to],
        color.rgb().stroke_width(width),
    ))
    .map_err(PlotError::from_any)
}

/// `v` with `digits` decimals, never "-0.00".
pub fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Format a share as a percentage for a cell: "83%", "100%", "<1%".
pub fn percent(t: f64) -> String {
    if t > 0.0 && t < 0.005 {
        "<1%".to_string()
    } else {
        format!("{:.0}%", 100.0 * t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_middle() {
        assert_eq!(viridis(0.0), Rgb(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), Rgb(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(0.5), Rgb(0x21, 0x91, 0x8c));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        // Monotonic in luminance, as viridis is designed to be.
        let l: Vec<f64> = (0..=20)
            .map(|i| viridis(i as f64 / 20.0).luminance())
            .collect();
        assert!(l.windows(2).all(|w| w[1] > w[0]));
        assert_eq!(viridis(0.1).text_on(), WHITE);
        assert_eq!(viridis(0.95).text_on(), INK);
    }

    #[test]
    fn categories_differ_in_colour_or_marker() {
        let all: Vec<(Rgb, Marker)> = (0..40).map(category).collect();
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{i}");
        }
        assert_eq!(category(0).1, Marker::Circle);
        assert_eq!(category(16), (CATEGORICAL[0], Marker::Triangle));
        for i in 0..16 {
            assert_ne!(category(i).0, category(i + 1).0, "genres {i} and {}", i + 1);
            assert!(
                !CATEGORICAL[..i].contains(&CATEGORICAL[i]),
                "colour {i} repeats"
            );
        }
        assert_eq!(percent(0.004), "<1%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.02, 2), "-0.02");
    }
}
