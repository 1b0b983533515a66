//! The one font of every report plot, DejaVu Sans, embedded in the binary
//! (`assets/fonts/DejaVuSans.ttf`, licence in
//! `assets/fonts/LICENSE-DejaVu.txt`) and rasterised with `ab_glyph`, so
//! text renders the same on a machine with no fonts installed and no
//! fontconfig.
//!
//! Text is laid out here rather than by plotters: plotters' `ab_glyph`
//! path drops each glyph's left side bearing (uneven letter spacing) and
//! puts the baseline half the font size below any anchor. Here glyphs sit
//! at their true advance (with kerning) on a baseline the caller chooses.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};

/// DejaVu Sans 2.37 (Bitstream Vera licence).
pub static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The parsed embedded font (`None` only if the bytes were no font, which
/// a unit test rules out).
pub fn face() -> Option<&'static FontRef<'static>> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(DEJAVU_SANS).ok())
        .as_ref()
}

/// Height of the capitals at pixel size `size` (size = ascent − descent,
/// as ab_glyph scales).
pub fn cap_height(size: f64) -> f64 {
    let Some(f) = face() else {
        return 0.63 * size;
    };
    let g = f
        .glyph_id('H')
        .with_scale_and_position(PxScale::from(size as f32), point(0.0, 0.0));
    f.outline_glyph(g)
        .map_or(0.63 * size, |o| -f64::from(o.px_bounds().min.y))
}

/// Width in pixels of `text` at pixel size `size`: advances plus kerning.
pub fn width(text: &str, size: f64) -> i32 {
    let Some(f) = face() else {
        return (text.chars().count() as f64 * size * 0.6).ceil() as i32;
    };
    let s = f.as_scaled(PxScale::from(size as f32));
    let mut x = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = s.glyph_id(c);
        if let Some(p) = prev {
            x += s.kern(p, id);
        }
        x += s.h_advance(id);
        prev = Some(id);
    }
    x.ceil() as i32
}

/// Rasterise `text` at pixel size `size`: `put(x, y, coverage)` for every
/// touched pixel, x from the start of the text, y from the baseline
/// (negative above it), coverage in 0..1.
pub fn rasterize(text: &str, size: f64, mut put: impl FnMut(i32, i32, f32)) {
    let Some(f) = face() else { return };
    let scale = PxScale::from(size as f32);
    let s = f.as_scaled(scale);
    let mut x = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = s.glyph_id(c);
        if let Some(p) = prev {
            x += s.kern(p, id);
        }
        // Glyph origins on whole pixels keep stems sharp and every copy of
        // a letter identical.
        let g = id.with_scale_and_position(scale, point(x.round(), 0.0));
        if let Some(o) = f.outline_glyph(g) {
            let b = o.px_bounds();
            let (bx, by) = (b.min.x as i32, b.min.y as i32);
            o.draw(|gx, gy, cov| put(bx + gx as i32, by + gy as i32, cov));
        }
        x += s.h_advance(id);
        prev = Some(id);
    }
}

/// `text` cut to at most `max` pixels wide at `size`, ending in "…" when
/// cut (at least one character is kept).
pub fn fit(text: &str, size: f64, max: i32) -> String {
    if width(text, size) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    // Longest prefix that fits with the ellipsis (binary search on length).
    let (mut lo, mut hi) = (1usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let s: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if width(&s, size) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut s: String = chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string();
    s.push('…');
    s
}

/// `text` cut in the middle to at most `max` pixels wide at `size`: its
/// start and end kept around a "…" (names often differ at either end:
/// "Electronic - House", "Electronic - Techno").
pub fn fit_middle(text: &str, size: f64, max: i32) -> String {
    if width(text, size) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let cut = |keep: usize| -> String {
        let head = (keep * 3).div_ceil(5);
        let tail = keep - head;
        let h: String = chars[..head].iter().collect();
        let t: String = chars[chars.len() - tail..].iter().collect();
        format!("{}…{}", h.trim_end(), t.trim_start())
    };
    let (mut lo, mut hi) = (1usize, chars.len().saturating_sub(1).max(1));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if width(&cut(mid), size) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// Labels for `names`, each at most `max` pixels wide at `size`, that stay
/// distinct where the names are: when shortening makes two labels equal,
/// their names' common start and end are dropped ("…blues…", "…metal…")
/// before shortening again.
pub fn fit_all(names: &[String], size: f64, max: i32) -> Vec<String> {
    let mut out: Vec<String> = names.iter().map(|n| fit_middle(n, size, max)).collect();
    let mut done = vec![false; names.len()];
    for i in 0..names.len() {
        if done[i] {
            continue;
        }
        let group: Vec<usize> = (0..names.len())
            .filter(|&j| out[j] == out[i] && names[j] != names[i])
            .chain([i])
            .collect();
        if group.len() < 2 {
            continue;
        }
        let members: Vec<Vec<char>> = group.iter().map(|&j| names[j].chars().collect()).collect();
        let shortest = members.iter().map(Vec::len).min().unwrap_or(0);
        let mut pre = (0..shortest)
            .take_while(|&k| members.iter().all(|m| m[k] == members[0][k]))
            .count();
        // Back off to a word boundary, so words are not cut in half.
        while pre > 0 && !members[0][pre - 1].is_whitespace() {
            pre -= 1;
        }
        let mut suf = (0..shortest - pre)
            .take_while(|&k| {
                members
                    .iter()
                    .all(|m| m[m.len() - 1 - k] == members[0][members[0].len() - 1 - k])
            })
            .count();
        while suf > 0 && !members[0][members[0].len() - suf].is_whitespace() {
            suf -= 1;
        }
        for (m, &j) in members.iter().zip(&group) {
            let core: String = m[pre..m.len() - suf].iter().collect();
            let label = format!(
                "{}{}{}",
                if pre > 0 { "…" } else { "" },
                core.trim(),
                if suf > 0 { "…" } else { "" }
            );
            out[j] = fit_middle(&label, size, max);
            done[j] = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_parses_measures_and_draws() {
        assert!(face().is_some(), "the embedded font must parse");
        let w = width("Hello", 20.0);
        assert!((40..70).contains(&w), "{w}");
        assert!(width("WWWW", 20.0) > width("iiii", 20.0));
        // DejaVu's cap height is 1493 of 2048 units; size = 2384 units.
        assert!((cap_height(100.0) - 100.0 * 1493.0 / 2384.0).abs() < 1.5);
        let mut ink = 0.0;
        let mut top = 0;
        rasterize("Hx", 30.0, |_, y, c| {
            ink += c;
            top = top.min(y);
        });
        assert!(ink > 50.0, "{ink}");
        assert!((top + cap_height(30.0).round() as i32).abs() <= 1, "{top}");
        assert_eq!(fit("short", 14.0, 500), "short");
        let cut = fit("a very long genre name indeed", 14.0, 80);
        assert!(cut.ends_with('…') && width(&cut, 14.0) <= 80, "{cut}");
        assert_eq!(fit("x", 14.0, 1), "x…");
    }

    #[test]
    fn shortened_labels_stay_distinct() {
        let m = fit_middle("Electronic music - Deep House", 14.0, 120);
        assert!(m.starts_with("Electronic") && m.ends_with("House"), "{m}");
        assert!(width(&m, 14.0) <= 120, "{m}");
        let names: Vec<String> = ["blues", "metal", "rock"]
            .iter()
            .map(|g| format!("progressive atmospheric {g} from the late nineties"))
            .chain(["jazz".to_string()])
            .collect();
        let labels = fit_all(&names, 14.0, 150);
        assert_eq!(labels[3], "jazz");
        assert_eq!(labels[0], "…blues…");
        let mut unique = labels.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 4, "{labels:?}");
        assert!(labels.iter().all(|l| width(l, 14.0) <= 150));
    }
}
