//! One writer per index. Two runs writing the same index (an `index`
//! beside an `index --deep`, the explorer retraining while a script
//! indexes) would each save their own view and drop the other's work. A
//! writer holds an advisory lock (`flock`) on `<index>.musim.lock` for its
//! whole run; a second writer waits for it, saying so. Readers never lock:
//! the index is replaced atomically, so they always see a whole file.
//!
//! The lock is on a file of its own because the index itself is replaced
//! by a rename on every save, and a lock on the old file would not hold
//! the new one. The holder removes the lock file when it is done, so
//! nothing is left beside the index; a writer that got the lock checks the
//! path still names the file it locked (else it was removed meanwhile and
//! it tries again). The OS releases the lock when the process ends, however
//! it ends; a lock file left by a killed run is reused.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::paths::show;
use super::regular::{open_regular, ReadError};

/// How often a waiting writer looks again (and checks for Ctrl-C).
const POLL: Duration = Duration::from_millis(100);

/// Why the writer's lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock file cannot be made or opened.
    #[error("cannot use the lock file {}: {source}", show(.path))]
    Open {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        source: ReadError,
    },
    /// The OS refused the lock.
    #[error("cannot lock {}: {source}", show(.path))]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Interrupted while waiting for the other writer.
    #[error("interrupted while waiting for another musim-tui writing {}", show(.0))]
    Cancelled(PathBuf),
}

/// The lock file of the index at `index`: `<index>.musim.lock` beside it.
pub fn lock_path(index: &Path) -> PathBuf {
    let mut name = index.file_name().unwrap_or_default().to_os_string();
    name.push(".musim.lock");
    index.with_file_name(name)
}

/// The writer's lock of one index, released (and its file removed) when
/// dropped.
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    path: PathBuf,
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        // Removed while still locked: a waiter that then gets the lock on
        // the removed file sees it is gone and starts again.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

impl WriterLock {
    /// Take the lock of the index at `index`. When another process holds
    /// it, `waiting` is called once and this waits until it is free, or
    /// until `cancel` is set.
    pub fn acquire(
        index: &Path,
        cancel: &AtomicBool,
        waiting: &dyn Fn(&Path),
    ) -> Result<Self, LockError> {
        let path = lock_path(index);
        let mut said = false;
        loop {
            let file = open(&path).map_err(|source| LockError::Open {
                path: path.clone(),
                source,
            })?;
            match file.try_lock() {
                Ok(()) if still_named(&file, &path) => return Ok(Self { file, path }),
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(source)) => return Err(LockError::Lock { path, source }),
            }
            if cancel.load(Ordering::SeqCst) {
                return Err(LockError::Cancelled(index.to_path_buf()));
            }
            if !said {
                waiting(index);
                said = true;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Whether `path` still names `file` (the holder before us may have
/// removed it).
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Open (making it if needed) the lock file, refusing anything but a
/// regular file there (a FIFO would block the open).
fn open(path: &Path) -> Result<File, ReadError> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ReadError::Io(e)),
    }
    open_regular(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn a_second_writer_waits_until_the_first_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("lib.idx");
        let never = AtomicBool::new(false);
        let first = WriterLock::acquire(&index, &never, &|_| panic!("nobody holds it")).unwrap();
        let waited = Arc::new(AtomicUsize::new(0));
        let (w, idx) = (Arc::clone(&waited), index.clone());
        let second = std::thread::spawn(move || {
            let never = AtomicBool::new(false);
            let _l = WriterLock::acquire(&idx, &never, &|_| {
                w.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        });
        let t0 = std::time::Instant::now();
        while waited.load(Ordering::SeqCst) == 0 {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "second never waited"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!second.is_finished(), "second took a held lock");
        drop(first);
        second.join().unwrap();
        assert_eq!(waited.load(Ordering::SeqCst), 1, "said once");
        assert!(!lock_path(&index).exists(), "the lock file is removed");
    }

    #[test]
    fn a_waiting_writer_stops_on_ctrl_c() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("lib.idx");
        let never = AtomicBool::new(false);
        let _first = WriterLock::acquire(&index, &never, &|_| {}).unwrap();
        let cancel = AtomicBool::new(true);
        let r = WriterLock::acquire(&index, &cancel, &|_| {});
        assert!(matches!(r, Err(LockError::Cancelled(_))), "{r:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_at_the_lock_path_is_named_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("lib.idx");
        let made = std::process::Command::new("mkfifo")
            .arg(lock_path(&index))
            .status()
            .unwrap();
        assert!(made.success());
        let never = AtomicBool::new(false);
        let e = WriterLock::acquire(&index, &never, &|_| {}).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("lib.idx.musim.lock") && msg.contains("FIFO"),
            "{msg}"
        );
    }
}
