//! The status bar: library, track count, background job, playback, and
//! the last error or notice.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::playback::Phase;
use crate::tui::app::App;
use crate::tui::keymap::Action;

/// Longest title shown in the status bar, characters.
const TITLE_MAX: usize = 24;

/// Width of the preview's progress gauge, cells.
const GAUGE: usize = 10;

/// "1:07".
fn clock(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// What the previews are doing, for the status bar.
pub fn previews(app: &App) -> Vec<Span<'static>> {
    let p = &app.previews;
    if let Some(why) = &p.unavailable {
        let short = if why.starts_with(crate::playback::device::NO_DEVICE) {
            crate::playback::device::NO_DEVICE
        } else {
            "previews unavailable"
        };
        return vec![Span::styled(
            format!(" ♪ {short} "),
            Style::default().fg(Color::Red),
        )];
    }
    let Some(s) = p.status.as_ref().filter(|s| s.phase != Phase::Idle) else {
        return vec![Span::styled(
            format!(" ♪ {}: preview ", app.keymap.keys_of(Action::Play)),
            Style::default().fg(Color::DarkGray),
        )];
    };
    let shown = crate::store::text::safe(&s.title);
    let mut title: String = shown.chars().take(TITLE_MAX).collect();
    if shown.chars().count() > TITLE_MAX {
        title.push('…');
    }
    let icon = match s.phase {
        Phase::Paused => "‖".to_string(),
        Phase::Loading => super::spinner(app.tick).to_string(),
        _ => "▶".to_string(),
    };
    let place = s
        .index
        .map_or(String::new(), |i| format!(" {}/{}", i + 1, s.total));
    let share = if s.length_s > 0.0 {
        s.position_s / s.length_s
    } else {
        0.0
    };
    let colour = if s.phase == Phase::Paused {
        Color::Gray
    } else {
        Color::Green
    };
    vec![
        Span::styled(
            format!(" ♪ {icon} {title} "),
            Style::default().fg(Color::Black).bg(colour),
        ),
        Span::styled(
            super::clusters::bar(share, GAUGE),
            Style::default().fg(colour).bg(Color::DarkGray),
        ),
        Span::styled(
            format!(" {}/{}{place} ", clock(s.position_s), clock(s.length_s)),
            Style::default().fg(colour),
        ),
    ]
}

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
    spans.extend(previews(app));
    if let Some(e) = &app.error {
        spans.push(Span::styled(
            format!(" {} ", crate::store::text::safe(e)),
            Style::default().fg(Color::White).bg(Color::Red),
        ));
    } else if let Some(n) = &app.notice {
        spans.push(Span::styled(
            format!(" {} ", crate::store::text::safe(n)),
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
