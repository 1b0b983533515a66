//! The event loop: draw, wait briefly for a key, paste, mouse event or a
//! worker message, apply it, repeat. Workers report over a channel, so the
//! loop never blocks on them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{
    self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use ratatui::layout::Rect;

use super::app::{App, Effect, Job, PlayFrom, QueryFailure, QueryState};
use super::ui;
use super::worker::{
    spawn_demo, spawn_details, spawn_path, spawn_query, spawn_train, DetailsRequest, Msg,
};
use crate::app::session::Session;
use crate::playback::{self, Command, Event as PlayerEvent, Item, Player, PreviewOptions};
use crate::youtube::Download;

/// Neighbours a query asks for: the same as `musim-tui query`.
const QUERY_K: usize = super::app::NEIGHBOURS;

/// Everything the loop owns besides the state.
pub struct Runtime {
    /// The library and index.
    pub session: Session,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    query_cancel: Arc<AtomicBool>,
    train_cancel: Arc<AtomicBool>,
    /// The last URL query's audio: its temporary folder lives until this
    /// and every play list holding it let go.
    pub download: Option<Arc<Download>>,
    /// How previews are cut.
    pub previews: PreviewOptions,
    /// Opens the sound output (the real device; tests may substitute).
    pub open_output: fn() -> Result<Box<dyn playback::engine::Output>, playback::device::OpenError>,
    /// Where `w` writes lists (the current folder).
    pub lists_dir: std::path::PathBuf,
    player: Option<Player>,
    details: Option<Sender<DetailsRequest>>,
}

impl Runtime {
    /// A runtime for `session`.
    pub fn new(session: Session) -> Runtime {
        let (tx, rx) = channel();
        Runtime {
            session,
            tx,
            rx,
            query_cancel: Arc::new(AtomicBool::new(false)),
            train_cancel: Arc::new(AtomicBool::new(false)),
            download: None,
            previews: PreviewOptions::default(),
            open_output: playback::device::open,
            lists_dir: std::path::PathBuf::from("."),
            player: None,
            details: None,
        }
    }

    /// Carry out an effect the state asked for.
    pub fn effect(&mut self, app: &mut App, e: Effect) {
        match e {
            Effect::Query(target, id) => {
                self.query_cancel.store(true, Ordering::SeqCst);
                self.query_cancel = Arc::new(AtomicBool::new(false));
                match &app.model {
                    Some(m) => spawn_query(
                        Arc::clone(m),
                        target,
                        QUERY_K,
                        id,
                        self.tx.clone(),
                        Arc::clone(&self.query_cancel),
                    ),
                    None => app.query_done(id, Err(QueryFailure::NoModel)),
                }
            }
            Effect::CancelQuery => self.query_cancel.store(true, Ordering::SeqCst),
            Effect::Retrain => {
                self.train_cancel = Arc::new(AtomicBool::new(false));
                spawn_train(
                    self.session.clone(),
                    self.tx.clone(),
                    Arc::clone(&self.train_cancel),
                );
            }
            Effect::OpenDemo => spawn_demo(self.tx.clone()),
            Effect::CancelRetrain => {
                self.train_cancel.store(true, Ordering::SeqCst);
                if let Some(j) = &mut app.job {
                    j.label = "cancelling…".into();
                }
            }
            Effect::Play(from) => self.play(app, from),
            Effect::Details(row, id) => {
                let Some(model) = app.model.clone() else {
                    return;
                };
                let tx = self.tx.clone();
                let ask = self.details.get_or_insert_with(|| spawn_details(tx));
                if let Err(e) = ask.send(DetailsRequest { model, row, id }) {
                    // The worker is gone (it panicked): a new one takes it.
                    let ask = spawn_details(self.tx.clone());
                    let _ = ask.send(e.0);
                    self.details = Some(ask);
                }
            }
            Effect::Path(from, to, id) => match &app.model {
                Some(m) => spawn_path(Arc::clone(m), from, to, id, self.tx.clone()),
                None => app.path_done(id, None),
            },
            Effect::Write(list) => {
                let Some(m) = app.model.clone() else { return };
                let r = super::lists::write_list(&m, &list, &self.lists_dir);
                app.written(&list, r.map_err(|e| e.to_string()));
            }
            Effect::Player(cmd) => {
                if !self.player.as_ref().is_some_and(|p| p.send(cmd)) {
                    self.player = None;
                    app.previews.status = None;
                    app.previews.row = None;
                }
            }
            Effect::Complete => {
                let options = app.input.complete();
                if !options.is_empty() {
                    let shown: Vec<String> = options.iter().take(6).cloned().collect();
                    let more = if options.len() > 6 {
                        format!(" … +{}", options.len() - 6)
                    } else {
                        String::new()
                    };
                    app.notice = Some(format!("{}{more}", shown.join("  ")));
                }
            }
        }
    }

    /// The play list for `from`; empty (with a notice) when there is none.
    fn playlist(&self, app: &mut App, from: PlayFrom) -> Vec<Item> {
        let Some(m) = app.model.clone() else {
            return Vec::new();
        };
        match from {
            PlayFrom::List(l) => l
                .rows
                .iter()
                .filter_map(|&r| playback::playlist::track(&m, r))
                .collect(),
            PlayFrom::Query => {
                let QueryState::Done(r) = &app.query else {
                    return Vec::new();
                };
                let first = if let Some(t) = r.library_track {
                    playback::playlist::track(&m, t as usize)
                } else if crate::youtube::looks_like_url(&r.source) {
                    // The download's audio, while its folder is still there.
                    match &self.download {
                        Some(d) if d.url == r.source && d.audio.exists() => {
                            let mut item = Item::file(d.audio.clone());
                            if let Some(t) = &d.title {
                                item.title.clone_from(t);
                            }
                            item.duration_s = Some(r.duration_s);
                            item.keep = Some(Arc::clone(d) as Arc<dyn std::any::Any + Send + Sync>);
                            Some(item)
                        }
                        _ => None,
                    }
                } else {
                    let mut item = Item::file(std::path::PathBuf::from(&r.source));
                    item.duration_s = Some(r.duration_s);
                    Some(item)
                };
                playback::playlist::for_query(&m, r, first)
            }
        }
    }

    /// Start previews, opening the sound output on first use (or again
    /// after it failed).
    fn play(&mut self, app: &mut App, from: PlayFrom) {
        let list = self.playlist(app, from);
        if list.is_empty() {
            app.notice = Some("nothing to preview".into());
            return;
        }
        if self.player.as_ref().is_none_or(Player::is_finished) {
            let tx = self.tx.clone();
            let open = self.open_output;
            self.player = Some(Player::spawn(
                Box::new(open),
                self.previews.clone(),
                move |e| {
                    let _ = tx.send(Msg::Playback(e));
                },
            ));
            app.previews.unavailable = None;
        }
        if let Some(p) = &self.player {
            if app.previews.volume < 1.0 {
                p.send(Command::Volume(app.previews.volume));
            }
            p.send(Command::Play(list));
        }
    }

    /// Ask the worker for the selection's details when it has changed.
    pub fn sync(&mut self, app: &mut App) {
        if let Some(e) = app.wanted_details() {
            self.effect(app, e);
        }
    }

    /// Apply every pending worker message.
    pub fn drain(&mut self, app: &mut App) {
        self.take_messages(app);
        self.sync(app);
    }

    fn take_messages(&mut self, app: &mut App) {
        while let Ok(msg) = self.rx.try_recv() {
            match msg {
                Msg::Job { label, fraction } => app.job = Some(Job { label, fraction }),
                Msg::Trained(Ok((m, update))) => app.trained(m, update),
                // Only on a first start: a shown model is newer.
                Msg::Stored(m) if app.model.is_none() => {
                    app.set_model(m);
                    app.notice = Some("stored map; checking the library for changes".into());
                }
                Msg::Stored(_) => {}
                Msg::Interim(m) => {
                    app.set_model(m);
                    app.notice = Some(
                        "map from the fast features; deep embeddings are being computed".into(),
                    );
                }
                Msg::Trained(Err(e)) => {
                    app.job = None;
                    if app.model.is_none() {
                        let demo = app.keymap.keys_of(super::keymap::Action::OpenDemo);
                        app.no_model = format!(
                            "{e}\n\nAdd audio files to {} and press {} to rescan, or press {demo} to explore the built-in demo library (synthesised, generated once).",
                            app.library,
                            app.keymap.keys_of(super::keymap::Action::Retrain)
                        );
                    }
                    app.error = Some(e.to_string());
                }
                Msg::Library(session) => {
                    self.session = *session;
                    if let Some(c) = &self.session.choice {
                        app.library = crate::store::paths::show(&c.root);
                    }
                    app.model = None;
                    app.selected = None;
                    app.no_model = "building the model of the demo library…".into();
                    self.effect(app, Effect::Retrain);
                }
                Msg::TrainCancelled => {
                    app.job = None;
                    app.notice = Some("retraining cancelled; the previous model stays".into());
                }
                Msg::Query {
                    id,
                    result,
                    download,
                } => {
                    if let Some(d) = download {
                        self.download = Some(Arc::new(d));
                    }
                    app.query_done(id, result.map_err(QueryFailure::from));
                }
                Msg::Details { id, details } => app.details_done(id, details.map(|d| *d)),
                Msg::Path { id, steps } => app.path_done(id, steps),
                Msg::Playback(PlayerEvent::Status(s)) => app.preview_status(s),
                Msg::Playback(PlayerEvent::Message(m)) => app.notice = Some(m),
                Msg::Playback(PlayerEvent::Failed(e)) => {
                    // The thread has ended; dropping the handle joins it.
                    self.player = None;
                    app.previews_failed(e);
                }
            }
        }
    }

    /// Wait for the next worker message (tests).
    pub fn wait(&mut self, app: &mut App, timeout: Duration) -> bool {
        match self.rx.recv_timeout(timeout) {
            Ok(msg) => {
                let (tx, rx) = channel();
                let _ = tx.send(msg);
                let mine = std::mem::replace(&mut self.rx, rx);
                self.drain(app);
                self.rx = mine;
                self.drain(app);
                true
            }
            Err(_) => false,
        }
    }
}

/// Handle one key (then ask for the selection's details if it changed).
pub fn on_key(app: &mut App, rt: &mut Runtime, key: KeyEvent) {
    handle_key(app, rt, key);
    rt.sync(app);
}

fn handle_key(app: &mut App, rt: &mut Runtime, key: KeyEvent) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    if app.typing {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => app.quit = true,
            KeyCode::Enter => {
                if let Some(e) = app.enter() {
                    rt.effect(app, e);
                }
                return;
            }
            KeyCode::Esc => app.typing = false,
            KeyCode::Tab => rt.effect(app, Effect::Complete),
            KeyCode::Backspace => app.input.backspace(),
            KeyCode::Delete => app.input.delete(),
            KeyCode::Left => app.input.move_by(-1),
            KeyCode::Right => app.input.move_by(1),
            KeyCode::Home => app.input.home_end(false),
            KeyCode::End => app.input.home_end(true),
            KeyCode::Up => app.finder.move_by(-1),
            KeyCode::Down => app.finder.move_by(1),
            KeyCode::PageUp => app.finder.move_by(-10),
            KeyCode::PageDown => app.finder.move_by(10),
            KeyCode::Char('u') if ctrl => app.input.set(""),
            KeyCode::Char(c) if !ctrl => app.input.insert(&c.to_string()),
            _ => {}
        }
        app.typed();
        return;
    }
    if app.help && app.keymap.action(&key).is_none() {
        // Any key closes help, bound or not.
        app.help = false;
        return;
    }
    if let Some(action) = app.keymap.action(&key) {
        if let Some(e) = app.apply(action) {
            rt.effect(app, e);
        }
    }
}

/// Dropped files / pasted text: query the first path or URL.
pub fn on_paste(app: &mut App, rt: &mut Runtime, text: &str) {
    app.focus = super::app::Pane::Query;
    app.input.set(text.trim());
    if let Some(e) = app.submit() {
        rt.effect(app, e);
    }
    rt.sync(app);
}

/// A mouse click in the map selects the nearest point; the wheel zooms.
pub fn on_mouse(app: &mut App, screen: Rect, kind: MouseEventKind, col: u16, row: u16) {
    let map = ui::layout(screen).map;
    let inner = Rect {
        x: map.x + 1,
        y: map.y + 1,
        width: map.width.saturating_sub(2),
        height: map.height.saturating_sub(2),
    };
    let inside = col >= inner.x
        && col < inner.x + inner.width
        && row >= inner.y
        && row < inner.y + inner.height;
    if !inside {
        return;
    }
    match kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let ([x0, x1], [y0, y1]) = app.window();
            let fx = (f64::from(col - inner.x) + 0.5) / f64::from(inner.width);
            let fy = (f64::from(row - inner.y) + 0.5) / f64::from(inner.height);
            app.click_map(x0 + fx * (x1 - x0), y1 - fy * (y1 - y0));
        }
        MouseEventKind::ScrollUp => {
            app.apply(super::keymap::Action::ZoomIn);
        }
        MouseEventKind::ScrollDown => {
            app.apply(super::keymap::Action::ZoomOut);
        }
        _ => {}
    }
}

/// Run until the user quits.
pub fn run(
    term: &mut super::terminal::Term,
    app: &mut App,
    rt: &mut Runtime,
) -> std::io::Result<()> {
    while !app.quit {
        term.draw(|f| ui::draw(f, app))?;
        // Shorter while details are on their way, so they show promptly.
        let wait = if app.details_loading() { 10 } else { 80 };
        if event::poll(Duration::from_millis(wait))? {
            // Take everything queued so fast typing and pastes stay snappy.
            loop {
                match event::read()? {
                    Event::Key(k) => on_key(app, rt, k),
                    Event::Paste(text) => on_paste(app, rt, &text),
                    Event::Mouse(m) => {
                        let size = term.size()?;
                        on_mouse(
                            app,
                            Rect::new(0, 0, size.width, size.height),
                            m.kind,
                            m.column,
                            m.row,
                        );
                    }
                    _ => {}
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        rt.drain(app);
        app.tick = app.tick.wrapping_add(1);
    }
    Ok(())
}
