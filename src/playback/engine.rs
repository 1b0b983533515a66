//! The player's logic, free of threads and hardware: a play list, the clip
//! being played, and the gain ramps that make every stop, skip and pause
//! continuous. The player thread (`player.rs`) feeds it commands and
//! decoded clips and lets it fill an [`Output`]; tests do the same with a
//! [`super::record::Recorder`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::fade::{Glide, Ramp};
use super::preview::{Clip, ClipError, PreviewOptions};
use super::{Command, Item, Phase, Status};

/// How much audio the engine keeps queued ahead of the sound card, seconds:
/// enough to ride out a busy machine, short enough that a key acts at once.
pub const QUEUE_S: f64 = 0.2;

/// Size of one pushed buffer, seconds.
pub const BLOCK_S: f64 = 0.02;

/// How long a volume change glides, seconds (a step would click).
const VOLUME_GLIDE_S: f64 = 0.05;

/// Where the samples go: the sound card, or a recorder in tests.
pub trait Output {
    /// The sample rate the output plays, Hz.
    fn rate(&self) -> u32;
    /// Queue mono samples after everything already queued.
    fn push(&mut self, samples: Vec<f32>);
    /// Samples queued but not played yet.
    fn queued(&mut self) -> usize;
    /// An error the output ran into since the last call (device lost).
    fn take_error(&mut self) -> Option<String> {
        None
    }
}

/// A clip the engine wants decoded.
#[derive(Debug, Clone)]
pub struct LoadRequest {
    /// The play list it belongs to (answers for older lists are dropped).
    pub generation: u64,
    /// Position in the list.
    pub index: usize,
    /// What to decode.
    pub item: Item,
    /// The output's rate.
    pub rate: u32,
}

/// What to do once the fade-out in progress reaches silence.
#[derive(Debug, Clone, Copy, PartialEq)]
enum After {
    /// Forget the list.
    Stop,
    /// Play item `0`; `1` is the direction of travel (for skipping).
    Goto(usize, bool),
    /// Hold the position.
    Pause,
}

/// The player's state machine.
#[derive(Debug)]
pub struct Engine {
    opts: PreviewOptions,
    rate: u32,
    list: Vec<Item>,
    generation: u64,
    /// The list item being played or loaded.
    index: Option<usize>,
    /// Direction of travel: unplayable items are skipped this way.
    forward: bool,
    /// Decoded clips (or why not) around `index`.
    clips: BTreeMap<usize, Result<Arc<Clip>, ClipError>>,
    /// Items asked for (loaded or in flight).
    requested: BTreeSet<usize>,
    /// Requests not yet handed to a loader.
    requests: Vec<LoadRequest>,
    /// The clip being played and the next sample to output.
    current: Option<Arc<Clip>>,
    pos: usize,
    paused: bool,
    after: Option<After>,
    fader: Ramp,
    volume: Glide,
    messages: Vec<String>,
}

impl Engine {
    /// An idle engine for an output at `rate` Hz.
    pub fn new(opts: PreviewOptions, rate: u32) -> Engine {
        let cut = ((opts.cut_s * f64::from(rate)) as usize).max(1);
        let glide = ((VOLUME_GLIDE_S * f64::from(rate)) as usize).max(1);
        Engine {
            opts,
            rate,
            list: Vec::new(),
            generation: 0,
            index: None,
            forward: true,
            clips: BTreeMap::new(),
            requested: BTreeSet::new(),
            requests: Vec::new(),
            current: None,
            pos: 0,
            paused: false,
            after: None,
            fader: Ramp::new(1.0, cut),
            volume: Glide::new(1.0, glide),
            messages: Vec::new(),
        }
    }

    /// The preview options in force.
    pub fn options(&self) -> &PreviewOptions {
        &self.opts
    }

    /// Carry out a command.
    pub fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Play(list) => self.play(list),
            Command::Stop => {
                if self.index.is_some() || self.current.is_some() {
                    self.transition(After::Stop);
                }
            }
            Command::Next => {
                if let Some(i) = self.heading() {
                    if i + 1 < self.list.len() {
                        self.transition(After::Goto(i + 1, true));
                    } else {
                        self.transition(After::Stop);
                    }
                }
            }
            Command::Previous => {
                if let Some(i) = self.heading() {
                    // At the first item: start it again.
                    self.transition(After::Goto(i.saturating_sub(1), i == 0));
                }
            }
            Command::TogglePause => self.toggle_pause(),
            Command::Volume(v) => {
                let v = if v.is_finite() {
                    v.clamp(0.0, 1.0)
                } else {
                    1.0
                };
                self.volume.set(v);
            }
        }
    }

    /// Where the engine is going: a pending skip's target, else the item now.
    fn heading(&self) -> Option<usize> {
        match self.after {
            Some(After::Goto(j, _)) => Some(j),
            _ => self.index,
        }
    }

    fn play(&mut self, list: Vec<Item>) {
        let audible = self.audible();
        self.forget();
        self.list = list;
        if self.list.is_empty() {
            self.stop_now();
            return;
        }
        // Start decoding the first item while the old one fades out.
        self.request(0);
        if audible {
            self.after = Some(After::Goto(0, true));
            self.fader.down();
        } else {
            self.current = None;
            self.goto(0, true);
        }
    }

    /// Drop the list's clips and requests; loads in flight become stale.
    fn forget(&mut self) {
        self.generation += 1;
        self.clips.clear();
        self.requested.clear();
        self.requests.clear();
        self.paused = false;
        self.after = None;
    }

    /// True when samples are flowing out.
    fn audible(&self) -> bool {
        self.current.is_some() && !self.paused && !self.fader.is_silent()
    }

    /// Fade out, then do `after`; at once when nothing is audible.
    fn transition(&mut self, after: After) {
        if self.audible() {
            self.after = Some(after);
            self.fader.down();
        } else {
            self.apply(after);
        }
    }

    fn apply(&mut self, after: After) {
        self.after = None;
        match after {
            After::Stop => self.stop_now(),
            After::Goto(j, forward) => {
                self.paused = false;
                self.goto(j, forward);
            }
            After::Pause => self.paused = true,
        }
    }

    fn toggle_pause(&mut self) {
        if self.paused {
            self.paused = false;
            self.fader.up();
        } else if self.after == Some(After::Pause) {
            // Pressed twice during the fade: carry on.
            self.after = None;
            self.fader.up();
        } else if self.current.is_some() {
            self.transition(After::Pause);
        } else if self.index.is_some() {
            // Still loading: start paused.
            self.paused = true;
        }
    }

    fn stop_now(&mut self) {
        self.forget();
        // Dropping the list releases what items keep alive (downloads).
        self.list = Vec::new();
        self.index = None;
        self.current = None;
        self.pos = 0;
    }

    /// Make item `j` current: play it if decoded, skip it if it cannot be,
    /// else ask for it and wait.
    fn goto(&mut self, mut j: usize, mut forward: bool) {
        self.current = None;
        self.pos = 0;
        loop {
            self.index = Some(j);
            self.forward = forward;
            match self.clips.get(&j) {
                None => {
                    self.request(j);
                    return;
                }
                Some(Ok(clip)) => {
                    let clip = Arc::clone(clip);
                    self.begin(j, clip);
                    return;
                }
                Some(Err(e)) => {
                    self.messages.push(format!("preview skipped: {e}"));
                    let next = if forward {
                        Some(j + 1)
                    } else {
                        j.checked_sub(1)
                    };
                    match next {
                        Some(n) if n < self.list.len() => j = n,
                        // Nothing before the first item: turn round.
                        None if j + 1 < self.list.len() => {
                            j += 1;
                            forward = true;
                        }
                        _ => {
                            self.stop_now();
                            return;
                        }
                    }
                }
            }
        }
    }

    fn begin(&mut self, j: usize, clip: Arc<Clip>) {
        self.current = Some(clip);
        self.pos = 0;
        // The clip fades itself in; from a pause the ramp does it.
        self.fader.set(if self.paused { 0.0 } else { 1.0 });
        self.clips.retain(|&k, _| k + 1 >= j && k <= j + 1);
        self.requested.retain(|&k| k + 1 >= j && k <= j + 1);
        if j + 1 < self.list.len() {
            self.request(j + 1);
        }
        if !self.forward && j > 0 {
            self.request(j - 1);
        }
    }

    fn request(&mut self, j: usize) {
        let Some(item) = self.list.get(j) else { return };
        if self.clips.contains_key(&j) || !self.requested.insert(j) {
            return;
        }
        self.requests.push(LoadRequest {
            generation: self.generation,
            index: j,
            item: item.clone(),
            rate: self.rate,
        });
    }

    /// Clips to decode (hand them to a loader, then call [`Engine::loaded`]).
    pub fn take_requests(&mut self) -> Vec<LoadRequest> {
        std::mem::take(&mut self.requests)
    }

    /// A decoded clip (or why it cannot be) for a request.
    pub fn loaded(&mut self, generation: u64, index: usize, clip: Result<Clip, ClipError>) {
        if generation != self.generation || !self.requested.contains(&index) {
            return;
        }
        self.clips.insert(index, clip.map(Arc::new));
        if self.index == Some(index) && self.current.is_none() && self.after.is_none() {
            self.goto(index, self.forward);
        }
    }

    /// Messages for the user since the last call (skipped files).
    pub fn take_messages(&mut self) -> Vec<String> {
        std::mem::take(&mut self.messages)
    }

    /// Top up the output's queue.
    pub fn fill(&mut self, out: &mut dyn Output) {
        let rate = f64::from(self.rate);
        let target = (QUEUE_S * rate) as usize;
        let block = ((BLOCK_S * rate) as usize).max(1);
        loop {
            let queued = out.queued();
            if queued >= target || self.paused {
                return;
            }
            let Some(clip) = self.current.clone() else {
                return;
            };
            let n = (target - queued).min(block);
            let mut buf = Vec::with_capacity(n);
            let mut ended = false;
            let mut faded = false;
            while buf.len() < n {
                let Some(&s) = clip.samples.get(self.pos) else {
                    ended = true;
                    break;
                };
                let g = self.fader.next_gain();
                let v = self.volume.next_level();
                buf.push(s * g * v);
                self.pos += 1;
                if self.after.is_some() && self.fader.is_silent() {
                    faded = true;
                    break;
                }
            }
            if !buf.is_empty() {
                out.push(buf);
            }
            if faded || (ended && self.after.is_some()) {
                if let Some(a) = self.after.take() {
                    self.apply(a);
                }
            } else if ended {
                self.clip_ended();
            }
        }
    }

    /// A preview played to its end: on to the next item, or done.
    fn clip_ended(&mut self) {
        match self.index {
            Some(i) if i + 1 < self.list.len() => self.goto(i + 1, true),
            _ => self.stop_now(),
        }
    }

    /// True while there is a list (playing, paused or loading).
    pub fn is_active(&self) -> bool {
        self.index.is_some() || self.current.is_some()
    }

    /// What the user should see, given how much is still queued.
    pub fn status(&self, queued: usize) -> Status {
        let item = self.index.and_then(|i| self.list.get(i));
        let rate = f64::from(self.rate.max(1));
        let (position_s, length_s) = match &self.current {
            Some(c) => (
                self.pos.saturating_sub(queued) as f64 / rate,
                c.samples.len() as f64 / rate,
            ),
            None => (0.0, 0.0),
        };
        let phase = match (&self.current, self.index) {
            _ if self.paused || self.after == Some(After::Pause) => Phase::Paused,
            (Some(_), _) => Phase::Playing,
            (None, Some(_)) => Phase::Loading,
            (None, None) => Phase::Idle,
        };
        Status {
            phase,
            index: self.index,
            total: self.list.len(),
            title: item.map(|i| i.title.clone()).unwrap_or_default(),
            path: item.map(|i| i.path.clone()),
            track: item.and_then(|i| i.track),
            position_s,
            length_s,
            volume: self.volume.target(),
        }
    }
}
