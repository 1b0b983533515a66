//! The help overlay, generated from the active keymap.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::tui::app::App;

/// Draw the help overlay centred on `area`.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let listing = app.keymap.listing();
    let mut lines: Vec<Line> = listing
        .iter()
        .map(|(action, keys)| {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            Line::from(vec![
                Span::styled(
                    format!("{:>16}  ", keys.join(" ")),
                    Style::default().fg(Color::Cyan),
                ),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "typing: Tab completes, Enter runs, Esc leaves · drop files or paste URLs any time",
        Style::default().fg(Color::Gray),
    )));
    lines.push(Line::from(Span::styled(
        "any key closes this help",
        Style::default().fg(Color::DarkGray),
    )));
    let w = 72.min(area.width);
    let h = (lines.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    let block = super::block("help · keys from keymap.toml", true)
        .style(Style::default().add_modifier(Modifier::empty()));
    f.render_widget(Paragraph::new(lines).block(block), r);
}
