//! `query --add`: copy a file (or a downloaded URL's audio) into the
//! library folder so the next index run takes it in. Never overwrites.

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

/// Make `title` safe as a file name: no separators or control characters.
fn file_name_from(title: &str) -> String {
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
    let cut: String = trimmed.chars().take(120).collect();
    if cut.is_empty() {
        "download".into()
    } else {
        cut
    }
}

/// Copy `source` into the library `root` (at its top level, so it gets no
/// genre label), named after `title` when given. Returns the new path.
pub fn add(root: &Path, source: &Path, title: Option<&str>) -> Result<PathBuf, AddError> {
    let canonical = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let root_c = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    if canonical.starts_with(&root_c) {
        return Err(AddError::AlreadyIn(source.to_path_buf()));
    }
    let ext = source.extension().map(|e| e.to_string_lossy().into_owned());
    let name = match (title, &ext) {
        (Some(t), Some(e)) => format!("{}.{e}", file_name_from(t)),
        (Some(t), None) => file_name_from(t),
        (None, _) => source
            .file_name()
            .map_or_else(|| "added".into(), |n| n.to_string_lossy().into_owned()),
    };
    let dest = root_c.join(&name);
    if dest.exists() {
        return Err(AddError::Exists(dest));
    }
    let tmp = root_c.join(format!(".{name}.{}.part", std::process::id()));
    std::fs::copy(&canonical, &tmp).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        AddError::Io {
            from: canonical.clone(),
            source,
        }
    })?;
    // hard_link fails if dest appeared meanwhile: never overwrite.
    let r = std::fs::hard_link(&tmp, &dest);
    let _ = std::fs::remove_file(&tmp);
    r.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => AddError::Exists(dest.clone()),
        _ => AddError::Io {
            from: canonical.clone(),
            source: e,
        },
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
}
