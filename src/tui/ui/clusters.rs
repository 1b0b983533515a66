//! The cluster browser: clusters with size, majority genre and an
//! archetype bar; Enter opens a cluster's tracks by PageRank.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph};
use ratatui::Frame;

use super::palette::colour;
use crate::tui::app::App;

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

/// Draw the cluster browser.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App, focused: bool) {
    let Some(m) = &app.model else {
        f.render_widget(
            Paragraph::new("").block(super::block("clusters", focused)),
            area,
        );
        return;
    };
    let highlight = Style::default()
        .bg(Color::DarkGray)
        .add_modifier(Modifier::BOLD);
    if app.in_tracks {
        let c = m.clusters.get(app.cluster);
        let title = format!("cluster {} · tracks by PageRank · Esc back", app.cluster);
        let items: Vec<ListItem> = app
            .cluster_tracks()
            .iter()
            .enumerate()
            .map(|(rank, &t)| {
                let track = &m.tracks[t as usize];
                let star = if c.is_some_and(|c| rank < c.representatives) {
                    "★ "
                } else {
                    "  "
                };
                let name = std::path::Path::new(&track.show_path())
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let (star, star_colour) = if app.previews.row == Some(t as usize) {
                    ("♪ ", Color::Green)
                } else {
                    (star, Color::Yellow)
                };
                ListItem::new(Line::from(vec![
                    Span::styled(star, Style::default().fg(star_colour)),
                    Span::raw(name),
                    Span::styled(
                        format!(
                            "  {}",
                            crate::store::text::safe(track.label.as_deref().unwrap_or(""))
                        ),
                        Style::default().fg(Color::DarkGray),
                    ),
                ]))
            })
            .collect();
        let mut state = ListState::default();
        state.select(
            app.selected
                .and_then(|s| app.cluster_tracks().iter().position(|&t| t as usize == s)),
        );
        f.render_stateful_widget(
            List::new(items)
                .block(super::block(&title, focused))
                .highlight_style(highlight),
            area,
            &mut state,
        );
        return;
    }
    let bar_w = (area.width as usize).saturating_sub(30).clamp(4, 12);
    let items: Vec<ListItem> = m
        .clusters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (genre, share) = c
                .archetype
                .majority()
                .map_or(("unlabelled".to_string(), 0.0), |(g, s)| {
                    (crate::store::text::safe(g).into_owned(), s)
                });
            let mut spans = vec![Span::styled(
                format!("{i:>2} "),
                Style::default().fg(colour(i)),
            )];
            if m.is_labelled() {
                spans.extend(archetype_bar(&c.archetype, &m.genres, bar_w));
                spans.push(Span::raw(format!(" {:>4} ", c.archetype.size)));
                spans.push(Span::raw(format!("{genre} {:.0}%", share * 100.0)));
            } else {
                // No genres: the bar shows the cluster's share of the library.
                let size = c.archetype.size as f64 / m.len().max(1) as f64;
                spans.push(Span::styled(
                    bar(size, bar_w),
                    Style::default().fg(colour(i)),
                ));
                spans.push(Span::raw(format!(" {:>4} unlabelled", c.archetype.size)));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let mut state = ListState::default();
    state.select(Some(app.cluster.min(m.clusters.len().saturating_sub(1))));
    let title = format!("clusters ({}) · Enter: tracks", m.clusters.len());
    f.render_stateful_widget(
        List::new(items)
            .block(super::block(&title, focused))
            .highlight_style(highlight),
        area,
        &mut state,
    );
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
