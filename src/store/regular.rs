//! Reading musim's own files (index, model) only when they are regular
//! files. Whatever else a user put at such a path — a folder, a FIFO, a
//! device, a socket, a dangling symlink — is named and left alone: opening
//! a FIFO for reading blocks until a writer comes, a device can be endless,
//! and none of them is musim's to move or replace.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What is at a path that is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A FIFO (named pipe).
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// Anything else.
    Other,
}

impl FileKind {
    /// The kind of `file_type` (symlinks are expected to be followed already).
    pub fn of(file_type: &fs::FileType) -> FileKind {
        if file_type.is_file() {
            return FileKind::File;
        }
        if file_type.is_dir() {
            return FileKind::Dir;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return FileKind::Fifo;
            }
            if file_type.is_socket() {
                return FileKind::Socket;
            }
            if file_type.is_char_device() {
                return FileKind::CharDevice;
            }
            if file_type.is_block_device() {
                return FileKind::BlockDevice;
            }
        }
        FileKind::Other
    }

    /// Words for people, with the article: "a directory".
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::File => "a regular file",
            FileKind::Dir => "a directory",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Other => "a special file",
        }
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Why the file at a path was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Something other than a regular file is there.
    #[error("is {0}")]
    NotAFile(FileKind),
    /// A symlink whose target does not exist (e.g. on an unmounted drive).
    #[error("is a symlink to {}, which does not exist", super::paths::show(.0))]
    Dangling(PathBuf),
    /// The OS refused (permissions, IO error).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The content of the regular file at `path` (symlinks followed), `None`
/// when nothing is there. Anything else is refused before it is opened;
/// the open itself does not block either, and the opened file is checked
/// again (it may have been swapped meanwhile).
pub fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return match fs::read_link(path) {
                Ok(target) => Err(ReadError::Dangling(target)),
                Err(_) => Ok(None),
            };
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    check_kind(&meta)?;
    let mut file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    check_kind(&meta)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Open the regular file at `path` for reading (symlinks followed), never
/// blocking on whatever else is there: that is refused, named.
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    if let Some(kind) = kind_at(path)? {
        check_kind_is_file(kind)?;
    }
    let file = open_nonblocking(path)?;
    check_kind(&file.metadata()?)?;
    Ok(file)
}

fn check_kind_is_file(kind: FileKind) -> Result<(), ReadError> {
    match kind {
        FileKind::File => Ok(()),
        other => Err(ReadError::NotAFile(other)),
    }
}

/// The kind of what is at `path` (symlinks followed), `None` when nothing
/// is there (a dangling symlink is reported as [`ReadError::Dangling`]).
pub fn kind_at(path: &Path) -> Result<Option<FileKind>, ReadError> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(FileKind::of(&m.file_type()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => match fs::read_link(path) {
            Ok(target) => Err(ReadError::Dangling(target)),
            Err(_) => Ok(None),
        },
        Err(e) => Err(ReadError::Io(e)),
    }
}

fn check_kind(meta: &fs::Metadata) -> Result<(), ReadError> {
    check_kind_is_file(FileKind::of(&meta.file_type()))
}

/// Open for reading without blocking on a FIFO that has no writer
/// (`O_NONBLOCK` changes nothing for a regular file).
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NONBLOCK);
    }
    options.open(path)
}

// `O_NONBLOCK` without the libc crate: its value on the platforms musim
// builds for (0 elsewhere: the kind check before opening still applies).
#[cfg(unix)]
const O_NONBLOCK: i32 = if cfg!(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) {
    0x0004
} else if cfg!(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
)) {
    0o4000
} else {
    0
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_and_says_none_when_missing() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x");
        assert!(read_regular(&p).unwrap().is_none());
        fs::write(&p, b"hello").unwrap();
        assert_eq!(read_regular(&p).unwrap().unwrap(), b"hello");
        assert_eq!(kind_at(&p).unwrap(), Some(FileKind::File));
    }

    #[test]
    fn a_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = read_regular(d.path()).unwrap_err();
        assert!(matches!(e, ReadError::NotAFile(FileKind::Dir)), "{e:?}");
        assert_eq!(e.to_string(), "is a directory");
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_is_named_with_its_target() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("link");
        std::os::unix::fs::symlink("/no/such/drive/x.idx", &p).unwrap();
        let e = read_regular(&p).unwrap_err().to_string();
        assert_eq!(
            e,
            "is a symlink to /no/such/drive/x.idx, which does not exist"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo failed");
        // On another thread: a blocking open would hang the test forever.
        let (tx, rx) = std::sync::mpsc::channel();
        let q = p.clone();
        std::thread::spawn(move || {
            let refused = read_regular(&q).map(|_| ());
            let opened = open_nonblocking(&q).map(|_| ());
            let _ = tx.send((refused, opened));
        });
        let (refused, opened) = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a FIFO blocked");
        let e = refused.unwrap_err();
        assert!(matches!(e, ReadError::NotAFile(FileKind::Fifo)), "{e:?}");
        assert!(opened.is_ok(), "the open alone does not block either");
        assert_eq!(kind_at(&p).unwrap(), Some(FileKind::Fifo));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_device_is_refused() {
        let e = read_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(
            matches!(e, ReadError::NotAFile(FileKind::CharDevice)),
            "{e:?}"
        );
    }
}
