//! The query pane: the input line, then the answer — genre with
//! confidence, cluster and archetype, similar tracks (browsable), and why.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::store::text::safe;
use crate::tui::app::{App, QueryState};

/// A path's file name for display. ratatui drops control characters;
/// [`safe`] shows them instead, as the command line does.
fn name_of(path: &str) -> String {
    let name = std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    safe(&name).into_owned()
}

/// Draw the query pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let block = super::block("query · / to type a path or URL", focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(0)])
        .split(inner);
    // Input line with a visible cursor when typing.
    let text = app.input.text();
    let prompt = Span::styled("› ", Style::default().fg(Color::Cyan));
    let line = if app.typing {
        let cur = app.input.cursor();
        let before: String = text.chars().take(cur).collect();
        let at: String = text.chars().nth(cur).map_or(" ".into(), |c| c.to_string());
        let after: String = text.chars().skip(cur + 1).collect();
        Line::from(vec![
            prompt,
            Span::raw(before),
            Span::styled(at, Style::default().add_modifier(Modifier::REVERSED)),
            Span::raw(after),
        ])
    } else if text.is_empty() {
        Line::from(vec![
            prompt,
            Span::styled(
                "type or drop a file, paste a URL",
                Style::default().fg(Color::DarkGray),
            ),
        ])
    } else {
        Line::from(vec![prompt, Span::raw(text.to_string())])
    };
    f.render_widget(Paragraph::new(line), parts[0]);
    let body = parts[1];
    match &app.query {
        QueryState::Idle => {}
        QueryState::Running { target, .. } => {
            let msg = format!(
                "{} analysing {} … (Esc cancels)",
                super::spinner(app.tick),
                name_of(target)
            );
            f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: false }), body);
        }
        QueryState::Failed(e) => {
            f.render_widget(
                Paragraph::new(safe(e))
                    .style(Style::default().fg(Color::Red))
                    .wrap(Wrap { trim: false }),
                body,
            );
        }
        QueryState::Done(r) => {
            let mut head: Vec<Line> = Vec::new();
            let src = r
                .title
                .as_deref()
                .map_or_else(|| name_of(&r.source), |t| safe(t).into_owned());
            // The query's own audio is playing (it is not a library row).
            let own = app.previews.status.as_ref().is_some_and(|s| {
                s.phase != crate::playback::Phase::Idle
                    && s.track.is_none()
                    && s.index == Some(0)
                    && r.library_track.is_none()
            });
            let mut title = vec![Span::styled(
                src,
                Style::default().add_modifier(Modifier::BOLD),
            )];
            if own {
                title.insert(0, Span::styled("♪ ", Style::default().fg(Color::Green)));
            }
            head.push(Line::from(title));
            let genre = match &r.genre {
                Some(g) => format!("genre {} {:.0}%", safe(&g.genre), g.confidence * 100.0),
                None => "genre unknown (no labels)".into(),
            };
            head.push(Line::from(format!("{genre} · cluster {}", r.cluster.id)));
            head.push(Line::from(Span::styled(
                safe(&r.cluster.archetype.describe(3)).into_owned(),
                Style::default().fg(Color::Gray),
            )));
            let why: Vec<String> = r
                .why
                .iter()
                .take(3)
                .map(|w| {
                    format!(
                        "{} {:.2}",
                        w.name.split(' ').next().unwrap_or(w.name),
                        w.agreement
                    )
                })
                .collect();
            // The deep profile's dimensions have no feature groups: its
            // "why" is the tags the query shares with its neighbours.
            let shared: Vec<String> = r
                .shared_tags
                .iter()
                .map(|(t, v)| format!("{t} {v:.2}"))
                .collect();
            if !why.is_empty() {
                head.push(Line::from(Span::styled(
                    format!("why: {}", why.join(" · ")),
                    Style::default().fg(Color::Gray),
                )));
            } else if !shared.is_empty() {
                head.push(Line::from(Span::styled(
                    format!("why (shared tags): {}", shared.join(", ")),
                    Style::default().fg(Color::Gray),
                )));
            }
            if !r.tags.is_empty() {
                let tags: Vec<String> = r.tags.iter().map(|(t, v)| format!("{t} {v:.2}")).collect();
                head.push(Line::from(Span::styled(
                    format!("tags: {}", tags.join(", ")),
                    Style::default().fg(Color::Gray),
                )));
            }
            let split = Layout::default()
                .direction(Direction::Vertical)
                .constraints([Constraint::Length(head.len() as u16), Constraint::Min(0)])
                .split(body);
            f.render_widget(Paragraph::new(head), split[0]);
            let items: Vec<ListItem> = r
                .similar
                .iter()
                .map(|s| {
                    let note = if app.previews.row == Some(s.track as usize) {
                        "♪"
                    } else {
                        " "
                    };
                    ListItem::new(Line::from(vec![
                        Span::styled(note, Style::default().fg(Color::Green)),
                        Span::styled(
                            format!("{:>5.2} ", s.similarity),
                            Style::default().fg(Color::Green),
                        ),
                        Span::raw(name_of(&s.path)),
                        Span::styled(
                            format!(" {}", safe(s.label.as_deref().unwrap_or(""))),
                            Style::default().fg(Color::DarkGray),
                        ),
                    ]))
                })
                .collect();
            let mut state = ListState::default();
            state.select((!r.similar.is_empty()).then_some(app.result_row));
            let list = List::new(items).highlight_style(
                Style::default()
                    .bg(Color::DarkGray)
                    .add_modifier(Modifier::BOLD),
            );
            f.render_stateful_widget(list, split[1], &mut state);
        }
    }
}
