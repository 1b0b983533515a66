//! The one Ctrl-C handler of a command-line run. The `ctrlc` crate takes a
//! single handler per process, so every long step (indexing, embedding, a
//! URL fetch, previews) shares this flag instead of installing its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Exit code of a run interrupted by Ctrl-C (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

struct Handler {
    flag: Arc<AtomicBool>,
    /// Said on stderr at the first Ctrl-C (what happens next).
    note: Mutex<Option<&'static str>>,
}

fn handler() -> &'static Handler {
    static HANDLER: OnceLock<Handler> = OnceLock::new();
    HANDLER.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&flag);
        // A second handler cannot be installed anywhere (this is the only
        // call); if the OS refuses this one, Ctrl-C keeps its default
        // meaning (quit now), which loses nothing written atomically.
        let _ = ctrlc::set_handler(move || {
            if shared.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(INTERRUPTED));
            }
            let note = handler().note.lock().ok().and_then(|n| *n);
            if let Some(note) = note {
                eprintln!("musim-tui: interrupted; {note} (Ctrl-C again to quit now)");
            }
        });
        Handler {
            flag,
            note: Mutex::new(None),
        }
    })
}

/// The process's Ctrl-C flag: set by the first Ctrl-C; the second quits at
/// once with [`INTERRUPTED`]. `note` says on stderr what the first does
/// ("finishing files in progress and saving what was done"), or nothing.
pub fn interrupt_flag(note: Option<&'static str>) -> Arc<AtomicBool> {
    let h = handler();
    if let Ok(mut n) = h.note.lock() {
        *n = note;
    }
    Arc::clone(&h.flag)
}

/// What the first Ctrl-C of an index or embedding run says.
pub const SAVING: &str = "finishing files in progress and saving what was done";
