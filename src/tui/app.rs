//! The explorer's state and how actions change it. Rendering reads this
//! (`ui/`); input (`event.rs`) and workers only ever call the methods here,
//! so every behaviour can be tested without a terminal.

use std::sync::Arc;

use crate::model::incremental::Change;
use crate::model::Model;
use crate::playback::{Command, Phase, Status};
use crate::query::{QueryError, QueryResult};

use super::finder::{is_query_target, Finder};
use super::input::Input;
use super::keymap::{Action, Keymap};
use super::lists::{ListKind, PathStep, TrackList};

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

impl Details {
    /// The details of library row `row` (None past the end), as
    /// `musim-tui query` answers for its file ([`crate::query::query_row`]).
    /// Can cost a pass over every track: the worker computes it, not the
    /// UI thread.
    pub fn of(model: &Model, row: usize) -> Option<Details> {
        let t = model.tracks.get(row)?;
        let mut result = crate::query::query_row(model, row, NEIGHBOURS);
        result.source = t.path_text();
        result.duration_s = t.duration_s;
        result.track = t.info();
        Some(Details { row, result })
    }
}

/// The path between two marked tracks.
#[derive(Debug, Clone, PartialEq)]
pub enum PathState {
    /// None asked for (or the marks changed since).
    None,
    /// Being found on a worker.
    Running {
        /// Id of the request (answers to older ones are dropped).
        id: u64,
        /// From and to (library rows).
        ends: (usize, usize),
    },
    /// Found: its steps, from the first end to the second.
    Done(Vec<PathStep>),
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
    /// The path between marked tracks, or the marked tracks (shown in
    /// the details' place while focused).
    List,
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
    /// Work out the details of this library row on the worker (request id).
    Details(usize, u64),
    /// Find the path between two library rows on a worker (request id).
    Path(usize, usize, u64),
    /// Write this list as an M3U file under a new name.
    Write(TrackList),
}

/// What a play list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayFrom {
    /// These library tracks, in order.
    List(TrackList),
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
    /// Marked tracks (library rows), in the order they were marked.
    pub marked: Vec<usize>,
    /// The path between the last two marked tracks.
    pub path: PathState,
    /// Highlighted row of the list pane (path or marked tracks).
    pub list_row: usize,
    /// The details asked of the worker: (row, request id).
    details_pending: Option<(usize, u64)>,
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
            marked: Vec::new(),
            path: PathState::None,
            list_row: 0,
            details_pending: None,
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
        self.remap_lists(&model);
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
        self.details_pending = None;
        if self.typing {
            self.typed();
        }
    }

    /// A retraining finished with `model` (`update`: the stored model was
    /// updated with these tracks rather than rebuilt): swap it in and say
    /// what changed (`t` on an unchanged library must not look like
    /// nothing happened).
    pub fn trained(&mut self, model: Arc<Model>, update: Option<Change>) {
        self.job = None;
        let n = model.len();
        self.notice = Some(match (&self.model, update) {
            (Some(m), _) if m.key == model.key => {
                format!("up to date: {n} tracks, nothing changed")
            }
            (_, Some(c)) => format!(
                "model updated: {} added, {} removed ({n} tracks)",
                c.added, c.removed
            ),
            (Some(_), None) => format!("model rebuilt: {n} tracks"),
            (None, None) => format!("model built: {n} tracks"),
        });
        self.set_model(model);
    }

    /// Marks and the path follow their tracks into a new model (rows
    /// change when it is rebuilt; paths do not); a path with a track gone
    /// is dropped.
    fn remap_lists(&mut self, new: &Model) {
        let Some(old) = &self.model else {
            self.marked.clear();
            self.path = PathState::None;
            return;
        };
        if self.marked.is_empty() && !matches!(self.path, PathState::Done(_)) {
            self.path = PathState::None;
            return;
        }
        let rows: std::collections::HashMap<&[u8], usize> = new
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.path.as_slice(), i))
            .collect();
        let find = |r: usize| {
            old.tracks
                .get(r)
                .and_then(|t| rows.get(t.path.as_slice()).copied())
        };
        self.marked = self.marked.iter().filter_map(|&r| find(r)).collect();
        self.path = match &self.path {
            PathState::Done(steps) => steps
                .iter()
                .map(|s| find(s.row).map(|row| PathStep { row, ..*s }))
                .collect::<Option<Vec<_>>>()
                .map_or(PathState::None, PathState::Done),
            _ => PathState::None,
        };
    }

    /// The details the selection needs from the worker, if not already
    /// shown or asked for: the event loop calls this after every change,
    /// so the cursor moves at once and its details follow.
    pub fn wanted_details(&mut self) -> Option<Effect> {
        let (Some(m), Some(i)) = (&self.model, self.selected) else {
            self.details = None;
            self.details_pending = None;
            return None;
        };
        if i >= m.len()
            || self.details.as_ref().is_some_and(|d| d.row == i)
            || self.details_pending.is_some_and(|(r, _)| r == i)
        {
            return None;
        }
        self.details = None;
        let id = self.next_query_id;
        self.next_query_id += 1;
        self.details_pending = Some((i, id));
        Some(Effect::Details(i, id))
    }

    /// The worker's details for request `id`; an answer for a selection
    /// left since (or an older model) is dropped.
    pub fn details_done(&mut self, id: u64, details: Option<Details>) {
        if self.details_pending.is_some_and(|(_, p)| p == id) {
            self.details_pending = None;
            self.details = details.filter(|d| Some(d.row) == self.selected);
        }
    }

    /// Whether the selection's details are still being worked out.
    pub fn details_loading(&self) -> bool {
        self.details_pending.is_some()
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

    /// What `p` plays: the query and its similar tracks in the query pane
    /// (once answered), else the current list.
    fn play_from(&mut self) -> Option<Effect> {
        if self.focus == Pane::Query && matches!(self.query, QueryState::Done(_)) {
            return Some(Effect::Play(PlayFrom::Query));
        }
        self.list_or_say("preview")
            .map(|l| Effect::Play(PlayFrom::List(l)))
    }

    /// The current list, or a notice saying why there is none.
    fn list_or_say(&mut self, what: &str) -> Option<TrackList> {
        let list = self.current_list();
        if list.is_none() {
            self.notice = Some(if self.model.is_none() {
                format!("no model yet: nothing to {what}")
            } else {
                format!("select a track to {what}")
            });
        }
        list
    }

    /// The list the focused pane shows: the selected track and its nearest
    /// tracks (map), the highlighted cluster's members, the path or the
    /// marked tracks (list pane), the query's similar tracks.
    pub fn current_list(&self) -> Option<TrackList> {
        let m = self.model.as_ref()?;
        let list = |kind, rows| Some(TrackList { kind, rows });
        match self.focus {
            Pane::Clusters => list(
                ListKind::Cluster(self.cluster),
                self.cluster_tracks().iter().map(|&r| r as usize).collect(),
            ),
            Pane::List => match &self.path {
                PathState::Done(steps) => {
                    list(ListKind::Path, steps.iter().map(|s| s.row).collect())
                }
                _ => list(ListKind::Marked, self.marked.clone()),
            },
            Pane::Query => match &self.query {
                QueryState::Done(r) => list(
                    ListKind::Query,
                    r.similar.iter().map(|s| s.track as usize).collect(),
                ),
                _ => None,
            },
            Pane::Map => {
                let i = self.selected.filter(|&i| i < m.len())?;
                // The nearest tracks the details pane lists (worked out
                // here when they have not arrived yet).
                let near = match &self.details {
                    Some(d) if d.row == i => d.result.similar.clone(),
                    _ => Details::of(m, i)?.result.similar,
                };
                let rows = std::iter::once(i)
                    .chain(near.iter().map(|s| s.track as usize))
                    .collect();
                list(ListKind::Neighbours, rows)
            }
        }
    }

    /// Whether the list pane has anything to show.
    pub fn has_list(&self) -> bool {
        !self.marked.is_empty() || matches!(self.path, PathState::Done(_))
    }

    /// The rows the list pane shows: the path, else the marked tracks.
    pub fn list_rows(&self) -> Vec<usize> {
        match &self.path {
            PathState::Done(steps) => steps.iter().map(|s| s.row).collect(),
            _ => self.marked.clone(),
        }
    }

    /// `m`: mark the selected track, or unmark it. The path, made from the
    /// marks, is dropped when they change.
    fn toggle_mark(&mut self) {
        let (Some(m), Some(i)) = (&self.model, self.selected) else {
            self.notice = Some("select a track to mark".into());
            return;
        };
        let name = m
            .tracks
            .get(i)
            .map_or_else(String::new, super::labels::display_name);
        if let Some(p) = self.marked.iter().position(|&r| r == i) {
            self.marked.remove(p);
            self.notice = Some(format!("unmarked {name} ({} marked)", self.marked.len()));
        } else {
            self.marked.push(i);
            let next = if self.marked.len() >= 2 {
                format!("{} draws the path", self.keymap.keys_of(Action::Path))
            } else {
                format!("{} marks another", self.keymap.keys_of(Action::Mark))
            };
            self.notice = Some(format!(
                "marked {name} ({} marked: {next})",
                self.marked.len()
            ));
        }
        self.path = PathState::None;
        self.list_row = self.list_row.min(self.marked.len().saturating_sub(1));
        if self.focus == Pane::List && !self.has_list() {
            self.focus = Pane::Map;
        }
    }

    /// `>`: the path between the last two marked tracks, on a worker.
    fn ask_path(&mut self) -> Option<Effect> {
        if self.model.is_none() {
            self.notice = Some("no model yet: no path to find".into());
            return None;
        }
        let [.., a, b] = self.marked[..] else {
            self.notice = Some(format!(
                "mark two tracks with {} first ({} marked)",
                self.keymap.keys_of(Action::Mark),
                self.marked.len()
            ));
            return None;
        };
        let id = self.next_query_id;
        self.next_query_id += 1;
        self.path = PathState::Running { id, ends: (a, b) };
        self.notice = Some("finding the path…".into());
        Some(Effect::Path(a, b, id))
    }

    /// A path request ended (answers to older requests are dropped).
    pub fn path_done(&mut self, id: u64, steps: Option<Vec<PathStep>>) {
        let PathState::Running { id: cur, ends } = self.path else {
            return;
        };
        if cur != id {
            return;
        }
        let name = |r: usize| {
            self.model
                .as_ref()
                .and_then(|m| m.tracks.get(r))
                .map_or_else(String::new, super::labels::display_name)
        };
        match steps {
            Some(steps) => {
                self.notice = Some(format!(
                    "path: {} tracks from {} to {}",
                    steps.len(),
                    name(ends.0),
                    name(ends.1)
                ));
                self.path = PathState::Done(steps);
                self.focus = Pane::List;
                self.list_row = 0;
            }
            None => {
                self.error = Some(format!(
                    "no chain of similar tracks connects {} and {}: the similarity graph falls apart into separate groups here",
                    name(ends.0),
                    name(ends.1)
                ));
                self.path = PathState::None;
            }
        }
    }

    /// A list was written to `file` (or could not be).
    pub fn written(&mut self, list: &TrackList, file: Result<std::path::PathBuf, String>) {
        match file {
            Ok(f) => {
                // "./musim-path.m3u" reads better as the bare name.
                let shown = f.strip_prefix(".").unwrap_or(&f);
                self.notice = Some(format!(
                    "wrote {}: {} tracks ({})",
                    crate::store::paths::show(shown),
                    list.rows.len(),
                    list.kind.slug()
                ));
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn move_in_list(&mut self, delta: isize) {
        let rows = self.list_rows();
        if rows.is_empty() {
            return;
        }
        self.list_row = (self.list_row as isize + delta).clamp(0, rows.len() as isize - 1) as usize;
        self.selected = rows.get(self.list_row).copied();
        self.sync_cluster_to_selection();
        self.follow_selection();
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

    /// Apply one action; returns what the event loop must do (besides
    /// [`App::wanted_details`], which it asks after every change).
    pub fn apply(&mut self, action: Action) -> Option<Effect> {
        self.act(action)
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
                let mut order = vec![Pane::Map, Pane::Clusters];
                if self.has_list() {
                    order.push(Pane::List);
                }
                order.push(Pane::Query);
                let n = order.len();
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { n - 1 };
                self.focus = order[(i + step) % n];
            }
            Action::Mark => self.toggle_mark(),
            Action::Path => return self.ask_path(),
            Action::WriteList => {
                return self.list_or_say("write").map(Effect::Write);
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
                    Pane::List => {
                        if matches!(action, Action::Up | Action::Down) {
                            self.move_in_list(d);
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
                // Leaving a track list comes first: with the fused default a
                // start's refinement job runs for a while, and Esc meant as
                // "back" must not cancel it.
                if self.in_tracks {
                    self.in_tracks = false;
                } else if self.job.is_some() {
                    return Some(Effect::CancelRetrain);
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
            }
            Err(e) => self.query = QueryState::Failed(e.to_string()),
        }
    }
}
