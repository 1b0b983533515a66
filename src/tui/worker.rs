//! Background work for the explorer: (re)indexing + training, queries, the
//! selected track's details and paths between marked tracks. Each runs on a
//! thread of its own, reports over a channel and can be cancelled or
//! overtaken; the UI thread never waits on one.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use crate::app::pipeline::{self, Flow, Observer, Plan, Step};
use crate::app::progress::Progress;
use crate::app::session::{Session, SessionError};
use crate::demo::DemoError;
use crate::model::incremental::Change;
use crate::model::{Model, Stage};
use crate::query::{QueryError, QueryResult};
use crate::youtube::Download;

use super::app::Details;
use super::lists::{path_between, PathStep};

/// Why a background (re)training or a switch to the demo library ended
/// without a model.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The pipeline ran to the end without building a model.
    #[error("no model was built")]
    NoModel,
    /// Scanning, indexing or building the model failed.
    #[error(transparent)]
    Pipeline(#[from] SessionError),
    /// The demo library could not be generated.
    #[error("cannot open the demo library: {0}")]
    Demo(#[source] DemoError),
    /// The demo library was generated but could not be opened.
    #[error("cannot open the demo library: {0}")]
    DemoSession(#[source] SessionError),
}

/// What a worker tells the UI.
#[derive(Debug)]
pub enum Msg {
    /// Progress of the background job.
    Job {
        /// What it is doing.
        label: String,
        /// 0..1 when known.
        fraction: Option<f64>,
    },
    /// Training ended: the new model and, when the stored one was
    /// updated rather than rebuilt, the tracks added and removed; or why
    /// there is none.
    Trained(Result<(Arc<Model>, Option<Change>), TrainError>),
    /// A model to explore while the job goes on (the fast profile's, while
    /// deep embeddings are computed).
    Interim(Arc<Model>),
    /// The model stored beside the index, shown at start while the
    /// library is checked for changes.
    Stored(Arc<Model>),
    /// Training was cancelled (the old model stays).
    TrainCancelled,
    /// The demo library is ready: switch to it.
    Library(Box<Session>),
    /// A query ended.
    Query {
        /// Request id.
        id: u64,
        /// The answer or why there is none.
        result: Result<Box<QueryResult>, QueryError>,
        /// For a URL: the downloaded audio (kept for previews).
        download: Option<Download>,
    },
    /// The audio player reported.
    Playback(crate::playback::Event),
    /// The details of a selected track.
    Details {
        /// Request id.
        id: u64,
        /// The details (None: no such row in that model).
        details: Option<Box<Details>>,
    },
    /// A path between two marked tracks.
    Path {
        /// Request id.
        id: u64,
        /// Its steps, or None when the graph does not connect them.
        steps: Option<Vec<PathStep>>,
    },
}

/// A selected track whose details the worker is to work out.
pub struct DetailsRequest {
    /// The model it is a row of.
    pub model: Arc<Model>,
    /// Library row.
    pub row: usize,
    /// Request id.
    pub id: u64,
}

/// The details worker: one thread that answers the latest request and
/// skips those overtaken while it was busy (a held arrow key asks for
/// every track it passes). It ends when the returned sender is dropped.
pub fn spawn_details(tx: Sender<Msg>) -> Sender<DetailsRequest> {
    let (ask, asked) = channel::<DetailsRequest>();
    std::thread::spawn(move || {
        while let Ok(mut req) = asked.recv() {
            while let Ok(newer) = asked.try_recv() {
                req = newer;
            }
            let details = Details::of(&req.model, req.row).map(Box::new);
            if tx
                .send(Msg::Details {
                    id: req.id,
                    details,
                })
                .is_err()
            {
                break;
            }
        }
    });
    ask
}

/// Find the path from row `from` to row `to` of `model`.
pub fn spawn_path(model: Arc<Model>, from: usize, to: usize, id: u64, tx: Sender<Msg>) {
    std::thread::spawn(move || {
        let steps = path_between(&model, from, to);
        let _ = tx.send(Msg::Path { id, steps });
    });
}

/// Indexing progress → channel messages.
struct ChannelProgress {
    tx: Sender<Msg>,
    total: AtomicU64,
    done: AtomicU64,
    /// What is being done ("indexing", "deep embeddings").
    what: &'static str,
}

impl ChannelProgress {
    fn new(tx: Sender<Msg>, what: &'static str) -> Self {
        ChannelProgress {
            tx,
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            what,
        }
    }
}

impl Progress for ChannelProgress {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        let _ = self.tx.send(Msg::Job {
            label: format!("{} 0/{total}", self.what),
            fraction: Some(0.0),
        });
    }

    fn advance(&self, _path: &Path) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed).max(1);
        let _ = self.tx.send(Msg::Job {
            label: format!("{} {done}/{total}", self.what),
            fraction: Some(done as f64 / total as f64),
        });
    }

    fn finish(&self) {}

    fn note(&self, msg: &str) {
        let _ = self.tx.send(Msg::Job {
            label: msg.to_string(),
            fraction: None,
        });
    }
}

/// The explorer's view of a pipeline run: progress and results as
/// channel messages.
struct Channel {
    tx: Sender<Msg>,
}

impl Observer for Channel {
    fn files(&self, step: Step) -> Box<dyn Progress + '_> {
        let what = match step {
            Step::Embed => "deep embeddings",
            Step::Index | Step::Model => "indexing",
        };
        Box::new(ChannelProgress::new(self.tx.clone(), what))
    }

    fn stage(&self, s: Stage) {
        let (label, fraction) = match s {
            Stage::Normalise => ("model: normalising".to_string(), None),
            Stage::Cluster => ("model: clustering".to_string(), None),
            Stage::Graph => ("model: similarity graph".to_string(), None),
            Stage::Map(d, t) => (
                "model: t-SNE map".to_string(),
                Some(d as f64 / t.max(1) as f64),
            ),
        };
        let _ = self.tx.send(Msg::Job { label, fraction });
    }

    /// For a profile that needs deep embeddings, the fast profile's map
    /// is put up at once while they are computed.
    fn wants_interim(&self) -> bool {
        true
    }

    fn interim_started(&self) {
        let _ = self.tx.send(Msg::Job {
            label: "model (musim, while deep embeddings wait)".into(),
            fraction: None,
        });
    }

    fn interim(&self, model: Model) {
        let _ = self.tx.send(Msg::Interim(Arc::new(model)));
    }
}

/// Rescan and re-index what changed, then bring the model up to date.
pub fn spawn_train(session: Session, tx: Sender<Msg>, cancel: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        // The stored map first (a memory-mapped read, well under a second
        // at 100 000 tracks), whatever the scan then finds.
        let stored = crate::app::model_file::model_path(&session.index_path);
        if let Ok(model) = crate::app::model_file::read(&stored) {
            let _ = tx.send(Msg::Stored(Arc::new(model)));
        }
        let _ = tx.send(Msg::Job {
            label: "scanning the library".into(),
            fraction: None,
        });
        let plan = Plan {
            index: true,
            model: true,
            ..Plan::default()
        };
        let observer = Channel { tx: tx.clone() };
        let msg = match pipeline::run(&session, &plan, &observer, &cancel) {
            Ok(Flow::Done { model: Some(e), .. }) => {
                let update = e.update.and_then(Result::ok);
                Msg::Trained(Ok((Arc::new(e.model), update)))
            }
            Ok(Flow::Done { model: None, .. }) => Msg::Trained(Err(TrainError::NoModel)),
            Ok(Flow::Interrupted(_)) => Msg::TrainCancelled,
            Err(e) => Msg::Trained(Err(e.into())),
        };
        let _ = tx.send(msg);
    });
}

/// Generate the demo library if needed, then hand over its session.
pub fn spawn_demo(tx: Sender<Msg>) {
    std::thread::spawn(move || {
        use crate::demo::{default_dir, ensure_library, DemoSpec};
        let spec = DemoSpec::from_env();
        let progress = |done: usize, total: usize| {
            let _ = tx.send(Msg::Job {
                label: format!("generating the demo library {done}/{total}"),
                fraction: Some(done as f64 / total.max(1) as f64),
            });
        };
        let r = default_dir()
            .and_then(|dir| ensure_library(&dir, &spec, false, &progress))
            .map_err(TrainError::Demo)
            .and_then(|e| Session::open(Some(&e.root), None).map_err(TrainError::DemoSession));
        let _ = match r {
            Ok(s) => tx.send(Msg::Library(Box::new(s))),
            Err(e) => tx.send(Msg::Trained(Err(e))),
        };
    });
}

/// Query `target` (a path or URL) against `model`.
pub fn spawn_query(
    model: Arc<Model>,
    target: String,
    k: usize,
    id: u64,
    tx: Sender<Msg>,
    cancel: Arc<AtomicBool>,
) {
    std::thread::spawn(move || {
        let (result, download) = if crate::youtube::looks_like_url(&target) {
            let opts = crate::youtube::FetchOptions {
                cancel: Some(cancel),
                ..Default::default()
            };
            match crate::query::query_url(&model, &target, k, &opts) {
                Ok((r, d)) => (Ok(Box::new(r)), Some(d)),
                Err(e) => (Err(e), None),
            }
        } else {
            (
                crate::query::query_file(&model, Path::new(&target), k).map(Box::new),
                None,
            )
        };
        let _ = tx.send(Msg::Query {
            id,
            result,
            download,
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::index::{Entry, Index, Outcome};

    /// At start the stored model is shown before the library is scanned.
    #[test]
    fn training_starts_by_handing_over_the_stored_model() {
        let tmp = tempfile::tempdir().unwrap();
        let idx_path = tmp.path().join("lib.idx");
        let mut idx = Index::empty(tmp.path());
        idx.header.feature_names = vec!["mfcc_mean[0]".into(), "tempo".into()];
        for i in 0..12 {
            idx.entries.push(Entry {
                path: format!("/lib/{i}.wav").into_bytes(),
                size: 1,
                mtime_ns: 1,
                label: None,
                tags: None,
                outcome: Outcome::Analysed {
                    duration_s: 30.0,
                    values: vec![i as f32, (i % 3) as f32],
                },
            });
        }
        let params = crate::model::ModelParams {
            tsne_iterations: 100,
            ..Default::default()
        };
        let no = AtomicBool::new(false);
        let built = crate::app::model_file::ensure(idx, &idx_path, Some(&params), &|_| {}, &no)
            .unwrap()
            .model;
        let session = Session::open_for_reading(None, Some(&idx_path)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        spawn_train(session, tx, Arc::new(AtomicBool::new(false)));
        match rx.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(Msg::Stored(m)) => assert_eq!(*m, built),
            Ok(_) => panic!("another message came first"),
            Err(e) => panic!("{e}"),
        }
    }
}
