//! The explorer without a terminal: key sequences → state, and rendering
//! to ratatui's `TestBackend` in each state (text and styles).

mod cli_support;

use std::path::PathBuf;

use cli_support::wav;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use musim::app::model_file::build;
use musim::app::progress::Silent;
use musim::app::session::Session;
use musim::library::fs::RealFs;
use musim::library::indexer::{self, real_analysis, Job};
use musim::model::{Model, ModelParams};
use musim::tui::app::{App, ColourBy, Effect, Pane, QueryState};
use musim::tui::event::{on_key, on_paste, Runtime};
use musim::tui::keymap::{Action, Keymap};
use musim::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use ratatui::Terminal;

struct Lib {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    index: PathBuf,
    query: PathBuf,
}

/// Three "genres" of 5 clips (low sines, high sines, noise), indexed.
fn library() -> (Lib, Arc<Model>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lib");
    for i in 0..5 {
        wav(
            &root.join(format!("low/low{i}.wav")),
            150.0 + 30.0 * i as f32,
            2.0,
        );
        wav(
            &root.join(format!("high/high{i}.wav")),
            3000.0 + 300.0 * i as f32,
            2.0,
        );
        wav(
            &root.join(format!("noise/noise{i}.wav")),
            0.0,
            1.5 + i as f32 * 0.2,
        );
    }
    let query = tmp.path().join("query.wav");
    wav(&query, 3100.0, 2.0);
    let root = std::fs::canonicalize(&root).unwrap();
    let index = tmp.path().join("lib.idx");
    let cancel = AtomicBool::new(false);
    let report = indexer::run(&Job {
        root: &root,
        index_path: &index,
        fs: &RealFs,
        analyze: real_analysis(),
        progress: &Silent,
        cancel: &cancel,
        windows: Default::default(),
        labels: Default::default(),
        prune: false,
    })
    .unwrap();
    let params = ModelParams {
        tsne_iterations: 300,
        ..ModelParams::default()
    };
    let model = build(report.index.clone(), &params, &|_| {}, &cancel).unwrap();
    (
        Lib {
            _tmp: tmp,
            root,
            index,
            query,
        },
        Arc::new(model),
    )
}

fn app(model: Option<Arc<Model>>) -> App {
    App::new(model, "lib".into(), Keymap::defaults())
}

fn render(app: &App, w: u16, h: u16) -> (String, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..h {
        for x in 0..w {
            text.push_str(buf[(x, y)].symbol());
        }
        text.push('\n');
    }
    (text, buf)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn runtime(lib: &Lib) -> Runtime {
    Runtime::new(Session {
        choice: Some(musim::app::choice::Choice {
            root: lib.root.clone(),
            source: musim::app::choice::Source::Flag,
        }),
        index_path: lib.index.clone(),
        windows: None,
        labels: None,
        similarity: None,
        ahead: Default::default(),
        prune: false,
    })
}

#[test]
fn navigation_selection_sync_zoom_and_colour() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    assert_eq!(a.selected, Some(0));
    assert_eq!(a.colour, ColourBy::Genre);
    // The map cursor moves to another point and the browser follows it.
    let before = a.selected;
    a.apply(Action::Right);
    a.apply(Action::Down);
    assert_ne!(a.selected, before);
    let sel = a.selected.unwrap();
    assert_eq!(a.cluster, m.assignment[sel] as usize);
    // Tab order: map → clusters → query → map; shift-tab back.
    a.apply(Action::NextPane);
    assert_eq!(a.focus, Pane::Clusters);
    a.apply(Action::Down);
    let c = a.cluster;
    a.apply(Action::Select);
    assert!(a.in_tracks);
    assert_eq!(
        a.selected,
        Some(m.clusters[c].members[0] as usize),
        "Enter selects the top track"
    );
    a.apply(Action::Down);
    assert_eq!(a.selected, Some(m.clusters[c].members[1] as usize));
    a.apply(Action::Back);
    assert!(!a.in_tracks);
    a.apply(Action::PreviousPane);
    assert_eq!(a.focus, Pane::Map);
    // Zoom, pan, reset.
    let full = a.window();
    a.apply(Action::ZoomIn);
    let zoomed = a.window();
    assert!(zoomed.0[1] - zoomed.0[0] < full.0[1] - full.0[0]);
    a.apply(Action::PanLeft);
    assert!(a.window().0[0] < zoomed.0[0]);
    a.apply(Action::ResetView);
    assert_eq!(a.window(), full);
    a.apply(Action::ToggleColour);
    assert_eq!(a.colour, ColourBy::Cluster);
    // Help opens, down scrolls it, any other key closes it.
    a.apply(Action::Help);
    assert!(a.help);
    a.apply(Action::Down);
    assert!(a.help && a.help_scroll == 1, "down scrolls the help");
    a.apply(Action::Left);
    assert!(!a.help);
    // A click selects the nearest point.
    let p = m.map[7];
    a.click_map(f64::from(p[0]), f64::from(p[1]));
    assert_eq!(a.selected, Some(7));
    a.apply(Action::Quit);
    assert!(a.quit);
}

#[test]
fn typed_and_dropped_queries_run_on_a_worker() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let mut rt = runtime(&lib);
    on_key(
        &mut a,
        &mut rt,
        KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE),
    );
    assert!(a.typing && a.focus == Pane::Query);
    for c in lib.query.to_str().unwrap().chars() {
        on_key(&mut a, &mut rt, key(KeyCode::Char(c)));
    }
    // q while typing is text, not quit.
    assert!(!a.quit);
    on_key(&mut a, &mut rt, key(KeyCode::Enter));
    assert!(matches!(a.query, QueryState::Running { .. }));
    let (text, _) = render(&a, 100, 30);
    assert!(text.contains("analysing query.wav"), "{text}");
    assert!(rt.wait(&mut a, Duration::from_secs(60)));
    let QueryState::Done(r) = a.query.clone() else {
        panic!("{:?}", a.query)
    };
    assert_eq!(r.genre.as_ref().unwrap().genre, "high");
    assert_eq!(
        a.selected,
        Some(r.similar[0].track as usize),
        "the best match is selected on the map"
    );
    let (text, _) = render(&a, 100, 30);
    assert!(text.contains("predicted high"), "{text}");
    assert!(
        text.contains("✚"),
        "the query's marker is on the map:\n{text}"
    );
    on_key(&mut a, &mut rt, key(KeyCode::Down));
    assert_eq!(a.result_row, 1);
    assert_eq!(a.selected, Some(r.similar[1].track as usize));

    // Drop two files: the first is queried, and the user is told.
    let dropped = format!(
        "'{}' '{}'",
        lib.query.display(),
        lib.root.join("low/low0.wav").display()
    );
    on_paste(&mut a, &mut rt, &dropped);
    assert!(a
        .notice
        .as_deref()
        .unwrap_or("")
        .contains("2 paths given: querying the first"));
    // Esc cancels; its late answer is dropped.
    a.typing = false;
    on_key(&mut a, &mut rt, key(KeyCode::Esc));
    assert_eq!(a.query, QueryState::Idle);
    rt.wait(&mut a, Duration::from_secs(60));
    assert_eq!(a.query, QueryState::Idle);

    // A missing file: the error shows in the pane.
    a.input.set("/no/such/file.wav");
    let e = a.submit().unwrap();
    let Effect::Query(_, _) = e else { panic!() };
    rt.effect(&mut a, e);
    assert!(rt.wait(&mut a, Duration::from_secs(30)));
    let QueryState::Failed(msg) = &a.query else {
        panic!("{:?}", a.query)
    };
    assert!(msg.contains("does not exist"), "{msg}");
    let (_, buf) = render(&a, 100, 30);
    let red = (0..100)
        .flat_map(|x| (0..30).map(move |y| (x, y)))
        .any(|(x, y)| buf[(x, y)].fg == Color::Red);
    assert!(red, "errors are red");
}

#[test]
fn retrain_swaps_the_model_and_keeps_the_selection() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let mut rt = runtime(&lib);
    a.selected = Some(5);
    let path = m.tracks[5].path.clone();
    // A new file appears; `t` rescans and retrains in the background.
    wav(&lib.root.join("low/low9.wav"), 160.0, 2.0);
    let e = a.apply(Action::Retrain).unwrap();
    assert_eq!(e, Effect::Retrain);
    rt.effect(&mut a, e);
    assert!(a.job.is_some());
    let (text, _) = render(&a, 100, 30);
    assert!(text.contains("rescanning"), "{text}");
    // A second `t` does not start another.
    assert_eq!(a.apply(Action::Retrain), None);
    let mut swapped = false;
    for _ in 0..600 {
        rt.wait(&mut a, Duration::from_millis(200));
        if a.job.is_none() {
            swapped = true;
            break;
        }
        // The old model stays usable meanwhile.
        assert_eq!(a.model.as_ref().unwrap().len(), 15);
    }
    assert!(swapped, "training did not finish");
    let new = a.model.clone().unwrap();
    assert_eq!(new.len(), 16, "{:?}", a.error);
    assert_eq!(new.tracks[a.selected.unwrap()].path, path, "selection kept");
    assert_eq!(a.notice.as_deref(), Some("model rebuilt: 16 tracks"));
    // `t` again on the unchanged library: it says so.
    let e = a.apply(Action::Retrain).unwrap();
    rt.effect(&mut a, e);
    for _ in 0..600 {
        if !rt.wait(&mut a, Duration::from_millis(200)) && a.job.is_none() {
            break;
        }
    }
    assert_eq!(
        a.notice.as_deref(),
        Some("up to date: 16 tracks, nothing changed")
    );
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("up to date"), "{text}");
}

#[test]
fn every_state_renders_from_80x24_up() {
    let (_lib, m) = library();
    // No model yet.
    let mut a = app(None);
    a.no_model = "the library has no analysed tracks; index a library first".into();
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("no analysed tracks"), "{text}");
    // Model, training in progress, error.
    let mut a = app(Some(Arc::clone(&m)));
    a.job = Some(musim::tui::app::Job {
        label: "model: t-SNE map".into(),
        fraction: Some(0.5),
    });
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let (text, _) = render(&a, w, h);
        assert!(text.contains("clusters (3)"), "{w}×{h}:\n{text}");
        assert!(text.contains("colour: genre"), "{text}");
        assert!(text.contains("model: t-SNE map 50%"), "{text}");
        assert!(
            text.contains("● high") && text.contains("● noise"),
            "legend:\n{text}"
        );
    }
    a.error = Some("keymap: k.toml, line 3: unknown action \"fly\"".into());
    let (text, buf) = render(&a, 120, 30);
    assert!(text.contains("line 3: unknown action"), "{text}");
    let y = 29;
    assert!(
        (0..120).any(|x| buf[(x, y)].bg == Color::Red),
        "error has a red background"
    );
    // Help lists the active keys.
    a.error = None;
    a.apply(Action::Help);
    let (text, _) = render(&a, 100, 30);
    assert!(
        text.contains("show / hide this help") && text.contains("ctrl-c q"),
        "{text}"
    );
    assert!(
        text.contains("rescan, re-index and rebuild the model"),
        "{text}"
    );
    // Tiny terminals do not panic.
    for (w, h) in [(1, 1), (10, 3), (40, 10)] {
        render(&a, w, h);
    }
}

#[test]
fn an_empty_library_offers_the_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("empty");
    std::fs::create_dir_all(&root).unwrap();
    let lib = Lib {
        root: std::fs::canonicalize(&root).unwrap(),
        index: tmp.path().join("e.idx"),
        query: tmp.path().join("none.wav"),
        _tmp: tmp,
    };
    let mut a = app(None);
    let mut rt = runtime(&lib);
    let e = a.apply(Action::Retrain).unwrap();
    rt.effect(&mut a, e);
    for _ in 0..100 {
        rt.wait(&mut a, Duration::from_millis(100));
        if a.job.is_none() {
            break;
        }
    }
    assert!(a.model.is_none());
    assert!(
        a.no_model.contains("no analysed tracks")
            && a.no_model
                .contains("press D to explore the built-in demo library"),
        "{}",
        a.no_model
    );
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("press D"), "{text}");
    assert_eq!(a.apply(Action::OpenDemo), Some(Effect::OpenDemo));
}

/// The row of the library track whose file stem is `stem`.
fn row_of(m: &Model, stem: &str) -> usize {
    m.tracks
        .iter()
        .position(|t| musim::tui::labels::display_name(t) == stem)
        .unwrap_or_else(|| panic!("no track {stem}"))
}

/// The map's inner rectangle on a `w`×`h` screen.
fn map_inner(w: u16, h: u16) -> ratatui::layout::Rect {
    let map = ui::layout(ratatui::layout::Rect::new(0, 0, w, h)).map;
    ratatui::layout::Rect::new(map.x + 1, map.y + 1, map.width - 2, map.height - 2)
}

/// Whether the cursor (◆) is drawn inside the map.
fn cursor_drawn(buf: &ratatui::buffer::Buffer, w: u16, h: u16) -> bool {
    let r = map_inner(w, h);
    (r.y..r.y + r.height).any(|y| (r.x..r.x + r.width).any(|x| buf[(x, y)].symbol() == "◆"))
}

#[test]
fn the_selected_track_is_named_and_detailed_at_80x24() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    a.apply(Action::Right);
    let sel = a.selected.unwrap();
    let name = musim::tui::labels::display_name(&m.tracks[sel]);
    let (text, _) = render(&a, 80, 24);
    let first = text.lines().next().unwrap();
    assert!(
        first.contains(&format!("map · {name}")),
        "map title:\n{text}"
    );
    assert!(text.contains(&format!("selected · {name}")), "{text}");
    let d = a.details.as_ref().unwrap();
    assert_eq!(d.row, sel);
    let label = m.tracks[sel].label.as_deref().unwrap();
    assert!(text.contains(&format!("genre {label}")), "{text}");
    assert!(text.contains("predicted"), "{text}");
    assert!(
        text.contains(&format!("cluster {}", m.assignment[sel])),
        "{text}"
    );
    // The why line wraps instead of being cut: every group is on screen.
    for g in d.result.why.iter().take(3) {
        let short = g.name.split(' ').next().unwrap();
        assert!(
            text.contains(&format!("{short} {:.2}", g.agreement)),
            "{short} in:\n{text}"
        );
    }
    // Its nearest track is listed with its similarity.
    let near = &d.result.similar[0];
    let near_name = musim::tui::labels::display_name(&m.tracks[near.track as usize]);
    assert!(
        text.contains(&format!("{:.2} {near_name}", near.similarity)),
        "{text}"
    );
    // Wide: the why line is one line.
    let (wide, _) = render(&a, 200, 60);
    let why: Vec<String> = d
        .result
        .why
        .iter()
        .take(3)
        .map(|g| format!("{} {:.2}", g.name.split(' ').next().unwrap(), g.agreement))
        .collect();
    assert!(
        wide.contains(&format!("why: {}", why.join(" · "))),
        "{wide}"
    );
}

#[test]
fn the_explorer_and_query_give_the_same_genre_and_confidence() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let row = row_of(&m, "high2");
    a.select_track(row);
    let shown = a.details.clone().unwrap().result;
    let cli = musim::query::query_file(
        &m,
        &lib.root.join("high/high2.wav"),
        musim::query::DEFAULT_K,
    )
    .unwrap();
    assert_eq!(shown.genre, cli.genre);
    assert_eq!(shown.similar, cli.similar);
    assert_eq!(shown.similar.len(), musim::query::DEFAULT_K);
    let g = cli.genre.unwrap();
    let (text, _) = render(&a, 120, 40);
    assert!(
        text.contains(&format!(
            "predicted {} {:.0}% ({} nearest)",
            g.genre,
            g.confidence * 100.0,
            musim::query::DEFAULT_K
        )),
        "{text}"
    );
}

#[test]
fn the_finder_selects_a_track_from_a_typed_fragment() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let mut rt = runtime(&lib);
    on_key(&mut a, &mut rt, key(KeyCode::Char('/')));
    for c in "nois3".chars() {
        on_key(&mut a, &mut rt, key(KeyCode::Char(c)));
    }
    let want = row_of(&m, "noise3");
    assert!(a.finding());
    assert_eq!(a.finder.chosen(), Some(want));
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("noise3"), "{text}");
    assert!(text.contains("find"), "{text}");
    // Fewer letters match more tracks; the list updates per keystroke.
    on_key(&mut a, &mut rt, key(KeyCode::Backspace));
    assert!(a.finder.total >= 5, "{:?}", a.finder);
    on_key(&mut a, &mut rt, key(KeyCode::Char('3')));
    on_key(&mut a, &mut rt, key(KeyCode::Enter));
    assert!(!a.typing);
    assert_eq!(a.selected, Some(want));
    assert_eq!(a.focus, Pane::Map);
    assert_eq!(a.details.as_ref().map(|d| d.row), Some(want));
    let (text, _) = render(&a, 80, 24);
    assert!(text.lines().next().unwrap().contains("noise3"), "{text}");
    assert!(text.contains("selected · noise3"), "{text}");
    // A path in the same line is a query, not a search.
    on_key(&mut a, &mut rt, key(KeyCode::Char('/')));
    a.input.set(lib.query.to_str().unwrap());
    a.typed();
    assert!(!a.finding());
    assert!(matches!(a.enter(), Some(Effect::Query(..))));
}

#[test]
fn zoom_and_pan_keep_the_cursor_in_view() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    // The rightmost point: zooming about the centre would lose it first.
    let edge = (0..m.len())
        .max_by(|&i, &j| m.map[i][0].total_cmp(&m.map[j][0]))
        .unwrap();
    a.select_track(edge);
    while a.view.zoom < 4.0 {
        a.apply(Action::ZoomIn);
        assert!(a.cursor_in_view(), "zoom {}", a.view.zoom);
    }
    let (_, buf) = render(&a, 80, 24);
    assert!(cursor_drawn(&buf, 80, 24), "◆ on the map at 4×");
    for pan in [
        Action::PanLeft,
        Action::PanUp,
        Action::PanRight,
        Action::PanDown,
    ] {
        for _ in 0..6 {
            a.apply(pan);
            assert!(a.cursor_in_view(), "{pan:?}");
        }
    }
    let (_, buf) = render(&a, 200, 60);
    assert!(cursor_drawn(&buf, 200, 60));
}

#[test]
fn the_map_draws_points_over_dim_neighbour_lines_and_the_legend_toggles() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    a.select_track(row_of(&m, "low0"));
    let (w, h) = (200, 60);
    let (text, buf) = render(&a, w, h);
    let inner = map_inner(w, h);
    let ([x0, x1], [y0, y1]) = a.window();
    let d = a.details.clone().unwrap();
    for s in &d.result.similar {
        let p = m.map[s.track as usize];
        let c = ((f64::from(p[0]) - x0) / (x1 - x0) * f64::from(inner.width)).floor() as u16;
        let r = ((y1 - f64::from(p[1])) / (y1 - y0) * f64::from(inner.height)).floor() as u16;
        let cell = &buf[(
            inner.x + c.min(inner.width - 1),
            inner.y + r.min(inner.height - 1),
        )];
        let sym = cell.symbol().chars().next().unwrap();
        assert!(
            !('\u{2800}'..='\u{28FF}').contains(&sym),
            "a neighbour's point is drawn over the lines, not under: {sym:?}"
        );
    }
    // Lines are dim: no braille cell in a bright colour.
    for y in inner.y..inner.y + inner.height {
        for x in inner.x..inner.x + inner.width {
            let cell = &buf[(x, y)];
            if cell
                .symbol()
                .chars()
                .all(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
            {
                assert_eq!(cell.fg, Color::Rgb(88, 88, 88), "line at {x},{y}");
            }
        }
    }
    // Sparse at 200×60: points are large dots.
    assert!(text.matches('●').count() >= 8, "{text}");
    assert!(text.contains("● high"), "{text}");
    a.apply(Action::ToggleLegend);
    let (text, _) = render(&a, w, h);
    assert!(!text.contains("● high"), "g hides the legend:\n{text}");
    a.apply(Action::ToggleLegend);
    let (text, _) = render(&a, w, h);
    assert!(text.contains("● high"), "{text}");
}

#[test]
fn help_fits_scrolls_and_mentions_the_mouse() {
    let (_lib, m) = library();
    let mut a = app(Some(m));
    a.apply(Action::Help);
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("any other key closes"), "{text}");
    assert!(text.contains("more"), "a scroll hint:\n{text}");
    for _ in 0..60 {
        a.apply(Action::Down);
    }
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("mouse wheel"), "scrolled to the end:\n{text}");
    assert!(text.contains("mouse click"), "{text}");
    // Wide and tall: everything at once, nothing cut.
    a.help_scroll = 0;
    let (text, _) = render(&a, 200, 60);
    for want in [
        "preview the selected track (or query) and its neighbours",
        "select the nearest point on the map",
        "show / hide the map's legend",
        "any key closes",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    a.apply(Action::Left);
    assert!(!a.help);
}

#[test]
fn a_long_typed_path_shows_its_cursor_end() {
    let (_lib, m) = library();
    let mut a = app(Some(m));
    a.apply(Action::FocusQuery);
    let long = format!("/{}/the-end-of-it.wav", "a-long-folder-name".repeat(6));
    for c in long.chars() {
        a.input.insert(&c.to_string());
    }
    a.typed();
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("…"), "{text}");
    assert!(text.contains("the-end-of-it.wav"), "{text}");
    a.typing = false;
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("the-end-of-it.wav"), "{text}");
}

#[test]
fn selected_rows_are_black_on_a_light_bar() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    a.apply(Action::NextPane);
    let (text, buf) = render(&a, 100, 30);
    let y = text
        .lines()
        .position(|l| l.contains(&format!(" {} ██", a.cluster)))
        .unwrap_or_else(|| panic!("cluster row:\n{text}")) as u16;
    let bg = musim::tui::ui::theme::SELECTION_BG;
    let bar = Color::Rgb(bg.0, bg.1, bg.2);
    let texts: Vec<_> = (0..100)
        .map(|x| &buf[(x, y)])
        .filter(|c| c.bg == bar && c.symbol().chars().any(char::is_alphanumeric))
        .collect();
    assert!(!texts.is_empty(), "{text}");
    assert!(texts.iter().all(|c| c.fg == Color::Black), "{texts:?}");
}
