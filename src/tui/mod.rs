//! The explorer, `musim-tui` on a terminal: a braille t-SNE map, a cluster
//! browser and a query pane over the library's model.
//!
//! Flow: `event.rs` turns keys, pastes and clicks into [`keymap::Action`]s
//! and [`app::App`] methods; `app.rs` changes the state and asks for
//! effects (start a query, retrain, a selected track's details, a path);
//! `worker.rs` does those off the UI thread; `lists.rs` holds the lists a
//! key writes or plays; `ui/` draws the state.

pub mod app;
pub mod event;
pub mod finder;
pub mod input;
pub mod keymap;
pub mod labels;
pub mod lists;
pub mod paste;
pub mod terminal;
pub mod ui;
pub mod worker;

use std::sync::Arc;

use crate::app::model_file::{model_path, read};
use crate::app::session::Session;
use crate::store::paths::show;

/// Open the explorer on `session`'s library: show the stored model at once
/// (if any), bring index and model up to date in the background.
pub fn run(session: Session) -> std::io::Result<()> {
    run_with(session, crate::playback::PreviewOptions::default())
}

/// [`run`] with these audio-preview options.
pub fn run_with(
    session: Session,
    previews: crate::playback::PreviewOptions,
) -> std::io::Result<()> {
    let (keymap, problems) = keymap::Keymap::load_user();
    let library = session
        .choice
        .as_ref()
        .map_or_else(|| show(&session.index_path), |c| show(&c.root));
    let stored = read(&model_path(&session.index_path)).ok().map(Arc::new);
    let mut app = app::App::new(stored, library, keymap);
    let mut rt = event::Runtime::new(session);
    rt.previews = previews;
    if let Some(e) = app.apply(keymap::Action::Retrain) {
        rt.effect(&mut app, e);
    }
    // Set after the first action, which clears errors.
    if let Some(p) = problems.first() {
        let more = if problems.len() > 1 {
            format!(" (+{} more; see `musim-tui keys`)", problems.len() - 1)
        } else {
            String::new()
        };
        app.error = Some(format!("keymap: {p}{more}"));
    }
    let mut term = terminal::enter()?;
    let r = event::run(&mut term, &mut app, &mut rt);
    terminal::leave();
    r
}
