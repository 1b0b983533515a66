//! The commands behind the CLI, kept out of `main.rs` so they can be tested
//! and reused by the explorer: choose the library and index, run an index,
//! export.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::choice::{choose_or_demo, Choice, ChoiceError};
use super::progress::Progress;
use crate::analysis::Windows;
use crate::app::model_file::{
    ensure_stamped, Choice as ModelChoice, EnsureError, Ensured, IndexStamp, ModelFileError,
};
use crate::export::{self, Format};
use crate::library::fs::RealFs;
use crate::library::index::{Header, Index, LoadError};
use crate::library::indexer::{self, AnalyzeFn, IndexError, Job, Report};
use crate::library::labels::LabelSource;
use crate::model::{ModelParams, Stage};
use crate::similarity::Profile;
use crate::store::atomic::{write_atomic, WriteError};
use crate::store::location::{config_file, default_index, LocationError};
use crate::store::paths::{from_bytes, show, to_bytes};

/// Why a command could not do its job (a user-facing, one-line message).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No usable library.
    #[error(transparent)]
    Choice(#[from] ChoiceError),
    /// No usable default index location.
    #[error(transparent)]
    Location(#[from] LocationError),
    /// Indexing failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The index exists but cannot be used (for reading commands).
    #[error("{0}; run `musim-tui index` to rebuild it")]
    Load(#[from] LoadError),
    /// The index path cannot be read, or holds something other than an
    /// index file (a folder, a FIFO, a device): rebuilding would not help.
    #[error("{0}")]
    Unreadable(LoadError),
    /// The index was made for another library than the chosen one.
    #[error("index {} was made for library {}, not {}: its tracks are not that library's (use the index of {}, or leave out --library to read this index as it is)", show(.index), show(.made_for), show(.root), show(.root))]
    OtherLibrary {
        /// The index.
        index: PathBuf,
        /// The library it was made for.
        made_for: PathBuf,
        /// The chosen library.
        root: PathBuf,
    },
    /// There is no index yet (for reading commands).
    #[error("library {} has not been indexed yet (no index at {}); run `musim-tui index` first", show(.root), show(.index))]
    NotIndexed {
        /// Library root (or the index path when no library was chosen).
        root: PathBuf,
        /// Index path.
        index: PathBuf,
    },
    /// Writing the export failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// The model could not be built.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// The model path holds something musim must not replace.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    /// Writing the export to stdout failed.
    #[error("cannot write the export: {0}")]
    Stdout(std::io::Error),
    /// The embedding pass could not run.
    #[cfg(feature = "embeddings")]
    #[error(transparent)]
    Embed(#[from] super::embed::EmbedPassError),
    /// A deep profile was asked of a build without embeddings.
    #[error("the {0} similarity profile needs musim built with the `embeddings` feature (on by default; this build has it off)")]
    NoEmbeddings(Profile),
}

impl From<EnsureError> for SessionError {
    fn from(e: EnsureError) -> Self {
        match e {
            EnsureError::Model(e) => SessionError::Model(e),
            EnsureError::File(e) => SessionError::ModelFile(e),
        }
    }
}

/// The library and index a command works on.
#[derive(Debug, Clone)]
pub struct Session {
    /// The chosen library, if one was needed.
    pub choice: Option<Choice>,
    /// The index file.
    pub index_path: PathBuf,
    /// `--windows N` / `--whole`; `None` keeps what the index was made
    /// with (the default for a new index).
    pub windows: Option<Windows>,
    /// `--labels`; `None` keeps what the index was made with (the default,
    /// `auto`, for a new index).
    pub labels: Option<LabelSource>,
    /// `--similarity`; `None` keeps the stored model's profile.
    pub similarity: Option<Profile>,
    /// Deep embeddings made during indexing, for the embedding pass.
    pub ahead: EmbedAhead,
    /// `index --prune`: let an index run remove every track (an empty
    /// library folder) or replace the tracks of another library's index.
    pub prune: bool,
}

/// Deep embeddings made while indexing, from the same decoding as the
/// analysis ([`crate::deep::track::analyze_and_embed`]), waiting for the
/// embedding pass. Off unless [`EmbedAhead::want`] is called: the explorer
/// indexes without them so that its map is there at once.
#[derive(Debug, Clone, Default)]
pub struct EmbedAhead(std::sync::Arc<std::sync::Mutex<Ahead>>);

#[derive(Debug, Default)]
struct Ahead {
    wanted: bool,
    rows: Vec<crate::library::deep::DeepRow>,
}

impl EmbedAhead {
    /// Embed new files while indexing them (a command that will need the
    /// embeddings anyway).
    pub fn want(&self) {
        self.lock().wanted = true;
    }

    /// Whether [`EmbedAhead::want`] was called.
    pub fn wanted(&self) -> bool {
        self.lock().wanted
    }

    #[cfg(feature = "embeddings")]
    fn push(&self, row: crate::library::deep::DeepRow) {
        self.lock().rows.push(row);
    }

    /// The embeddings made so far (they are handed out once).
    pub fn take(&self) -> Vec<crate::library::deep::DeepRow> {
        std::mem::take(&mut self.lock().rows)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ahead> {
        // A poisoned lock only means a thread panicked mid-push; the rows
        // are still whole values.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Session {
    /// Choose the library (flag > config > ./data/songs > the built-in demo
    /// library, generated on first use) and the index (`--index` or the
    /// default for the library).
    pub fn open(library: Option<&Path>, index: Option<&Path>) -> Result<Session, SessionError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let cfg = config_file();
        let choice = choose_or_demo(library, cfg.as_deref(), &cwd, &default_demo)?;
        let index_path = match index {
            Some(p) => p.to_path_buf(),
            None => default_index(&choice.root)?,
        };
        Ok(Session {
            choice: Some(choice),
            index_path,
            windows: None,
            labels: None,
            similarity: None,
            ahead: EmbedAhead::default(),
            prune: false,
        })
    }

    /// Like [`Session::open`], but with `--index FILE` and no `--library`
    /// no library is needed (reading commands only read the index).
    pub fn open_for_reading(
        library: Option<&Path>,
        index: Option<&Path>,
    ) -> Result<Session, SessionError> {
        match (library, index) {
            (None, Some(i)) => Ok(Session {
                choice: None,
                index_path: i.to_path_buf(),
                windows: None,
                labels: None,
                similarity: None,
                ahead: EmbedAhead::default(),
                prune: false,
            }),
            _ => Session::open(library, index),
        }
    }

    /// Which parts of long tracks an index run analyses: the session's
    /// choice, else what the existing index was made with, else the default.
    pub fn windows(&self) -> Windows {
        self.windows
            .unwrap_or_else(|| match Index::load_header(&self.index_path) {
                Ok(Some(h)) => h.params.windows,
                _ => Windows::default(),
            })
    }

    /// Where an index run takes genre labels from: the session's choice,
    /// else what the existing index was made with, else `auto`.
    pub fn labels(&self) -> LabelSource {
        self.labels
            .unwrap_or_else(|| match Index::load_header(&self.index_path) {
                Ok(Some(h)) => h.labels,
                _ => LabelSource::default(),
            })
    }

    /// Index the library incrementally (the real analysis).
    pub fn index(
        &self,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<Report, SessionError> {
        let windows = self.windows();
        #[cfg(feature = "embeddings")]
        if self.ahead.wanted() {
            // A model that cannot be loaded is reported by the embedding
            // pass; the analysis goes on without it.
            if let Ok(model) = crate::deep::model::shared() {
                let ahead = self.ahead.clone();
                let analyze = move |p: &Path| analyze_embedding_ahead(p, &windows, &model, &ahead);
                return self.index_with(&analyze, windows, progress, cancel);
            }
        }
        let analyze = move |p: &Path| crate::analysis::analyze_file_with(p, &windows);
        self.index_with(&analyze, windows, progress, cancel)
    }

    /// Index the library incrementally with a given analysis function.
    pub fn index_with(
        &self,
        analyze: &AnalyzeFn<'_>,
        windows: Windows,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<Report, SessionError> {
        self.run_indexer(analyze, windows, None, progress, cancel)
    }

    /// Index only `shard`'s files of the library into the session's index
    /// (`index --shard i/n`).
    pub fn index_shard(
        &self,
        shard: crate::library::shard::Shard,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<Report, SessionError> {
        let windows = self.windows();
        let analyze = move |p: &Path| crate::analysis::analyze_file_with(p, &windows);
        self.run_indexer(&analyze, windows, Some(shard), progress, cancel)
    }

    fn run_indexer(
        &self,
        analyze: &AnalyzeFn<'_>,
        windows: Windows,
        shard: Option<crate::library::shard::Shard>,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<Report, SessionError> {
        let Some(choice) = &self.choice else {
            return Err(ChoiceError::NoLibrary {
                config: config_file(),
            }
            .into());
        };
        let job = Job {
            root: &choice.root,
            index_path: &self.index_path,
            fs: &RealFs,
            analyze,
            progress,
            cancel,
            windows,
            labels: self.labels(),
            prune: self.prune,
            shard,
        };
        Ok(indexer::run(&job)?)
    }

    /// The existing index, or a clear error saying to run `index` first.
    /// With a chosen library, the index must be that library's: an answer
    /// from another library's tracks would be wrong.
    pub fn load(&self) -> Result<Index, SessionError> {
        let index = self.read(Index::load)?;
        self.check_root(&index.header)?;
        Ok(index)
    }

    /// [`Session::load`]'s checks (an index there, readable, of this
    /// library) without decoding the tracks: for a pass that reads the
    /// index itself.
    #[cfg(feature = "embeddings")]
    fn check(&self) -> Result<(), SessionError> {
        self.check_root(&self.read(Index::load_header)?)
    }

    /// What `read` finds at the index path; no index is
    /// [`SessionError::NotIndexed`].
    fn read<T>(&self, read: fn(&Path) -> Result<Option<T>, LoadError>) -> Result<T, SessionError> {
        match read(&self.index_path) {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(SessionError::NotIndexed {
                root: self
                    .choice
                    .as_ref()
                    .map_or_else(|| self.index_path.clone(), |c| c.root.clone()),
                index: self.index_path.clone(),
            }),
            Err(e) if !e.replaceable() => Err(SessionError::Unreadable(e)),
            Err(e) => Err(e.into()),
        }
    }

    /// With a chosen library, the index must be that library's.
    fn check_root(&self, header: &Header) -> Result<(), SessionError> {
        match &self.choice {
            Some(choice) if header.root != to_bytes(&choice.root) => {
                Err(SessionError::OtherLibrary {
                    index: self.index_path.clone(),
                    made_for: from_bytes(&header.root),
                    root: choice.root.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The similarity profile a model of this session uses: `--similarity`,
    /// else the stored model's, else the default.
    pub fn profile(&self) -> Profile {
        use super::model_file::{model_path, read_params, resolve};
        let stored = match self.similarity {
            Some(_) => None,
            None => read_params(&model_path(&self.index_path)).ok(),
        };
        resolve(None, self.similarity, stored.as_ref()).similarity
    }

    /// Give every analysed track its deep embedding (feature `embeddings`);
    /// what is already embedded is reused.
    #[cfg(feature = "embeddings")]
    pub fn embed(
        &self,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<crate::library::deep::EmbedReport, SessionError> {
        self.check()?;
        Ok(super::embed::run(
            &self.index_path,
            self.ahead.take(),
            progress,
            cancel,
        )?)
    }

    /// Without the `embeddings` feature there is nothing to embed with.
    #[cfg(not(feature = "embeddings"))]
    pub fn embed(
        &self,
        _progress: &dyn Progress,
        _cancel: &AtomicBool,
    ) -> Result<crate::library::deep::EmbedReport, SessionError> {
        Err(SessionError::NoEmbeddings(self.profile()))
    }

    /// [`Session::embed`] of `fresh`, the index an index run of this
    /// session just left (and its file's identity then), which is not read
    /// again while its file is unchanged; returns the index as its file now
    /// holds it when nothing new was embedded (see
    /// [`super::embed::run_on`]).
    #[cfg(feature = "embeddings")]
    pub fn embed_fresh(
        &self,
        fresh: Option<(Index, IndexStamp)>,
        progress: &dyn Progress,
        cancel: &AtomicBool,
    ) -> Result<(crate::library::deep::EmbedReport, Option<Index>), SessionError> {
        if fresh.is_none() {
            self.check()?;
        }
        Ok(super::embed::run_on(
            &self.index_path,
            fresh,
            self.ahead.take(),
            progress,
            cancel,
        )?)
    }

    /// Without the `embeddings` feature there is nothing to embed with.
    #[cfg(not(feature = "embeddings"))]
    pub fn embed_fresh(
        &self,
        _fresh: Option<(Index, IndexStamp)>,
        _progress: &dyn Progress,
        _cancel: &AtomicBool,
    ) -> Result<(crate::library::deep::EmbedReport, Option<Index>), SessionError> {
        Err(SessionError::NoEmbeddings(self.profile()))
    }

    /// The current model of the library (the stored one if up to date,
    /// else rebuilt and saved beside the index); `None` keeps the stored
    /// model's parameters.
    pub fn model(
        &self,
        params: Option<&ModelParams>,
        progress: &(dyn Fn(Stage) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Ensured, SessionError> {
        if let Some(model) = self.current_model(params) {
            return Ok(Ensured::current(model));
        }
        let stamp = IndexStamp::of(&self.index_path);
        self.model_of(self.load()?, stamp, params, progress, cancel)
    }

    /// The stored model when it is current without reading the index (see
    /// [`crate::app::model_file::current`]).
    pub fn current_model(&self, params: Option<&ModelParams>) -> Option<crate::model::Model> {
        crate::app::model_file::current(&self.index_path, self.model_choice(params))
    }

    /// The stored model file when it is current without reading the index,
    /// open but not read (see [`crate::app::model_file::current_file`]).
    pub fn current_model_file(&self) -> Option<crate::app::model_file::ModelFile> {
        crate::app::model_file::current_file(&self.index_path, self.model_choice(None))
    }

    fn model_choice<'a>(&self, params: Option<&'a ModelParams>) -> ModelChoice<'a> {
        ModelChoice {
            params,
            similarity: self.similarity,
        }
    }

    /// [`Session::model`] of `index`, the session's index as it is in
    /// memory (fresh from an index run, or read from the index file of
    /// `stamp`); a rebuild consumes it.
    pub fn model_of(
        &self,
        index: Index,
        stamp: Option<IndexStamp>,
        params: Option<&ModelParams>,
        progress: &(dyn Fn(Stage) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Ensured, SessionError> {
        Ok(ensure_stamped(
            index,
            stamp,
            &self.index_path,
            self.model_choice(params),
            progress,
            cancel,
        )?)
    }

    /// Export the index to `output` (atomically) or to stdout.
    pub fn export(&self, format: Format, output: Option<&Path>) -> Result<(), SessionError> {
        self.export_with(format, output, false)
    }

    /// [`Session::export`], the predicted genres from the metric learned
    /// from the labels when `learned` (`export --metric learned`; see
    /// [`crate::report::learned::predict`]).
    pub fn export_with(
        &self,
        format: Format,
        output: Option<&Path>,
        learned: bool,
    ) -> Result<(), SessionError> {
        let stamp = IndexStamp::of(&self.index_path);
        let index = self.load()?;
        // Predicted genres come from the model (the stored one when it is
        // current, else built, quietly); without one, the columns are empty.
        let cancel = AtomicBool::new(false);
        let of = |model: &crate::model::Model| {
            if learned {
                learned_predictions(model)
            } else {
                export::predictions(model)
            }
        };
        let predicted = match self.current_model(None) {
            Some(model) => of(&model),
            None => self
                .model_of(index.clone(), stamp, None, &|_| {}, &cancel)
                .map(|e| of(&e.model))
                .unwrap_or_default(),
        };
        match output {
            Some(path) => {
                write_atomic(path, |w| export::write_with(&index, &predicted, format, w))?
            }
            None => {
                let stdout = std::io::stdout();
                let mut w = std::io::BufWriter::new(stdout.lock());
                let r =
                    export::write_with(&index, &predicted, format, &mut w).and_then(|()| w.flush());
                match r {
                    // `musim-tui export | head` is not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    Err(e) => return Err(SessionError::Stdout(e)),
                    Ok(()) => {}
                }
            }
        }
        Ok(())
    }
}

/// The demo library in the data folder, generated (with progress on
/// stderr) when missing, incomplete or from an older generator.
fn default_demo() -> Result<PathBuf, crate::demo::DemoError> {
    use crate::demo::{default_dir, ensure_library, is_complete, DemoSpec};
    let dir = default_dir()?;
    let spec = DemoSpec::from_env();
    eprintln!(
        "musim-tui: no library configured: using the built-in demo library at {}",
        show(&dir)
    );
    if !is_complete(&dir, &spec) {
        eprintln!(
            "musim-tui: generating the demo library ({} synthesised tracks; once only)",
            spec.len()
        );
    }
    let progress = super::demo_progress::StderrProgress::new();
    let r = ensure_library(&dir, &spec, false, &|d, t| progress.tick(d, t));
    progress.finish();
    let r = r?;
    if let Some(why) = &r.kept {
        eprintln!("musim-tui: {}", crate::store::text::safe(why));
    }
    Ok(r.root)
}

/// Analyse `path` and keep its deep embedding, made from the same decoding,
/// for the embedding pass (with the file's size and mtime before the
/// analysis, so a file changed meanwhile is embedded again).
#[cfg(feature = "embeddings")]
fn analyze_embedding_ahead(
    path: &Path,
    windows: &Windows,
    model: &std::sync::Arc<crate::deep::DeepModel>,
    ahead: &EmbedAhead,
) -> Result<crate::analysis::TrackAnalysis, crate::audio::AudioError> {
    use crate::library::deep::{DeepRecord, DeepRow};
    let meta = std::fs::metadata(path)
        .ok()
        .map(|m| crate::library::fs::convert(&m));
    let (analysis, deep) = crate::deep::track::analyze_and_embed(path, windows, model.clone())?;
    if let Some(m) = meta {
        let record = match deep {
            Ok(d) => DeepRecord::Embedded {
                embedding: d.embedding,
                tags: d.tags,
                patches: d.patches as u32,
                repeat_padded: d.repeat_padded,
            },
            Err(e) => DeepRecord::Failed {
                reason: e.to_string(),
            },
        };
        ahead.push(DeepRow {
            path: crate::store::paths::to_bytes(path),
            size: m.size,
            mtime_ns: m.mtime_ns,
            record,
        });
    }
    Ok(analysis)
}

/// The learned metric's predictions by path; none (empty columns) when no
/// metric can be learned, said on stderr.
fn learned_predictions(model: &crate::model::Model) -> export::Predictions {
    match crate::report::learned::predict(model) {
        Ok(p) => model
            .tracks
            .iter()
            .zip(p)
            .filter_map(|(t, g)| g.map(|g| (t.path.clone(), g)))
            .collect(),
        Err(why) => {
            eprintln!("no learned metric: {}", crate::store::text::safe(&why));
            export::Predictions::new()
        }
    }
}
