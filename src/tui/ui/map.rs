//! The t-SNE map: each terminal cell holding points shows one marker in
//! the colour of most of them — a large dot where a point is alone, a
//! shade that darkens with the count where they crowd — with the selected
//! track's neighbour lines dim beneath and the path between marked tracks
//! a bright line beneath, the marked tracks, the cursor, the last query and
//! what is playing on top, and a legend (toggled) in the emptiest corner.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CLine};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::list::fit;
use super::theme::{self, colour};
use crate::tui::app::{App, ColourBy, PathState, QueryState};
use crate::tui::labels;

/// Category of each track under the current colouring, with each
/// category's name and colour.
fn categories(app: &App) -> (Vec<usize>, Vec<(String, Color)>) {
    let Some(m) = &app.model else {
        return (Vec::new(), Vec::new());
    };
    match app.colour {
        ColourBy::Genre if m.is_labelled() => {
            let mut names: Vec<(String, Color)> = m
                .genres
                .iter()
                .enumerate()
                .map(|(i, g)| (crate::store::text::safe(g).into_owned(), colour(i)))
                .collect();
            names.push(("unlabelled".into(), theme::unlabelled()));
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
                .map(|(i, c)| {
                    let name = labels::majority(&c.archetype)
                        .map_or_else(|| format!("cluster {i}"), |g| format!("{i} {g}"));
                    (name, colour(i))
                })
                .collect();
            (m.assignment.iter().map(|&c| c as usize).collect(), names)
        }
    }
}

/// Points per cell of a `w`×`h` grid over the visible window, with the
/// category most of them have (Boyer–Moore majority vote).
struct Grid {
    w: usize,
    h: usize,
    count: Vec<u32>,
    cat: Vec<usize>,
    vote: Vec<u32>,
}

impl Grid {
    fn new(w: usize, h: usize) -> Grid {
        Grid {
            w,
            h,
            count: vec![0; w * h],
            cat: vec![0; w * h],
            vote: vec![0; w * h],
        }
    }

    fn add(&mut self, cell: usize, cat: usize) {
        self.count[cell] += 1;
        if self.vote[cell] == 0 {
            self.cat[cell] = cat;
            self.vote[cell] = 1;
        } else if self.cat[cell] == cat {
            self.vote[cell] += 1;
        } else {
            self.vote[cell] -= 1;
        }
    }

    /// Occupied cells in the rectangle (col, row, width, height).
    fn occupied(&self, x: usize, y: usize, w: usize, h: usize) -> usize {
        (y..(y + h).min(self.h))
            .flat_map(|r| (x..(x + w).min(self.w)).map(move |c| r * self.w + c))
            .filter(|&i| self.count[i] > 0)
            .count()
    }
}

/// The marker of a cell holding `n` points when the fullest holds `max`
/// (a map where no cell holds more than two is sparse: all dots).
fn marker(n: u32, max: u32) -> &'static str {
    if n <= 1 || max <= 2 {
        return "●";
    }
    let t = f64::from(n).ln() / f64::from(max).ln();
    match t {
        t if t <= 0.34 => "░",
        t if t <= 0.67 => "▒",
        t if t < 1.0 => "▓",
        _ => "█",
    }
}

/// Draw the map pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let by = match app.colour {
        ColourBy::Genre => "genre",
        ColourBy::Cluster => "cluster",
    };
    let zoom = format!("{:.1}×", app.view.zoom);
    let name = app
        .model
        .as_ref()
        .zip(app.selected)
        .and_then(|(m, i)| m.tracks.get(i))
        .map(labels::display_name);
    let titles: Vec<String> = match &name {
        Some(n) => vec![
            format!("map · {n} · colour: {by} · {zoom}"),
            format!("map · {n} · {zoom}"),
            format!("{n} · {zoom}"),
            n.clone(),
        ],
        None => vec![format!("map · colour: {by} · {zoom}"), "map".into()],
    };
    let block = super::block(&titles, focused, area.width);
    let Some(m) = &app.model else {
        let p = Paragraph::new(app.no_model.as_str())
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(block);
        f.render_widget(p, area);
        return;
    };
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let (cat, names) = categories(app);
    let ([x0, x1], [y0, y1]) = app.window();
    let (w, h) = (usize::from(inner.width), usize::from(inner.height));
    let cell_of = |x: f64, y: f64| -> Option<usize> {
        if x < x0 || x > x1 || y < y0 || y > y1 {
            return None;
        }
        let c = (((x - x0) / (x1 - x0)) * w as f64).floor() as usize;
        let r = (((y1 - y) / (y1 - y0)) * h as f64).floor() as usize;
        Some(r.min(h - 1) * w + c.min(w - 1))
    };
    let mut grid = Grid::new(w, h);
    for (p, &c) in m.map.iter().zip(&cat) {
        if let Some(cell) = cell_of(f64::from(p[0]), f64::from(p[1])) {
            grid.add(cell, c);
        }
    }
    let selected = app
        .selected
        .and_then(|i| m.map.get(i).map(|p| (i, f64::from(p[0]), f64::from(p[1]))));
    // The nearest tracks the details pane lists (the graph's until then).
    let rows: Vec<usize> = match (&app.details, selected) {
        (Some(d), Some((i, _, _))) if d.row == i => {
            d.result.similar.iter().map(|s| s.track as usize).collect()
        }
        (_, Some((i, _, _))) => m
            .graph
            .get(i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|nb| nb.index as usize)
            .collect(),
        _ => Vec::new(),
    };
    let neighbours: Vec<[f32; 2]> = rows.iter().filter_map(|&r| m.map.get(r).copied()).collect();
    let path: Vec<[f32; 2]> = match &app.path {
        PathState::Done(steps) => steps
            .iter()
            .filter_map(|s| m.map.get(s.row).copied())
            .collect(),
        _ => Vec::new(),
    };
    // Lines first, so the points are drawn over them; the path over the
    // neighbour lines.
    if selected.is_some() || path.len() > 1 {
        let canvas = Canvas::default()
            .marker(Marker::Braille)
            .x_bounds([x0, x1])
            .y_bounds([y0, y1])
            .paint(|ctx| {
                if let Some((_, sx, sy)) = selected {
                    for q in &neighbours {
                        ctx.draw(&CLine {
                            x1: sx,
                            y1: sy,
                            x2: f64::from(q[0]),
                            y2: f64::from(q[1]),
                            color: theme::LINE,
                        });
                    }
                }
                for leg in path.windows(2) {
                    ctx.draw(&CLine {
                        x1: f64::from(leg[0][0]),
                        y1: f64::from(leg[0][1]),
                        x2: f64::from(leg[1][0]),
                        y2: f64::from(leg[1][1]),
                        color: theme::PATH,
                    });
                }
            });
        f.render_widget(canvas, inner);
    }
    let max = grid.count.iter().copied().max().unwrap_or(0);
    let buf = f.buffer_mut();
    let mut put = |cell: usize, symbol: &str, style: Style| {
        let (c, r) = ((cell % w) as u16, (cell / w) as u16);
        if let Some(b) = buf.cell_mut((inner.x + c, inner.y + r)) {
            b.set_symbol(symbol).set_style(style);
        }
    };
    for (cell, &n) in grid.count.iter().enumerate() {
        if n > 0 {
            let c = names.get(grid.cat[cell]).map_or(Color::Gray, |n| n.1);
            put(cell, marker(n, max), Style::default().fg(c));
        }
    }
    for q in &neighbours {
        if let Some(cell) = cell_of(f64::from(q[0]), f64::from(q[1])) {
            let c = names.get(grid.cat[cell]).map_or(Color::Gray, |n| n.1);
            let n = grid.count[cell];
            put(
                cell,
                marker(n, max),
                Style::default().fg(c).add_modifier(Modifier::BOLD),
            );
        }
    }
    for p in app.marked.iter().filter_map(|&r| m.map.get(r)) {
        if let Some(cell) = cell_of(f64::from(p[0]), f64::from(p[1])) {
            put(cell, "◉", theme::marked());
        }
    }
    let query = match &app.query {
        QueryState::Done(r) if r.library_track.is_none() => Some((r.map[0], r.map[1])),
        _ => None,
    };
    if let Some(cell) = query.and_then(|(x, y)| cell_of(f64::from(x), f64::from(y))) {
        put(
            cell,
            "✚",
            Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
        );
    }
    if let Some(cell) = selected.and_then(|(_, x, y)| cell_of(x, y)) {
        put(
            cell,
            "◆",
            Style::default()
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
        );
    }
    // What is playing: a note one cell to the right of its point.
    let playing = app
        .previews
        .row
        .and_then(|i| m.map.get(i))
        .and_then(|p| cell_of(f64::from(p[0]), f64::from(p[1])));
    if let Some(cell) = playing.filter(|c| c % w + 1 < w) {
        put(cell + 1, "♪", theme::playing().add_modifier(Modifier::BOLD));
    }
    if app.legend {
        legend(f, inner, &names, &grid, app);
    }
}

/// The legend, in the corner where it covers the fewest points; fewer
/// entries and shorter names on small maps.
fn legend(f: &mut Frame<'_>, inner: Rect, names: &[(String, Color)], grid: &Grid, app: &App) {
    if inner.height < 4 || inner.width < 14 {
        return;
    }
    let (w, h) = (usize::from(inner.width), usize::from(inner.height));
    // Only what is on screen.
    let mut present = vec![false; names.len()];
    for (cell, &n) in grid.count.iter().enumerate() {
        if n > 0 {
            if let Some(p) = present.get_mut(grid.cat[cell]) {
                *p = true;
            }
        }
    }
    let entries: Vec<&(String, Color)> = names
        .iter()
        .zip(&present)
        .filter(|(_, p)| **p)
        .map(|(n, _)| n)
        .collect();
    let room = if h < 24 { h / 3 } else { h / 2 }.max(2);
    let name_w = if w < 60 { (w / 3).max(6) } else { 24 };
    let mut lines: Vec<Line> = entries
        .iter()
        .take(room)
        .map(|(n, c)| {
            Line::from(vec![
                Span::styled("● ", Style::default().fg(*c)),
                Span::raw(fit(n, name_w)),
            ])
        })
        .collect();
    if entries.len() > room {
        lines.pop();
        let toggle = app.keymap.keys_of(crate::tui::keymap::Action::ToggleLegend);
        lines.push(Line::from(Span::styled(
            fit(
                &format!("… +{} ({toggle} hides)", entries.len() + 1 - room),
                name_w + 2,
            ),
            theme::dim(),
        )));
    }
    if lines.is_empty() {
        return;
    }
    let lw = lines.iter().map(Line::width).max().unwrap_or(0).min(w);
    let lh = lines.len().min(h);
    // Bottom-left first, then the other corners; the emptiest wins.
    let corners = [(0, h - lh), (0, 0), (w - lw, h - lh), (w - lw, 0)];
    let Some(&(cx, cy)) = corners
        .iter()
        .min_by_key(|&&(x, y)| grid.occupied(x, y, lw, lh))
    else {
        return;
    };
    let r = Rect {
        x: inner.x + cx as u16,
        y: inner.y + cy as u16,
        width: lw as u16,
        height: lh as u16,
    };
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines), r);
}

#[cfg(test)]
mod tests {
    use super::marker;

    #[test]
    fn markers_are_dots_where_sparse_and_shades_where_dense() {
        assert_eq!(marker(1, 1), "●");
        assert_eq!(marker(1, 50), "●");
        assert_eq!(marker(2, 2), "●");
        assert_eq!(marker(2, 50), "░");
        assert_eq!(marker(10, 50), "▒");
        assert_eq!(marker(30, 50), "▓");
        assert_eq!(marker(50, 50), "█");
    }
}
