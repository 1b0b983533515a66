//! The explorer's state and how actions change it. Rendering reads this
//! (`ui/`); input (`event.rs`) and workers only ever call the methods here,
//! so every behaviour can be tested without a terminal.

use std::sync::Arc;

use crate::model::Model;
use crate::playback::{Command, Phase, Status};
use crate::query::{QueryError, QueryResult};

use super::finder::{is_query_target, Finder};
use super::input::Input;
use super::keymap::{Action, Keymap};

/// Neighbours behind a genre vote, in the explorer as in `musim-tui query`,
/// so both give the same genre and confidence for the same file.
pub const NEIGHBOURS: usize = crate::query::DEFAULT_K;

/// What the details pane says about the selected track: the query module's
/// answer for it, as `musim-tui query` gives it for that file.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    /// The track's row.
    pub row: usize,
    /// Its genre vote, cluster, neighbours and why.
    pub result: QueryResult,
}

/// The panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The t-SNE map.
    Map,
    /// Clusters and their tracks.
    Clusters,
    /// Query input and result.
    Query,
}

/// How map points are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourBy {
    /// By K-Means cluster.
    Cluster,
    /// By genre label.
    Genre,
}

/// The visible part of the map: centre and zoom (1 = everything).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Magnification.
    pub zoom: f64,
}

/// A query's life cycle.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryState {
    /// Nothing asked yet.
    Idle,
    /// Running on a worker.
    Running {
        /// What is being queried.
        target: String,
        /// Id of the request (late answers of cancelled ones are dropped).
        id: u64,
    },
    /// Answered.
    Done(Box<QueryResult>),
    /// Failed (the message).
    Failed(String),
}

/// Why a query has no answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryFailure {
    /// There is no model to query yet.
    #[error("no model yet: wait for training to finish")]
    NoModel,
    /// The query itself failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A background job the status bar shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// What it does, e.g. "indexing".
    pub label: String,
    /// Progress 0..1, if known.
    pub fraction: Option<f64>,
}

/// What the explorer wants done outside the state (by the event loop).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Start a query for this path or URL, with this id.
    Query(String, u64),
    /// Cancel the running query.
    CancelQuery,
    /// Rescan, re-index and retrain.
    Retrain,
    /// Cancel the retraining.
    CancelRetrain,
    /// Generate (if needed) and open the demo library.
    OpenDemo,
    /// Tab-complete the input.
    Complete,
    /// Play previews starting here (opening the sound output if needed).
    Play(PlayFrom),
    /// Pass a command to the running player.
    Player(Command),
}

/// Where a play list starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayFrom {
    /// This library track, then its neighbours in the similarity graph.
    Track(usize),
    /// The query's audio, then its similar tracks.
    Query,
}

/// Audio previews as the explorer shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Previews {
    /// The player's last report (None: no player).
    pub status: Option<Status>,
    /// Library row of what is playing (follows model swaps).
    pub row: Option<usize>,
    /// Why previews are off (no sound device); cleared by the next `p`.
    pub unavailable: Option<String>,
    /// Volume asked for, 0..=1.
    pub volume: f32,
}

impl Default for Previews {
    fn default() -> Self {
        Previews {
            status: None,
            row: None,
            unavailable: None,
            volume: 1.0,
        }
    }
}

impl Previews {
    /// True while a play list is loaded (playing, paused or loading).
    pub fn active(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.phase != Phase::Idle)
    }
}

/// Volume change per key press.
const VOLUME_STEP: f32 = 0.1;

/// The whole explorer state.
#[derive(Debug)]
pub struct App {
    /// The model on display (the old one stays until a new one is ready).
    pub model: Option<Arc<Model>>,
    /// Library folder, for the status bar.
    pub library: String,
    /// Why there is no model (empty library, first training, failure).
    pub no_model: String,
    /// Focused pane.
    pub focus: Pane,
    /// Selected track (shared by map and cluster browser).
    pub selected: Option<usize>,
    /// Highlighted cluster in the browser.
    pub cluster: usize,
    /// Browsing the tracks of `cluster` rather than the cluster list.
    pub in_tracks: bool,
    /// Map colouring.
    pub colour: ColourBy,
    /// Map view.
    pub view: View,
    /// The query line.
    pub input: Input,
    /// Whether keys go to the query line.
    pub typing: bool,
    /// The query.
    pub query: QueryState,
    /// Highlighted row of the query's similar tracks.
    pub result_row: usize,
    /// Help overlay shown.
    pub help: bool,
    /// Background jobs (indexing, training).
    pub job: Option<Job>,
    /// Last error, shown in the status bar until the next action.
    pub error: Option<String>,
    /// Last notice (e.g. "3 paths dropped: querying the first").
    pub notice: Option<String>,
    /// Active keymap.
    pub keymap: Keymap,
    /// Set to leave.
    pub quit: bool,
    /// Animation tick (spinner).
    pub tick: u64,
    /// Audio previews.
    pub previews: Previews,
    /// The selected track's details (kept in step with `selected`).
    pub details: Option<Details>,
    /// Find as you type.
    pub finder: Finder,
    /// Whether the map shows its legend.
    pub legend: bool,
    /// First line of the help shown (it scrolls).
    pub help_scroll: usize,
    next_query_id: u64,
}

/// Smallest and largest zoom.
const ZOOM: (f64, f64) = (1.0, 64.0);

impl App {
    /// A new explorer over `model` (if any yet).
    pub fn new(model: Option<Arc<Model>>, library: String, keymap: Keymap) -> App {
        let mut app = App {
            model: None,
            library,
            no_model: "building the model…".into(),
            focus: Pane::Map,
            selected: None,
            cluster: 0,
            in_tracks: false,
            colour: ColourBy::Genre,
            view: View {
                cx: 0.0,
                cy: 0.0,
                zoom: 1.0,
            },
            input: Input::default(),
            typing: false,
            query: QueryState::Idle,
            result_row: 0,
            help: false,
            job: None,
            error: None,
            notice: None,
            keymap,
            quit: false,
            tick: 0,
            previews: Previews::default(),
            details: None,
            finder: Finder::default(),
            legend: true,
            help_scroll: 0,
            next_query_id: 1,
        };
        if let Some(m) = model {
            app.set_model(m);
        }
        app
    }

    /// Swap in a (new) model, keeping the selection when the track is still there.
    pub fn set_model(&mut self, model: Arc<Model>) {
        let keep = self
            .selected
            .and_then(|i| self.model.as_ref()?.tracks.get(i).map(|t| t.path.clone()));
        let first_model = self.model.is_none();
        self.selected = keep
            .and_then(|p| model.tracks.iter().position(|t| t.path == p))
            .or_else(|| (!model.is_empty()).then_some(0));
        if !model.is_labelled() {
            self.colour = ColourBy::Cluster;
        }
        self.finder = Finder::new(&model);
        self.model = Some(model);
        if first_model {
            self.reset_view();
        }
        self.sync_cluster_to_selection();
        self.previews.row = self.playing_row();
        self.details = None;
        self.refresh_details();
        if self.typing {
            self.typed();
        }
    }

    /// A retraining finished with `model`: swap it in and say what changed
    /// (`t` on an unchanged library must not look like nothing happened).
    pub fn trained(&mut self, model: Arc<Model>) {
        self.job = None;
        let n = model.len();
        self.notice = Some(match &self.model {
            Some(m) if m.key == model.key => format!("up to date: {n} tracks, nothing changed"),
            Some(_) => format!("model rebuilt: {n} tracks"),
            None => format!("model built: {n} tracks"),
        });
        self.set_model(model);
    }

    /// Bring [`App::details`] in step with the selection.
    fn refresh_details(&mut self) {
        let (Some(m), Some(i)) = (&self.model, self.selected) else {
            self.details = None;
            return;
        };
        if self.details.as_ref().is_some_and(|d| d.row == i) || i >= m.len() {
            return;
        }
        let t = &m.tracks[i];
        let mut result = crate::query::query_point(m, &m.space.row_point(i), Some(i), NEIGHBOURS);
        result.source = t.path_text();
        result.duration_s = t.duration_s;
        self.details = Some(Details { row: i, result });
    }

    /// The query line changed: find what it names, unless it is a path or
    /// URL to query.
    pub fn typed(&mut self) {
        let text = self.input.text().to_string();
        if is_query_target(&text) {
            self.finder.update("");
        } else {
            self.finder.update(&text);
        }
    }

    /// Whether the query line is finding tracks (not naming a path or URL).
    pub fn finding(&self) -> bool {
        self.typing && !self.input.text().trim().is_empty() && !is_query_target(self.input.text())
    }

    /// Enter in the query line: select the highlighted track found, or run
    /// the path or URL as a query.
    pub fn enter(&mut self) -> Option<Effect> {
        if !self.finding() {
            return self.submit();
        }
        match self.finder.chosen() {
            Some(row) => {
                self.typing = false;
                self.select_track(row);
                None
            }
            None => {
                self.notice = Some(format!(
                    "no track matches {:?}",
                    crate::store::text::safe(self.input.text().trim())
                ));
                None
            }
        }
    }

    /// Select library row `row` on the map and show its details.
    pub fn select_track(&mut self, row: usize) {
        if self.model.as_ref().is_none_or(|m| row >= m.len()) {
            return;
        }
        self.selected = Some(row);
        self.focus = Pane::Map;
        self.in_tracks = false;
        self.sync_cluster_to_selection();
        self.follow_selection();
        self.refresh_details();
    }

    /// The library row of what the player reports playing, by path (rows
    /// change when the model is rebuilt; paths do not).
    fn playing_row(&self) -> Option<usize> {
        let s = self.previews.status.as_ref()?;
        if s.phase == Phase::Idle {
            return None;
        }
        let key = crate::store::paths::to_bytes(s.path.as_deref()?);
        self.model
            .as_ref()?
            .tracks
            .iter()
            .position(|t| t.path == key)
    }

    /// The player reported its state.
    pub fn preview_status(&mut self, status: Status) {
        self.previews.status = Some(status);
        self.previews.row = self.playing_row();
    }

    /// The sound output could not be opened (or broke): previews are off
    /// until the next `p`.
    pub fn previews_failed(&mut self, why: String) {
        // The gist first: the status bar may cut the details.
        let (gist, detail) = match why.split_once(" (") {
            Some((g, d)) => (g, format!(" ({d}")),
            None => (why.as_str(), String::new()),
        };
        self.error = Some(format!(
            "{gist}: previews off, {} tries again{detail}",
            self.keymap.keys_of(Action::Play)
        ));
        self.previews.unavailable = Some(why);
        self.previews.status = None;
        self.previews.row = None;
    }

    /// A player command, or a hint when nothing is playing.
    fn player(&mut self, cmd: Command) -> Option<Effect> {
        if self.previews.active() {
            return Some(Effect::Player(cmd));
        }
        self.notice = Some(format!(
            "nothing is playing: {} previews the selected track",
            self.keymap.keys_of(Action::Play)
        ));
        None
    }

    fn change_volume(&mut self, delta: f32) -> Option<Effect> {
        let v = ((self.previews.volume + delta) * 10.0).round() / 10.0;
        self.previews.volume = v.clamp(0.0, 1.0);
        self.notice = Some(format!("volume {:.0}%", self.previews.volume * 100.0));
        self.previews
            .active()
            .then_some(Effect::Player(Command::Volume(self.previews.volume)))
    }

    /// Where `p` starts: the query in the query pane (once answered), else
    /// the selected track.
    fn play_from(&mut self) -> Option<Effect> {
        if self.focus == Pane::Query && matches!(self.query, QueryState::Done(_)) {
            return Some(Effect::Play(PlayFrom::Query));
        }
        match (self.model.is_some(), self.selected) {
            (true, Some(i)) => Some(Effect::Play(PlayFrom::Track(i))),
            (false, _) => {
                self.notice = Some("no model yet: nothing to preview".into());
                None
            }
            (true, None) => {
                self.notice = Some("select a track to preview".into());
                None
            }
        }
    }

    /// Map bounds (min x, max x, min y, max y) with a small margin.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let Some(m) = &self.model else {
            return (-1.0, 1.0, -1.0, 1.0);
        };
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in &m.map {
            x0 = x0.min(f64::from(p[0]));
            x1 = x1.max(f64::from(p[0]));
            y0 = y0.min(f64::from(p[1]));
            y1 = y1.max(f64::from(p[1]));
        }
        if x0 > x1 {
            return (-1.0, 1.0, -1.0, 1.0);
        }
        let mx = ((x1 - x0) * 0.05).max(0.5);
        let my = ((y1 - y0) * 0.05).max(0.5);
        (x0 - mx, x1 + mx, y0 - my, y1 + my)
    }

    /// The visible window (x range, y range).
    pub fn window(&self) -> ([f64; 2], [f64; 2]) {
        let (x0, x1, y0, y1) = self.bounds();
        let hw = (x1 - x0) / 2.0 / self.view.zoom;
        let hh = (y1 - y0) / 2.0 / self.view.zoom;
        (
            [self.view.cx - hw, self.view.cx + hw],
            [self.view.cy - hh, self.view.cy + hh],
        )
    }

    fn reset_view(&mut self) {
        let (x0, x1, y0, y1) = self.bounds();
        self.view = View {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            zoom: 1.0,
        };
    }

    fn sync_cluster_to_selection(&mut self) {
        if let (Some(m), Some(i)) = (&self.model, self.selected) {
            if let Some(&c) = m.assignment.get(i) {
                self.cluster = c as usize;
            }
        }
    }

    /// Keep the selected track visible when the cursor leaves the window.
    fn follow_selection(&mut self) {
        let (Some(m), Some(i)) = (&self.model, self.selected) else {
            return;
        };
        let Some(p) = m.map.get(i) else { return };
        let ([x0, x1], [y0, y1]) = self.window();
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        if x < x0 || x > x1 || y < y0 || y > y1 {
            self.view.cx = x;
            self.view.cy = y;
        }
    }

    /// The selected track's map position.
    fn cursor(&self) -> Option<(f64, f64)> {
        let p = self.model.as_ref()?.map.get(self.selected?)?;
        Some((f64::from(p[0]), f64::from(p[1])))
    }

    /// Move the map cursor to the nearest point in a direction (dx, dy).
    fn step_map(&mut self, dx: f64, dy: f64) {
        let Some(m) = &self.model else { return };
        let Some(cur) = self.selected.and_then(|i| m.map.get(i)) else {
            self.selected = (!m.is_empty()).then_some(0);
            return;
        };
        let (cx, cy) = (f64::from(cur[0]), f64::from(cur[1]));
        // Screen-proportional: a step of one unit right should not prefer
        // points far up just because the map is tall.
        let ([x0, x1], [y0, y1]) = self.window();
        let (sx, sy) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let mut best: Option<(f64, usize)> = None;
        for (j, p) in m.map.iter().enumerate() {
            if Some(j) == self.selected {
                continue;
            }
            let ux = (f64::from(p[0]) - cx) / sx;
            let uy = (f64::from(p[1]) - cy) / sy;
            let along = ux * dx + uy * dy;
            if along <= 0.0 {
                continue;
            }
            let across = (ux * dy - uy * dx).abs();
            // Within a 45° cone either side; nearer and straighter wins.
            if across > along {
                continue;
            }
            let cost = along + 2.0 * across;
            if best.is_none_or(|(b, _)| cost < b) {
                best = Some((cost, j));
            }
        }
        if let Some((_, j)) = best {
            self.selected = Some(j);
            self.sync_cluster_to_selection();
            self.follow_selection();
        }
    }

    /// Select the point nearest to map coordinates (x, y) (mouse click).
    pub fn click_map(&mut self, x: f64, y: f64) {
        let Some(m) = &self.model else { return };
        let best = m
            .map
            .iter()
            .enumerate()
            .map(|(j, p)| {
                (
                    (f64::from(p[0]) - x).powi(2) + (f64::from(p[1]) - y).powi(2),
                    j,
                )
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, j)) = best {
            self.selected = Some(j);
            self.focus = Pane::Map;
            self.sync_cluster_to_selection();
            self.refresh_details();
        }
    }

    /// Tracks of the highlighted cluster, by PageRank.
    pub fn cluster_tracks(&self) -> &[u32] {
        self.model
            .as_ref()
            .and_then(|m| m.clusters.get(self.cluster))
            .map_or(&[], |c| c.members.as_slice())
    }

    fn move_list(&mut self, delta: isize) {
        let Some(m) = self.model.clone() else { return };
        if self.in_tracks {
            let tracks = self.cluster_tracks();
            if tracks.is_empty() {
                return;
            }
            let pos = self
                .selected
                .and_then(|s| tracks.iter().position(|&t| t as usize == s))
                .unwrap_or(0);
            let next = (pos as isize + delta).clamp(0, tracks.len() as isize - 1) as usize;
            self.selected = Some(tracks[next] as usize);
            self.follow_selection();
        } else if !m.clusters.is_empty() {
            self.cluster =
                (self.cluster as isize + delta).clamp(0, m.clusters.len() as isize - 1) as usize;
        }
    }

    fn move_result(&mut self, delta: isize) {
        if let QueryState::Done(r) = &self.query {
            if r.similar.is_empty() {
                return;
            }
            self.result_row =
                (self.result_row as isize + delta).clamp(0, r.similar.len() as isize - 1) as usize;
            let track = r.similar[self.result_row].track as usize;
            self.selected = Some(track);
            self.sync_cluster_to_selection();
            self.follow_selection();
        }
    }

    /// Zoom about the cursor: it keeps its place on screen (and is
    /// brought into view when a pan had left it outside).
    fn zoom(&mut self, factor: f64) {
        let old = self.view.zoom;
        let new = (old * factor).clamp(ZOOM.0, ZOOM.1);
        if new == 1.0 {
            self.reset_view();
            return;
        }
        if let Some((sx, sy)) = self.cursor() {
            let keep = old / new;
            self.view.cx = sx + (self.view.cx - sx) * keep;
            self.view.cy = sy + (self.view.cy - sy) * keep;
        }
        self.view.zoom = new;
        self.follow_selection();
    }

    /// Pan by a quarter of the window, within the map's bounds; a cursor
    /// left outside moves to the point nearest the new centre (and the view
    /// to it, should the window have no point), so it stays in view.
    fn pan(&mut self, dx: f64, dy: f64) {
        let ([x0, x1], [y0, y1]) = self.window();
        let (bx0, bx1, by0, by1) = self.bounds();
        self.view.cx = (self.view.cx + dx * (x1 - x0) / 4.0).clamp(bx0, bx1);
        self.view.cy = (self.view.cy + dy * (y1 - y0) / 4.0).clamp(by0, by1);
        if self.cursor_in_view() {
            return;
        }
        let Some(m) = &self.model else { return };
        let (cx, cy) = (self.view.cx, self.view.cy);
        let best = m
            .map
            .iter()
            .enumerate()
            .map(|(j, p)| {
                let d = (f64::from(p[0]) - cx).powi(2) + (f64::from(p[1]) - cy).powi(2);
                (d, j)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, j)) = best {
            self.selected = Some(j);
            self.sync_cluster_to_selection();
            self.follow_selection();
        }
    }

    /// Whether the selected track is inside the visible window.
    pub fn cursor_in_view(&self) -> bool {
        let ([x0, x1], [y0, y1]) = self.window();
        self.cursor()
            .is_some_and(|(x, y)| x >= x0 && x <= x1 && y >= y0 && y <= y1)
    }

    /// Apply one action; returns what the event loop must do.
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        let effect = self.act(action);
        self.refresh_details();
        effect
    }

    fn act(&mut self, action: Action) -> Option<Effect> {
        self.error = None;
        self.notice = None;
        if self.help {
            // Up and down scroll the help; any other key closes it, and
            // quit still quits.
            match action {
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                Action::Down => {
                    let last = super::ui::help::line_count(&self.keymap).saturating_sub(1);
                    self.help_scroll = (self.help_scroll + 1).min(last);
                }
                _ => {
                    self.help = false;
                    self.quit = action == Action::Quit;
                }
            }
            return None;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::NextPane | Action::PreviousPane => {
                let order = [Pane::Map, Pane::Clusters, Pane::Query];
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { 2 };
                self.focus = order[(i + step) % 3];
            }
            Action::FocusQuery => {
                self.focus = Pane::Query;
                self.typing = true;
                self.typed();
            }
            Action::ToggleLegend => self.legend = !self.legend,
            Action::Up | Action::Down | Action::Left | Action::Right => {
                let (dx, dy, d) = match action {
                    Action::Up => (0.0, 1.0, -1),
                    Action::Down => (0.0, -1.0, 1),
                    Action::Left => (-1.0, 0.0, -1),
                    _ => (1.0, 0.0, 1),
                };
                match self.focus {
                    Pane::Map => self.step_map(dx, dy),
                    Pane::Clusters => {
                        if matches!(action, Action::Up | Action::Down) {
                            self.move_list(d);
                        } else if action == Action::Right {
                            return self.act(Action::Select);
                        } else {
                            return self.act(Action::Back);
                        }
                    }
                    Pane::Query => {
                        if matches!(action, Action::Up | Action::Down) {
                            self.move_result(d);
                        }
                    }
                }
            }
            Action::Select => match self.focus {
                Pane::Clusters if !self.in_tracks => {
                    self.in_tracks = true;
                    if let Some(&first) = self.cluster_tracks().first() {
                        self.selected = Some(first as usize);
                        self.follow_selection();
                    }
                }
                Pane::Query if !self.typing => {
                    self.typing = true;
                    self.typed();
                }
                _ => {}
            },
            Action::Back => {
                if matches!(self.query, QueryState::Running { .. }) {
                    self.query = QueryState::Idle;
                    self.notice = Some("query cancelled".into());
                    return Some(Effect::CancelQuery);
                }
                if self.job.is_some() {
                    return Some(Effect::CancelRetrain);
                }
                if self.in_tracks {
                    self.in_tracks = false;
                }
            }
            Action::Play => return self.play_from(),
            Action::Pause => return self.player(Command::TogglePause),
            Action::NextPreview => return self.player(Command::Next),
            Action::PreviousPreview => return self.player(Command::Previous),
            Action::Stop => return self.player(Command::Stop),
            Action::VolumeUp => return self.change_volume(VOLUME_STEP),
            Action::VolumeDown => return self.change_volume(-VOLUME_STEP),
            Action::Retrain => {
                if self.job.is_none() {
                    self.job = Some(Job {
                        label: "rescanning".into(),
                        fraction: None,
                    });
                    return Some(Effect::Retrain);
                }
                self.notice = Some("already retraining (Esc cancels)".into());
            }
            Action::OpenDemo => {
                if self.job.is_some() {
                    self.notice = Some("busy: wait for the current job (Esc cancels it)".into());
                    return None;
                }
                self.job = Some(Job {
                    label: "preparing the demo library".into(),
                    fraction: None,
                });
                return Some(Effect::OpenDemo);
            }
            Action::ToggleColour => {
                self.colour = match self.colour {
                    ColourBy::Cluster if self.model.as_ref().is_some_and(|m| m.is_labelled()) => {
                        ColourBy::Genre
                    }
                    ColourBy::Cluster => {
                        self.notice =
                            Some("the library has no genre labels: colouring by cluster".into());
                        ColourBy::Cluster
                    }
                    ColourBy::Genre => ColourBy::Cluster,
                }
            }
            Action::ZoomIn => self.zoom(1.5),
            Action::ZoomOut => self.zoom(1.0 / 1.5),
            Action::ResetView => self.reset_view(),
            Action::PanUp => self.pan(0.0, 1.0),
            Action::PanDown => self.pan(0.0, -1.0),
            Action::PanLeft => self.pan(-1.0, 0.0),
            Action::PanRight => self.pan(1.0, 0.0),
        }
        None
    }

    /// Run what is in the query line (Enter while typing).
    pub fn submit(&mut self) -> Option<Effect> {
        let raw = self.input.text().trim().to_string();
        if raw.is_empty() {
            return None;
        }
        self.notice = None;
        self.error = None;
        let targets = super::paste::targets(&raw);
        let Some(first) = targets.first().cloned() else {
            self.error = Some(format!("cannot read a path or URL from {raw:?}"));
            return None;
        };
        if targets.len() > 1 {
            self.notice = Some(format!("{} paths given: querying the first", targets.len()));
        }
        let target = super::paste::expand_home(&first);
        self.typing = false;
        self.focus = Pane::Query;
        let id = self.next_query_id;
        self.next_query_id += 1;
        self.query = QueryState::Running {
            target: target.clone(),
            id,
        };
        Some(Effect::Query(target, id))
    }

    /// A query finished (answers to cancelled or older queries are dropped).
    pub fn query_done(&mut self, id: u64, result: Result<Box<QueryResult>, QueryFailure>) {
        if !matches!(&self.query, QueryState::Running { id: cur, .. } if *cur == id) {
            return;
        }
        match result {
            Ok(r) => {
                self.result_row = 0;
                if let Some(s) = r.similar.first() {
                    self.selected = Some(s.track as usize);
                    self.sync_cluster_to_selection();
                }
                self.query = QueryState::Done(r);
                self.follow_selection();
                self.refresh_details();
            }
            Err(e) => self.query = QueryState::Failed(e.to_string()),
        }
    }
}
