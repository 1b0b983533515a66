//! The status bar: library, track count, background job, playback, and
//! the last error or notice.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::app::App;

/// Draw the status bar.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let mut spans = vec![
        Span::styled(
            format!(" {} ", app.library),
            Style::default().fg(Color::Black).bg(Color::Cyan),
        ),
        Span::raw(format!(
            " {} tracks ",
            app.model.as_ref().map_or(0, |m| m.len())
        )),
    ];
    if let Some(job) = &app.job {
        let pct = job
            .fraction
            .map(|f| format!(" {:.0}%", f * 100.0))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(" {} {}{pct} ", super::spinner(app.tick), job.label),
            Style::default().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    spans.push(Span::styled(
        " ♪ off ",
        Style::default().fg(Color::DarkGray),
    ));
    if let Some(e) = &app.error {
        spans.push(Span::styled(
            format!(" {e} "),
            Style::default().fg(Color::White).bg(Color::Red),
        ));
    } else if let Some(n) = &app.notice {
        spans.push(Span::styled(
            format!(" {n} "),
            Style::default().fg(Color::Gray),
        ));
    } else {
        spans.push(Span::styled(
            format!(
                " {} help ",
                app.keymap.keys_of(crate::tui::keymap::Action::Help)
            ),
            Style::default().fg(Color::DarkGray),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
