//! The help overlay, generated from the active keymap, with what typing
//! and the mouse do. It fits any screen: two columns when wide, and it
//! scrolls (up / down) when taller than the screen; the title always says
//! how to close it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::list::{fit, hint, width};
use super::theme;
use crate::tui::app::App;
use crate::tui::keymap::{Action, Keymap};

/// Width of the key column.
const KEYS_W: usize = 14;

/// The help's entries: (keys, what they do).
fn entries(keymap: &Keymap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = keymap
        .listing()
        .iter()
        .map(|(action, keys)| {
            let keys: Vec<String> = keys.iter().map(ToString::to_string).collect();
            (keys.join(" "), action.describe().to_string())
        })
        .collect();
    let find = keymap.keys_of(Action::FocusQuery);
    for (k, what) in [
        (
            format!("{find} then text"),
            "find as you type: ↑↓ choose, Enter selects".to_string(),
        ),
        (
            format!("{find} then a path"),
            "a file, ~/…, file:// or URL: Enter queries it, Tab completes".to_string(),
        ),
        ("Esc".into(), "leave the query line".into()),
        (
            "drop / paste".into(),
            "files or URLs: queries the first".into(),
        ),
        (
            "mouse click".into(),
            "select the nearest point on the map".into(),
        ),
        ("mouse wheel".into(), "zoom the map in / out".into()),
    ] {
        out.push((k, what));
    }
    out
}

/// How many lines the help has (to bound its scrolling).
pub fn line_count(keymap: &Keymap) -> usize {
    entries(keymap).len()
}

fn line(keys: &str, what: &str, col_w: usize) -> Line<'static> {
    let what_w = col_w.saturating_sub(KEYS_W + 2);
    Line::from(vec![
        Span::styled(format!("{:>KEYS_W$}  ", fit(keys, KEYS_W)), theme::key()),
        Span::raw(fit(what, what_w)),
    ])
}

/// Draw the help overlay centred on `area`.
pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let items = entries(&app.keymap);
    let longest = items.iter().map(|(_, w)| width(w)).max().unwrap_or(0) + KEYS_W + 2;
    let avail_w = usize::from(area.width).saturating_sub(2).max(1);
    let avail_h = usize::from(area.height).saturating_sub(2).max(1);
    // Two columns when both fit side by side and one would not fit the height.
    let two = avail_w >= 2 * longest.min(60) + 3 && items.len() > avail_h;
    let col_w = if two {
        (avail_w - 3) / 2
    } else {
        longest.min(avail_w)
    };
    let rows = if two {
        items.len().div_ceil(2)
    } else {
        items.len()
    };
    let inner_h = rows.min(avail_h.saturating_sub(0));
    let scroll = app.help_scroll.min(rows.saturating_sub(inner_h));
    let shown = scroll..(scroll + inner_h).min(rows);
    let lines: Vec<Line> = shown
        .clone()
        .map(|r| {
            let mut l = line(&items[r].0, &items[r].1, col_w);
            if two {
                if let Some((k, w)) = items.get(r + rows) {
                    let pad = col_w.saturating_sub(l.width()) + 3;
                    l.spans.push(Span::raw(" ".repeat(pad)));
                    l.spans.extend(line(k, w, col_w).spans);
                }
            }
            l
        })
        .collect();
    let w = if two { 2 * col_w + 3 } else { col_w } + 2;
    let h = inner_h + 2;
    let (w, h) = ((w as u16).min(area.width), (h as u16).min(area.height));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let scrolls = rows > inner_h;
    let titles = [
        if scrolls {
            "help · ↑↓ scroll · any other key closes".to_string()
        } else {
            "help · any key closes".to_string()
        },
        "help · a key closes".to_string(),
        "help".to_string(),
    ];
    let block = super::with_hint(super::block(&titles, true, w), hint(&shown, rows));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}
