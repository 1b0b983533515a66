//! `clusters.png`: the K-Means clusters' archetypes. In a labelled library,
//! a cluster × genre heat map: each cell holds the cluster's tracks of that
//! genre, coloured by their share of the cluster; rows are ordered by
//! majority genre so a clustering that follows the genres reads as a
//! diagonal. In an unlabelled library, one bar per cluster (its size, in
//! the cluster's map colour) with its representatives named.

use super::style::{self, category, fixed, heat, INK, MUTED, RULE};
use super::{render, Align, Font, PlotError, Png, VAlign};
use crate::report::font;
use crate::report::metrics::{ClusterSummary, Report, Score};

const MARGIN: i32 = 24;
const MAX_LABEL: i32 = 190;

/// Draw the cluster plot of `report`.
pub fn draw(report: &Report) -> Result<Png, PlotError> {
    if report.genres.is_empty() {
        sizes(report)
    } else {
        heat_map(report)
    }
}

/// "0.81 (chance 0.12)" or "n/a".
fn score(s: &Score) -> String {
    match (s.value, s.chance) {
        (Some(v), Some(c)) => format!("{} (chance {})", fixed(v, 2), fixed(c, 2)),
        (Some(v), None) => fixed(v, 2),
        _ => "n/a".to_string(),
    }
}

fn title_lines(report: &Report) -> (String, String) {
    let p = &report.parameters;
    let title = format!(
        "K-Means clusters{}: k = {} ({})",
        if report.genres.is_empty() {
            ""
        } else {
            " × genre"
        },
        p.k,
        p.k_choice
    );
    let c = &report.clustering;
    let sub = if report.genres.len() >= 2 {
        format!(
            "NMI {} · ARI {} · purity {} · silhouette {}",
            score(&c.nmi),
            score(&c.ari),
            score(&c.purity),
            score(&c.silhouette)
        )
    } else {
        let n = report.tracks.analysed;
        let silhouette = match &c.silhouette.reason {
            Some(why) if c.silhouette.value.is_none() => format!("silhouette n/a: {why}"),
            _ => format!(
                "silhouette {} (Euclidean on z-scored fingerprints)",
                score(&c.silhouette)
            ),
        };
        format!("{silhouette} · {n} track{}", if n == 1 { "" } else { "s" })
    };
    (title, sub)
}

fn heat_map(report: &Report) -> Result<Png, PlotError> {
    let genres = &report.genres;
    let with_none = report.clusters.iter().any(|c| c.unlabelled > 0);
    let mut cols: Vec<String> = genres.clone();
    if with_none {
        cols.push("(no label)".to_string());
    }
    let m = cols.len() as i32;
    // Rows by majority genre (then larger share first), so that a
    // clustering following the genres shows as a diagonal.
    let mut rows: Vec<&ClusterSummary> = report.clusters.iter().collect();
    rows.sort_by(|a, b| {
        let g = |c: &ClusterSummary| {
            c.majority
                .as_ref()
                .and_then(|m| genres.iter().position(|g| g == m))
                .unwrap_or(usize::MAX)
        };
        g(a).cmp(&g(b))
            .then(
                b.majority_share
                    .unwrap_or(0.0)
                    .total_cmp(&a.majority_share.unwrap_or(0.0)),
            )
            .then(a.id.cmp(&b.id))
    });
    let k = rows.len().max(1) as i32;
    let label_font = Font::new(15.0, INK);
    let row_labels: Vec<String> = rows
        .iter()
        .map(|c| format!("cluster {} ({})", c.id, c.size))
        .collect();
    let col_labels = font::fit_all(&cols, label_font.size, MAX_LABEL);
    let widest = |v: &[String]| v.iter().map(|s| label_font.width(s)).max().unwrap_or(0);
    let (row_w, col_w) = (widest(&row_labels), widest(&col_labels));
    let cell = (760 / m).min(620 / k).clamp(36, 80);
    let title_font = Font::new(22.0, INK);
    let sub_font = Font::new(14.0, MUTED);
    let (title, sub) = title_lines(report);
    let sub2 = "cells: tracks of the genre in the cluster · colour: share of the cluster · rows by majority genre";
    let title_w = title_font
        .width(&title)
        .max(sub_font.width(&sub))
        .max(sub_font.width(sub2));
    let x0 = MARGIN + 26 + 10 + row_w + 10;
    let y0 = MARGIN + 96;
    let width = (x0 + m * cell + 30 + super::colour_bar_width() + MARGIN)
        .max(title_w + 2 * MARGIN)
        .max(640);
    let height = y0 + k * cell + 10 + col_w + 16 + 20 + MARGIN;

    render(width as u32, height as u32, |area| {
        title_font.draw(area, &title, MARGIN, MARGIN, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub, MARGIN, MARGIN + 36, Align::Left, VAlign::Top)?;
        sub_font.draw(area, sub2, MARGIN, MARGIN + 58, Align::Left, VAlign::Top)?;
        let count_size = (f64::from(cell) * 0.32).clamp(12.0, 20.0);
        for (r, c) in rows.iter().enumerate() {
            let y = y0 + r as i32 * cell;
            label_font.draw(
                area,
                &row_labels[r],
                x0 - 10,
                y + cell / 2,
                Align::Right,
                VAlign::Middle,
            )?;
            for (j, g) in cols.iter().enumerate() {
                let count = if with_none && j == cols.len() - 1 {
                    c.unlabelled
                } else {
                    c.counts
                        .iter()
                        .find(|(name, _)| name == g)
                        .map_or(0, |x| x.1)
                };
                let share = count as f64 / c.size.max(1) as f64;
                let x = x0 + j as i32 * cell;
                let fill = heat(share);
                style::rect(area, x + 1, y + 1, x + cell - 1, y + cell - 1, fill)?;
                if count > 0 {
                    Font::new(count_size, fill.text_on()).draw(
                        area,
                        &count.to_string(),
                        x + cell / 2,
                        y + cell / 2,
                        Align::Centre,
                        VAlign::Middle,
                    )?;
                }
            }
        }
        for (j, s) in col_labels.iter().enumerate() {
            let cx = x0 + j as i32 * cell + cell / 2;
            label_font.draw_up(
                area,
                s,
                cx,
                y0 + k * cell + 10,
                Align::Right,
                VAlign::Middle,
            )?;
        }
        let axis = Font::new(16.0, MUTED);
        axis.draw(
            area,
            "genre",
            x0 + m * cell / 2,
            y0 + k * cell + 10 + col_w + 16,
            Align::Centre,
            VAlign::Top,
        )?;
        axis.draw_up(
            area,
            "cluster (tracks)",
            MARGIN + 10,
            y0 + k * cell / 2,
            Align::Centre,
            VAlign::Middle,
        )?;
        super::colour_bar(area, x0 + m * cell + 30, y0, (k * cell).min(420))
    })
}

/// Unlabelled library: cluster sizes as bars, representatives named.
fn sizes(report: &Report) -> Result<Png, PlotError> {
    let rows: Vec<&ClusterSummary> = report.clusters.iter().collect();
    let k = rows.len().max(1) as i32;
    let label_font = Font::new(15.0, INK);
    let small = Font::new(13.0, MUTED);
    let row_h = (480 / k).clamp(30, 48);
    let title_font = Font::new(22.0, INK);
    let sub_font = Font::new(14.0, MUTED);
    let (title, sub) = title_lines(report);
    let sub2 = "no genre labels: bars are cluster sizes, in the map's colours and markers; representatives: top PageRank";
    let row_labels: Vec<String> = rows.iter().map(|c| format!("cluster {}", c.id)).collect();
    let row_w = row_labels
        .iter()
        .map(|s| label_font.width(s))
        .max()
        .unwrap_or(0);
    let bar_max = 420;
    let names_w = 460;
    // Marker (as on the map), label, bar.
    let x0 = MARGIN + 24 + row_w + 12;
    let y0 = MARGIN + 112;
    let title_w = title_font
        .width(&title)
        .max(sub_font.width(&sub))
        .max(sub_font.width(sub2));
    let width = (x0 + bar_max + 60 + names_w + MARGIN).max(title_w + 2 * MARGIN);
    let height = y0 + k * row_h + MARGIN;
    let biggest = rows.iter().map(|c| c.size).max().unwrap_or(1).max(1);

    render(width as u32, height as u32, |area| {
        title_font.draw(area, &title, MARGIN, MARGIN, Align::Left, VAlign::Top)?;
        sub_font.draw(area, &sub, MARGIN, MARGIN + 36, Align::Left, VAlign::Top)?;
        sub_font.draw(area, sub2, MARGIN, MARGIN + 58, Align::Left, VAlign::Top)?;
        small.draw(area, "tracks", x0, y0 - 10, Align::Left, VAlign::Baseline)?;
        small.draw(
            area,
            "representatives",
            x0 + bar_max + 60,
            y0 - 10,
            Align::Left,
            VAlign::Baseline,
        )?;
        for (r, c) in rows.iter().enumerate() {
            let y = y0 + r as i32 * row_h;
            let cy = y + row_h / 2;
            if r % 2 == 1 {
                style::rect(
                    area,
                    MARGIN,
                    y,
                    width - MARGIN,
                    y + row_h - 1,
                    style::Rgb(248, 248, 248),
                )?;
            }
            let (color, marker) = category(c.id);
            marker.draw(
                area,
                MARGIN + 10,
                cy,
                6.0,
                color,
                Some((color.mix(style::Rgb(0, 0, 0), 0.45), 1)),
            )?;
            label_font.draw(
                area,
                &row_labels[r],
                x0 - 12,
                cy,
                Align::Right,
                VAlign::Middle,
            )?;
            let len = ((c.size as f64 / biggest as f64) * f64::from(bar_max)).round() as i32;
            let bh = (row_h * 3 / 5).max(12);
            style::rect(area, x0, cy - bh / 2, x0 + len.max(2), cy + bh / 2, color)?;
            label_font.draw(
                area,
                &c.size.to_string(),
                x0 + len + 8,
                cy,
                Align::Left,
                VAlign::Middle,
            )?;
            let names: Vec<&str> = c.representatives.iter().map(|r| r.name.as_str()).collect();
            let names = font::fit(&names.join(", "), small.size, names_w);
            small.draw(
                area,
                &names,
                x0 + bar_max + 60,
                cy,
                Align::Left,
                VAlign::Middle,
            )?;
        }
        style::line(area, (x0, y0), (x0, y0 + k * row_h), RULE, 1)
    })
}
