//! Numbered backups: a file is kept beside itself under the first free name
//! of `x.suffix`, `x.suffix.1`, `x.suffix.2`, …, so that an earlier backup
//! is never replaced.
//!
//! The backup is a hard link where the file system allows it (instant, and
//! taken without replacing anything: creating a link fails on an existing
//! name), else a copy made with `create_new`. Either way the file itself
//! stays where it is; musim then replaces it atomically
//! ([`super::atomic::write_atomic`]), which leaves the backup holding the
//! old content.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::paths::show;

/// Most backups of one file with one suffix.
const MAX_BACKUPS: usize = 10_000;

/// A backup could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot keep a copy of {} as {}: {source}", show(.path), show(.backup))]
pub struct BackupError {
    /// The file.
    pub path: PathBuf,
    /// The name the copy was to get.
    pub backup: PathBuf,
    /// The OS error.
    pub source: io::Error,
}

/// `path.suffix` for `n` = 0, else `path.suffix.n`.
pub fn numbered(path: &Path, suffix: &str, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    if n > 0 {
        s.push(format!(".{n}"));
    }
    PathBuf::from(s)
}

/// Keep `path` as the first free [`numbered`] name with `suffix`; returns
/// that name. Nothing existing is replaced.
pub fn keep_copy(path: &Path, suffix: &str) -> Result<PathBuf, BackupError> {
    let mut last = numbered(path, suffix, 0);
    for n in 0..MAX_BACKUPS {
        let backup = numbered(path, suffix, n);
        let result = match fs::hard_link(path, &backup) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
            // No hard links here (e.g. FAT, some network file systems).
            Err(_) => copy_new(path, &backup),
        };
        match result {
            Ok(()) => return Ok(backup),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = backup,
            Err(source) => {
                return Err(BackupError {
                    path: path.to_path_buf(),
                    backup,
                    source,
                })
            }
        }
    }
    Err(BackupError {
        path: path.to_path_buf(),
        backup: last,
        source: io::Error::other(format!("{MAX_BACKUPS} backups are there already")),
    })
}

/// Copy `from` to the new file `to` (never replacing one), synced to disk.
fn copy_new(from: &Path, to: &Path) -> io::Result<()> {
    let mut src = File::open(from)?;
    let mut dst = OpenOptions::new().write(true).create_new(true).open(to)?;
    let copied = io::copy(&mut src, &mut dst).and_then(|_| dst.sync_all());
    if copied.is_err() {
        // Only what this call created: an incomplete copy is no backup.
        let _ = fs::remove_file(to);
    }
    copied
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_are_numbered_and_never_replaced() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.idx");
        for (i, content) in ["one", "two", "three"].iter().enumerate() {
            fs::write(&p, content).unwrap();
            let b = keep_copy(&p, "corrupt").unwrap();
            let expected = match i {
                0 => d.path().join("x.idx.corrupt"),
                n => d.path().join(format!("x.idx.corrupt.{n}")),
            };
            assert_eq!(b, expected);
            // The file itself stays; replace it the way musim does.
            assert_eq!(fs::read_to_string(&p).unwrap(), *content);
            crate::store::atomic::write_atomic(&p, |w| w.write_all(b"new")).unwrap();
        }
        assert_eq!(
            fs::read_to_string(d.path().join("x.idx.corrupt")).unwrap(),
            "one"
        );
        assert_eq!(
            fs::read_to_string(d.path().join("x.idx.corrupt.1")).unwrap(),
            "two"
        );
        assert_eq!(
            fs::read_to_string(d.path().join("x.idx.corrupt.2")).unwrap(),
            "three"
        );
    }

    #[test]
    fn the_copy_fallback_does_not_replace_either() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x");
        let b = d.path().join("x.old");
        fs::write(&p, "new").unwrap();
        fs::write(&b, "precious").unwrap();
        let e = copy_new(&p, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&b).unwrap(), "precious");
        copy_new(&p, &d.path().join("x.old.1")).unwrap();
        assert_eq!(fs::read_to_string(d.path().join("x.old.1")).unwrap(), "new");
    }

    #[test]
    fn a_missing_file_is_an_error_naming_both() {
        let d = tempfile::tempdir().unwrap();
        let e = keep_copy(&d.path().join("gone"), "bak")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot keep a copy of "), "{e}");
        assert!(e.contains("gone as ") && e.contains("gone.bak"), "{e}");
    }
}
