//! The t-SNE map: a braille scatter coloured by cluster or genre, with a
//! legend, the selection and its neighbours, and the last query.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CLine, Points};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::palette::colour;
use crate::tui::app::{App, ColourBy, QueryState};

/// Category of each track under the current colouring, and the names.
fn categories(app: &App) -> (Vec<usize>, Vec<String>) {
    let Some(m) = &app.model else {
        return (Vec::new(), Vec::new());
    };
    match app.colour {
        ColourBy::Genre if m.is_labelled() => {
            let mut names: Vec<String> = m
                .genres
                .iter()
                .map(|g| crate::store::text::safe(g).into_owned())
                .collect();
            names.push("unlabelled".into());
            let cat = m
                .tracks
                .iter()
                .map(|t| {
                    t.label
                        .as_ref()
                        .and_then(|l| m.genres.iter().position(|g| g == l))
                        .unwrap_or(m.genres.len())
                })
                .collect();
            (cat, names)
        }
        _ => {
            let names = m
                .clusters
                .iter()
                .enumerate()
                .map(|(i, c)| match c.archetype.majority() {
                    Some((g, s)) => {
                        format!("{i} {} {:.0}%", crate::store::text::safe(g), s * 100.0)
                    }
                    None => format!("cluster {i}"),
                })
                .collect();
            (m.assignment.iter().map(|&c| c as usize).collect(), names)
        }
    }
}

/// Draw the map pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let by = match app.colour {
        ColourBy::Genre => "genre",
        ColourBy::Cluster => "cluster",
    };
    let title = format!("map · colour: {by} · zoom {:.1}×", app.view.zoom);
    let block = super::block(&title, focused);
    let Some(m) = &app.model else {
        let p = Paragraph::new(app.no_model.as_str())
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block);
        f.render_widget(p, area);
        return;
    };
    let (cat, names) = categories(app);
    let ([x0, x1], [y0, y1]) = app.window();
    let mut groups: Vec<Vec<(f64, f64)>> = vec![Vec::new(); names.len().max(1)];
    for (p, &c) in m.map.iter().zip(&cat) {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        if x >= x0 && x <= x1 && y >= y0 && y <= y1 {
            if let Some(g) = groups.get_mut(c) {
                g.push((x, y));
            }
        }
    }
    let selected = app
        .selected
        .and_then(|i| m.map.get(i).map(|p| (i, f64::from(p[0]), f64::from(p[1]))));
    // What is playing: a note one cell to the right of its point.
    let cell = (x1 - x0) / f64::from(area.width.saturating_sub(2).max(1));
    let playing = app.previews.row.and_then(|i| {
        m.map
            .get(i)
            .map(|p| (f64::from(p[0]) + cell, f64::from(p[1])))
    });
    let query = match &app.query {
        QueryState::Done(r) if r.library_track.is_none() => {
            Some((f64::from(r.map[0]), f64::from(r.map[1])))
        }
        _ => None,
    };
    let canvas = Canvas::default()
        .block(block)
        .marker(Marker::Braille)
        .x_bounds([x0, x1])
        .y_bounds([y0, y1])
        .paint(|ctx| {
            for (i, pts) in groups.iter().enumerate() {
                if !pts.is_empty() {
                    ctx.draw(&Points {
                        coords: pts,
                        color: colour(i),
                    });
                }
            }
            if let Some((i, sx, sy)) = selected {
                ctx.layer();
                for nb in m.graph.get(i).map_or(&[][..], Vec::as_slice) {
                    if let Some(q) = m.map.get(nb.index as usize) {
                        ctx.draw(&CLine {
                            x1: sx,
                            y1: sy,
                            x2: f64::from(q[0]),
                            y2: f64::from(q[1]),
                            color: Color::Gray,
                        });
                    }
                }
                ctx.layer();
                ctx.print(
                    sx,
                    sy,
                    Span::styled(
                        "◆",
                        Style::default()
                            .fg(Color::White)
                            .add_modifier(Modifier::BOLD),
                    ),
                );
            }
            if let Some((px, py)) = playing {
                ctx.print(
                    px,
                    py,
                    Span::styled(
                        "♪",
                        Style::default()
                            .fg(Color::Green)
                            .add_modifier(Modifier::BOLD),
                    ),
                );
            }
            if let Some((qx, qy)) = query {
                ctx.print(
                    qx,
                    qy,
                    Span::styled(
                        "✚",
                        Style::default()
                            .fg(Color::Magenta)
                            .add_modifier(Modifier::BOLD),
                    ),
                );
            }
        });
    f.render_widget(canvas, area);
    legend(f, area, &names, &groups);
}

/// The legend in the map's bottom-left corner (as many entries as fit).
fn legend(f: &mut Frame<'_>, area: Rect, names: &[String], groups: &[Vec<(f64, f64)>]) {
    if area.height < 6 || area.width < 16 {
        return;
    }
    let room = (area.height as usize).saturating_sub(4).min(names.len());
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(22) as u16
        + 3;
    let mut lines: Vec<Line> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| groups.get(*i).is_some_and(|g| !g.is_empty()))
        .take(room)
        .map(|(i, n)| {
            let n: String = n.chars().take(22).collect();
            Line::from(vec![
                Span::styled("● ", Style::default().fg(colour(i))),
                Span::raw(n),
            ])
        })
        .collect();
    if names.len() > room && room > 0 {
        lines.pop();
        lines.push(Line::from(format!("… +{}", names.len() + 1 - room)));
    }
    let h = lines.len() as u16;
    if h == 0 {
        return;
    }
    let r = Rect {
        x: area.x + 1,
        y: area.y + area.height - 1 - h,
        width: width.min(area.width - 2),
        height: h,
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).style(Style::default().bg(Color::Black)),
        r,
    );
}
