//! The query line: a fragment to find a track, or a path or URL to query
//! (scrolled so the cursor end of a long path shows), and below it a
//! running query's spinner or a failed query's message. The answer itself
//! is shown by the details pane.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::list::{fit_tail, width};
use super::theme;
use crate::store::text::safe;
use crate::tui::app::{App, QueryState};
use crate::tui::keymap::Action;

/// The input line for `inner_width` cells: the part around the cursor.
pub fn input_line(app: &App, inner_width: usize) -> Line<'static> {
    let text = app.input.text();
    let prompt = Span::styled("› ", theme::key());
    let room = inner_width.saturating_sub(2);
    if !app.typing {
        if text.is_empty() {
            let hint = format!(
                "{} find a track, or type a file or URL",
                app.keymap.keys_of(Action::FocusQuery)
            );
            return Line::from(vec![
                prompt,
                Span::styled(super::list::fit(&hint, room), theme::dim()),
            ]);
        }
        return Line::from(vec![prompt, Span::raw(fit_tail(&safe(text), room))]);
    }
    // Show the cursor: the text before it is cut at the start when long.
    let cur = app.input.cursor();
    let before: String = safe(&text.chars().take(cur).collect::<String>()).into_owned();
    let at: String = text.chars().nth(cur).map_or(" ".into(), |c| c.to_string());
    let after: String = safe(&text.chars().skip(cur + 1).collect::<String>()).into_owned();
    let before_room = room.saturating_sub(1);
    let before = fit_tail(&before, before_room);
    let after_room = room.saturating_sub(width(&before) + width(&at));
    Line::from(vec![
        prompt,
        Span::raw(before),
        Span::styled(at, Style::default().add_modifier(Modifier::REVERSED)),
        Span::raw(super::list::fit(&after, after_room)),
    ])
}

/// Draw the query pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let titles = [
        "query · type to find a track, or a file / URL".to_string(),
        "find · or a file / URL".to_string(),
        "find".to_string(),
    ];
    let block = super::block(&titles, focused, area.width);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let line = input_line(app, usize::from(inner.width));
    f.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    match &app.query {
        QueryState::Running { target, .. } => {
            let msg = format!(
                "{} analysing {} … (Esc cancels)",
                super::spinner(app.tick),
                crate::tui::labels::path_file(target)
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: false }), body);
        }
        QueryState::Failed(e) => {
            f.render_widget(
                Paragraph::new(safe(e).into_owned())
                    .style(Style::default().fg(Color::Red))
                    .wrap(Wrap { trim: false }),
                body,
            );
        }
        QueryState::Idle | QueryState::Done(_) => {}
    }
}
