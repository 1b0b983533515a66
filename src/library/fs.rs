//! The file-system operations the scanner and the indexer need, behind a
//! trait.
//!
//! Why: tests must exercise unreadable folders and files (the index too)
//! even when they run as root (where `chmod 000` blocks nothing); a wrapper
//! implementing [`Fs`] can inject the real `io::Error` the OS would return.

use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use super::index::{Index, LoadError};
use crate::store::regular::{read_regular, ReadError};

/// What kind of object a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only from [`Fs::symlink_metadata`]).
    Symlink,
    /// Anything else (socket, fifo, device).
    Other,
}

/// The metadata the scanner and the index use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Kind of object.
    pub kind: Kind,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 if unknown).
    pub mtime_ns: i64,
    /// Identity `(device, inode)` used for loop detection, when known.
    pub id: Option<(u64, u64)>,
}

crate::store::stamp::stamped!(Meta);

/// File-system access used by the scanner.
pub trait Fs: Sync {
    /// Entries of directory `dir` (full paths), each possibly an error.
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<io::Result<PathBuf>>>;
    /// Metadata following symlinks.
    fn metadata(&self, path: &Path) -> io::Result<Meta>;
    /// Metadata of the path itself (a symlink is reported as a symlink).
    fn symlink_metadata(&self, path: &Path) -> io::Result<Meta>;
    /// The content of the index file at `path`, `None` when there is none;
    /// anything but a regular file is refused unopened
    /// ([`crate::store::regular::read_regular`]).
    fn read_index(&self, path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
        read_regular(path)
    }
    /// The index at `path`, `None` when there is none: the bytes of
    /// [`Fs::read_index`] decoded. The real file system maps the file
    /// instead ([`Index::load`]), so that the file's bytes and the decoded
    /// index are not held together (0.78 GB each at 100 000 tracks with
    /// embeddings).
    fn load_index(&self, path: &Path) -> Result<Option<Index>, LoadError> {
        match self.read_index(path) {
            Ok(Some(bytes)) => Index::decode(&bytes, path).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(LoadError::reading(path, e)),
        }
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl Fs for RealFs {
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<io::Result<PathBuf>>> {
        Ok(std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect())
    }

    fn metadata(&self, path: &Path) -> io::Result<Meta> {
        std::fs::metadata(path).map(|m| convert(&m))
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<Meta> {
        std::fs::symlink_metadata(path).map(|m| convert(&m))
    }

    fn load_index(&self, path: &Path) -> Result<Option<Index>, LoadError> {
        Index::load(path)
    }
}

/// Convert std metadata to [`Meta`].
pub fn convert(m: &std::fs::Metadata) -> Meta {
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File
    } else {
        Kind::Other
    };
    let mtime_ns = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Meta {
        kind,
        size: m.len(),
        mtime_ns,
        id: identity(m),
    }
}

#[cfg(unix)]
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_m: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}
