//! `confusion_matrix.png`: true genre (rows) × predicted genre (columns)
//! of the leave-one-out k-NN vote. Each cell shows its count and its share
//! of the row (the true genre's tracks); the colour is that share on
//! viridis, with a colour bar. Long genre names are shortened with "…";
//! column labels are turned upright, so up to 20+ genres never overlap.

use super::style::{self, heat, percent, FAINT, INK, MUTED};
use super::{render, Align, Area, Drawn, Font, PlotError, Png, VAlign};
use crate::report::font;
use crate::report::metrics::{Classification, Report};

/// Outer margin.
const MARGIN: i32 = 24;
/// Widest a genre label may be before it is shortened.
const MAX_LABEL: i32 = 190;

/// Geometry of the plot for `n` genres with labels of the given widths.
struct Layout {
    cell: i32,
    /// Matrix corner.
    x0: i32,
    y0: i32,
    /// Widest column label (they hang below the matrix).
    col_label_w: i32,
    width: u32,
    height: u32,
}

fn layout(n: usize, row_label_w: i32, col_label_w: i32, title_w: i32) -> Layout {
    let n = n.max(1) as i32;
    let cell = (780 / n).clamp(44, 88);
    let x0 = MARGIN + 26 + 10 + row_label_w + 10;
    let y0 = MARGIN + 96;
    let bar_right = x0 + n * cell + 30 + super::colour_bar_width();
    let width = (bar_right + MARGIN).max(title_w + 2 * MARGIN).max(640);
    let height = y0 + n * cell + 10 + col_label_w + 16 + 20 + MARGIN;
    Layout {
        cell,
        x0,
        y0,
        col_label_w,
        width: width as u32,
        height: height as u32,
    }
}

/// Draw the confusion matrix of `c` (genres from `report`).
pub fn draw(report: &Report, c: &Classification) -> Result<Png, PlotError> {
    let genres = &report.genres;
    let n = genres.len();
    let label_font = Font::new(15.0, INK);
    let tails: Vec<String> = c
        .per_genre
        .iter()
        .map(|s| format!(" ({})", s.support))
        .collect();
    let tail_w = tails.iter().map(|t| label_font.width(t)).max().unwrap_or(0);
    let row_labels: Vec<String> = font::fit_all(genres, label_font.size, MAX_LABEL - tail_w)
        .into_iter()
        .zip(&tails)
        .map(|(name, tail)| format!("{name}{tail}"))
        .collect();
    let col_labels = font::fit_all(genres, label_font.size, MAX_LABEL);
    let widest = |v: &[String]| v.iter().map(|s| label_font.width(s)).max().unwrap_or(0);
    let title_font = Font::new(22.0, INK);
    let sub_font = Font::new(14.0, MUTED);
    let acc = c.accuracy.value.unwrap_or(0.0);
    let bal = c.balanced_accuracy.value.unwrap_or(0.0);
    let title = format!(
        "Genre confusion: accuracy {:.1}%, balanced accuracy {:.1}%",
        100.0 * acc,
        100.0 * bal
    );
    let sub1 = format!(
        "leave-one-out {}-NN vote (cosine on z-scored fingerprints) · {} tracks, {} genres",
        c.k_used, c.evaluated, n
    );
    let sub2 = format!(
        "chance: accuracy {:.1}% (largest genre), balanced {:.1}% (1 / genres) · colour: share of the row",
        100.0 * c.accuracy.chance.unwrap_or(0.0),
        100.0 * c.balanced_accuracy.chance.unwrap_or(0.0)
    );
    let title_w = title_font
        .width(&title)
        .max(sub_font.width(&sub1))
        .max(sub_font.width(&sub2));
    let l = layout(n, widest(&row_labels), widest(&col_labels), title_w);

    render(l.width, l.height, |area| {
        title_font.draw(area, &title, MARGIN, MARGIN, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub1, MARGIN, MARGIN + 36, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub2, MARGIN, MARGIN + 58, Align::Left, VAlign::Top)?;
        cells(area, &l, c)?;
        labels(area, &l, &row_labels, &col_labels, &label_font)?;
        let h = (n as i32 * l.cell).min(420);
        super::colour_bar(area, l.x0 + n as i32 * l.cell + 30, l.y0, h)
    })
}

fn cells(area: &Area<'_>, l: &Layout, c: &Classification) -> Drawn {
    let cell = l.cell;
    let count_size = (f64::from(cell) * 0.30).clamp(12.0, 22.0);
    let share_size = (count_size * 0.72).max(10.0);
    for (t, row) in c.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (p, &count) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            let x = l.x0 + p as i32 * cell;
            let y = l.y0 + t as i32 * cell;
            let fill = heat(share);
            style::rect(area, x + 1, y + 1, x + cell - 1, y + cell - 1, fill)?;
            let (cx, cy) = (x + cell / 2, y + cell / 2);
            if count == 0 {
                Font::new(share_size, FAINT).draw(
                    area,
                    "0",
                    cx,
                    cy,
                    Align::Centre,
                    VAlign::Middle,
                )?;
                continue;
            }
            let ink = fill.text_on();
            let gap = (share_size * 0.45) as i32;
            Font::new(count_size, ink).draw(
                area,
                &count.to_string(),
                cx,
                cy - gap,
                Align::Centre,
                VAlign::Middle,
            )?;
            Font::new(share_size, ink).draw(
                area,
                &percent(share),
                cx,
                cy + (count_size * 0.62) as i32,
                Align::Centre,
                VAlign::Middle,
            )?;
        }
        // The diagonal (right answers) framed, so it reads at a glance.
        let x = l.x0 + t as i32 * cell;
        let y = l.y0 + t as i32 * cell;
        style::frame(area, x, y, x + cell, y + cell, INK, 2)?;
    }
    Ok(())
}

fn labels(area: &Area<'_>, l: &Layout, rows: &[String], cols: &[String], font: &Font) -> Drawn {
    let n = rows.len() as i32;
    let cell = l.cell;
    for (i, s) in rows.iter().enumerate() {
        let cy = l.y0 + i as i32 * cell + cell / 2;
        font.draw(area, s, l.x0 - 10, cy, Align::Right, VAlign::Middle)?;
    }
    for (i, s) in cols.iter().enumerate() {
        let cx = l.x0 + i as i32 * cell + cell / 2;
        font.draw_up(
            area,
            s,
            cx,
            l.y0 + n * cell + 10,
            Align::Right,
            VAlign::Middle,
        )?;
    }
    let axis = Font::new(16.0, MUTED);
    axis.draw(
        area,
        "predicted genre",
        l.x0 + n * cell / 2,
        l.y0 + n * cell + 10 + l.col_label_w + 16,
        Align::Centre,
        VAlign::Top,
    )?;
    axis.draw_up(
        area,
        "true genre (tracks)",
        MARGIN + 10,
        l.y0 + n * cell / 2,
        Align::Centre,
        VAlign::Middle,
    )?;
    Ok(())
}
