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
use musim::tui::app::{App, ColourBy, Details, Effect, Pane, PathState, QueryState};
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
        shard: None,
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

/// The selection's details, worked out here as the worker would.
fn settle(a: &mut App) {
    if let Some(Effect::Details(row, id)) = a.wanted_details() {
        let d = Details::of(a.model.as_ref().unwrap(), row);
        a.details_done(id, d);
    }
}

/// Wait for the worker's answers until `cond` holds (60 s at most).
fn until(a: &mut App, rt: &mut Runtime, what: &str, cond: impl Fn(&App) -> bool) {
    let start = std::time::Instant::now();
    while !cond(a) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited for {what}"
        );
        rt.wait(a, Duration::from_millis(50));
    }
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
    until(&mut a, &mut rt, "the query", |a| {
        !matches!(a.query, QueryState::Running { .. })
    });
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
    until(&mut a, &mut rt, "the failure", |a| {
        !matches!(a.query, QueryState::Running { .. })
    });
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
        // The old model stays usable meanwhile; with the default profile
        // (fused) the new library's fast map comes first, while its deep
        // embeddings are computed.
        let n = a.model.as_ref().unwrap().len();
        assert!(
            n == 15 || (cfg!(feature = "embeddings") && n == 16),
            "{n} tracks"
        );
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
    // One more file: the stored model is updated, not rebuilt, and the
    // notice says so.
    wav(&lib.root.join("high/high9.wav"), 3300.0, 2.0);
    let e = a.apply(Action::Retrain).unwrap();
    rt.effect(&mut a, e);
    for _ in 0..600 {
        if !rt.wait(&mut a, Duration::from_millis(200)) && a.job.is_none() {
            break;
        }
    }
    assert_eq!(a.model.as_ref().map(|m| m.len()), Some(17), "{:?}", a.error);
    assert_eq!(
        a.notice.as_deref(),
        Some("model updated: 1 added, 0 removed (17 tracks)")
    );
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("model updated"), "{text}");
}

#[test]
fn esc_leaves_a_track_list_before_it_cancels_a_background_job() {
    let (_lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    // A start's refinement (or a retrain) is running.
    a.job = Some(musim::tui::app::Job {
        label: "model: deep embeddings".into(),
        fraction: Some(0.2),
    });
    a.apply(Action::NextPane);
    a.apply(Action::Select);
    assert!(a.in_tracks);
    // The first Esc goes back to the cluster list; the job goes on.
    assert_eq!(a.apply(Action::Back), None);
    assert!(!a.in_tracks);
    assert!(a.job.is_some());
    // With nothing left to go back from, Esc cancels it.
    assert_eq!(a.apply(Action::Back), Some(Effect::CancelRetrain));
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
    settle(&mut a);
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
    settle(&mut a);
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
    until(&mut a, &mut rt, "the details", |a| {
        a.details.as_ref().map(|d| d.row) == Some(want)
    });
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
    settle(&mut a);
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
        "preview the current list: the selected track and its neighbours",
        "the path between the last two marked tracks",
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

/// Every cell of the map's inner area: (x, y, symbol, colour).
fn map_cells(buf: &ratatui::buffer::Buffer, w: u16, h: u16) -> Vec<(u16, u16, String, Color)> {
    let r = map_inner(w, h);
    (r.y..r.y + r.height)
        .flat_map(|y| (r.x..r.x + r.width).map(move |x| (x, y)))
        .map(|(x, y)| (x, y, buf[(x, y)].symbol().to_string(), buf[(x, y)].fg))
        .collect()
}

/// The map cell of library row `row` on a `w`×`h` screen.
fn cell_of(a: &App, m: &Model, row: usize, w: u16, h: u16) -> (u16, u16) {
    let inner = map_inner(w, h);
    let ([x0, x1], [y0, y1]) = a.window();
    let p = m.map[row];
    let c = ((f64::from(p[0]) - x0) / (x1 - x0) * f64::from(inner.width)).floor() as u16;
    let r = ((y1 - f64::from(p[1])) / (y1 - y0) * f64::from(inner.height)).floor() as u16;
    (
        inner.x + c.min(inner.width - 1),
        inner.y + r.min(inner.height - 1),
    )
}

#[test]
fn marked_tracks_a_path_between_them_and_lists_written_as_m3u() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let mut rt = runtime(&lib);
    let out = tempfile::tempdir().unwrap();
    rt.lists_dir = out.path().to_path_buf();
    let (from, to) = (row_of(&m, "low0"), row_of(&m, "noise4"));
    // `>` with fewer than two marks says what to do.
    on_key(&mut a, &mut rt, key(KeyCode::Char('>')));
    assert!(
        a.notice
            .as_deref()
            .unwrap_or("")
            .contains("mark two tracks"),
        "{:?}",
        a.notice
    );
    a.select_track(from);
    on_key(&mut a, &mut rt, key(KeyCode::Char('m')));
    a.select_track(to);
    on_key(&mut a, &mut rt, key(KeyCode::Char('m')));
    assert_eq!(a.marked, vec![from, to]);
    assert!(
        a.notice.as_deref().unwrap().contains("2 marked"),
        "{:?}",
        a.notice
    );
    // Marked: a ◉ on the map (the cursor covers the second), ✓ in lists.
    let (w, h) = (120, 40);
    let (_, buf) = render(&a, w, h);
    let (mx, my) = cell_of(&a, &m, from, w, h);
    assert_eq!(buf[(mx, my)].symbol(), "◉", "the first mark on the map");
    a.focus = Pane::Clusters;
    a.in_tracks = true;
    let (text, _) = render(&a, w, h);
    assert!(
        text.contains("✓ noise4"),
        "marked in the cluster's list:\n{text}"
    );
    a.focus = Pane::Map;
    a.in_tracks = false;

    // `>`: found on a worker, the same chain as `musim-tui path`.
    on_key(&mut a, &mut rt, key(KeyCode::Char('>')));
    until(&mut a, &mut rt, "the path", |a| {
        matches!(a.path, PathState::Done(_))
    });
    let PathState::Done(steps) = a.path.clone() else {
        unreachable!()
    };
    let cli = musim::query::path::find_chain(
        &m,
        &lib.root.join("low/low0.wav"),
        &lib.root.join("noise/noise4.wav"),
    )
    .unwrap();
    let rows: Vec<usize> = steps.iter().map(|s| s.row).collect();
    let paths: Vec<String> = rows.iter().map(|&r| m.tracks[r].path_text()).collect();
    assert_eq!(
        paths,
        cli.iter().map(|s| s.path.clone()).collect::<Vec<_>>()
    );
    assert!(rows.len() >= 2 && rows[0] == from && rows[rows.len() - 1] == to);
    for (s, c) in steps.iter().zip(&cli) {
        assert_eq!(s.similarity, c.similarity);
    }
    assert_eq!(a.focus, Pane::List, "the path's list has focus");
    // Listed in the pane, every step named.
    let (text, buf) = render(&a, w, h);
    assert!(
        text.contains(&format!("path · {} tracks", rows.len())),
        "{text}"
    );
    for &r in &rows {
        let name = musim::tui::labels::display_name(&m.tracks[r]);
        assert!(text.contains(&name), "{name} listed:\n{text}");
    }
    // Drawn: a line in the path's colour, beneath the points.
    let cells = map_cells(&buf, w, h);
    let braille = |s: &str| s.chars().all(|c| ('\u{2801}'..='\u{28FF}').contains(&c));
    assert!(
        cells
            .iter()
            .any(|(_, _, s, c)| braille(s) && *c == musim::tui::ui::theme::PATH),
        "the path's line:\n{text}"
    );
    for &r in &rows {
        let (x, y) = cell_of(&a, &m, r, w, h);
        assert!(!braille(buf[(x, y)].symbol()), "step {r} is over the line");
    }
    // Down moves the cursor along the path.
    on_key(&mut a, &mut rt, key(KeyCode::Down));
    assert_eq!(a.selected, Some(rows[1]));

    // `w` writes the path as an M3U under a new name, never over a file.
    on_key(&mut a, &mut rt, key(KeyCode::Char('w')));
    let first = out.path().join("musim-path.m3u");
    let text = std::fs::read_to_string(&first).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "#EXTM3U");
    assert_eq!(lines.len(), 1 + 2 * rows.len(), "{text}");
    for (i, &r) in rows.iter().enumerate() {
        let t = &m.tracks[r];
        assert_eq!(
            lines[1 + 2 * i],
            format!(
                "#EXTINF:{},{}",
                t.duration_s.round() as i64,
                musim::tui::labels::display_name(t)
            )
        );
        assert_eq!(lines[2 + 2 * i], t.path_text());
    }
    assert!(
        a.notice.as_deref().unwrap().contains("musim-path.m3u"),
        "{:?}",
        a.notice
    );
    on_key(&mut a, &mut rt, key(KeyCode::Char('w')));
    assert_eq!(std::fs::read_to_string(&first).unwrap(), text, "kept");
    assert!(out.path().join("musim-path-2.m3u").exists());
    assert!(a.notice.as_deref().unwrap().contains("musim-path-2.m3u"));
    // The map's list: the selected track and the nearest tracks listed.
    std::fs::write(out.path().join("musim-neighbours.m3u"), "mine").unwrap();
    on_key(&mut a, &mut rt, key(KeyCode::BackTab));
    on_key(&mut a, &mut rt, key(KeyCode::BackTab));
    assert_eq!(a.focus, Pane::Map);
    on_key(&mut a, &mut rt, key(KeyCode::Char('w')));
    let mine = std::fs::read_to_string(out.path().join("musim-neighbours.m3u")).unwrap();
    assert_eq!(mine, "mine", "a user's file is never replaced");
    let written = std::fs::read_to_string(out.path().join("musim-neighbours-2.m3u")).unwrap();
    let sel = a.selected.unwrap();
    let near = Details::of(&m, sel).unwrap().result.similar;
    assert_eq!(written.lines().count(), 1 + 2 * (1 + near.len()));
    assert_eq!(
        written.lines().nth(2),
        Some(m.tracks[sel].path_text().as_str())
    );

    // Unmarking drops the path; the list pane shows what is still marked.
    a.select_track(to);
    on_key(&mut a, &mut rt, key(KeyCode::Char('m')));
    assert_eq!(a.marked, vec![from]);
    assert_eq!(a.path, PathState::None);
    a.focus = Pane::List;
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("marked · 1 tracks"), "{text}");
    assert!(text.contains("✓ low0"), "{text}");
}

#[test]
fn details_arrive_from_the_worker_and_stale_ones_are_dropped() {
    let (lib, m) = library();
    let mut a = app(Some(Arc::clone(&m)));
    let mut rt = runtime(&lib);
    // A key moves the cursor at once; the details are asked of the worker.
    let before = a.selected;
    on_key(&mut a, &mut rt, key(KeyCode::Char('l')));
    let sel = a.selected.unwrap();
    assert_ne!(Some(sel), before);
    assert!(a.details.is_none() && a.details_loading());
    let name = musim::tui::labels::display_name(&m.tracks[sel]);
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains(&format!("selected · {name}")), "{text}");
    assert!(text.contains("finding its nearest"), "{text}");
    until(&mut a, &mut rt, "the details", |a| a.details.is_some());
    assert_eq!(a.details.as_ref().unwrap().row, sel);
    assert!(!a.details_loading());
    let (text, _) = render(&a, 80, 24);
    assert!(text.contains("nearest · similarity"), "{text}");

    // An answer for a track the cursor has left is dropped.
    let sel = a.selected.unwrap();
    let (r1, r2) = ((sel + 1) % m.len(), (sel + 2) % m.len());
    a.select_track(r1);
    let Some(Effect::Details(row1, id1)) = a.wanted_details() else {
        panic!("details asked for")
    };
    assert_eq!(row1, r1);
    assert_eq!(a.wanted_details(), None, "asked once");
    a.select_track(r2);
    let Some(Effect::Details(row2, id2)) = a.wanted_details() else {
        panic!("details asked for")
    };
    a.details_done(id1, Details::of(&m, row1));
    assert!(a.details.is_none(), "stale answer dropped");
    a.details_done(id2, Details::of(&m, row2));
    assert_eq!(a.details.as_ref().map(|d| d.row), Some(r2));
    // Keys faster than the worker: only the selection's details remain.
    for c in "lljjhk".chars() {
        on_key(&mut a, &mut rt, key(KeyCode::Char(c)));
    }
    let sel = a.selected;
    until(&mut a, &mut rt, "the last details", |a| {
        !a.details_loading() && a.details.as_ref().map(|d| d.row) == sel
    });
}

/// A synthetic index: two groups of 12 tracks far apart, each with a tight
/// core of one genre (the highest PageRank) and a loose ring of the other,
/// 6 and 6: each cluster is a jazz/rock tie whose top-ranked tracks are all
/// of one genre.
fn tied_index() -> musim::library::index::Index {
    use musim::library::index::{Entry, Index, Outcome};
    let names = musim::features::fingerprint::feature_names().to_vec();
    let mut s = 7u64;
    let mut r = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
    };
    let mut idx = Index::empty(std::path::Path::new("/tied"));
    idx.header.feature_names = names.clone();
    for group in 0..2 {
        let centre: Vec<f32> = (0..names.len())
            .map(|d| if d % 2 == group { 40.0 } else { 0.0 })
            .collect();
        for i in 0..12 {
            let core = i < 6;
            let genre = match (group, core) {
                (0, true) | (1, false) => "rock",
                _ => "jazz",
            };
            let spread = if core { 0.3 } else { 6.0 };
            idx.entries.push(Entry {
                path: format!("/tied/{genre}/g{group}-{i}.wav").into_bytes(),
                size: 1,
                mtime_ns: 1,
                label: Some(genre.to_string()),
                tags: None,
                outcome: Outcome::Analysed {
                    duration_s: 30.0,
                    values: centre.iter().map(|c| c + r() * spread).collect(),
                },
            });
        }
    }
    idx
}

#[test]
fn representatives_cover_every_tied_genre() {
    let params = ModelParams {
        tsne_iterations: 250,
        ..ModelParams::default()
    };
    let m = Arc::new(build(tied_index(), &params, &|_| {}, &AtomicBool::new(false)).unwrap());
    assert_eq!(m.clusters.len(), 2);
    let mut a = app(Some(Arc::clone(&m)));
    for (i, c) in m.clusters.iter().enumerate() {
        let leading: Vec<&str> = c
            .archetype
            .leading()
            .iter()
            .map(|(g, _)| g.as_str())
            .collect();
        assert_eq!(leading, ["jazz", "rock"], "a tie: {:?}", c.archetype);
        // By PageRank alone the top three are of one genre (the core)...
        let mut by_rank = c.members.clone();
        by_rank.sort_by(|&x, &y| m.pagerank[y as usize].total_cmp(&m.pagerank[x as usize]));
        let label = |r: u32| m.tracks[r as usize].label.clone().unwrap();
        let top: Vec<String> = by_rank.iter().take(3).map(|&r| label(r)).collect();
        assert!(top.iter().all(|g| *g == top[0]), "{top:?}");
        // ...the representatives are not.
        let reps: Vec<String> = c.representatives().iter().map(|&r| label(r)).collect();
        assert!(
            reps.contains(&"jazz".into()) && reps.contains(&"rock".into()),
            "{reps:?}"
        );
        // On screen: the cluster named by its tie, a ★ on each genre.
        a.focus = Pane::Clusters;
        a.cluster = i;
        a.in_tracks = true;
        a.selected = Some(c.members[0] as usize);
        let (text, _) = render(&a, 120, 40);
        assert!(text.contains("jazz/rock 50%"), "{text}");
        // (Two rows fit the pane of a two-cluster model: the first two.)
        let starred: Vec<&str> = text.lines().filter(|l| l.contains("★ g")).collect();
        assert!(starred.len() >= 2, "{text}");
        for g in ["jazz", "rock"] {
            assert!(
                starred.iter().any(|l| l.contains(&format!("  {g}"))),
                "{g}:\n{text}"
            );
        }
    }
}
