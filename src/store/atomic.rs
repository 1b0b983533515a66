//! Atomic file replacement: write a temp file in the same folder, fsync it,
//! rename it over the target, fsync the folder. Readers see the old file or
//! the new one, never a torn mix, even after a crash or power cut.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::paths::show;

/// Why an atomic write failed. Messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target's folder does not exist.
    #[error("cannot write {}: folder {} does not exist", show(.path), show(.dir))]
    NoDir {
        /// Target.
        path: PathBuf,
        /// Its folder.
        dir: PathBuf,
    },
    /// The target's "folder" is not a folder.
    #[error("cannot write {}: {} is not a folder", show(.path), show(.dir))]
    NotADir {
        /// Target.
        path: PathBuf,
        /// Its parent.
        dir: PathBuf,
    },
    /// The target exists and must not be replaced ([`write_new`]).
    #[error("cannot write {}: it already exists", show(.path))]
    Exists {
        /// Target.
        path: PathBuf,
    },
    /// Any OS error while writing.
    #[error("cannot write {}: {source}", show(.path))]
    Io {
        /// Target.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    parent_of(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Check, before doing expensive work, that `path` can later be written:
/// its folder exists and accepts new files.
pub fn check_writable(path: &Path) -> Result<(), WriteError> {
    let dir = parent_of(path);
    match fs::metadata(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(WriteError::NoDir {
                path: path.to_path_buf(),
                dir,
            })
        }
        Err(source) => {
            return Err(WriteError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        Ok(m) if !m.is_dir() => {
            return Err(WriteError::NotADir {
                path: path.to_path_buf(),
                dir,
            })
        }
        Ok(_) => {}
    }
    let probe = temp_path(path);
    let io_err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(io_err)?;
    fs::remove_file(&probe).map_err(io_err)
}

/// Replace `path` atomically with what `fill` writes.
pub fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    write_atomic_seekable(path, |w| fill(w))
}

/// [`write_atomic`] for a `fill` that seeks in what it wrote (to patch in a
/// length or checksum known only at the end, so that nothing needs to be
/// held in memory); it writes to the temp file through a buffer.
pub fn write_atomic_seekable(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), WriteError> {
    check_writable(path)?;
    let tmp = temp_path(path);
    let result = write_then_rename(path, &tmp, fill);
    if result.is_err() {
        // Best effort: a leftover temp file is harmless but untidy.
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Create `path` with what `fill` writes, all at once, never replacing a
/// file already there ([`WriteError::Exists`], even one made meanwhile):
/// the temp file is hard-linked to the name, which fails if it is taken.
/// Where the file system has no hard links, the name is created with
/// `create_new` and written in place.
pub fn write_new(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    check_writable(path)?;
    let io_err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let exists = || WriteError::Exists {
        path: path.to_path_buf(),
    };
    if fs::symlink_metadata(path).is_ok() {
        return Err(exists());
    }
    let tmp = temp_path(path);
    let mut bytes = Vec::new();
    fill(&mut bytes).map_err(io_err)?;
    let written = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    match written {
        Ok(()) => sync_dir(&parent_of(path)).map_err(io_err),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => exists(),
                    _ => io_err(e),
                })?;
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .map_err(io_err)
        }
        Err(e) => Err(io_err(e)),
    }
}

fn write_then_rename(
    path: &Path,
    tmp: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let file = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    let mut w = BufWriter::new(file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    fs::rename(tmp, path)?;
    sync_dir(&parent_of(path))
}

/// fsync a folder so a rename in it survives a crash.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// fsync a folder (a no-op where folders cannot be opened).
#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.txt");
        fs::write(&p, "old").unwrap();
        write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failing_writer_keeps_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.txt");
        fs::write(&p, "old").unwrap();
        let r = write_atomic(&p, |_| Err(io::Error::other("boom")));
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_new_never_replaces_a_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("list.m3u");
        write_new(&p, |w| w.write_all(b"first")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "first");
        let e = write_new(&p, |w| w.write_all(b"second")).unwrap_err();
        assert!(matches!(e, WriteError::Exists { .. }), "{e}");
        assert!(e.to_string().contains("already exists"), "{e}");
        assert_eq!(fs::read_to_string(&p).unwrap(), "first");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn missing_folder_is_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("nope/x.idx");
        let e = check_writable(&p).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
    }
}
