//! The status bar: library, track count, background job, playback, and
//! the last error or notice.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::list::{fit, width};
use crate::playback::Phase;
use crate::tui::app::App;
use crate::tui::keymap::Action;
use crate::tui::labels::clock;

/// Longest title shown in the status bar, characters.
const TITLE_MAX: usize = 24;

/// Width of the preview's progress gauge, cells.
const GAUGE: usize = 10;

/// What the previews are doing, for the status bar.
pub fn previews(app: &App) -> Vec<Span<'static>> {
    let p = &app.previews;
    if let Some(why) = &p.unavailable {
        // The error message already says why: once is enough.
        let short = if app.error.is_some() {
            "off"
        } else if why.starts_with(crate::playback::device::NO_DEVICE) {
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
    let title = fit(&shown, TITLE_MAX + 1);
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

/// Draw the status bar: library, tracks, job, previews and the message,
/// fitted to the width (the library's path shortens first, the message
/// is cut with "…").
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let total = usize::from(area.width);
    let tracks = format!(" {} tracks ", app.model.as_ref().map_or(0, |m| m.len()));
    let mut middle: Vec<Span> = Vec::new();
    if let Some(job) = &app.job {
        let pct = job
            .fraction
            .map(|f| format!(" {:.0}%", f * 100.0))
            .unwrap_or_default();
        middle.push(Span::styled(
            format!(" {} {}{pct} ", super::spinner(app.tick), job.label),
            Style::default().fg(Color::Black).bg(Color::Yellow),
        ));
    }
    middle.extend(previews(app));
    let (message, style) = if let Some(e) = &app.error {
        (
            crate::store::text::safe(e).into_owned(),
            super::theme::error(),
        )
    } else if let Some(n) = &app.notice {
        (
            crate::store::text::safe(n).into_owned(),
            super::theme::soft(),
        )
    } else {
        (
            format!("{} help", app.keymap.keys_of(Action::Help)),
            super::theme::dim(),
        )
    };
    let used: usize = middle.iter().map(Span::width).sum::<usize>() + width(&tracks);
    let want = width(&message) + 2;
    // The library's path gives way first, to its last part, then entirely.
    let full = format!(" {} ", app.library);
    let short = std::path::Path::new(&app.library)
        .file_name()
        .map(|n| format!(" {} ", n.to_string_lossy()));
    let library = [Some(full), short, Some(String::new())]
        .into_iter()
        .flatten()
        .find(|l| width(l) + used + want.min(24) <= total)
        .unwrap_or_default();
    let mut spans = Vec::new();
    if !library.is_empty() {
        spans.push(Span::styled(
            library.clone(),
            Style::default().fg(Color::Black).bg(Color::Cyan),
        ));
    }
    spans.push(Span::raw(tracks));
    spans.extend(middle);
    let room = total.saturating_sub(used + width(&library));
    if room > 2 {
        spans.push(Span::styled(
            format!(" {} ", fit(&message, room - 2)),
            style,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
