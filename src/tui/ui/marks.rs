//! The list pane, in the details' place while focused: the path between
//! the last two marked tracks (each step with its similarity to the one
//! before), else the marked tracks. Up and down move the map cursor along
//! it; `w` writes it, `p` plays it.

use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::details::track_row;
use super::list::{hint, visible};
use crate::model::Model;
use crate::tui::app::{App, PathState};
use crate::tui::keymap::Action;
use crate::tui::labels;

/// Draw the list pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, m: &Model) {
    let (kind, rows): (&str, Vec<(usize, Option<f32>)>) = match &app.path {
        PathState::Done(steps) => (
            "path",
            steps.iter().map(|s| (s.row, s.similarity)).collect(),
        ),
        _ => ("marked", app.marked.iter().map(|&r| (r, None)).collect()),
    };
    let keys = |a| app.keymap.keys_of(a);
    let n = rows.len();
    let titles = [
        format!(
            "{kind} · {n} tracks · {} writes · {} plays",
            keys(Action::WriteList),
            keys(Action::Play)
        ),
        format!("{kind} · {n} tracks · {} writes", keys(Action::WriteList)),
        format!("{kind} · {n} tracks"),
        kind.to_string(),
    ];
    let block = super::block(&titles, true, area.width);
    let inner = block.inner(area);
    let w = usize::from(inner.width).max(1);
    let shown = visible(n, Some(app.list_row), usize::from(inner.height));
    f.render_widget(super::with_hint(block, hint(&shown, n)), area);
    let lines: Vec<_> = shown
        .clone()
        .filter_map(|i| {
            let &(row, sim) = rows.get(i)?;
            let t = m.tracks.get(row)?;
            let name = labels::marked(app, row, labels::display_name(t));
            Some(track_row(
                sim,
                &name,
                t.label.as_deref(),
                w,
                i == app.list_row,
                app.previews.row == Some(row),
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
