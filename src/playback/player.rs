//! The player thread: it opens and owns the sound output, takes commands
//! from the UI, decodes clips on helper threads, keeps the output fed and
//! reports its [`Status`]. Dropping the [`Player`] fades out and ends it.

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::device::OpenError;
use super::engine::{Engine, LoadRequest, Output};
use super::preview::{self, Clip, ClipError, PreviewOptions};
use super::{Command, Phase, Status};

/// What the player tells the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The state changed, or the position moved.
    Status(Status),
    /// Something for the status line (e.g. an unplayable file was skipped).
    Message(String),
    /// No sound output (or it broke): the player has ended.
    Failed(String),
}

/// Opens the output on the player thread (some outputs cannot move threads).
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn Output>, OpenError> + Send>;

/// How often the position is reported while playing.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// How often the thread wakes to top up the output while playing.
const FEED_EVERY: Duration = Duration::from_millis(10);

/// Longest wait for the fade-out when the player is dropped.
const QUIT_WAIT: Duration = Duration::from_millis(600);

enum Input {
    Command(Command),
    Loaded(u64, usize, Result<Clip, ClipError>),
    Quit,
}

/// A handle on the player thread.
pub struct Player {
    tx: Sender<Input>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Start the player thread: it opens the output with `open` (reporting
    /// [`Event::Failed`] and ending if that fails) and reports to `notify`.
    pub fn spawn(
        open: Opener,
        opts: PreviewOptions,
        notify: impl Fn(Event) + Send + 'static,
    ) -> Player {
        let (tx, rx) = channel::<Input>();
        let loader_tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name("musim-player".into())
            .spawn(move || {
                let mut out = match open() {
                    Ok(o) => o,
                    Err(e) => {
                        notify(Event::Failed(e.to_string()));
                        return;
                    }
                };
                let mut engine = Engine::new(opts, out.rate());
                let mut last: Option<Status> = None;
                let mut last_sent = Instant::now();
                let mut quitting: Option<Instant> = None;
                loop {
                    let wait = if engine.is_active() || quitting.is_some() {
                        FEED_EVERY
                    } else {
                        Duration::from_millis(500)
                    };
                    let mut input = rx
                        .recv_timeout(wait)
                        .map_err(|e| e == RecvTimeoutError::Disconnected);
                    loop {
                        match input {
                            Ok(Input::Command(c)) => engine.command(c),
                            Ok(Input::Loaded(g, i, r)) => engine.loaded(g, i, r),
                            Ok(Input::Quit) | Err(true) => {
                                if quitting.is_none() {
                                    engine.command(Command::Stop);
                                    quitting = Some(Instant::now());
                                }
                            }
                            Err(false) => {}
                        }
                        match rx.try_recv() {
                            Ok(i) => input = Ok(i),
                            Err(_) => break,
                        }
                    }
                    for req in engine.take_requests() {
                        spawn_load(req, engine.options().clone(), loader_tx.clone());
                    }
                    engine.fill(out.as_mut());
                    if let Some(e) = out.take_error() {
                        notify(Event::Failed(format!("audio output failed: {e}")));
                        return;
                    }
                    for m in engine.take_messages() {
                        notify(Event::Message(m));
                    }
                    let queued = out.queued();
                    let status = engine.status(queued);
                    let changed = last.as_ref().is_none_or(|l| {
                        l.phase != status.phase
                            || l.index != status.index
                            || l.total != status.total
                            || l.volume != status.volume
                    });
                    let moving = status.phase == Phase::Playing
                        && last_sent.elapsed() >= REPORT_EVERY
                        && last
                            .as_ref()
                            .is_some_and(|l| l.position_s != status.position_s);
                    if changed || moving {
                        notify(Event::Status(status.clone()));
                        last = Some(status);
                        last_sent = Instant::now();
                    }
                    if let Some(t) = quitting {
                        if (!engine.is_active() && queued == 0) || t.elapsed() > QUIT_WAIT {
                            return;
                        }
                    }
                }
            });
        Player {
            tx,
            thread: thread.ok(),
        }
    }

    /// Send a command; false when the player has ended.
    pub fn send(&self, cmd: Command) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
            && self.tx.send(Input::Command(cmd)).is_ok()
    }

    /// True once the thread has ended (e.g. no sound device).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        let _ = self.tx.send(Input::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Decode one clip on its own thread (a slow file never stalls the output).
fn spawn_load(req: LoadRequest, opts: PreviewOptions, tx: Sender<Input>) {
    let _ = std::thread::Builder::new()
        .name("musim-preview".into())
        .spawn(move || {
            let LoadRequest {
                generation,
                index,
                item,
                rate,
            } = req;
            let r = std::panic::catch_unwind(|| {
                preview::load(&item.path, item.duration_s, &opts, rate).map_err(ClipError::from)
            })
            .unwrap_or_else(|_| Err(ClipError::DecoderPanicked(item.path.clone())));
            let _ = tx.send(Input::Loaded(generation, index, r));
        });
}
