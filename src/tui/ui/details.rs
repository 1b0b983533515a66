//! The details pane, the one place that says what is selected: while
//! finding, the tracks that match; in the query pane, the query's answer;
//! otherwise the selected track (map cursor or cluster list). A track and
//! a query read alike: name, genre (label and the neighbours' vote with its
//! confidence), cluster and archetype, duration, why similar, tags, then
//! the nearest tracks with their similarity.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::list::{fit, hint, visible, wrap};
use super::theme;
use crate::model::Model;
use crate::query::QueryResult;
use crate::store::text::safe;
use crate::tui::app::{App, Pane, QueryState, NEIGHBOURS};
use crate::tui::labels;

/// Whose details are shown.
enum Subject {
    /// A library track (its row).
    Track(usize),
    /// The query's answer.
    Query,
}

/// Draw the details pane.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let Some(m) = &app.model else {
        let block = super::block(&["details".to_string()], false, area.width);
        f.render_widget(block, area);
        return;
    };
    if app.finding() {
        return found(f, area, app, m);
    }
    if app.focus == Pane::Query {
        if let QueryState::Done(r) = &app.query {
            return answer(f, area, app, m, r, &Subject::Query);
        }
    }
    if app.focus == Pane::List {
        return super::marks::draw(f, area, app, m);
    }
    match (&app.details, app.selected) {
        (Some(d), _) => answer(f, area, app, m, &d.result, &Subject::Track(d.row)),
        (None, Some(row)) if row < m.len() => pending(f, area, m, row),
        (None, _) => {
            let block = super::block(&["details".to_string()], false, area.width);
            let inner = block.inner(area);
            f.render_widget(block, area);
            f.render_widget(
                Paragraph::new(Span::styled("no track selected", theme::dim())),
                inner,
            );
        }
    }
}

/// A track whose details are on their way: what its own entry says.
fn pending(f: &mut Frame<'_>, area: Rect, m: &Model, row: usize) {
    let t = &m.tracks[row];
    let name = labels::display_name(t);
    let titles = [
        format!("selected · {name}"),
        name.clone(),
        "selected".into(),
    ];
    let block = super::block(&titles, false, area.width);
    let inner = block.inner(area);
    let w = usize::from(inner.width).max(1);
    f.render_widget(block, area);
    let mut lines = vec![Line::from(Span::styled(fit(&name, w), theme::strong()))];
    if let Some(a) = labels::album(t) {
        lines.push(Line::from(Span::styled(fit(&a, w), theme::soft())));
    }
    let genre = t.label.as_deref().map_or_else(
        || "unlabelled".to_string(),
        |l| format!("genre {}", safe(l)),
    );
    let cluster = m
        .assignment
        .get(row)
        .map_or(String::new(), |c| format!(" · cluster {c}"));
    let line = format!("{genre}{cluster} · {}", labels::clock(t.duration_s));
    lines.extend(wrap(&line, w).into_iter().map(Line::from));
    lines.push(Line::from(Span::styled(
        fit("finding its nearest tracks…", w),
        theme::dim(),
    )));
    f.render_widget(Paragraph::new(lines), inner);
}

/// The tracks matching the typed fragment, best first.
fn found(f: &mut Frame<'_>, area: Rect, app: &App, m: &Model) {
    let finder = &app.finder;
    let titles = [
        format!(
            "find · {} of {} tracks · Enter selects",
            finder.total,
            m.len()
        ),
        format!("find · {} match", finder.total),
        "find".to_string(),
    ];
    let block = super::block(&titles, true, area.width);
    let inner = block.inner(area);
    let w = usize::from(inner.width);
    if finder.hits.is_empty() {
        f.render_widget(block, area);
        let msg = format!("no track matches “{}”", safe(app.input.text().trim()));
        f.render_widget(Paragraph::new(fit(&msg, w)).style(theme::dim()), inner);
        return;
    }
    let shown = visible(
        finder.hits.len(),
        Some(finder.row),
        usize::from(inner.height),
    );
    let more = hint(&shown, finder.total.max(finder.hits.len()));
    f.render_widget(super::with_hint(block, more), area);
    let lines: Vec<Line> = shown
        .clone()
        .filter_map(|i| {
            let &(row, _) = finder.hits.get(i)?;
            let t = m.tracks.get(row as usize)?;
            Some(track_row(
                None,
                &labels::marked(app, row as usize, labels::display_name(t)),
                t.label.as_deref(),
                w,
                i == finder.row,
                app.previews.row == Some(row as usize),
            ))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// One row of a track list: [similarity] name genre, cut to `w` cells;
/// plain black on the selection bar when selected.
pub(super) fn track_row(
    similarity: Option<f32>,
    name: &str,
    label: Option<&str>,
    w: usize,
    selected: bool,
    playing: bool,
) -> Line<'static> {
    let note = if playing { "♪" } else { " " };
    let sim = similarity.map_or(String::new(), |s| format!("{s:>5.2} "));
    let label = label.map_or(String::new(), |l| format!("  {}", safe(l)));
    let room = w.saturating_sub(1 + sim.chars().count());
    let name = fit(name, room);
    let label = fit(&label, room.saturating_sub(super::list::width(&name)));
    if selected {
        let text = format!("{note}{sim}{name}{label}");
        let pad = w.saturating_sub(super::list::width(&text));
        return Line::from(Span::styled(
            format!("{text}{}", " ".repeat(pad)),
            theme::selection(),
        ));
    }
    Line::from(vec![
        Span::styled(note, theme::playing()),
        Span::styled(sim, theme::figure()),
        Span::raw(name),
        Span::styled(label, theme::dim()),
    ])
}

/// A track's or a query's answer.
fn answer(f: &mut Frame<'_>, area: Rect, app: &App, m: &Model, r: &QueryResult, subject: &Subject) {
    let (kind, name) = match subject {
        Subject::Track(row) => (
            "selected",
            m.tracks
                .get(*row)
                .map_or_else(String::new, labels::display_name),
        ),
        Subject::Query => (
            "query",
            r.title
                .as_deref()
                .map_or_else(|| labels::path_name(&r.source), |t| safe(t).into_owned()),
        ),
    };
    let titles = [format!("{kind} · {name}"), name.clone(), kind.to_string()];
    let focused = matches!(subject, Subject::Query);
    let block = super::block(&titles, focused, area.width);
    let inner = block.inner(area);
    let w = usize::from(inner.width).max(1);
    let h = usize::from(inner.height);

    let playing_own = match subject {
        Subject::Track(row) => app.previews.row == Some(*row),
        // The query's own audio is playing (it is not a library row).
        Subject::Query => app.previews.status.as_ref().is_some_and(|s| {
            s.phase != crate::playback::Phase::Idle
                && s.track.is_none()
                && s.index == Some(0)
                && r.library_track.is_none()
        }),
    };
    let mut essential: Vec<Line> = Vec::new();
    let mut title = Vec::new();
    if playing_own {
        title.push(Span::styled("♪ ", theme::playing()));
    }
    title.push(Span::styled(
        fit(&name, w.saturating_sub(2)),
        theme::strong(),
    ));
    essential.push(Line::from(title));
    let album = match subject {
        Subject::Track(row) => m.tracks.get(*row).and_then(labels::album),
        Subject::Query => None,
    };
    if let Some(a) = album {
        essential.push(Line::from(Span::styled(fit(&a, w), theme::soft())));
    }
    let label = match subject {
        Subject::Track(row) => m.tracks.get(*row).and_then(|t| t.label.as_deref()),
        Subject::Query => None,
    };
    let vote = match &r.genre {
        Some(g) => format!("predicted {} ({NEIGHBOURS} nearest)", labels::vote(g)),
        None => "no genre labels to predict from".to_string(),
    };
    let genre = match (subject, label) {
        (Subject::Track(_), Some(l)) => format!("genre {} · {vote}", safe(l)),
        (Subject::Track(_), None) if m.is_labelled() => format!("unlabelled · {vote}"),
        _ => vote,
    };
    for l in wrap(&genre, w) {
        essential.push(Line::from(l));
    }
    let cluster = labels::majority(&r.cluster.archetype)
        .map_or(format!("cluster {}", r.cluster.id), |g| {
            format!("cluster {} ({g})", r.cluster.id)
        });
    for l in wrap(&format!("{cluster} · {}", labels::clock(r.duration_s)), w) {
        essential.push(Line::from(l));
    }
    let why: Vec<String> = r
        .why
        .iter()
        .take(3)
        .map(|g| {
            format!(
                "{} {:.2}",
                g.name.split(' ').next().unwrap_or(g.name),
                g.agreement
            )
        })
        .collect();
    // The deep profile's dimensions have no feature groups: its "why" is
    // the tags shared with the neighbours.
    let shared: Vec<String> = r
        .shared_tags
        .iter()
        .map(|(t, v)| format!("{} {v:.2}", safe(t)))
        .collect();
    let why = if !why.is_empty() {
        Some(format!("why: {}", why.join(" · ")))
    } else if !shared.is_empty() {
        Some(format!("why (shared tags): {}", shared.join(", ")))
    } else {
        None
    };
    for l in why.iter().flat_map(|t| wrap(t, w)) {
        essential.push(Line::from(Span::styled(l, theme::soft())));
    }
    // Worth showing when there is room for them and a few neighbours.
    let mut extra: Vec<Line> = Vec::new();
    for l in wrap(
        &format!("mix: {}", safe(&r.cluster.archetype.describe(3))),
        w,
    ) {
        extra.push(Line::from(Span::styled(l, theme::dim())));
    }
    if !r.tags.is_empty() {
        let tags: Vec<String> = r
            .tags
            .iter()
            .map(|(t, v)| format!("{} {v:.2}", safe(t)))
            .collect();
        for l in wrap(&format!("tags: {}", tags.join(", ")), w) {
            extra.push(Line::from(Span::styled(l, theme::dim())));
        }
    }
    let mut head = essential;
    if head.len() + extra.len() + 1 + 4 <= h {
        head.extend(extra);
    }
    head.push(Line::from(Span::styled(
        fit(&format!("{} nearest · similarity", r.similar.len()), w),
        theme::dim(),
    )));
    let head_h = head.len().min(h);
    let list_h = h - head_h;
    let selected = match subject {
        Subject::Query => Some(app.result_row),
        Subject::Track(_) => None,
    };
    let shown = visible(r.similar.len(), selected, list_h);
    let more = if list_h == 0 && !r.similar.is_empty() {
        Some(format!("↓ {} nearest", r.similar.len()))
    } else {
        hint(&shown, r.similar.len())
    };
    f.render_widget(super::with_hint(block, more), area);
    f.render_widget(
        Paragraph::new(head),
        Rect {
            height: head_h as u16,
            ..inner
        },
    );
    let rows: Vec<Line> = shown
        .clone()
        .filter_map(|i| {
            let s = r.similar.get(i)?;
            let name = m
                .tracks
                .get(s.track as usize)
                .map_or_else(|| labels::path_name(&s.path), labels::display_name);
            let name = labels::marked(app, s.track as usize, name);
            Some(track_row(
                Some(s.similarity),
                &name,
                s.label.as_deref(),
                w,
                selected == Some(i),
                app.previews.row == Some(s.track as usize),
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(rows).style(Style::default()),
        Rect {
            y: inner.y + head_h as u16,
            height: list_h as u16,
            ..inner
        },
    );
}
