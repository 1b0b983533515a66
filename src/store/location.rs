//! Where things live: the platform data and config folders.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::hash::fnv1a64;
use super::paths::{show, to_bytes};

/// Why a default location could not be found or made.
#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    /// No home directory: the platform folders are unknown.
    #[error("cannot find a data folder for musim (is $HOME set?); pass --index FILE")]
    NoHome,
    /// The index folder cannot be created.
    #[error("cannot create index folder {}: {source}", show(.dir))]
    Create {
        /// The folder.
        dir: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "musim")
}

/// The config file path (`<config dir>/musim/config.toml` on Linux), if the
/// platform has a home directory.
pub fn config_file() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("config.toml"))
}

/// File name of the default index for the library at `canonical_root`:
/// `<folder-name>-<hash>.idx`. The hash of the full path keeps two libraries
/// that share a folder name apart; the name keeps the file recognisable.
pub fn index_file_name(canonical_root: &Path) -> String {
    let name: String = canonical_root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into())
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{name}-{:016x}.idx", fnv1a64(&to_bytes(canonical_root)))
}

/// The default index path for `canonical_root`, creating its folder.
pub fn default_index(canonical_root: &Path) -> Result<PathBuf, LocationError> {
    let dir = dirs()
        .ok_or(LocationError::NoHome)?
        .data_dir()
        .join("indexes");
    std::fs::create_dir_all(&dir).map_err(|source| LocationError::Create {
        dir: dir.clone(),
        source,
    })?;
    Ok(dir.join(index_file_name(canonical_root)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_readable_and_keyed_by_full_path() {
        let a = index_file_name(Path::new("/a/my songs"));
        let b = index_file_name(Path::new("/b/my songs"));
        assert!(a.starts_with("my_songs-") && a.ends_with(".idx"), "{a}");
        assert_ne!(a, b);
    }
}
