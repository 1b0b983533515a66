//! Audio previews in the explorer, without a terminal or a sound card: keys
//! → player → state → screen, with a silent output that keeps real time, a
//! failing one (no sound device), and a URL query's download kept alive
//! exactly as long as a play list needs it.

mod cli_support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cli_support::wav;
use musim::app::model_file::build;
use musim::app::progress::Silent;
use musim::app::session::Session;
use musim::library::fs::RealFs;
use musim::library::indexer::{self, real_analysis, Job};
use musim::model::{Model, ModelParams};
use musim::playback::device::OpenError;
use musim::playback::engine::Output;
use musim::playback::record::Clocked;
use musim::playback::Phase;
use musim::tui::app::{App, Pane, QueryState};
use musim::tui::event::{on_key, Runtime};
use musim::tui::keymap::Keymap;
use musim::tui::ui;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

struct Lib {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    index: PathBuf,
    query: PathBuf,
}

/// Two "genres" of 4 clips of 8 s, indexed and modelled (long enough that a
/// preview does not end on its own while a slow machine runs a step).
fn library() -> (Lib, Arc<Model>) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("lib");
    for i in 0..4 {
        wav(
            &root.join(format!("low/low{i}.wav")),
            150.0 + 30.0 * i as f32,
            8.0,
        );
        wav(
            &root.join(format!("high/high{i}.wav")),
            3000.0 + 300.0 * i as f32,
            8.0,
        );
    }
    let query = tmp.path().join("query.wav");
    wav(&query, 3100.0, 8.0);
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

fn clocked() -> Result<Box<dyn Output>, OpenError> {
    Ok(Box::new(Clocked::new(22050)))
}

static FAILED_OPENS: AtomicUsize = AtomicUsize::new(0);

fn no_device() -> Result<Box<dyn Output>, OpenError> {
    FAILED_OPENS.fetch_add(1, Ordering::SeqCst);
    Err(OpenError::NoDevice("the test has none".into()))
}

fn press(app: &mut App, rt: &mut Runtime, code: KeyCode) {
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    on_key(app, rt, KeyEvent::new(code, mods));
}

/// Apply worker and player messages until `cond` holds (or fail after 20 s).
fn until(app: &mut App, rt: &mut Runtime, what: &str, cond: impl Fn(&App) -> bool) {
    let t = Instant::now();
    while !cond(app) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "waited for {what}; previews: {:?}",
            app.previews
        );
        rt.wait(app, Duration::from_millis(50));
    }
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    t.draw(|f| ui::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..30 {
        for x in 0..120 {
            text.push_str(buf[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn status_line(app: &App) -> String {
    screen(app).lines().last().unwrap_or_default().to_string()
}

fn name(m: &Model, row: usize) -> String {
    Path::new(&m.tracks[row].show_path())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A track's name as the explorer's lists show it.
fn shown(m: &Model, row: usize) -> String {
    musim::tui::labels::display_name(&m.tracks[row])
}

fn phase(app: &App) -> Option<Phase> {
    app.previews.status.as_ref().map(|s| s.phase)
}

fn index(app: &App) -> Option<usize> {
    app.previews.status.as_ref().and_then(|s| s.index)
}

#[test]
fn p_plays_the_selection_then_its_neighbours_and_the_screen_follows() {
    let (lib, m) = library();
    let mut app = App::new(Some(Arc::clone(&m)), "lib".into(), Keymap::defaults());
    let mut rt = runtime(&lib);
    rt.open_output = clocked;
    assert!(
        status_line(&app).contains("♪ p: preview"),
        "{}",
        status_line(&app)
    );
    let sel = 3;
    app.selected = Some(sel);
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "playing", |a| {
        phase(a) == Some(Phase::Playing)
    });
    let s = app.previews.status.clone().unwrap();
    assert_eq!(s.index, Some(0));
    assert_eq!(s.track, Some(sel));
    let near = musim::tui::app::Details::of(&m, sel)
        .unwrap()
        .result
        .similar;
    assert_eq!(
        s.total,
        1 + near.len(),
        "the track, then the nearest tracks its details list"
    );
    assert_eq!(app.previews.row, Some(sel));
    let line = status_line(&app);
    assert!(line.contains(&format!("♪ ▶ {}", name(&m, sel))), "{line}");
    assert!(line.contains(&format!("1/{}", s.total)), "{line}");
    assert!(screen(&app).contains('♪'));

    // n: the nearest neighbour, highlighted in the cluster's track list.
    press(&mut app, &mut rt, KeyCode::Char('n'));
    until(&mut app, &mut rt, "the next preview", |a| {
        index(a) == Some(1)
    });
    let near = near[0].track as usize;
    until(&mut app, &mut rt, "its row", |a| {
        a.previews.row == Some(near)
    });
    app.selected = Some(near);
    app.cluster = m.assignment[near] as usize;
    app.focus = Pane::Clusters;
    app.in_tracks = true;
    let text = screen(&app);
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("♪ {}", shown(&m, near)))),
        "{text}"
    );

    // space pauses and resumes; N goes back; s stops.
    press(&mut app, &mut rt, KeyCode::Char(' '));
    until(&mut app, &mut rt, "paused", |a| {
        phase(a) == Some(Phase::Paused)
    });
    assert!(status_line(&app).contains("♪ ‖"), "{}", status_line(&app));
    press(&mut app, &mut rt, KeyCode::Char(' '));
    until(&mut app, &mut rt, "resumed", |a| {
        phase(a) == Some(Phase::Playing)
    });
    press(&mut app, &mut rt, KeyCode::Char('N'));
    until(&mut app, &mut rt, "back to the first", |a| {
        index(a) == Some(0)
    });
    // Volume: a notice, and the player reports the new level.
    press(&mut app, &mut rt, KeyCode::Char('['));
    assert_eq!(app.notice.as_deref(), Some("volume 90%"));
    until(&mut app, &mut rt, "the volume", |a| {
        a.previews.status.as_ref().is_some_and(|s| s.volume == 0.9)
    });
    press(&mut app, &mut rt, KeyCode::Char('s'));
    until(&mut app, &mut rt, "stopped", |a| {
        phase(a) == Some(Phase::Idle)
    });
    assert_eq!(app.previews.row, None);
    assert!(status_line(&app).contains("♪ p: preview"));
}

#[test]
fn previews_run_to_the_end_of_the_list_and_the_position_moves() {
    let (lib, m) = library();
    let mut app = App::new(Some(Arc::clone(&m)), "lib".into(), Keymap::defaults());
    let mut rt = runtime(&lib);
    rt.open_output = clocked;
    rt.previews = musim::playback::PreviewOptions::with_seconds(1.0).unwrap();
    app.selected = Some(0);
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "some progress", |a| {
        a.previews
            .status
            .as_ref()
            .is_some_and(|s| s.position_s > 0.3)
    });
    let s = app.previews.status.clone().unwrap();
    assert_eq!(s.length_s, 1.0);
    assert!(
        status_line(&app).contains("/0:01 "), // position / length
        "{}",
        status_line(&app)
    );
    let total = s.total;
    until(&mut app, &mut rt, "the last preview", |a| {
        index(a) == Some(total - 1)
    });
    until(&mut app, &mut rt, "the end", |a| {
        phase(a) == Some(Phase::Idle)
    });
}

#[test]
fn no_sound_device_is_one_message_and_p_tries_again() {
    let (lib, m) = library();
    let mut app = App::new(Some(Arc::clone(&m)), "lib".into(), Keymap::defaults());
    let mut rt = runtime(&lib);
    rt.open_output = no_device;
    let before = FAILED_OPENS.load(Ordering::SeqCst);
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "the failure", |a| {
        a.previews.unavailable.is_some()
    });
    let e = app.error.clone().unwrap();
    assert!(
        e.starts_with("no audio device: previews off, p tries again (the test has none)"),
        "{e}"
    );
    // Said once: the badge defers to the message while it is shown.
    let line = status_line(&app);
    assert_eq!(line.matches("no audio device").count(), 1, "{line}");
    assert!(line.contains("♪ off"), "{line}");
    // The rest keeps working; player keys explain.
    press(&mut app, &mut rt, KeyCode::Char('n'));
    assert!(app
        .notice
        .as_deref()
        .unwrap()
        .starts_with("nothing is playing"));
    press(&mut app, &mut rt, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Clusters);
    assert!(
        status_line(&app).contains("♪ no audio device"),
        "stays until the next p"
    );
    // p tries again (and fails again, with the message again).
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "the second failure", |a| {
        a.error.is_some()
    });
    assert_eq!(FAILED_OPENS.load(Ordering::SeqCst) - before, 2);
    // A device that appears later is used.
    rt.open_output = clocked;
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "playing", |a| {
        phase(a) == Some(Phase::Playing)
    });
    assert!(app.previews.unavailable.is_none());
}

#[test]
fn the_query_pane_plays_the_query_then_its_similar_tracks() {
    let (lib, m) = library();
    let mut app = App::new(Some(Arc::clone(&m)), "lib".into(), Keymap::defaults());
    let mut rt = runtime(&lib);
    rt.open_output = clocked;
    let r = musim::query::query_file(&m, &lib.query, 5).unwrap();
    let first_similar = r.similar[0].track as usize;
    app.query = QueryState::Done(Box::new(r));
    app.focus = Pane::Query;
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "playing", |a| {
        phase(a) == Some(Phase::Playing)
    });
    let s = app.previews.status.clone().unwrap();
    assert_eq!(s.path.as_deref(), Some(lib.query.as_path()));
    assert_eq!((s.track, s.total), (None, 6));
    assert!(screen(&app).contains("♪ query"), "{}", screen(&app));
    press(&mut app, &mut rt, KeyCode::Char('n'));
    until(&mut app, &mut rt, "the most similar", |a| {
        a.previews.row == Some(first_similar)
    });
    let text = screen(&app);
    // The playing row of the similar list carries the note.
    assert!(
        text.lines()
            .any(|l| l.contains('♪') && l.contains(&shown(&m, first_similar))),
        "{text}"
    );
}

/// A fake yt-dlp that "downloads" `wav`.
fn fake_ytdlp(dir: &Path, wav: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("yt-dlp");
    let script = format!(
        "#!/bin/sh\nout=''\nwhile [ $# -gt 0 ]; do case \"$1\" in -o) shift; out=\"$1\";; esac; shift; done\n\
         f=$(printf '%s' \"$out\" | sed 's/%(ext)s/wav/')\ncp '{}' \"$f\"\n\
         echo 'musim-title:Fake Song'\necho \"musim-file:$f\"\n",
        wav.display()
    );
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn a_url_querys_download_lives_while_previews_need_it() {
    let (lib, m) = library();
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("downloads");
    std::fs::create_dir(&parent).unwrap();
    let opts = musim::youtube::FetchOptions {
        program: Some(fake_ytdlp(tmp.path(), &lib.query)),
        temp_parent: Some(parent.clone()),
        ..Default::default()
    };
    let url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    let (r, dl) = musim::query::query_url(&m, url, 3, &opts).unwrap();
    let folder = dl.dir().to_path_buf();
    let audio = dl.audio.clone();
    assert!(audio.starts_with(&folder));
    let mut app = App::new(Some(Arc::clone(&m)), "lib".into(), Keymap::defaults());
    let mut rt = runtime(&lib);
    rt.open_output = clocked;
    rt.download = Some(Arc::new(dl));
    app.query = QueryState::Done(Box::new(r));
    app.focus = Pane::Query;
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "playing", |a| {
        phase(a) == Some(Phase::Playing)
    });
    let s = app.previews.status.clone().unwrap();
    assert_eq!(s.path.as_deref(), Some(audio.as_path()));
    assert_eq!(s.title, "Fake Song");
    assert!(
        status_line(&app).contains("♪ ▶ Fake Song"),
        "{}",
        status_line(&app)
    );
    // A newer query replaces the runtime's download: the play list still
    // holds it, so the folder stays.
    rt.download = None;
    assert!(folder.exists(), "removed while a play list holds it");
    press(&mut app, &mut rt, KeyCode::Char('s'));
    until(&mut app, &mut rt, "stopped", |a| {
        phase(a) == Some(Phase::Idle)
    });
    let t = Instant::now();
    while folder.exists() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !folder.exists(),
        "the temporary folder outlived every holder"
    );
    assert_eq!(std::fs::read_dir(&parent).unwrap().count(), 0);
    // Once gone, `p` in the query pane plays the similar tracks only.
    press(&mut app, &mut rt, KeyCode::Char('p'));
    until(&mut app, &mut rt, "playing", |a| {
        phase(a) == Some(Phase::Playing)
    });
    let s = app.previews.status.clone().unwrap();
    assert_eq!(s.total, 3);
    assert!(s.track.is_some());
}
