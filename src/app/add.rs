//! `query --add`: copy a file (or a downloaded URL's audio) into the
//! library folder so the next index run takes it in. Never overwrites.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::store::paths::show;

/// Why a file could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The file is already inside the library.
    #[error("{} is already in the library", show(.0))]
    AlreadyIn(PathBuf),
    /// A file of that name exists.
    #[error("cannot add: {} already exists in the library (rename the file and try again)", show(.0))]
    Exists(PathBuf),
    /// Copying failed.
    #[error("cannot copy {} into the library: {source}", show(.from))]
    Io {
        /// The source.
        from: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Why `query --add` could not take a file in.
#[derive(Debug, thiserror::Error)]
pub enum AddToLibraryError {
    /// Copying it into the library failed.
    #[error(transparent)]
    Add(#[from] AddError),
    /// Indexing the library afterwards failed.
    #[error(transparent)]
    Index(#[from] super::session::SessionError),
}

/// [`add`], then index the library of `session` (quietly) so the copy is
/// in it. Returns the copy's path and the number of analysed tracks.
pub fn add_and_index(
    session: &super::session::Session,
    root: &Path,
    source: &Path,
    title: Option<&str>,
) -> Result<(PathBuf, usize), AddToLibraryError> {
    let dest = add(root, source, title)?;
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let report = session.index(&crate::library::progress::Silent, &cancel)?;
    Ok((dest, report.index.analysed()))
}

/// Longest file name, in bytes, on the usual file systems (Linux's
/// `NAME_MAX`; also macOS's and Windows' limits for these names).
const NAME_MAX: usize = 255;

/// Longest extension kept from the source (real audio extensions are short).
const EXT_MAX: usize = 16;

/// Make `title` safe as a file name: no separators or control characters,
/// no leading dot, at most `max` bytes (cut on a character boundary).
fn file_name_from(title: &str, max: usize) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    let mut end = trimmed.len().min(max);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let cut = trimmed.get(..end).unwrap_or_default().trim_end();
    if cut.is_empty() {
        "download".into()
    } else {
        cut.to_string()
    }
}

/// The name of the copy: `title` made safe and short enough to keep the
/// source's extension within [`NAME_MAX`]; without a title, the source's
/// own name (bytes kept as they are).
fn copy_name(source: &Path, title: Option<&str>) -> OsString {
    let ext = source
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= EXT_MAX);
    match (title, ext) {
        (Some(t), Some(e)) => format!("{}.{e}", file_name_from(t, NAME_MAX - e.len() - 1)).into(),
        (Some(t), None) => file_name_from(t, NAME_MAX).into(),
        (None, _) => source
            .file_name()
            .map_or_else(|| "added".into(), ToOwned::to_owned),
    }
}

/// Copy `source` into the library `root` (at its top level, so it gets no
/// genre label), named after `title` when given. Returns the new path.
///
/// The copy is written to a short hidden temporary name first and then
/// given its name without replacing anything, so a name near the length
/// limit works and an existing file is never overwritten.
pub fn add(root: &Path, source: &Path, title: Option<&str>) -> Result<PathBuf, AddError> {
    let canonical = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let root_c = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if canonical.starts_with(&root_c) {
        return Err(AddError::AlreadyIn(source.to_path_buf()));
    }
    let dest = root_c.join(copy_name(source, title));
    if dest.symlink_metadata().is_ok() {
        return Err(AddError::Exists(dest));
    }
    let io_error = |source| AddError::Io {
        from: canonical.clone(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".musim-add-")
        .suffix(".part")
        .tempfile_in(&root_c)
        .map_err(io_error)?;
    let mut from = std::fs::File::open(&canonical).map_err(io_error)?;
    std::io::copy(&mut from, tmp.as_file_mut()).map_err(io_error)?;
    // The copy gets the source's permissions, as a plain copy would.
    if let Ok(meta) = from.metadata() {
        let _ = tmp.as_file().set_permissions(meta.permissions());
    }
    // Fails if dest appeared meanwhile: never overwrite. The temporary
    // file is removed on every error.
    tmp.persist_noclobber(&dest)
        .map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => AddError::Exists(dest.clone()),
            _ => io_error(e.error),
        })?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_once_never_overwrites_and_refuses_library_files() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("lib");
        std::fs::create_dir_all(root.join("rock")).unwrap();
        std::fs::write(root.join("rock/in.wav"), b"x").unwrap();
        let src = d.path().join("new.wav");
        std::fs::write(&src, b"audio").unwrap();
        let dest = add(&root, &src, None).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"audio");
        assert!(matches!(add(&root, &src, None), Err(AddError::Exists(_))));
        let t = add(&root, &src, Some("A/B: ../title")).unwrap();
        assert_eq!(t.file_name().unwrap(), "A_B: .._title.wav");
        let e = add(&root, &root.join("rock/in.wav"), None).unwrap_err();
        assert!(e.to_string().contains("already in the library"), "{e}");
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            3,
            "no temp files left"
        );
    }

    /// Long titles are cut to the file-name limit on a character boundary,
    /// keeping the extension; a source name at the limit is copied as is.
    #[test]
    fn names_up_to_the_limit_are_added() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("lib");
        std::fs::create_dir_all(&root).unwrap();
        let src = d.path().join("a.m4a");
        std::fs::write(&src, b"audio").unwrap();
        // 'é' is 2 bytes and '♪' 3: the cut must not split one.
        for title in [
            "é".repeat(200),
            format!("x{}", "♪".repeat(150)),
            "a".repeat(400),
        ] {
            let dest = add(&root, &src, Some(&title)).unwrap();
            let name = dest.file_name().unwrap().to_str().unwrap();
            assert!(
                name.len() <= NAME_MAX && name.len() > NAME_MAX - 4,
                "{}",
                name.len()
            );
            assert!(name.ends_with(".m4a"), "{name}");
            assert!(title.starts_with(name.trim_end_matches(".m4a")));
            assert_eq!(std::fs::read(&dest).unwrap(), b"audio");
        }
        let long = d.path().join(format!("{}.wav", "b".repeat(NAME_MAX - 4)));
        std::fs::write(&long, b"wave").unwrap();
        let dest = add(&root, &long, None).unwrap();
        assert_eq!(dest.file_name(), long.file_name());
        assert_eq!(std::fs::read(&dest).unwrap(), b"wave");
        assert_eq!(
            std::fs::read_dir(&root).unwrap().count(),
            4,
            "temp files left"
        );
    }
}
