//! The cluster browser: clusters with size, majority genre and an
//! archetype bar; Enter opens a cluster's tracks by PageRank.

use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::list::{fit, hint, visible};
use super::theme::{self, colour};
use crate::store::text::safe;
use crate::tui::app::App;
use crate::tui::labels;

/// A bar of `share` (0..1) in `width` cells with eighth-block precision.
pub fn bar(share: f64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (share.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s: String = "█".repeat(eighths / 8);
    if eighths / 8 < width {
        s.push(PARTS[eighths % 8]);
        s.push_str(&" ".repeat(width - eighths / 8 - 1));
    }
    s
}

/// The archetype as a stacked bar of `width` cells: each genre's share in
/// its map colour (largest remainders, so shares add up to the width).
pub fn archetype_bar(
    arch: &crate::model::archetype::Archetype,
    genres: &[String],
    width: usize,
) -> Vec<Span<'static>> {
    let total = arch.size.max(1) as f64;
    let mut cells: Vec<(usize, usize, f64)> = arch
        .counts
        .iter()
        .map(|(g, c)| {
            let exact = *c as f64 / total * width as f64;
            let idx = genres.iter().position(|x| x == g).unwrap_or(genres.len());
            (idx, exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let used: usize = cells.iter().map(|c| c.1).sum();
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by(|&a, &b| cells[b].2.total_cmp(&cells[a].2));
    let labelled_width = ((total - arch.unlabelled as f64) / total * width as f64).round() as usize;
    for &i in order.iter().take(labelled_width.saturating_sub(used)) {
        cells[i].1 += 1;
    }
    let mut spans: Vec<Span<'static>> = cells
        .iter()
        .filter(|c| c.1 > 0)
        .map(|&(idx, n, _)| Span::styled("█".repeat(n), Style::default().fg(colour(idx))))
        .collect();
    let drawn: usize = cells.iter().map(|c| c.1).sum();
    if drawn < width {
        spans.push(Span::styled(
            "░".repeat(width - drawn),
            Style::default().fg(Color::DarkGray),
        ));
    }
    spans
}

/// Draw the cluster browser: only the rows that fit are built (a cluster
/// of a large library holds thousands of tracks), with a hint for the rest.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let Some(m) = &app.model else {
        f.render_widget(
            Paragraph::new("").block(super::block(&["clusters".to_string()], focused, area.width)),
            area,
        );
        return;
    };
    let inner_h = usize::from(area.height.saturating_sub(2));
    let w = usize::from(area.width.saturating_sub(2));
    if app.in_tracks {
        let c = m.clusters.get(app.cluster);
        let mix = c
            .and_then(|c| labels::majority(&c.archetype))
            .map_or(String::new(), |g| format!(" · {g}"));
        let titles = [
            format!("cluster {}{mix} · ★ central · Esc back", app.cluster),
            format!("cluster {}{mix} · Esc back", app.cluster),
            format!("cluster {}{mix}", app.cluster),
            format!("cluster {}", app.cluster),
        ];
        let tracks = app.cluster_tracks();
        let pos = app
            .selected
            .and_then(|s| tracks.iter().position(|&t| t as usize == s));
        let shown = visible(tracks.len(), pos, inner_h);
        let block = super::with_hint(
            super::block(&titles, focused, area.width),
            hint(&shown, tracks.len()),
        );
        let lines: Vec<Line> = shown
            .clone()
            .filter_map(|rank| {
                let t = *tracks.get(rank)?;
                let track = m.tracks.get(t as usize)?;
                let star = if c.is_some_and(|c| rank < c.representatives) {
                    "★ "
                } else {
                    "  "
                };
                let (star, star_style) = if app.previews.row == Some(t as usize) {
                    ("♪ ", theme::playing())
                } else {
                    (star, Style::default().fg(Color::Yellow))
                };
                let name = labels::marked(app, t as usize, labels::display_name(track));
                let name = fit(&name, w.saturating_sub(2));
                let label = track
                    .label
                    .as_deref()
                    .map_or(String::new(), |l| format!("  {}", safe(l)));
                let label = fit(&label, w.saturating_sub(2 + super::list::width(&name)));
                if pos == Some(rank) {
                    let text = format!("{star}{name}{label}");
                    let pad = w.saturating_sub(super::list::width(&text));
                    return Some(Line::from(Span::styled(
                        format!("{text}{}", " ".repeat(pad)),
                        theme::selection(),
                    )));
                }
                Some(Line::from(vec![
                    Span::styled(star, star_style),
                    Span::raw(name),
                    Span::styled(label, theme::dim()),
                ]))
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
    let bar_w = w.saturating_sub(28).clamp(4, 12);
    let sel = app.cluster.min(m.clusters.len().saturating_sub(1));
    let shown = visible(m.clusters.len(), Some(sel), inner_h);
    let lines: Vec<Line> = shown
        .clone()
        .filter_map(|i| {
            let c = m.clusters.get(i)?;
            let mut spans = vec![Span::styled(
                format!("{i:>2} "),
                Style::default().fg(colour(i)),
            )];
            let text = if m.is_labelled() {
                spans.extend(archetype_bar(&c.archetype, &m.genres, bar_w));
                let genre = labels::majority(&c.archetype).unwrap_or_else(|| "unlabelled".into());
                format!(" {:>4} {genre}", c.archetype.size)
            } else {
                // No genres: the bar shows the cluster's share of the library.
                let size = c.archetype.size as f64 / m.len().max(1) as f64;
                spans.push(Span::styled(
                    bar(size, bar_w),
                    Style::default().fg(colour(i)),
                ));
                format!(" {:>4} unlabelled", c.archetype.size)
            };
            let text = fit(&text, w.saturating_sub(3 + bar_w));
            if i == sel {
                // The number loses its colour, the bar keeps its own: both
                // read on the light selection bar.
                spans[0] = Span::styled(format!("{i:>2} "), theme::selection());
                let pad = w.saturating_sub(3 + bar_w + super::list::width(&text));
                spans.push(Span::styled(
                    format!("{text}{}", " ".repeat(pad)),
                    theme::selection(),
                ));
                for s in spans.iter_mut().skip(1) {
                    s.style = s.style.bg(theme::selection().bg.unwrap_or(Color::Reset));
                }
            } else {
                spans.push(Span::raw(text));
            }
            Some(Line::from(spans))
        })
        .collect();
    let n = m.clusters.len();
    let titles = [
        format!("clusters ({n}) · Enter: tracks"),
        format!("clusters ({n})"),
        "clusters".to_string(),
    ];
    let block = super::with_hint(super::block(&titles, focused, area.width), hint(&shown, n));
    f.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::{archetype_bar, bar};
    use crate::model::archetype::Archetype;

    #[test]
    fn archetype_bar_splits_the_width_by_genre() {
        let genres = vec!["jazz".to_string(), "rock".to_string()];
        let a = Archetype::of([Some("rock"), Some("rock"), Some("jazz"), None]);
        let spans = archetype_bar(&a, &genres, 8);
        let text: Vec<String> = spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, vec!["████", "██", "░░"]);
        assert_eq!(
            spans[0].style.fg,
            Some(super::colour(1)),
            "rock in rock's map colour"
        );
    }

    #[test]
    fn bars_fill_in_eighths() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(0.125 / 4.0 * 4.0 / 4.0, 4).chars().count(), 4);
    }
}
