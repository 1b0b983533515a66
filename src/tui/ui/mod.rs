//! Rendering: a pure function of the [`App`] state. `layout` is shared with
//! the event loop so mouse clicks land where things were drawn.

pub mod clusters;
pub mod details;
pub mod help;
pub mod list;
pub mod map;
pub mod marks;
pub mod query;
pub mod status;
pub mod theme;

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use super::app::{App, Pane, QueryState};

/// Where each pane goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The map (with its border).
    pub map: Rect,
    /// The cluster browser.
    pub clusters: Rect,
    /// Details of the selection, the query's answer or the tracks found.
    pub details: Rect,
    /// The query line.
    pub query: Rect,
    /// The status bar (one line).
    pub status: Rect,
}

/// Width of the right column: it grows with the screen (a 45% share,
/// 30 to 72 cells), leaving the map at least half.
pub fn side_width(width: u16) -> u16 {
    (width * 9 / 20).clamp(30, 72).min(width / 2)
}

/// Split the screen: map on the left, clusters over details over the query
/// line on the right, status bar at the bottom.
pub fn layout(area: Rect) -> Areas {
    layout_for(area, 10, 3)
}

/// [`layout`] for a model of `clusters` clusters and a query pane of
/// `query_rows` rows (more while a query runs or failed).
pub fn layout_for(area: Rect, clusters: usize, query_rows: u16) -> Areas {
    let status_h = area.height.min(1);
    let body_h = area.height - status_h;
    let side = side_width(area.width);
    let map = Rect::new(area.x, area.y, area.width - side, body_h);
    let sx = area.x + area.width - side;
    let query_h = query_rows.min(body_h);
    let rest = body_h - query_h;
    // The cluster list takes what it needs up to 40% of the rest.
    let clusters_h = ((clusters as u16).saturating_add(2))
        .min((rest * 2 / 5).max(5))
        .min(rest);
    Areas {
        map,
        clusters: Rect::new(sx, area.y, side, clusters_h),
        details: Rect::new(sx, area.y + clusters_h, side, rest - clusters_h),
        query: Rect::new(sx, area.y + rest, side, query_h),
        status: Rect::new(area.x, area.y + body_h, area.width, status_h),
    }
}

/// A pane's frame, highlighted when focused; its title is the first of
/// `titles` that fits.
pub fn block(titles: &[String], focused: bool, width: u16) -> Block<'static> {
    let room = usize::from(width).saturating_sub(4);
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(theme::border(focused))
        .title(format!(" {} ", list::title(titles, room)))
}

/// A frame with a hint on its bottom edge (e.g. hidden rows).
pub fn with_hint(block: Block<'static>, hint: Option<String>) -> Block<'static> {
    match hint {
        Some(h) => block.title_bottom(Line::from(format!(" {h} ")).right_aligned()),
        None => block,
    }
}

/// Draw the whole explorer.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    let query_rows = match app.query {
        QueryState::Running { .. } | QueryState::Failed(_) => 5,
        _ => 3,
    };
    let clusters = app.model.as_ref().map_or(0, |m| m.clusters.len());
    let a = layout_for(f.area(), clusters, query_rows);
    map::draw(f, a.map, app, app.focus == Pane::Map);
    clusters::draw(f, a.clusters, app, app.focus == Pane::Clusters);
    details::draw(f, a.details, app);
    query::draw(f, a.query, app, app.focus == Pane::Query);
    status::draw(f, a.status, app);
    if app.help {
        help::draw(f, f.area(), app);
    }
}

/// "⠋" etc.: a spinner frame for `tick`.
pub fn spinner(tick: u64) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES[(tick % 10) as usize]
}
