//! `play`: previews of files, each followed by its most similar library
//! tracks, through the sound output, one line per preview.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use crate::model::Model;
use crate::playback::{device, playlist, Command, Event, Item, Phase, Player, PreviewOptions};
use crate::query::QueryError;
use crate::store::paths::show;
use crate::store::text::safe;

/// Why previews could not be played.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// A file could not be queried for its neighbours.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The sound output failed.
    #[error("{0}")]
    Output(String),
}

/// The list to play: each of `files`, then (with a model) its `neighbours`
/// most similar library tracks; beside each, what to print (genre label
/// and similarity).
pub fn list(
    files: &[PathBuf],
    model: Option<&Model>,
    neighbours: usize,
) -> Result<Vec<(Item, String)>, PlayError> {
    let Some(m) = model.filter(|_| neighbours > 0) else {
        return Ok(files
            .iter()
            .map(|f| (Item::file(f.clone()), String::new()))
            .collect());
    };
    let mut items = Vec::new();
    for f in files {
        let r = crate::query::query_file(m, f, neighbours)?;
        let first = r
            .library_track
            .and_then(|t| playlist::track(m, t as usize))
            .unwrap_or_else(|| Item::file(f.clone()));
        let genre = r.genre.as_ref().map_or(String::new(), |g| {
            format!("{} {:.0}%", safe(&g.genre), g.confidence * 100.0)
        });
        items.push((first, genre));
        for s in &r.similar {
            if let Some(item) = playlist::track(m, s.track as usize) {
                let label = safe(s.label.as_deref().unwrap_or("-"));
                items.push((item, format!("{label}, similarity {:.2}", s.similarity)));
            }
        }
    }
    Ok(items)
}

/// Play `items` in order, printing a line as each starts; `stop` ends the
/// run early. Returns whether it was stopped.
pub fn play(
    items: Vec<(Item, String)>,
    opts: PreviewOptions,
    stop: &AtomicBool,
) -> Result<bool, PlayError> {
    let (notes, list): (Vec<String>, Vec<Item>) = items.into_iter().map(|(i, n)| (n, i)).unzip();
    let (tx, rx) = std::sync::mpsc::channel();
    let player = Player::spawn(Box::new(device::open), opts, move |e| {
        let _ = tx.send(e);
    });
    player.send(Command::Play(list));
    let mut started = false;
    let mut shown = None;
    let mut stopping = false;
    loop {
        if stop.load(Ordering::SeqCst) && !stopping {
            stopping = true;
            player.send(Command::Stop);
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Event::Failed(e)) => return Err(PlayError::Output(e)),
            Ok(Event::Message(m)) => eprintln!("musim-tui: {}", safe(&m)),
            Ok(Event::Status(s)) => {
                if s.phase == Phase::Idle {
                    if started {
                        break;
                    }
                    continue;
                }
                started = true;
                if s.phase == Phase::Playing && s.index != shown {
                    shown = s.index;
                    let i = s.index.unwrap_or(0);
                    let path = s.path.as_deref().map(show).unwrap_or_default();
                    let note = notes.get(i).filter(|n| !n.is_empty());
                    let note = note.map_or(String::new(), |n| format!("  ({n})"));
                    println!(
                        "{:>3}/{}  {path}  {:.1} s{note}",
                        i + 1,
                        s.total,
                        s.length_s
                    );
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(player);
    Ok(stopping)
}
