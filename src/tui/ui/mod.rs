//! Rendering: a pure function of the [`App`] state. `layout` is shared with
//! the event loop so mouse clicks land where things were drawn.

pub mod clusters;
pub mod help;
pub mod map;
pub mod palette;
pub mod query;
pub mod status;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

use super::app::{App, Pane};

/// Where each pane goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// The map (with its border).
    pub map: Rect,
    /// The cluster browser.
    pub clusters: Rect,
    /// The query pane.
    pub query: Rect,
    /// The status bar (one line).
    pub status: Rect,
}

/// Split the screen: map on the left (most of it), clusters over query on
/// the right, status bar at the bottom.
pub fn layout(area: Rect) -> Areas {
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Min(3), Constraint::Length(1)])
        .split(area);
    let side = if area.width >= 120 {
        46
    } else {
        (area.width * 2 / 5).max(30).min(area.width / 2)
    };
    let cols = Layout::default()
        .direction(Direction::Horizontal)
        .constraints([Constraint::Min(10), Constraint::Length(side)])
        .split(rows[0]);
    let right = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
        .split(cols[1]);
    Areas {
        map: cols[0],
        clusters: right[0],
        query: right[1],
        status: rows[1],
    }
}

/// A pane's frame, highlighted when focused.
pub fn block(title: &str, focused: bool) -> Block<'_> {
    let style = if focused {
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(style)
        .title(format!(" {title} "))
}

/// Draw the whole explorer.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    let a = layout(f.area());
    map::draw(f, a.map, app, app.focus == Pane::Map);
    clusters::draw(f, a.clusters, app, app.focus == Pane::Clusters);
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
