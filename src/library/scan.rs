//! Recursive scan of a library folder: audio files in a deterministic order,
//! plus everything that went wrong along the way (never fatal).

use std::io;
use std::path::{Path, PathBuf};

use super::fs::{Fs, Kind, Meta};
use crate::store::paths::show;

/// File extensions treated as audio (compared case-insensitively).
pub const AUDIO_EXTENSIONS: &[&str] = &[
    "wav", "wave", "flac", "mp3", "ogg", "oga", "opus", "m4a", "mp4", "aac", "alac", "aif", "aiff",
    "aifc", "caf", "mkv", "mka", "webm", "au", "snd", "wma",
];

/// Guard against runaway recursion where the OS gives no inode identity
/// (loop detection then cannot work); no real music tree is this deep.
const MAX_DEPTH: usize = 64;

/// Whether `path` has an audio extension.
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// One audio file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Full path (the library root joined with the relative path).
    pub path: PathBuf,
    /// Path relative to the library root.
    pub rel: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
}

crate::store::stamp::stamped!(FoundFile);

/// What kind of problem the scan met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// A symlink leading back into one of its own ancestors.
    SymlinkLoop,
    /// A symlink whose target does not exist.
    DanglingSymlink,
    /// A folder whose contents cannot be listed.
    UnreadableFolder,
    /// An entry whose metadata cannot be read.
    UnreadableEntry,
    /// Nesting deeper than any real library.
    TooDeep,
}

impl ProblemKind {
    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            ProblemKind::SymlinkLoop => "symlink loop (not followed)",
            ProblemKind::DanglingSymlink => "dangling symlink (target missing)",
            ProblemKind::UnreadableFolder => "unreadable folder",
            ProblemKind::UnreadableEntry => "unreadable entry",
            ProblemKind::TooDeep => "folder nesting too deep (not followed)",
        }
    }
}

/// A problem met while scanning; the scan carries on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProblem {
    /// Where.
    pub path: PathBuf,
    /// What.
    pub kind: ProblemKind,
    /// Detail (the OS error, or the loop target).
    pub detail: String,
}

impl std::fmt::Display for ScanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", show(&self.path), self.kind.describe())?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

/// The result of a scan.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Audio files, sorted by path.
    pub files: Vec<FoundFile>,
    /// Files that are not audio (by extension), sorted.
    pub skipped: Vec<PathBuf>,
    /// Problems, in the order met.
    pub problems: Vec<ScanProblem>,
}

/// Why a scan could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The root is missing or unreadable.
    #[error("cannot read library folder {}: {source}", show(.root))]
    Root {
        /// The root.
        root: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The root is not a folder.
    #[error("library {} is a file, not a folder", show(.root))]
    NotAFolder {
        /// The root.
        root: PathBuf,
    },
}

/// Scan `root` recursively, following symlinks (with loop detection).
pub fn scan(fs: &dyn Fs, root: &Path) -> Result<Scan, ScanError> {
    let meta = fs.metadata(root).map_err(|source| ScanError::Root {
        root: root.to_path_buf(),
        source,
    })?;
    if meta.kind != Kind::Dir {
        return Err(ScanError::NotAFolder {
            root: root.to_path_buf(),
        });
    }
    let mut out = Scan::default();
    let mut ancestors = vec![meta.id];
    walk(fs, root, root, &mut ancestors, &mut out);
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.skipped.sort();
    Ok(out)
}

fn walk(
    fs: &dyn Fs,
    root: &Path,
    dir: &Path,
    ancestors: &mut Vec<Option<(u64, u64)>>,
    out: &mut Scan,
) {
    let entries = match fs.read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.problems
                .push(problem(dir, ProblemKind::UnreadableFolder, &e));
            return;
        }
    };
    let mut paths = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry {
            Ok(p) => paths.push(p),
            Err(e) => out
                .problems
                .push(problem(dir, ProblemKind::UnreadableEntry, &e)),
        }
    }
    // Sorted so that the scan, its problems and the index are deterministic.
    paths.sort();
    for path in paths {
        visit(fs, root, &path, ancestors, out);
    }
}

fn visit(
    fs: &dyn Fs,
    root: &Path,
    path: &Path,
    ancestors: &mut Vec<Option<(u64, u64)>>,
    out: &mut Scan,
) {
    let meta = match fs.metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.problems.push(classify_meta_error(fs, path, &e));
            return;
        }
    };
    match meta.kind {
        Kind::Dir => enter(fs, root, path, meta, ancestors, out),
        Kind::File if is_audio(path) => {
            let rel = path.strip_prefix(root).unwrap_or(path).to_path_buf();
            out.files.push(FoundFile {
                path: path.to_path_buf(),
                rel,
                size: meta.size,
                mtime_ns: meta.mtime_ns,
            });
        }
        // The demo library's manifest is musim's own bookkeeping, not a
        // user file worth reporting as skipped.
        Kind::File if path.file_name() == Some(std::ffi::OsStr::new(crate::demo::MANIFEST)) => {}
        _ => out.skipped.push(path.to_path_buf()),
    }
}

fn enter(
    fs: &dyn Fs,
    root: &Path,
    path: &Path,
    meta: Meta,
    ancestors: &mut Vec<Option<(u64, u64)>>,
    out: &mut Scan,
) {
    if meta.id.is_some() && ancestors.contains(&meta.id) {
        out.problems.push(ScanProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::SymlinkLoop,
            detail: "leads back to a folder above it".into(),
        });
        return;
    }
    if ancestors.len() > MAX_DEPTH {
        out.problems.push(ScanProblem {
            path: path.to_path_buf(),
            kind: ProblemKind::TooDeep,
            detail: format!("more than {MAX_DEPTH} levels"),
        });
        return;
    }
    ancestors.push(meta.id);
    walk(fs, root, path, ancestors, out);
    ancestors.pop();
}

/// Following the path failed: tell a dangling symlink and a self-referencing
/// symlink (ELOOP) from a plain unreadable entry.
fn classify_meta_error(fs: &dyn Fs, path: &Path, e: &io::Error) -> ScanProblem {
    let is_link = fs
        .symlink_metadata(path)
        .is_ok_and(|m| m.kind == Kind::Symlink);
    let kind = if !is_link {
        ProblemKind::UnreadableEntry
    } else if is_eloop(e) {
        ProblemKind::SymlinkLoop
    } else if e.kind() == io::ErrorKind::NotFound {
        ProblemKind::DanglingSymlink
    } else {
        ProblemKind::UnreadableEntry
    };
    let detail = if kind == ProblemKind::DanglingSymlink {
        String::new()
    } else {
        e.to_string()
    };
    ScanProblem {
        path: path.to_path_buf(),
        kind,
        detail,
    }
}

fn is_eloop(e: &io::Error) -> bool {
    // ELOOP: 40 on Linux, 62 on macOS and the BSDs (std has no stable kind).
    let eloop = if cfg!(target_os = "linux") { 40 } else { 62 };
    e.raw_os_error() == Some(eloop)
}

fn problem(path: &Path, kind: ProblemKind, e: &io::Error) -> ScanProblem {
    ScanProblem {
        path: path.to_path_buf(),
        kind,
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_decided_by_extension_case_insensitively() {
        assert!(is_audio(Path::new("a/b.WAV")));
        assert!(is_audio(Path::new("x.Flac")));
        assert!(is_audio(Path::new("x.au")));
        assert!(!is_audio(Path::new("x.txt")));
        assert!(!is_audio(Path::new("wav")));
    }
}
