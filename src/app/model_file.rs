//! The model file, stored beside the index (`<index>.model`): sections
//! read one at a time from a memory map ([`crate::store::sections`]; the
//! layout is [`layout`]'s), so that the parameters, or whether the model is
//! current, are known without decoding the tracks. A model records the
//! index file it was built from ([`IndexStamp`]): while that file is
//! unchanged the model is current without reading the index at all. A missing, older, corrupt or out-of-date model is simply
//! rebuilt — it is derived data — and a failed save leaves the model usable
//! and the previous file intact. What is not a readable regular file (a
//! folder, a FIFO, a device, a file musim may not read) is not musim's to
//! replace: it is reported ([`ModelFileError`]) and left as it is.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::library::index::{Index, Outcome};
use crate::model::incremental::{Change, Rebuild};
use crate::model::{Input, Model, ModelError, ModelParams, Stage, Track};
use crate::similarity::{Profile, SpaceError};
use crate::store::atomic::write_atomic;
use crate::store::framed::FrameError;
use crate::store::paths::show;
use crate::store::regular::{kind_at, FileKind, ReadError};
use crate::store::sections::{OpenError, Sections};

mod half;
mod layout;
mod quant;
mod rows;

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"MUSIMMDL";
/// Version of the model layout; bump when [`Model`] changes shape.
/// (7: sections checksummed per block, tracks readable one at a time,
/// z rows, timbre Gaussians, tag scores and similarities at half
/// precision. 8: `fused`'s unit embeddings projected on their principal
/// components, at half precision. 9: z rows in 8 bits.)
pub const FORMAT_VERSION: u32 = 9;

/// A space as the model file keeps it (z rows in 8 bits, timbre Gaussians
/// and unit embeddings at half precision; for studies of what that costs).
pub fn stored_space(space: &crate::similarity::Space) -> crate::similarity::Space {
    half::rounded_space(space)
}

/// Where the model of the index at `index_path` lives.
pub fn model_path(index_path: &Path) -> PathBuf {
    let mut s = index_path.as_os_str().to_owned();
    s.push(".model");
    PathBuf::from(s)
}

/// Why a stored model cannot be used (each is answered by a rebuild).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// No model file yet.
    Missing,
    /// The library changed since it was built.
    Changed,
    /// The similarity profile changed (from, to).
    Profile(crate::similarity::Profile, crate::similarity::Profile),
    /// Unusable file; the reason.
    Unusable(String),
    /// A rebuild was asked for (`train --force`).
    Forced,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Missing => write!(f, "no model yet"),
            Stale::Changed => write!(f, "the library changed since the model was built"),
            Stale::Profile(a, b) => write!(f, "similarity profile changed from {a} to {b}"),
            Stale::Unusable(why) => write!(f, "{why}"),
            Stale::Forced => write!(f, "asked for with --force"),
        }
    }
}

/// Something at the model path that musim must neither read nor replace.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// Not a regular file (never opened: a FIFO would block).
    #[error("model path {} is {kind}, not a model file; it was left untouched (move it away and musim rebuilds the model there)", show(.path))]
    NotAFile {
        /// The model path.
        path: PathBuf,
        /// What is there.
        kind: FileKind,
    },
    /// A symlink to nothing.
    #[error("model path {} is a symlink to {}, which does not exist; it was left untouched", show(.path), show(.target))]
    Dangling {
        /// The model path.
        path: PathBuf,
        /// The symlink's target.
        target: PathBuf,
    },
    /// The OS refuses to read it (e.g. permissions).
    #[error("model {} cannot be read ({source}); it was left untouched (musim rebuilds it once it can read it, or once it is removed)", show(.path))]
    Unreadable {
        /// The model path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl ModelFileError {
    fn new(path: &Path, e: ReadError) -> Self {
        let path = path.to_path_buf();
        match e {
            ReadError::NotAFile(kind) => ModelFileError::NotAFile { path, kind },
            ReadError::Dangling(target) => ModelFileError::Dangling { path, target },
            ReadError::Io(source) => ModelFileError::Unreadable { path, source },
        }
    }
}

/// Why [`ensure`] gave no model.
#[derive(Debug, thiserror::Error)]
pub enum EnsureError {
    /// The model could not be built.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model path holds something musim must not replace.
    #[error(transparent)]
    File(#[from] ModelFileError),
}

/// What identifies the index file a model was built from, as it was on
/// disk: while the file still has the same identity (device, inode, size,
/// modification and change times to the nanosecond) it holds the same
/// content, since musim replaces an index by renaming a new file over it
/// (a new inode and change time each time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndexStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl IndexStamp {
    /// The identity of the file at `path` now (`None` when there is none).
    pub fn of(path: &Path) -> Option<IndexStamp> {
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(IndexStamp {
                dev: m.dev(),
                ino: m.ino(),
                len: m.len(),
                mtime_ns: m.mtime().saturating_mul(1_000_000_000) + m.mtime_nsec(),
                ctime_ns: m.ctime().saturating_mul(1_000_000_000) + m.ctime_nsec(),
            })
        }
        #[cfg(not(unix))]
        {
            let f = crate::library::fs::convert(&m);
            Some(IndexStamp {
                dev: 0,
                ino: 0,
                len: m.len(),
                mtime_ns: f.mtime_ns,
                ctime_ns: 0,
            })
        }
    }
}

/// An open model file: its sections and its small parts, the tracks and
/// arrays not yet decoded.
pub struct ModelFile {
    sections: Sections,
    meta: layout::Meta,
    path: PathBuf,
}

impl ModelFile {
    /// Open the model file at `path`: `Ok(Err(Missing))` when there is
    /// none, `Ok(Err(why))` when it must be rebuilt, `Err` when what is
    /// there must be left alone.
    pub fn open(path: &Path) -> Result<Result<ModelFile, Stale>, ModelFileError> {
        let sections = match Sections::open(path, MAGIC, FORMAT_VERSION) {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(Err(Stale::Missing)),
            Err(OpenError::Read(e)) => return Err(ModelFileError::new(path, e)),
            Err(OpenError::Frame(e)) => return Ok(Err(frame_error(path, e))),
        };
        Ok(layout::meta(&sections)
            .map(|meta| ModelFile {
                sections,
                meta,
                path: path.to_path_buf(),
            })
            .map_err(|e| frame_error(path, e)))
    }

    /// The parameters the model was built with.
    pub fn params(&self) -> &ModelParams {
        &self.meta.params
    }

    /// The identity of the index content and parameters it was built from.
    pub fn key(&self) -> u64 {
        self.meta.key
    }

    /// The index file it was built from, as it was then.
    pub fn stamp(&self) -> Option<IndexStamp> {
        self.meta.stamp
    }

    /// Size of the file and of each section, bytes.
    pub fn sizes(&self) -> (usize, Vec<(String, u64)>) {
        let names = self.sections.sizes().into_iter().map(|(tag, len)| {
            let name = String::from_utf8_lossy(&tag);
            (name.trim_end_matches('\0').to_string(), len)
        });
        (self.sections.len(), names.collect())
    }

    /// Where the section named `name` ("z", "graph", …) lies in the file
    /// (for tools that inspect a model file, and tests of damage).
    pub fn section_range(&self, name: &str) -> Option<std::ops::Range<u64>> {
        let mut tag = [0u8; 8];
        tag.get_mut(..name.len())?.copy_from_slice(name.as_bytes());
        self.sections.range(&tag)
    }

    /// The whole model.
    pub fn load(self) -> Result<Model, Stale> {
        layout::read(&self.sections, self.meta).map_err(|e| frame_error(&self.path, e))
    }
}

/// Read the model at `path`, whatever library state it was built for
/// (what must not be replaced is [`Stale::Unusable`] here too).
pub fn read(path: &Path) -> Result<Model, Stale> {
    open_or_stale(path)?.load()
}

/// The parameters (similarity profile included) of the model at `path`,
/// from its small section alone.
pub fn read_params(path: &Path) -> Result<ModelParams, Stale> {
    Ok(*open_or_stale(path)?.params())
}

/// [`ModelFile::open`], what must be left alone as [`Stale::Unusable`].
fn open_or_stale(path: &Path) -> Result<ModelFile, Stale> {
    ModelFile::open(path).unwrap_or_else(|e| Err(Stale::Unusable(e.to_string())))
}

/// Remove the model of the index at `index_path` so that it is rebuilt
/// (`train --force`), when it is a regular file; anything else there is
/// left alone (and reported by [`ensure`]).
pub fn discard(index_path: &Path) -> std::io::Result<()> {
    let path = model_path(index_path);
    match kind_at(&path) {
        Ok(Some(FileKind::File)) => std::fs::remove_file(&path),
        _ => Ok(()),
    }
}

/// Why a model file's bytes cannot be used, for the user.
fn frame_error(path: &Path, e: FrameError) -> Stale {
    match e {
        FrameError::Foreign => unusable(path, "is not a musim model".into()),
        FrameError::Older(v) => {
            unusable(path, format!("was written by an older musim (format {v})"))
        }
        FrameError::Newer(v) => {
            unusable(path, format!("was written by a newer musim (format {v})"))
        }
        FrameError::Corrupt(d) => unusable(path, format!("is corrupt ({d})")),
    }
}

fn unusable(path: &Path, why: String) -> Stale {
    Stale::Unusable(format!("model {} {why}", show(path)))
}

/// Write `model`, built from the index file of `stamp`, atomically to
/// `path`.
pub fn save(
    model: &Model,
    stamp: Option<IndexStamp>,
    path: &Path,
) -> Result<(), crate::store::atomic::WriteError> {
    write_atomic(path, |w: &mut dyn Write| layout::write(model, stamp, w))
}

/// The identity of an index's content for a model: analysed tracks
/// (path, size, mtime, label, fingerprint), feature names, parameters and
/// the build's revision (a model built by older code is rebuilt).
pub fn content_key(index: &Index, params: &ModelParams) -> u64 {
    let mut h = crate::store::hash::Fnv1a64::new();
    h.write(&crate::model::BUILD_REVISION.to_le_bytes());
    h.write(&index.header.feature_set_version.to_le_bytes());
    for n in &index.header.feature_names {
        h.write(n.as_bytes());
        h.write(&[0]);
    }
    if let Ok(p) = postcard::to_allocvec(params) {
        h.write(&p);
    }
    let deep = params.similarity.needs_embeddings();
    for e in &index.entries {
        let Some(values) = e.values() else { continue };
        // Tags are part of the model whatever the profile.
        h.write(&[u8::from(index.deep.tags(e).is_some())]);
        if deep {
            h.write(index.deep.model.as_bytes());
            for v in index.deep.embedding(e).unwrap_or(&[]) {
                h.write(&v.to_bits().to_le_bytes());
            }
        }
        h.write(&e.path);
        h.write(&[0]);
        h.write(&e.size.to_le_bytes());
        h.write(&e.mtime_ns.to_le_bytes());
        h.write(e.label.as_deref().unwrap_or("\u{0}").as_bytes());
        h.write(&[0]);
        // The names shown come from the tags: a retagged library is a new model.
        if let Ok(t) = postcard::to_allocvec(&e.tags) {
            h.write(&t);
        }
        for v in values {
            h.write(&v.to_bits().to_le_bytes());
        }
    }
    h.finish()
}

/// What a model of `index` with `params` is built from: its analysed
/// tracks (for the deep profiles, those with an embedding) and the
/// content key.
pub fn input(index: Index, params: &ModelParams) -> Result<Input, ModelError> {
    let key = content_key(&index, params);
    input_keyed(index, params, key)
}

/// [`input`] with its content key already worked out.
fn input_keyed(index: Index, params: &ModelParams, key: u64) -> Result<Input, ModelError> {
    let Index {
        header,
        entries,
        mut deep,
    } = index;
    let dims = header.feature_names.len();
    let mut tracks = Vec::new();
    let mut rows: Vec<Vec<f32>> = Vec::new();
    // `fused` on an index without a single embedding is its hand-crafted
    // part alone: `musim` (the model says so, see `Model::fell_back`).
    let needs_deep = params.similarity.needs_embeddings()
        && (params.similarity != Profile::Fused
            || entries.iter().any(|e| deep.embedding(e).is_some()));
    let mut embeddings: Vec<Vec<f32>> = Vec::new();
    let mut without_embedding = 0usize;
    for e in entries {
        let tags = deep.tags(&e).map(<[f32]>::to_vec).unwrap_or_default();
        let embedding = if needs_deep {
            deep.take_embedding(&e)
        } else {
            None
        };
        let Outcome::Analysed { duration_s, values } = e.outcome else {
            continue;
        };
        // A stale row of another length cannot be compared; skip it.
        if values.len() != dims {
            continue;
        }
        // The deep profiles leave out tracks whose embedding failed.
        if needs_deep {
            match embedding {
                Some(emb) => embeddings.push(emb),
                None => {
                    without_embedding += 1;
                    continue;
                }
            }
        }
        tracks.push(Track {
            path: e.path,
            size: e.size,
            mtime_ns: e.mtime_ns,
            label: e.label,
            duration_s,
            tags,
            meta: e.tags.unwrap_or_default(),
        });
        rows.push(values);
    }
    if tracks.is_empty() && without_embedding > 0 {
        return Err(SpaceError::NoEmbeddings(
            params.similarity,
            "no track of the library has one yet (run `musim-tui index --deep`)",
        )
        .into());
    }
    Ok(Input {
        key,
        names: header.feature_names,
        windows: header.params.windows,
        tracks,
        rows,
        embeddings: needs_deep.then_some(embeddings),
    })
}

/// Build the model of `index` ([`input`], then [`crate::model::build`]).
pub fn build(
    index: Index,
    params: &ModelParams,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Model, ModelError> {
    let model = crate::model::build(input(index, params)?, params, progress, cancel)?;
    Ok(half::rounded(model))
}

/// The parameters a model is built with: `params` when given, else the
/// `stored` model's, else the defaults; with the similarity profile set to
/// `similarity` when given.
pub fn resolve(
    params: Option<&ModelParams>,
    similarity: Option<crate::similarity::Profile>,
    stored: Option<&ModelParams>,
) -> ModelParams {
    let mut out = params.or(stored).copied().unwrap_or_default();
    if let Some(s) = similarity {
        out.similarity = s;
    }
    out
}

/// What [`ensure`] did.
#[derive(Debug)]
pub struct Ensured {
    /// The model.
    pub model: Model,
    /// Why the stored model was not current (so it was rebuilt or
    /// updated), or `None` when it was.
    pub rebuilt: Option<Stale>,
    /// `Ok`: the stored model was updated rather than rebuilt (tracks
    /// added and removed); `Err`: why it could not be (so it was rebuilt);
    /// `None`: no update was tried.
    pub update: Option<Result<Change, Rebuild>>,
    /// A problem saving the rebuilt model (it is still usable).
    pub save_error: Option<String>,
    /// How long each phase of the build and the save took (empty when
    /// the stored model was current).
    pub timings: crate::model::Timings,
}

impl Ensured {
    /// A stored model found current.
    pub fn current(model: Model) -> Ensured {
        Ensured {
            model,
            rebuilt: None,
            update: None,
            save_error: None,
            timings: Default::default(),
        }
    }
}

/// The current model of `index`: the stored one when it is up to date,
/// else a fresh build, saved beside the index. With `params` of `None`
/// the stored model's parameters are kept (so `train --k 5` sticks), or
/// the defaults when there is none.
pub fn ensure(
    index: Index,
    index_path: &Path,
    params: Option<&ModelParams>,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Ensured, EnsureError> {
    ensure_with(index, index_path, params, None, progress, cancel)
}

/// [`ensure`], with the similarity profile set to `similarity` when given
/// (whatever the parameters otherwise are). Something at the model path
/// that is not a readable regular file is an error, and left untouched.
pub fn ensure_with(
    index: Index,
    index_path: &Path,
    params: Option<&ModelParams>,
    similarity: Option<crate::similarity::Profile>,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Ensured, EnsureError> {
    let choice = Choice { params, similarity };
    ensure_stamped(index, None, index_path, choice, progress, cancel)
}

/// The parameters a command asks of a model: `None`s keep the stored
/// model's (see [`resolve`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Choice<'a> {
    /// Model parameters.
    pub params: Option<&'a ModelParams>,
    /// Similarity profile.
    pub similarity: Option<crate::similarity::Profile>,
}

/// The stored model of the index at `index_path` when it is current
/// without reading the index: it was built from that index file as it is
/// now ([`IndexStamp`]) with the parameters `choice` resolves to. `None`
/// when that cannot be told so (then [`ensure_stamped`] decides).
pub fn current(index_path: &Path, choice: Choice) -> Option<Model> {
    current_file(index_path, choice)?.load().ok()
}

/// [`current`], the model file open but not read: a query of a library
/// track reads its rows in place ([`crate::query::Rows`]).
pub fn current_file(index_path: &Path, choice: Choice) -> Option<ModelFile> {
    let file = ModelFile::open(&model_path(index_path)).ok()?.ok()?;
    let now = IndexStamp::of(index_path)?;
    let params = resolve(choice.params, choice.similarity, Some(file.params()));
    // A model built the same way (the build revision is in the content
    // key, which is not worked out here) from this very index file.
    let same_build = file.meta.revision == crate::model::BUILD_REVISION;
    if !same_build || file.stamp() != Some(now) || *file.params() != params {
        return None;
    }
    Some(file)
}

/// [`ensure_with`] for `index`, read from the index file of `stamp` (taken
/// before it was read): a model built or found current is saved with that
/// stamp, so that while the file stays as it is [`current`] answers
/// without reading the index.
pub fn ensure_stamped(
    index: Index,
    stamp: Option<IndexStamp>,
    index_path: &Path,
    choice: Choice,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Ensured, EnsureError> {
    let path = model_path(index_path);
    let stored = ModelFile::open(&path)?;
    let params = resolve(
        choice.params,
        choice.similarity,
        stored.as_ref().ok().map(ModelFile::params),
    );
    let key = content_key(&index, &params);
    let why = match stored {
        Ok(file) if file.key() == key => {
            let restamp = stamp.is_some() && file.stamp() != stamp;
            match file.load() {
                Ok(model) => {
                    // Current, but from another index file with the same
                    // content (or none known): record this one.
                    let save_error = restamp
                        .then(|| save(&model, stamp, &path).err().map(|e| e.to_string()))
                        .flatten();
                    return Ok(Ensured {
                        save_error,
                        ..Ensured::current(model)
                    });
                }
                Err(why) => why,
            }
        }
        Ok(file) if file.params().similarity != params.similarity => {
            Stale::Profile(file.params().similarity, params.similarity)
        }
        Ok(file)
            if file.params() == &params && file.meta.revision == crate::model::BUILD_REVISION =>
        {
            // A few tracks added or removed: the stored model updated.
            let input = input_keyed(index, &params, key)?;
            let refused = match file.load() {
                Ok(old) => match crate::model::incremental::plan(&old, &input, &params) {
                    Ok(diff) => {
                        let (model, mut timings, change) =
                            crate::model::incremental::update(old, input, &diff, progress, cancel)?;
                        let started = std::time::Instant::now();
                        // The model in hand as the file keeps it (see [`half`]).
                        let model = half::rounded(model);
                        let save_error = save(&model, stamp, &path).err().map(|e| e.to_string());
                        timings.push("save", started.elapsed().as_secs_f64());
                        return Ok(Ensured {
                            model,
                            rebuilt: Some(Stale::Changed),
                            update: Some(Ok(change)),
                            save_error,
                            timings,
                        });
                    }
                    Err(why) => Some(why),
                },
                Err(_) => None,
            };
            return rebuild(
                input,
                stamp,
                &path,
                &params,
                Stale::Changed,
                refused,
                progress,
                cancel,
            );
        }
        Ok(_) => Stale::Changed,
        Err(why) => why,
    };
    let input = input_keyed(index, &params, key)?;
    rebuild(input, stamp, &path, &params, why, None, progress, cancel)
}

/// The model of `input` built anew and saved at `path` (see
/// [`ensure_stamped`]): `why` the stored one was not current, `refused`
/// why it was not updated when that was tried.
#[allow(clippy::too_many_arguments)]
fn rebuild(
    input: Input,
    stamp: Option<IndexStamp>,
    path: &Path,
    params: &ModelParams,
    why: Stale,
    refused: Option<Rebuild>,
    progress: &(dyn Fn(Stage) + Sync),
    cancel: &AtomicBool,
) -> Result<Ensured, EnsureError> {
    let (model, mut timings) = crate::model::build_timed(input, params, progress, cancel)?;
    let started = std::time::Instant::now();
    // The model in hand as the file keeps it (see [`half`]).
    let model = half::rounded(model);
    let save_error = save(&model, stamp, path).err().map(|e| e.to_string());
    timings.push("save", started.elapsed().as_secs_f64());
    Ok(Ensured {
        model,
        rebuilt: Some(why),
        update: refused.map(Err),
        save_error,
        timings,
    })
}
