//! `tsne_map.png`: the model's t-SNE map. Points are coloured by genre
//! (Okabe–Ito, then marker shapes beyond 8 genres; unlabelled tracks grey),
//! or by cluster in a library without labels. Each cluster's
//! representatives (top PageRank) are stars, named by file stem; names are
//! placed greedily where they overlap no other name, star or the frame.
//! Axes are equal-scaled and unlabelled: t-SNE coordinates have no unit.

use super::style::{self, category, Marker, Rgb, FAINT, INK, MUTED, UNLABELLED, WHITE};
use super::{render, Align, Area, Drawn, Font, PlotError, Png, VAlign};
use crate::model::Model;
use crate::report::font;
use crate::report::metrics::Report;
use plotters::prelude::*;

const MARGIN: i32 = 24;
/// Side of the square plot area.
const PLOT: i32 = 940;
/// Top of the plot area (below the titles).
const TOP: i32 = MARGIN + 96;
/// Height of one legend row.
const LEGEND_ROW: i32 = 24;
/// Above this many representatives only each cluster's first is named.
const MAX_NAMED: usize = 45;
/// Widest a representative's name may be.
const MAX_NAME: i32 = 190;

/// A legend entry / colour class.
struct Class {
    label: String,
    color: Rgb,
    marker: Marker,
    count: usize,
}

/// An axis-aligned box in pixels (inclusive-exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Boxed {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Boxed {
    fn overlap(&self, o: &Boxed) -> f64 {
        let w = (self.x1.min(o.x1) - self.x0.max(o.x0)).max(0.0);
        let h = (self.y1.min(o.y1) - self.y0.max(o.y0)).max(0.0);
        w * h
    }

    fn inside(&self, o: &Boxed) -> bool {
        self.x0 >= o.x0 && self.y0 >= o.y0 && self.x1 <= o.x1 && self.y1 <= o.y1
    }
}

/// Draw the map of `model`.
pub fn draw(model: &Model, report: &Report) -> Result<Png, PlotError> {
    let n = model.len();
    let by_genre = !model.genres.is_empty();
    // Class of each track: genre id, the grey "no label" class after the
    // genres, or the cluster id.
    let mut classes: Vec<Class> = if by_genre {
        model
            .genres
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let (color, marker) = category(i);
                Class {
                    label: g.clone(),
                    color,
                    marker,
                    count: 0,
                }
            })
            .collect()
    } else {
        (0..model.clusters.len())
            .map(|i| {
                let (color, marker) = category(i);
                Class {
                    label: format!("cluster {i}"),
                    color,
                    marker,
                    count: 0,
                }
            })
            .collect()
    };
    let none_class = classes.len();
    classes.push(Class {
        label: "no label".to_string(),
        color: UNLABELLED,
        marker: Marker::Circle,
        count: 0,
    });
    let class_of: Vec<usize> = (0..n)
        .map(|i| {
            if by_genre {
                model.tracks[i]
                    .label
                    .as_deref()
                    .and_then(|l| model.genres.iter().position(|g| g == l))
                    .unwrap_or(none_class)
            } else {
                (model.assignment[i] as usize).min(none_class)
            }
        })
        .collect();
    for &c in &class_of {
        classes[c].count += 1;
    }

    // Equal scale on both axes, data centred, 5% padding.
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &model.map {
        for a in 0..2 {
            let v = f64::from(p[a]);
            if v.is_finite() {
                lo[a] = lo[a].min(v);
                hi[a] = hi[a].max(v);
            }
        }
    }
    if !lo[0].is_finite() {
        (lo, hi) = ([-1.0; 2], [1.0; 2]);
    }
    // Equal scale on both axes; the plot is as tall as the data's shape
    // asks (between 2/3 of its width and square), 5% padding each side.
    let spans = [(hi[0] - lo[0]).max(1e-9), (hi[1] - lo[1]).max(1e-9)];
    let plot_h = ((f64::from(PLOT) * spans[1] / spans[0]).round() as i32).clamp(640, PLOT);
    let scale = (f64::from(PLOT) / (spans[0] * 1.1)).min(f64::from(plot_h) / (spans[1] * 1.1));
    let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
    let (px0, py0) = (MARGIN + 34, TOP);
    let to_px = |p: &[f32; 2]| -> (i32, i32) {
        let off = |a: usize| {
            let v = f64::from(p[a]);
            if v.is_finite() {
                (v - centre[a]) * scale
            } else {
                0.0
            }
        };
        let x = f64::from(px0 + PLOT / 2) + off(0);
        // Up is positive, as on any plot.
        let y = f64::from(py0 + plot_h / 2) - off(1);
        (x.round() as i32, y.round() as i32)
    };
    let pixels: Vec<(i32, i32)> = model.map.iter().map(to_px).collect();

    // Representatives, in order of PageRank within their cluster.
    let reps: Vec<(usize, usize, String)> = report
        .clusters
        .iter()
        .flat_map(|c| {
            c.representatives
                .iter()
                .enumerate()
                .map(move |(rank, r)| (r.track, rank, r.name.clone()))
        })
        .filter(|r| r.0 < n)
        .collect();
    let name_all = reps.len() <= MAX_NAMED;

    // Legend entries: non-empty classes, then the representative star.
    let legend: Vec<&Class> = classes.iter().filter(|c| c.count > 0).collect();
    let legend_font = Font::new(14.0, INK);
    let rows_per_col = ((plot_h - 40) / LEGEND_ROW).max(1) as usize;
    let cols = legend.len().div_ceil(rows_per_col).max(1);
    let tails: Vec<String> = legend.iter().map(|c| format!(" ({})", c.count)).collect();
    let tail_w = tails
        .iter()
        .map(|t| legend_font.width(t))
        .max()
        .unwrap_or(0);
    let names: Vec<String> = legend.iter().map(|c| c.label.clone()).collect();
    let legend_labels: Vec<String> = font::fit_all(&names, legend_font.size, 220 - tail_w)
        .into_iter()
        .zip(&tails)
        .map(|(name, tail)| format!("{name}{tail}"))
        .collect();
    let col_w = 30
        + legend_labels
            .iter()
            .map(|s| legend_font.width(s))
            .max()
            .unwrap_or(0)
        + 18;
    let star_label = "cluster representative";
    let legend_w = (col_w * cols as i32).max(30 + legend_font.width(star_label) + 10);
    let lx0 = px0 + PLOT + 30;
    let width = lx0 + legend_w + MARGIN;
    let height = TOP + plot_h + 44 + MARGIN;

    let title_font = Font::new(22.0, INK);
    let sub_font = Font::new(14.0, MUTED);
    let tracks = if n == 1 {
        "1 track".to_string()
    } else {
        format!("{n} tracks")
    };
    let title = if by_genre {
        format!("t-SNE map of {tracks}, coloured by genre")
    } else {
        format!("t-SNE map of {tracks}, coloured by K-Means cluster (no genre labels)")
    };
    let p = &report.parameters;
    let t = &report.map.trustworthiness;
    let trust = match (t.value, t.chance) {
        (Some(v), Some(c)) => format!(
            "trustworthiness@{} {} (chance {})",
            report.map.k_used,
            style::fixed(v, 3),
            style::fixed(c, 3)
        ),
        _ => format!("trustworthiness: {}", t.reason.as_deref().unwrap_or("n/a")),
    };
    let perplexity = if n < 2 {
        "a single track sits at the centre".to_string()
    } else if p.perplexity_used < p.perplexity {
        format!(
            "perplexity {} (clamped to {:.1} for {n} tracks), {} iterations",
            p.perplexity, p.perplexity_used, p.tsne_iterations
        )
    } else {
        format!(
            "perplexity {}, {} iterations",
            p.perplexity, p.tsne_iterations
        )
    };
    let sub1 = format!("{perplexity}, on z-scored fingerprints · {trust}");
    let sub2 = if name_all {
        "stars: each cluster's representatives (top PageRank in the similarity graph), named by file".to_string()
    } else {
        "stars: each cluster's representatives (top PageRank); the first of each cluster is named"
            .to_string()
    };
    let width = width.max(
        title_font
            .width(&title)
            .max(sub_font.width(&sub1))
            .max(sub_font.width(&sub2))
            + 2 * MARGIN,
    );

    let radius = match n {
        0..=300 => 6.0,
        301..=2000 => 4.0,
        2001..=5000 => 3.0,
        _ => 2.0,
    };
    // Draw order: a fixed pseudo-random permutation, so no class sits
    // systematically on top of another; unlabelled tracks first (under).
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::eval::SplitMix64::new(report.parameters.seed);
    rng.shuffle(&mut order);
    order.sort_by_key(|&i| class_of[i] != none_class);

    render(width as u32, height as u32, |area| {
        title_font.draw(area, &title, MARGIN, MARGIN, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub1, MARGIN, MARGIN + 36, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub2, MARGIN, MARGIN + 58, Align::Left, VAlign::Top)?;
        style::rect(area, px0, py0, px0 + PLOT, py0 + plot_h, Rgb(252, 252, 252))?;
        style::frame(area, px0, py0, px0 + PLOT, py0 + plot_h, FAINT, 1)?;
        let axis = Font::new(14.0, MUTED);
        axis.draw(
            area,
            "t-SNE 1",
            px0 + PLOT / 2,
            py0 + plot_h + 12,
            Align::Centre,
            VAlign::Top,
        )?;
        axis.draw_up(
            area,
            "t-SNE 2",
            px0 - 14,
            py0 + plot_h / 2,
            Align::Centre,
            VAlign::Middle,
        )?;

        for &i in &order {
            let c = &classes[class_of[i]];
            let (x, y) = pixels[i];
            let edge = (radius >= 3.0).then(|| (c.color.mix(Rgb(0, 0, 0), 0.45), 1));
            c.marker.draw(area, x, y, radius, c.color, edge)?;
        }

        // Stars, then their names.
        let frame = Boxed {
            x0: f64::from(px0 + 2),
            y0: f64::from(py0 + 2),
            x1: f64::from(px0 + PLOT - 2),
            y1: f64::from(py0 + plot_h - 2),
        };
        let star_r = 12.0;
        let mut taken: Vec<Boxed> = reps
            .iter()
            .map(|r| {
                let (x, y) = (f64::from(pixels[r.0].0), f64::from(pixels[r.0].1));
                Boxed {
                    x0: x - star_r,
                    y0: y - star_r,
                    x1: x + star_r,
                    y1: y + star_r,
                }
            })
            .collect();
        // The first representative of each cluster large, the others
        // smaller; drawn in reverse so the first ones end up on top.
        for r in reps.iter().rev() {
            let c = &classes[class_of[r.0]];
            let (x, y) = pixels[r.0];
            star(
                area,
                x,
                y,
                if r.1 == 0 { star_r } else { star_r * 0.7 },
                c.color,
            )?;
        }
        let name_font = Font::new(13.0, INK);
        for (track, rank, name) in &reps {
            if !name_all && *rank > 0 {
                continue;
            }
            let label = font::fit_middle(name, name_font.size, MAX_NAME);
            let (x, y) = pixels[*track];
            let b = place(
                &label,
                &name_font,
                (f64::from(x), f64::from(y)),
                star_r,
                &taken,
                &pixels,
                &frame,
            );
            taken.push(b);
            // A leader line when the name had to move away from its star.
            let (cx, cy) = (
                f64::from(x).clamp(b.x0, b.x1),
                f64::from(y).clamp(b.y0, b.y1),
            );
            let d = ((cx - f64::from(x)).powi(2) + (cy - f64::from(y)).powi(2)).sqrt();
            if d > star_r + 8.0 {
                let k = star_r / d;
                let from = (
                    (f64::from(x) + (cx - f64::from(x)) * k).round() as i32,
                    (f64::from(y) + (cy - f64::from(y)) * k).round() as i32,
                );
                style::line(area, from, (cx.round() as i32, cy.round() as i32), MUTED, 1)?;
            }
            area.draw(&Rectangle::new(
                [(b.x0 as i32, b.y0 as i32), (b.x1 as i32, b.y1 as i32)],
                WHITE.rgb().mix(0.75).filled(),
            ))
            .map_err(PlotError::from_any)?;
            name_font.draw(
                area,
                &label,
                (b.x0 + 3.0) as i32,
                ((b.y0 + b.y1) / 2.0).round() as i32,
                Align::Left,
                VAlign::Middle,
            )?;
        }

        // Legend.
        for (i, c) in legend.iter().enumerate() {
            let col = (i / rows_per_col) as i32;
            let row = (i % rows_per_col) as i32;
            let x = lx0 + col * col_w;
            let y = py0 + 8 + row * LEGEND_ROW;
            c.marker.draw(
                area,
                x + 8,
                y,
                6.0,
                c.color,
                Some((c.color.mix(Rgb(0, 0, 0), 0.45), 1)),
            )?;
            legend_font.draw(
                area,
                &legend_labels[i],
                x + 22,
                y,
                Align::Left,
                VAlign::Middle,
            )?;
        }
        if !reps.is_empty() {
            let y = py0 + 8 + (legend.len().min(rows_per_col) as i32) * LEGEND_ROW + 12;
            star(area, lx0 + 8, y, 9.0, Rgb(200, 200, 200))?;
            legend_font.draw(area, star_label, lx0 + 22, y, Align::Left, VAlign::Middle)?;
        }
        Ok(())
    })
}

/// A five-pointed star of outer radius `r`, filled, outlined in black
/// over a white halo so it stands out of any crowd of points.
fn star(area: &Area<'_>, x: i32, y: i32, r: f64, fill: Rgb) -> Drawn {
    let pts: Vec<(i32, i32)> = (0..10)
        .map(|i| {
            let rr = if i % 2 == 0 { r } else { r * 0.5 };
            let a = std::f64::consts::PI * (f64::from(i) / 5.0 - 0.5);
            (
                x + (rr * a.cos()).round() as i32,
                y + (rr * a.sin()).round() as i32,
            )
        })
        .collect();
    let mut closed = pts.clone();
    closed.push(closed[0]);
    area.draw(&PathElement::new(
        closed.clone(),
        WHITE.rgb().stroke_width(3),
    ))
    .map_err(PlotError::from_any)?;
    area.draw(&Polygon::new(pts, fill.rgb().filled()))
        .map_err(PlotError::from_any)?;
    area.draw(&PathElement::new(closed, INK.rgb().stroke_width(1)))
        .map_err(PlotError::from_any)
}

/// Where to put a name box for the point (x, y): of a ring of candidate
/// spots (right, left, above, below, diagonals; then further out) inside
/// `frame`, the first that overlaps nothing `taken` (other names and stars
/// than the point's own) and covers no data point; else the one that
/// overlaps least (another name counts far more than a hidden point).
fn place(
    label: &str,
    font: &Font,
    (x, y): (f64, f64),
    star_r: f64,
    taken: &[Boxed],
    points: &[(i32, i32)],
    frame: &Boxed,
) -> Boxed {
    let w = f64::from(font.width(label)) + 6.0;
    let h = font.size + 2.0;
    let own = Boxed {
        x0: x - star_r,
        y0: y - star_r,
        x1: x + star_r,
        y1: y + star_r,
    };
    let mut best: Option<(f64, Boxed)> = None;
    for d in [star_r + 2.0, star_r + 14.0, star_r + 30.0, star_r + 50.0] {
        let spots = [
            (x + d, y - h / 2.0),
            (x - d - w, y - h / 2.0),
            (x - w / 2.0, y - d - h),
            (x - w / 2.0, y + d),
            (x + d * 0.7, y - d * 0.7 - h),
            (x + d * 0.7, y + d * 0.7),
            (x - d * 0.7 - w, y - d * 0.7 - h),
            (x - d * 0.7 - w, y + d * 0.7),
        ];
        for (bx, by) in spots {
            let b = Boxed {
                x0: bx,
                y0: by,
                x1: bx + w,
                y1: by + h,
            };
            if !b.inside(frame) {
                continue;
            }
            let overlap: f64 = taken
                .iter()
                .filter(|t| **t != own)
                .map(|t| t.overlap(&b))
                .sum();
            let covered = points
                .iter()
                .filter(|&&(px, py)| {
                    let (px, py) = (f64::from(px), f64::from(py));
                    px >= b.x0 - 2.0 && px <= b.x1 + 2.0 && py >= b.y0 - 2.0 && py <= b.y1 + 2.0
                })
                .count();
            if overlap == 0.0 && covered == 0 {
                return b;
            }
            let cost = overlap * 10.0 + covered as f64 * 40.0 + d;
            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                best = Some((cost, b));
            }
        }
    }
    // No spot inside the frame at all (a name wider than the plot): right
    // of the star, clipped by the canvas.
    best.map_or(
        Boxed {
            x0: x + star_r + 2.0,
            y0: y - h / 2.0,
            x1: x + star_r + 2.0 + w,
            y1: y + h / 2.0,
        },
        |b| b.1,
    )
}
