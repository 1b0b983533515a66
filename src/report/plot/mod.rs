//! PNG plots of a report, drawn with plotters on an in-memory RGB bitmap
//! and encoded with `png` (so the file can be written atomically):
//! [`confusion`] (genre confusion matrix), [`map`] (the t-SNE map),
//! [`clusters`] (cluster × genre heat map, or cluster sizes for an
//! unlabelled library). [`style`] holds the palettes and shared geometry.
//!
//! Every plot is a pure function of the report and the model: the same
//! input gives the same bytes.

pub mod clusters;
pub mod confusion;
pub mod map;
pub mod style;

use super::font;
use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::prelude::*;
use style::Rgb;

/// A drawing area on the bitmap.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Why a plot could not be drawn or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlotError(pub String);

impl PlotError {
    fn from_any(e: impl std::fmt::Display) -> Self {
        PlotError(e.to_string())
    }
}

/// Result of a drawing step.
pub type Drawn = Result<(), PlotError>;

/// A rendered plot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Png {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The PNG file's bytes.
    pub bytes: Vec<u8>,
}

/// Draw on a white `width` × `height` canvas and encode it as PNG.
pub fn render(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> Result<Png, PlotError> {
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let backend = BitMapBackend::with_buffer(&mut rgb, (width, height));
        let area = backend.into_drawing_area();
        draw(&area)?;
        area.present().map_err(PlotError::from_any)?;
    }
    let bytes = encode(&rgb, width, height)?;
    Ok(Png {
        width,
        height,
        bytes,
    })
}

/// Encode 8-bit RGB rows as a PNG.
fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(PlotError::from_any)?;
        w.write_image_data(rgb).map_err(PlotError::from_any)?;
        w.finish().map_err(PlotError::from_any)?;
    }
    Ok(out)
}

/// Horizontal placement of text relative to its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text starts at x.
    Left,
    /// Text is centred on x.
    Centre,
    /// Text ends at x.
    Right,
}

/// Vertical placement of text relative to its y (for rotated text: the
/// same, across the text's reading direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VAlign {
    /// Top of the capitals at y.
    Top,
    /// Middle of the capitals at y (visually centred).
    Middle,
    /// Baseline at y.
    Baseline,
}

/// A text style: size in pixels and colour.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    /// Pixel size (ascent − descent).
    pub size: f64,
    /// Colour.
    pub color: Rgb,
}

impl Font {
    /// A font of `size` pixels in `color`.
    pub fn new(size: f64, color: Rgb) -> Self {
        Font { size, color }
    }

    /// Width of `s` in this font.
    pub fn width(&self, s: &str) -> i32 {
        font::width(s, self.size)
    }

    /// Height of the capitals.
    pub fn cap(&self) -> i32 {
        font::cap_height(self.size).round() as i32
    }

    /// Where the baseline goes for a reference line at 0 (positive: below
    /// it, or for upright text, right of it).
    fn baseline(&self, v: VAlign) -> i32 {
        let cap = font::cap_height(self.size);
        (match v {
            VAlign::Top => cap,
            VAlign::Middle => cap / 2.0,
            VAlign::Baseline => 0.0,
        })
        .round() as i32
    }

    /// Paint the glyphs, each pixel through `at` (glyph x from the text's
    /// start, y from the baseline) to canvas coordinates.
    fn paint(&self, area: &Area<'_>, s: &str, at: impl Fn(i32, i32) -> (i32, i32)) -> Drawn {
        let color = self.color.rgb();
        let mut result = Ok(());
        font::rasterize(s, self.size, |x, y, cov| {
            if cov <= 0.0 || result.is_err() {
                return;
            }
            // A touch of gamma so thin antialiased stems do not look grey.
            let alpha = f64::from(cov.min(1.0)).powf(0.8);
            if let Err(e) = area.draw_pixel(at(x, y), &color.mix(alpha)) {
                result = Err(PlotError::from_any(e));
            }
        });
        result
    }

    /// Draw `s` horizontally at (x, y).
    pub fn draw(&self, area: &Area<'_>, s: &str, x: i32, y: i32, h: Align, v: VAlign) -> Drawn {
        if s.is_empty() {
            return Ok(());
        }
        let w = self.width(s);
        let x0 = match h {
            Align::Left => x,
            Align::Centre => x - w / 2,
            Align::Right => x - w,
        };
        let base = y + self.baseline(v);
        self.paint(area, s, |gx, gy| (x0 + gx, base + gy))
    }

    /// Draw `s` rotated a quarter turn anticlockwise (reading upwards).
    /// `h` places the text along the vertical: `Left` starts it at y (it
    /// goes up from there), `Right` ends it at y, `Centre` centres it on y;
    /// `v` places it across: `Top` puts the top of the capitals at x (the
    /// text lies to the right of x), `Middle` centres the capitals on x,
    /// `Baseline` puts the baseline at x.
    pub fn draw_up(&self, area: &Area<'_>, s: &str, x: i32, y: i32, h: Align, v: VAlign) -> Drawn {
        if s.is_empty() {
            return Ok(());
        }
        let w = self.width(s);
        let y0 = match h {
            Align::Left => y,
            Align::Centre => y + w / 2,
            Align::Right => y + w,
        };
        // Turned upright, "below the baseline" is to its right.
        let base = x + self.baseline(v);
        self.paint(area, s, |gx, gy| (base + gy, y0 - gx))
    }
}

/// A vertical viridis colour bar, 18 px wide, `h` tall, 100% at the top,
/// ticks every 25% labelled on its right.
pub fn colour_bar(area: &Area<'_>, x0: i32, top: i32, h: i32) -> Drawn {
    let x1 = x0 + 18;
    for y in 0..h {
        let t = 1.0 - f64::from(y) / f64::from((h - 1).max(1));
        style::line(area, (x0, top + y), (x1, top + y), style::viridis(t), 1)?;
    }
    style::frame(area, x0, top, x1, top + h - 1, Rgb(120, 120, 120), 1)?;
    let tick = Font::new(13.0, style::MUTED);
    for i in 0..=4 {
        let t = f64::from(i) / 4.0;
        let y = top + ((1.0 - t) * f64::from(h - 1)).round() as i32;
        style::line(area, (x1, y), (x1 + 4, y), style::MUTED, 1)?;
        tick.draw(
            area,
            &style::percent(t),
            x1 + 8,
            y,
            Align::Left,
            VAlign::Middle,
        )?;
    }
    Ok(())
}

/// Width [`colour_bar`] takes with its tick labels.
pub fn colour_bar_width() -> i32 {
    18 + 8 + font::width("100%", 13.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bounding box of non-white pixels of a decoded RGB canvas.
    fn ink(rgb: &[u8], w: usize) -> Option<(usize, usize, usize, usize)> {
        let mut b: Option<(usize, usize, usize, usize)> = None;
        for (i, px) in rgb.chunks(3).enumerate() {
            if px.iter().any(|&c| c < 160) {
                let (x, y) = (i % w, i / w);
                b = Some(match b {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
        b
    }

    fn draw_one(f: impl FnOnce(&Area<'_>) -> Drawn) -> (Vec<u8>, usize) {
        let (w, h) = (300u32, 300u32);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            f(&area).unwrap();
            area.present().unwrap();
        }
        (rgb, w as usize)
    }

    #[test]
    fn text_lands_where_asked() {
        let font = Font::new(40.0, Rgb(0, 0, 0));
        // "H" has no descender: its ink spans exactly the cap height.
        let (rgb, w) = draw_one(|a| font.draw(a, "HH", 150, 100, Align::Centre, VAlign::Top));
        let (x0, y0, x1, y1) = ink(&rgb, w).unwrap();
        assert!(y0.abs_diff(100) <= 2, "top {y0}");
        assert!(y1.abs_diff(100 + font.cap() as usize) <= 2, "bottom {y1}");
        assert!(((x0 + x1) / 2).abs_diff(150) <= 3, "centre {x0}..{x1}");

        let (rgb, w) = draw_one(|a| font.draw(a, "HH", 20, 100, Align::Left, VAlign::Middle));
        let (x0, y0, _, y1) = ink(&rgb, w).unwrap();
        assert!(((y0 + y1) / 2).abs_diff(100) <= 2, "{y0}..{y1}");
        assert!(x0.abs_diff(20) <= 4, "{x0}");

        let (rgb, w) = draw_one(|a| font.draw(a, "HH", 280, 100, Align::Right, VAlign::Baseline));
        let (_, _, x1, y1) = ink(&rgb, w).unwrap();
        assert!(y1.abs_diff(100) <= 2, "{y1}");
        // The advance includes the glyph's right side bearing.
        assert!((268..=280).contains(&x1), "{x1}");

        // Rotated: reads upwards, ends at y = 50, capitals centred on x = 150.
        let (rgb, w) = draw_one(|a| font.draw_up(a, "HH", 150, 50, Align::Right, VAlign::Middle));
        let (x0, y0, x1, y1) = ink(&rgb, w).unwrap();
        assert!(((x0 + x1) / 2).abs_diff(150) <= 2, "{x0}..{x1}");
        assert!((50..=60).contains(&y0), "{y0}");
        assert!(y1 > y0 + 40, "{y0}..{y1}");
    }

    #[test]
    fn renders_a_decodable_png() {
        let png = render(64, 32, |a| {
            Font::new(16.0, Rgb(0, 0, 0)).draw(a, "Hi", 4, 8, Align::Left, VAlign::Top)
        })
        .unwrap();
        assert_eq!((png.width, png.height), (64, 32));
        assert_eq!(&png.bytes[1..4], b"PNG");
    }
}
