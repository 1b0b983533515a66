//! The model file, stored beside the index (`<index>.model`), in the same
//! framed format. A missing, older, corrupt or out-of-date model is simply
//! rebuilt — it is derived data — and a failed save leaves the model usable
//! and the previous file intact. What is not a readable regular file (a
//! folder, a FIFO, a device, a file musim may not read) is not musim's to
//! replace: it is reported ([`ModelFileError`]) and left as it is.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::library::index::{Index, Outcome};
use crate::model::{Input, Model, ModelError, ModelParams, Stage, Track};
use crate::similarity::SpaceError;
use crate::store::atomic::write_atomic;
use crate::store::framed::{self, FrameError};
use crate::store::paths::show;
use crate::store::regular::{kind_at, read_regular, FileKind, ReadError};

/// First bytes of every model file.
pub const MAGIC: &[u8; 8] = b"MUSIMMDL";
/// Version of the model layout; bump when [`Model`] changes shape.
pub const FORMAT_VERSION: u32 = 4;

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
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Missing => write!(f, "no model yet"),
            Stale::Changed => write!(f, "the library changed since the model was built"),
            Stale::Profile(a, b) => write!(f, "similarity profile changed from {a} to {b}"),
            Stale::Unusable(why) => write!(f, "{why}"),
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

/// Serialise a model.
pub fn encode(model: &Model) -> Result<Vec<u8>, postcard::Error> {
    Ok(framed::encode(
        MAGIC,
        FORMAT_VERSION,
        &postcard::to_allocvec(model)?,
    ))
}

/// Read the model at `path`, whatever library state it was built for
/// (what must not be replaced is [`Stale::Unusable`] here too).
pub fn read(path: &Path) -> Result<Model, Stale> {
    read_checked(path).unwrap_or_else(|e| Err(Stale::Unusable(e.to_string())))
}

/// [`read`], telling a model to rebuild (`Ok(Err(why))`) from a path that
/// must be left alone (`Err`).
fn read_checked(path: &Path) -> Result<Result<Model, Stale>, ModelFileError> {
    Ok(read_framed(path)?.and_then(|bytes| {
        let model: Model = postcard::from_bytes(payload(&bytes, path)?)
            .map_err(|e| unusable(path, format!("is corrupt (cannot decode: {e})")))?;
        Ok(model.restore())
    }))
}

/// The parameters (similarity profile included) of the model at `path`,
/// without decoding its tracks and space: [`Model`] starts with its key
/// and parameters, and postcard lays a struct's fields out in order.
pub fn read_params(path: &Path) -> Result<ModelParams, Stale> {
    let bytes = read_framed(path).unwrap_or_else(|e| Err(Stale::Unusable(e.to_string())))?;
    let ((_key, params), _rest) =
        postcard::take_from_bytes::<(u64, ModelParams)>(payload(&bytes, path)?)
            .map_err(|e| unusable(path, format!("is corrupt (cannot decode: {e})")))?;
    Ok(params)
}

/// The bytes of the model file at `path` (`Ok(Err(Missing))` when there
/// is none); only a regular file is opened.
fn read_framed(path: &Path) -> Result<Result<Vec<u8>, Stale>, ModelFileError> {
    match read_regular(path) {
        Ok(Some(bytes)) => Ok(Ok(bytes)),
        Ok(None) => Ok(Err(Stale::Missing)),
        Err(e) => Err(ModelFileError::new(path, e)),
    }
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

/// A model file's payload, its frame checked.
fn payload<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a [u8], Stale> {
    framed::decode(bytes, MAGIC, FORMAT_VERSION).map_err(|e| match e {
        FrameError::Foreign => unusable(path, "is not a musim model".into()),
        FrameError::Older(v) => {
            unusable(path, format!("was written by an older musim (format {v})"))
        }
        FrameError::Newer(v) => {
            unusable(path, format!("was written by a newer musim (format {v})"))
        }
        FrameError::Corrupt(d) => unusable(path, format!("is corrupt ({d})")),
    })
}

fn unusable(path: &Path, why: String) -> Stale {
    Stale::Unusable(format!("model {} {why}", show(path)))
}

/// Write `model` atomically to `path`.
pub fn save(model: &Model, path: &Path) -> Result<(), crate::store::atomic::WriteError> {
    let bytes = encode(model).map_err(|e| crate::store::atomic::WriteError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("cannot encode the model: {e}")),
    })?;
    write_atomic(path, |w: &mut dyn Write| w.write_all(&bytes))
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
    let needs_deep = params.similarity.needs_embeddings();
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
    crate::model::build(input(index, params)?, params, progress, cancel)
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
    /// Why it was rebuilt, or `None` when the stored one was current.
    pub rebuilt: Option<Stale>,
    /// A problem saving the rebuilt model (it is still usable).
    pub save_error: Option<String>,
    /// How long each phase of the build and the save took (empty when
    /// the stored model was current).
    pub timings: crate::model::Timings,
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
    let path = model_path(index_path);
    let stored = read_checked(&path)?;
    let params = resolve(params, similarity, stored.as_ref().ok().map(|m| &m.params));
    let key = content_key(&index, &params);
    let why = match stored {
        Ok(model) if model.key == key => {
            return Ok(Ensured {
                model,
                rebuilt: None,
                save_error: None,
                timings: Default::default(),
            })
        }
        Ok(m) if m.params.similarity != params.similarity => {
            Stale::Profile(m.params.similarity, params.similarity)
        }
        Ok(_) => Stale::Changed,
        Err(why) => why,
    };
    let (model, mut timings) =
        crate::model::build_timed(input_keyed(index, &params, key)?, &params, progress, cancel)?;
    let started = std::time::Instant::now();
    let save_error = save(&model, &path).err().map(|e| e.to_string());
    timings.push("save", started.elapsed().as_secs_f64());
    Ok(Ensured {
        model,
        rebuilt: Some(why),
        save_error,
        timings,
    })
}
