//! The one interrupt handler of a command-line run: Ctrl-C (SIGINT),
//! SIGTERM and SIGHUP all mean "stop, keep what was done". Every long step
//! (indexing, embedding, a URL fetch, previews) shares this flag instead of
//! installing its own handler.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

struct Handler {
    flag: Arc<AtomicBool>,
    /// The first signal received (0: none yet).
    signal: AtomicI32,
    /// Said on stderr at the first signal (what happens next).
    note: Mutex<Option<&'static str>>,
}

fn handler() -> &'static Handler {
    static HANDLER: OnceLock<Handler> = OnceLock::new();
    HANDLER.get_or_init(|| {
        // If the OS refuses the handler, the signals keep their default
        // meaning (quit now), which loses nothing written atomically.
        if let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    on_signal(sig);
                }
            });
        }
        Handler {
            flag: Arc::new(AtomicBool::new(false)),
            signal: AtomicI32::new(0),
            note: Mutex::new(None),
        }
    })
}

/// The first signal sets the flag and says what happens next; a second one
/// quits at once (a user who presses Ctrl-C twice means it).
fn on_signal(sig: i32) {
    let h = handler();
    let _ = h
        .signal
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
    if h.flag.swap(true, Ordering::SeqCst) {
        std::process::exit(i32::from(exit_code()));
    }
    let note = h.note.lock().ok().and_then(|n| *n);
    if let Some(note) = note {
        // After SIGHUP the terminal may be gone; a failed write is harmless.
        eprintln!(
            "musim-tui: {}; {note} ({} again to quit now)",
            describe(sig),
            if sig == SIGINT { "Ctrl-C" } else { "signal" }
        );
    }
}

fn describe(sig: i32) -> &'static str {
    match sig {
        SIGTERM => "terminated (SIGTERM)",
        SIGHUP => "hang-up (SIGHUP)",
        _ => "interrupted",
    }
}

/// The process's interrupt flag, set by the first SIGINT, SIGTERM or
/// SIGHUP; a second one quits at once with [`exit_code`]. `note` says on
/// stderr what the first does ("finishing files in progress and saving
/// what was done"), or nothing.
pub fn interrupt_flag(note: Option<&'static str>) -> Arc<AtomicBool> {
    let h = handler();
    if let Ok(mut n) = h.note.lock() {
        *n = note;
    }
    Arc::clone(&h.flag)
}

/// The exit code of an interrupted run: 128 + the signal that stopped it
/// (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), [`INTERRUPTED`] when
/// no signal was received (an interruption seen some other way).
pub fn exit_code() -> u8 {
    let sig = handler().signal.load(Ordering::SeqCst);
    u8::try_from(128 + sig)
        .ok()
        .filter(|_| sig > 0)
        .unwrap_or(INTERRUPTED)
}

/// An error meaning "stopped by the user": the command line exits with
/// [`exit_code`] (128 + signal) instead of 1, after saying what was kept.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);

/// What the first Ctrl-C of an index or embedding run says.
pub const SAVING: &str = "finishing files in progress and saving what was done";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_sets_the_flag_and_exits_143() {
        let flag = interrupt_flag(None);
        assert!(!flag.load(Ordering::SeqCst));
        // Raise a real SIGTERM at this process: the handler thread must
        // take it (the default action would kill the test binary).
        signal_hook::low_level::raise(SIGTERM).unwrap();
        let t0 = std::time::Instant::now();
        while !flag.load(Ordering::SeqCst) && t0.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(flag.load(Ordering::SeqCst), "SIGTERM did not set the flag");
        assert_eq!(exit_code(), 143);
    }
}
