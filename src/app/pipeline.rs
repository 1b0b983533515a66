//! The one path from a command to its model: index the library (what
//! changed), give the tracks their deep embeddings when the profile needs
//! them, bring the model up to date. The command line and the explorer both
//! run it; they differ only in how they show progress ([`Observer`]).

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::model_file::{Ensured, IndexStamp};
use super::session::{Session, SessionError};
use crate::library::deep::EmbedReport;
use crate::library::indexer;
use crate::library::progress::Progress;
use crate::model::{Model, ModelError, ModelParams, Stage};
use crate::similarity::Profile;

/// What a command asks of the pipeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plan {
    /// Re-index the library first (reading commands use the index as is).
    pub index: bool,
    /// Embed even when the model's profile does not need it (`index
    /// --deep`, `report --compare deep`).
    pub embed: bool,
    /// Bring the model up to date at the end.
    pub model: bool,
    /// Model parameters; `None` keeps the stored model's.
    pub params: Option<ModelParams>,
    /// Rebuild the model even when the stored one is current.
    pub force: bool,
}

/// A step of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Analysing new and changed files.
    Index,
    /// Computing deep embeddings.
    Embed,
    /// Building the model.
    Model,
}

/// How a run is shown; every method but [`Observer::files`] has a silent
/// default.
pub trait Observer: Sync {
    /// Progress over files while indexing or embedding.
    fn files(&self, step: Step) -> Box<dyn Progress + '_>;
    /// A stage of the model build.
    fn stage(&self, _stage: Stage) {}
    /// Indexing ended (also when interrupted).
    fn indexed(&self, _report: &indexer::Report) {}
    /// The embedding pass ended (also when interrupted).
    fn embedded(&self, _report: &EmbedReport) {}
    /// The model is up to date (`seconds` it took when it was rebuilt).
    fn modelled(&self, _ensured: &Ensured, _seconds: f64) {}
    /// When embeddings are missing and will take a while, a model of the
    /// fast profile to show meanwhile (not saved), and indexing without
    /// embedding ahead so it comes sooner. `false`: none wanted.
    fn wants_interim(&self) -> bool {
        false
    }
    /// Building the interim model begins.
    fn interim_started(&self) {}
    /// The interim model of [`Observer::wants_interim`].
    fn interim(&self, _model: Model) {}
}

/// How a run ended.
#[derive(Debug)]
// Returned once per run: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Flow {
    /// Every step asked for ran; the model when one was asked for.
    Done {
        /// The up-to-date model, when the plan asked for one.
        model: Option<Ensured>,
    },
    /// Ctrl-C / cancel stopped this step; what was done is saved.
    Interrupted(Step),
}

/// Run `plan` for `session`.
pub fn run(
    session: &Session,
    plan: &Plan,
    observer: &dyn Observer,
    cancel: &AtomicBool,
) -> Result<Flow, SessionError> {
    let profile = session.profile();
    // The profile's needs decide, whatever the command: the one place.
    let embed = plan.embed || profile.needs_embeddings();
    // The index as the indexer left it, for the model step: loading it
    // again would hold a second copy (and the file's bytes) meanwhile.
    let mut fresh = None;
    if plan.index {
        // Embeddings made from the same decoding as the analysis, unless
        // the observer would rather have the fast map first.
        if embed && !observer.wants_interim() {
            session.ahead.want();
        }
        let report = session.index(observer.files(Step::Index).as_ref(), cancel)?;
        observer.indexed(&report);
        if report.interrupted {
            return Ok(Flow::Interrupted(Step::Index));
        }
        // Unless the run kept the old file: the model is of what is saved.
        if !matches!(report.saved, indexer::Saved::KeptOld(_)) {
            fresh = IndexStamp::of(&session.index_path).map(|stamp| (report.index, stamp));
        }
    }
    if embed {
        if observer.wants_interim() {
            interim(session, observer, cancel);
        }
        // The pass goes on from the index run's index while its file is
        // unchanged, and hands it on when it embedded nothing new;
        // otherwise it reads and writes the index file itself.
        let (report, index) =
            session.embed_fresh(fresh.take(), observer.files(Step::Embed).as_ref(), cancel)?;
        fresh = index.and_then(|i| Some((i, IndexStamp::of(&session.index_path)?)));
        observer.embedded(&report);
        if report.interrupted {
            return Ok(Flow::Interrupted(Step::Embed));
        }
    }
    if !plan.model {
        return Ok(Flow::Done { model: None });
    }
    if plan.force {
        // Derived data, rebuilt below; a failed rebuild leaves no model,
        // which the next run rebuilds again.
        let _ = super::model_file::discard(&session.index_path);
    }
    let started = Instant::now();
    // The index file as it is before it is read (or just after the index
    // run wrote it): what a model found or built here is stamped with.
    let stamp = IndexStamp::of(&session.index_path);
    if !plan.force {
        if let Some(model) = session.current_model(plan.params.as_ref()) {
            let ensured = Ensured::current(model);
            observer.modelled(&ensured, started.elapsed().as_secs_f64());
            return Ok(Flow::Done {
                model: Some(ensured),
            });
        }
    }
    let index = match fresh {
        Some((index, _)) => index,
        None => session.load()?,
    };
    let stage = |s| observer.stage(s);
    match session.model_of(index, stamp, plan.params.as_ref(), &stage, cancel) {
        Ok(mut ensured) => {
            if plan.force && ensured.rebuilt == Some(super::model_file::Stale::Missing) {
                ensured.rebuilt = Some(super::model_file::Stale::Forced);
            }
            observer.modelled(&ensured, started.elapsed().as_secs_f64());
            Ok(Flow::Done {
                model: Some(ensured),
            })
        }
        Err(SessionError::Model(ModelError::Cancelled)) => Ok(Flow::Interrupted(Step::Model)),
        Err(e) => Err(e),
    }
}

/// Hand the observer a model of the fast profile when some tracks still
/// lack their embeddings (the explorer shows its map while they are made).
fn interim(session: &Session, observer: &dyn Observer, cancel: &AtomicBool) {
    // No index: the embedding pass will say so.
    let Ok(index) = session.load() else {
        return;
    };
    let missing = index
        .entries
        .iter()
        .any(|e| e.values().is_some() && index.deep.get(e).is_none());
    if !missing {
        return;
    }
    let params = ModelParams {
        similarity: Profile::Musim,
        ..Default::default()
    };
    observer.interim_started();
    if let Ok(m) = super::model_file::build(index, &params, &|_| {}, cancel) {
        observer.interim(m);
    }
}
