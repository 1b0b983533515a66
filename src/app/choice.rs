//! Which folder is the library: `--library DIR` > the config file's
//! `library = "/path"` > `./data/songs` when it holds audio > the built-in
//! demo library (generated once into the data folder by [`choose_or_demo`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::library::fs::RealFs;
use crate::store::paths::show;

/// Where the library choice came from (for messages and the summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--library DIR`.
    Flag,
    /// The config file at this path.
    Config(PathBuf),
    /// `./data/songs`.
    DataSongs,
    /// Nothing configured: the built-in demo library.
    Demo,
}

/// The chosen library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Canonical path of the library folder.
    pub root: PathBuf,
    /// Where the choice came from.
    pub source: Source,
}

/// Why no library could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    /// The config file cannot be read.
    #[error("cannot read config file {}: {source}", show(.path))]
    ConfigIo {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The config file is not valid.
    #[error("bad config file {}, line {line}: {message}", show(.path))]
    ConfigSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The chosen folder does not exist.
    #[error("library folder {} does not exist{}", show(.path), origin(.from))]
    Missing {
        /// The folder.
        path: PathBuf,
        /// Where it came from.
        from: Source,
    },
    /// The chosen "folder" is a file.
    #[error("library {} is a file, not a folder{}", show(.path), origin(.from))]
    NotAFolder {
        /// The path.
        path: PathBuf,
        /// Where it came from.
        from: Source,
    },
    /// The folder cannot be resolved.
    #[error("cannot open library folder {}: {err}{}", show(.path), origin(.from))]
    Io {
        /// The folder.
        path: PathBuf,
        /// Where it came from.
        from: Source,
        /// The OS error.
        err: std::io::Error,
    },
    /// Nothing to go on.
    #[error(
        "no music library found: pass --library DIR, set library = \"/path/to/music\" in {}, \
         or put audio files under ./data/songs/<genre>/",
        .config.as_deref().map_or_else(|| "the config file".to_string(), show)
    )]
    NoLibrary {
        /// The config file musim looked for.
        config: Option<PathBuf>,
    },
    /// Nothing configured and the demo library could not be made.
    #[error("no library configured and the built-in demo library is unavailable: {0}")]
    Demo(#[from] crate::demo::DemoError),
}

fn origin(source: &Source) -> String {
    match source {
        Source::Flag => " (from --library)".into(),
        Source::Config(p) => format!(" (from config file {})", show(p)),
        Source::DataSongs | Source::Demo => String::new(),
    }
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    library: Option<PathBuf>,
}

/// Read `library` from the config file at `path`; `Ok(None)` when the file
/// does not exist or does not set it.
pub fn read_config(path: &Path) -> Result<Option<PathBuf>, ChoiceError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ChoiceError::ConfigIo {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let text = String::from_utf8(text).map_err(|e| ChoiceError::ConfigSyntax {
        path: path.to_path_buf(),
        line: line_of(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        ),
        message: "not valid UTF-8 text".into(),
    })?;
    let cfg: ConfigFile = toml::from_str(&text).map_err(|e| ChoiceError::ConfigSyntax {
        path: path.to_path_buf(),
        line: e.span().map_or(1, |s| line_of(&text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    Ok(cfg.library)
}

fn line_of(text: &str, byte: usize) -> usize {
    let end = byte.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(1, |b| b.iter().filter(|&&c| c == b'\n').count() + 1)
}

/// Decide the library from the flag, the config file and the working
/// folder (`cwd`, where `./data/songs` is looked for).
pub fn choose(
    flag: Option<&Path>,
    config: Option<&Path>,
    cwd: &Path,
) -> Result<Choice, ChoiceError> {
    if let Some(dir) = flag {
        return check(dir, Source::Flag);
    }
    if let Some(cfg) = config {
        if let Some(dir) = read_config(cfg)? {
            // A relative path in the config is relative to the config file.
            let dir = match cfg.parent() {
                Some(p) if dir.is_relative() => p.join(dir),
                _ => dir,
            };
            return check(&dir, Source::Config(cfg.to_path_buf()));
        }
    }
    let songs = cwd.join("data").join("songs");
    if holds_audio(&songs) {
        return check(&songs, Source::DataSongs);
    }
    Err(ChoiceError::NoLibrary {
        config: config.map(Path::to_path_buf),
    })
}

/// Like [`choose`], but when nothing is configured (no flag, no config
/// entry, no audio under `./data/songs`) use the demo library that `demo`
/// provides (generating it if needed) instead of failing.
pub fn choose_or_demo(
    flag: Option<&Path>,
    config: Option<&Path>,
    cwd: &Path,
    demo: &dyn Fn() -> Result<PathBuf, crate::demo::DemoError>,
) -> Result<Choice, ChoiceError> {
    match choose(flag, config, cwd) {
        Err(ChoiceError::NoLibrary { .. }) => check(&demo()?, Source::Demo),
        other => other,
    }
}

fn check(dir: &Path, source: Source) -> Result<Choice, ChoiceError> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ChoiceError::Missing {
            path: dir.to_path_buf(),
            from: source,
        }),
        Err(err) => Err(ChoiceError::Io {
            path: dir.to_path_buf(),
            from: source,
            err,
        }),
        Ok(m) if !m.is_dir() => Err(ChoiceError::NotAFolder {
            path: dir.to_path_buf(),
            from: source,
        }),
        Ok(_) => {
            let root = std::fs::canonicalize(dir).map_err(|err| ChoiceError::Io {
                path: dir.to_path_buf(),
                from: source.clone(),
                err,
            })?;
            Ok(Choice { root, source })
        }
    }
}

fn holds_audio(dir: &Path) -> bool {
    dir.is_dir() && crate::library::scan::scan(&RealFs, dir).is_ok_and(|s| !s.files.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_config_names_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let cfg = d.path().join("config.toml");
        std::fs::write(&cfg, "# musim\n\nlibrary = /no/quotes\n").unwrap();
        let e = choose(None, Some(&cfg), d.path()).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("bad config file {}, line 3:", cfg.display())),
            "{e}"
        );
        std::fs::write(&cfg, "library = 5\n").unwrap();
        let e = choose(None, Some(&cfg), d.path()).unwrap_err().to_string();
        assert!(e.contains("line 1:"), "{e}");
    }

    #[test]
    fn flag_beats_config_and_config_beats_data_songs() {
        let d = tempfile::tempdir().unwrap();
        let lib = d.path().join("lib");
        let other = d.path().join("other");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::create_dir_all(d.path().join("data/songs/a")).unwrap();
        std::fs::write(d.path().join("data/songs/a/x.wav"), b"").unwrap();
        let cfg = d.path().join("config.toml");
        std::fs::write(&cfg, "library = \"other\"\n").unwrap();
        let c = choose(Some(&lib), Some(&cfg), d.path()).unwrap();
        assert_eq!(c.source, Source::Flag);
        let c = choose(None, Some(&cfg), d.path()).unwrap();
        assert_eq!(c.root, std::fs::canonicalize(&other).unwrap());
        let c = choose(None, None, d.path()).unwrap();
        assert_eq!(c.source, Source::DataSongs);
    }

    #[test]
    fn nothing_found_says_how_to_point_at_music() {
        let d = tempfile::tempdir().unwrap();
        let e = choose(None, None, d.path()).unwrap_err().to_string();
        assert!(e.contains("pass --library DIR"), "{e}");
    }

    #[test]
    fn demo_only_when_nothing_is_configured() {
        let d = tempfile::tempdir().unwrap();
        let demo_dir = d.path().join("demo");
        std::fs::create_dir_all(&demo_dir).unwrap();
        let called = std::cell::Cell::new(0);
        let demo = || {
            called.set(called.get() + 1);
            Ok(demo_dir.clone())
        };
        let c = choose_or_demo(None, None, d.path(), &demo).unwrap();
        assert_eq!(c.source, Source::Demo);
        assert_eq!(c.root, std::fs::canonicalize(&demo_dir).unwrap());
        let lib = d.path().join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        let c = choose_or_demo(Some(&lib), None, d.path(), &demo).unwrap();
        assert_eq!(c.source, Source::Flag);
        // A missing --library folder is an error, never a silent demo.
        assert!(choose_or_demo(Some(&d.path().join("no")), None, d.path(), &demo).is_err());
        assert_eq!(called.get(), 1);
    }

    #[test]
    fn file_and_missing_folder_are_distinguished() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("song.wav");
        std::fs::write(&f, b"x").unwrap();
        let e = choose(Some(&f), None, d.path()).unwrap_err().to_string();
        assert!(
            e.contains("is a file, not a folder (from --library)"),
            "{e}"
        );
        let e = choose(Some(&d.path().join("nope")), None, d.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist (from --library)"), "{e}");
    }
}
