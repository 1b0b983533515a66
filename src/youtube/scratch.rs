//! The temporary folder of one fetch, and the removal of those left behind
//! by runs that were killed.
//!
//! The folder is owned by a [`tempfile::TempDir`] from the start, so every
//! exit path that unwinds or returns removes it. Only SIGKILL (or a second
//! Ctrl-C, which quits at once) leaves one behind, so each fetch first
//! removes the folders of dead runs: those named `musim-yt-<pid>-…` whose
//! process `<pid>` no longer exists. On Unix the owner also holds an
//! advisory lock on its folder for as long as it lives; a folder is removed
//! only when that lock is free too, so a live run whose pid this process
//! cannot see (another pid namespace sharing the temp folder) keeps its
//! download. Nothing without that name, not a real folder of ours, is
//! touched.

use std::fs::File;
use std::io;
use std::path::Path;

/// Start of every fetch folder's name; the owner's pid and `-` follow.
pub const PREFIX: &str = "musim-yt-";

/// A fetch's temporary folder, removed when dropped.
#[derive(Debug)]
pub(super) struct Scratch {
    /// Owns the folder: dropping it deletes the folder and what is in it.
    pub(super) dir: tempfile::TempDir,
    /// The folder opened and locked (Unix), so sweeps see its owner alive.
    _lock: Option<File>,
}

/// A new `musim-yt-<pid>-XXXXXX` folder in `parent`.
pub(super) fn create(parent: &Path) -> io::Result<Scratch> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .tempdir_in(parent)?;
    let lock = lock(dir.path(), false).ok().flatten();
    Ok(Scratch { dir, _lock: lock })
}

/// Remove the fetch folders in `parent` left by processes that are gone.
/// Best effort: what cannot be read or removed is left as it is.
pub(super) fn sweep(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = owner(&entry.file_name()) else {
            continue;
        };
        if pid == me || alive(pid) {
            continue;
        }
        let path = entry.path();
        if ours(&path) && matches!(lock(&path, true), Ok(Some(_))) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// The pid in a name `musim-yt-<pid>-<rest>`, else `None`.
fn owner(name: &std::ffi::OsStr) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix(PREFIX)?;
    let (pid, tail) = rest.split_once('-')?;
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if !digits || tail.is_empty() {
        return None;
    }
    pid.parse().ok().filter(|&p| p > 0)
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    // No portable check: never remove anything.
    true
}

/// A real folder (not a link to one) owned by this user.
#[cfg(unix)]
fn ours(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir() && m.uid() == me)
}

#[cfg(not(unix))]
fn ours(_path: &Path) -> bool {
    false
}

/// Open the folder `path` (never through a link) and take an exclusive
/// advisory lock on it: `Ok(None)` if another process holds it and
/// `nonblocking`.
#[cfg(unix)]
fn lock(path: &Path, nonblocking: bool) -> io::Result<Option<File>> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)?;
    let op = if nonblocking {
        libc::LOCK_EX | libc::LOCK_NB
    } else {
        libc::LOCK_EX
    };
    // SAFETY: flock(2) on a descriptor `dir` owns for the whole call.
    if unsafe { libc::flock(dir.as_raw_fd(), op) } == 0 {
        return Ok(Some(dir));
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(None)
    } else {
        Err(e)
    }
}

#[cfg(not(unix))]
fn lock(_path: &Path, _nonblocking: bool) -> io::Result<Option<File>> {
    Ok(None)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn owner_pids_come_only_from_our_names() {
        let ok = |s: &str| owner(std::ffi::OsStr::new(s));
        assert_eq!(ok("musim-yt-1234-abcXYZ"), Some(1234));
        for bad in [
            "musim-yt-abc123",
            "musim-yt-1234-",
            "musim-yt--1-x",
            "musim-yt-0-x",
            "musim-yt-+12-x",
            "musim-yt-99999999999999-x",
            "other-1234-x",
            "musim-yt-12a-x",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    /// A dead process's folder goes; a live one's, a locked one's, a link
    /// and anything not named like ours stay.
    #[test]
    fn sweep_removes_only_dead_runs_folders() {
        let parent = tempfile::tempdir().unwrap();
        let p = |n: &str| parent.path().join(n);
        // A pid that existed and is gone: a reaped child.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keep"), b"x").unwrap();

        let stale = p(&format!("musim-yt-{dead}-stale1"));
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("audio.m4a"), b"x").unwrap();
        let live = p(&format!("musim-yt-{}-live01", std::process::id()));
        std::fs::create_dir(&live).unwrap();
        let locked = p(&format!("musim-yt-{dead}-locked"));
        std::fs::create_dir(&locked).unwrap();
        let held = lock(&locked, false).unwrap();
        let link = p(&format!("musim-yt-{dead}-link01"));
        std::os::unix::fs::symlink(outside.path(), &link).unwrap();
        let file = p(&format!("musim-yt-{dead}-file01"));
        std::fs::write(&file, b"x").unwrap();
        let foreign = p("musim-yt-AbCdEf");
        std::fs::create_dir(&foreign).unwrap();

        sweep(parent.path());
        assert!(!stale.exists(), "a dead run's folder was kept");
        for kept in [&live, &locked, &link, &file, &foreign] {
            assert!(
                kept.symlink_metadata().is_ok(),
                "{} removed",
                kept.display()
            );
        }
        assert!(outside.path().join("keep").exists());
        drop(held);
        sweep(parent.path());
        assert!(!locked.exists(), "freed lock, dead pid: should go");
    }
}
