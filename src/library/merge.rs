//! Merging shard indexes (`musim-tui merge`) into one index of the whole
//! library: a plain file merge, after checks that the shards are the
//! parts of one analysis of one library.
//!
//! Compared across the shards: the musim version, feature set, feature
//! names and analysis parameters (windows / whole), the label source,
//! the deep model of any embeddings, the shard count, and the library as
//! each machine saw it (the number of audio files and a digest of their
//! paths relative to the library root: [`ShardInfo`]). The library roots
//! themselves may differ (each machine mounts it where it likes); every
//! track is re-rooted at the merged index's library root.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::deep::DeepTable;
use super::index::{Index, LoadError};
use super::labels;
use super::shard::{self, ShardInfo};
use crate::store::atomic::{check_writable, WriteError};
use crate::store::backup::{keep_copy, BackupError};
use crate::store::lock::{LockError, WriterLock};
use crate::store::paths::{from_bytes, show, show_bytes, to_bytes};

/// What a merge may do beyond the safe default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The library root of the merged index (default: the first shard's).
    pub root: Option<PathBuf>,
    /// Merge even when some shards are missing.
    pub allow_partial: bool,
    /// Replace an existing output file that is not one of the shards (a
    /// copy of it is kept first).
    pub force: bool,
}

/// What a merge did.
#[derive(Debug)]
pub struct Merged {
    /// The merged index.
    pub index: Index,
    /// Shard count.
    pub count: u32,
    /// The shard numbers merged, sorted.
    pub shards: Vec<u32>,
    /// Where the previous output file was kept, if there was one.
    pub backup: Option<PathBuf>,
}

/// Why shard indexes could not be merged. Nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No shard index given.
    #[error("no shard indexes to merge: give the files `index --shard i/n --index FILE` wrote")]
    NoInputs,
    /// A shard index is missing or unreadable.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// A shard index does not exist.
    #[error("shard index {} does not exist", show(.0))]
    Missing(PathBuf),
    /// An input is an index of a whole library.
    #[error("{} is not a shard index (it was made without `index --shard i/n`)", show(.0))]
    NotAShard(PathBuf),
    /// Two shards disagree on something that must be the same.
    #[error("shard indexes {} and {} differ in {what}: {a} vs {b}; they are not parts of one analysis", show(.first), show(.other))]
    Mismatch {
        /// The first shard.
        first: PathBuf,
        /// The shard that differs.
        other: PathBuf,
        /// What differs.
        what: &'static str,
        /// The first shard's value.
        a: String,
        /// The other's.
        b: String,
    },
    /// The same shard number twice.
    #[error("shard {index}/{count} is given twice: {} and {}", show(.first), show(.other))]
    SameShard {
        /// The shard number.
        index: u32,
        /// The shard count.
        count: u32,
        /// One file.
        first: PathBuf,
        /// The other.
        other: PathBuf,
    },
    /// Some shards are not among the inputs.
    #[error("{} of {count} {} missing: the merged index would lack their tracks (merge them too, or pass --allow-partial to merge what is here)", list(.missing), if .missing.len() == 1 { "is" } else { "are" })]
    Incomplete {
        /// The missing shard numbers.
        missing: Vec<u32>,
        /// The shard count.
        count: u32,
    },
    /// A track in a shard it does not belong to.
    #[error("{} holds {}, which belongs to shard {belongs}/{count}, not {index}/{count}", show(.path), show_bytes(.track))]
    WrongShard {
        /// The shard index.
        path: PathBuf,
        /// The track's path relative to the library root.
        track: Vec<u8>,
        /// The shard it claims to be.
        index: u32,
        /// The shard the track hashes to.
        belongs: u32,
        /// The shard count.
        count: u32,
    },
    /// A track whose path is not under its index's library root.
    #[error("{} holds {}, which is not under its library root {}", show(.path), show_bytes(.track), show_bytes(.root))]
    Outside {
        /// The shard index.
        path: PathBuf,
        /// The track's path.
        track: Vec<u8>,
        /// The index's library root.
        root: Vec<u8>,
    },
    /// The same track in two shards.
    #[error("track {} is in both {} and {}", show_bytes(.track), show(.first), show(.other))]
    SameTrack {
        /// The track's path relative to the library root.
        track: Vec<u8>,
        /// One shard index.
        first: PathBuf,
        /// The other.
        other: PathBuf,
    },
    /// The output exists and is not one of the inputs.
    #[error("{} already exists and is not one of the shards: not replaced (pass --force to replace it; a copy is kept as {}.backup)", show(.0), show(.0))]
    Exists(PathBuf),
    /// The output exists but is not a regular file.
    #[error("{} exists and is not a regular file: not replaced", show(.0))]
    NotAFile(PathBuf),
    /// A copy of the previous output could not be kept.
    #[error("{0}; the merged index was not written")]
    Backup(#[from] BackupError),
    /// Another musim is writing the output.
    #[error("{0}")]
    Lock(#[from] LockError),
    /// The output cannot be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// "shard 2" or "shards 2, 3".
fn list(n: &[u32]) -> String {
    let nums = n.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    if n.len() == 1 {
        format!("shard {nums}")
    } else {
        format!("shards {nums}")
    }
}

/// One loaded shard.
struct Part {
    path: PathBuf,
    index: Index,
    info: ShardInfo,
}

/// Merge the shard indexes at `inputs` into `out` (written atomically;
/// see [`Options`] for when an existing `out` is replaced). Every check
/// runs before anything is written.
pub fn merge(inputs: &[PathBuf], out: &Path, opts: &Options) -> Result<Merged, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::NoInputs);
    }
    check_out(inputs, out, opts)?;
    check_writable(out)?;
    let parts = load(inputs)?;
    let (count, shards) = check_parts(&parts, opts)?;
    let index = join(parts, opts)?;
    // One writer at a time, as for indexing.
    let never = AtomicBool::new(false);
    let _lock = WriterLock::acquire(out, &never, &|_| {})?;
    let backup = match out.try_exists() {
        Ok(true) => Some(keep_copy(out, "backup")?),
        _ => None,
    };
    index.save(out)?;
    Ok(Merged {
        index,
        count,
        shards,
        backup,
    })
}

/// `out` may be written: new, one of the inputs, or `--force`.
fn check_out(inputs: &[PathBuf], out: &Path, opts: &Options) -> Result<(), MergeError> {
    let Ok(meta) = std::fs::symlink_metadata(out) else {
        return Ok(());
    };
    if !meta.is_file() {
        return Err(MergeError::NotAFile(out.to_path_buf()));
    }
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let is_input = canon(out).is_some_and(|o| inputs.iter().any(|i| canon(i) == Some(o.clone())));
    if is_input || opts.force {
        Ok(())
    } else {
        Err(MergeError::Exists(out.to_path_buf()))
    }
}

fn load(inputs: &[PathBuf]) -> Result<Vec<Part>, MergeError> {
    inputs
        .iter()
        .map(|path| {
            let index = Index::load(path)?.ok_or_else(|| MergeError::Missing(path.clone()))?;
            let info = index
                .header
                .shard
                .ok_or_else(|| MergeError::NotAShard(path.clone()))?;
            Ok(Part {
                path: path.clone(),
                index,
                info,
            })
        })
        .collect()
}

/// The shards agree and are complete (or `allow_partial`): returns the
/// shard count and the numbers present.
fn check_parts(parts: &[Part], opts: &Options) -> Result<(u32, Vec<u32>), MergeError> {
    let Some(first) = parts.first() else {
        return Err(MergeError::NoInputs);
    };
    let h0 = &first.index.header;
    for p in &parts[1..] {
        let h = &p.index.header;
        let differ = |what: &'static str, a: String, b: String| {
            (a != b).then(|| MergeError::Mismatch {
                first: first.path.clone(),
                other: p.path.clone(),
                what,
                a,
                b,
            })
        };
        let checks = [
            differ(
                "musim version",
                h0.musim_version.clone(),
                h.musim_version.clone(),
            ),
            differ(
                "feature set",
                format!("v{}", h0.feature_set_version),
                format!("v{}", h.feature_set_version),
            ),
            differ(
                "analysis",
                h0.params.windows.describe(),
                h.params.windows.describe(),
            ),
            differ(
                "analysis parameters",
                format!("{:?}", h0.params),
                format!("{:?}", h.params),
            ),
            differ(
                "feature names",
                format!("{} features", h0.feature_names.len()),
                format!("{} features", h.feature_names.len()),
            )
            .or_else(|| {
                (h0.feature_names != h.feature_names).then(|| MergeError::Mismatch {
                    first: first.path.clone(),
                    other: p.path.clone(),
                    what: "feature names",
                    a: "one list".into(),
                    b: "another".into(),
                })
            }),
            differ(
                "label source (--labels)",
                h0.labels.to_string(),
                h.labels.to_string(),
            ),
            differ(
                "shard count",
                first.info.count.to_string(),
                p.info.count.to_string(),
            ),
            differ(
                "library (audio files found)",
                first.info.library_files.to_string(),
                p.info.library_files.to_string(),
            ),
            differ(
                "library (paths of its files)",
                format!("digest {:016x}", first.info.library_digest),
                format!("digest {:016x}", p.info.library_digest),
            ),
        ];
        if let Some(e) = checks.into_iter().flatten().next() {
            return Err(e);
        }
    }
    // Deep embeddings, where a shard has any, from one model.
    let models: Vec<&Part> = parts
        .iter()
        .filter(|p| !p.index.deep.model.is_empty())
        .collect();
    if let [m0, rest @ ..] = models.as_slice() {
        if let Some(p) = rest
            .iter()
            .find(|p| p.index.deep.model != m0.index.deep.model)
        {
            return Err(MergeError::Mismatch {
                first: m0.path.clone(),
                other: p.path.clone(),
                what: "deep model",
                a: m0.index.deep.model.clone(),
                b: p.index.deep.model.clone(),
            });
        }
    }
    let count = first.info.count;
    let mut seen: HashMap<u32, &Path> = HashMap::new();
    for p in parts {
        if let Some(other) = seen.insert(p.info.index, &p.path) {
            return Err(MergeError::SameShard {
                index: p.info.index,
                count,
                first: other.to_path_buf(),
                other: p.path.clone(),
            });
        }
    }
    let missing: Vec<u32> = (1..=count).filter(|i| !seen.contains_key(i)).collect();
    if !missing.is_empty() && !opts.allow_partial {
        return Err(MergeError::Incomplete { missing, count });
    }
    let mut shards: Vec<u32> = seen.into_keys().collect();
    shards.sort_unstable();
    Ok((count, shards))
}

/// The merged index: every shard's tracks and embeddings re-rooted at the
/// output root, sorted by path, labelled afresh over the whole library.
fn join(parts: Vec<Part>, opts: &Options) -> Result<Index, MergeError> {
    let mut parts = parts.into_iter();
    let first = parts.next().ok_or(MergeError::NoInputs)?;
    let root = opts
        .root
        .as_ref()
        .map_or_else(|| first.index.header.root.clone(), |r| to_bytes(r));
    let mut header = first.index.header.clone();
    header.root = root.clone();
    header.shard = None;
    let root_path = from_bytes(&root);
    let mut entries = Vec::new();
    let mut deep = DeepTable::default();
    let mut owner: HashMap<Vec<u8>, PathBuf> = HashMap::new();
    for p in std::iter::once(first).chain(parts) {
        let from = from_bytes(&p.index.header.root);
        let rebase = |path: &[u8]| -> Result<(Vec<u8>, Vec<u8>), MergeError> {
            let full = from_bytes(path);
            let rel = full
                .strip_prefix(&from)
                .map_err(|_| MergeError::Outside {
                    path: p.path.clone(),
                    track: path.to_vec(),
                    root: p.index.header.root.clone(),
                })?
                .to_path_buf();
            Ok((shard::key(&rel), to_bytes(&root_path.join(&rel))))
        };
        for mut e in p.index.entries {
            let (key, new) = rebase(&e.path)?;
            let belongs = shard::of(&from_bytes(&key), p.info.count);
            if belongs != p.info.index {
                return Err(MergeError::WrongShard {
                    path: p.path.clone(),
                    track: key,
                    index: p.info.index,
                    belongs,
                    count: p.info.count,
                });
            }
            if let Some(other) = owner.insert(key.clone(), p.path.clone()) {
                return Err(MergeError::SameTrack {
                    track: key,
                    first: other,
                    other: p.path.clone(),
                });
            }
            e.path = new;
            entries.push(e);
        }
        if !p.index.deep.model.is_empty() {
            deep.model = p.index.deep.model.clone();
        }
        for mut r in p.index.deep.rows {
            r.path = rebase(&r.path)?.1;
            deep.rows.push(r);
        }
    }
    // As the scan orders files (by path, component by component).
    entries.sort_by_cached_key(|e| from_bytes(&e.path));
    deep.rows.sort_by(|a, b| a.path.cmp(&b.path));
    labels::apply(&mut entries, &root_path, header.labels);
    let mut index = Index {
        header,
        entries,
        deep,
    };
    index.deep.retain_valid(&index.entries);
    Ok(index)
}
