//! The built-in demo library: procedurally synthesised music in a handful
//! of styles, labelled by folder (GTZAN layout `<root>/<style>/<style>.NN.wav`),
//! generated offline and deterministically so musim has something real to
//! explore on a fresh machine, and end-to-end tests have a labelled corpus.
//!
//! Modules: [`rng`] seeded randomness, [`synth`] voices, [`harmony`] and
//! [`patterns`] the musical material, [`styles`] the arrangers, [`render`]
//! mastering and WAV encoding, [`credits`] the made-up artist, album and
//! titles written into each file's RIFF INFO tags. This file plans, renders in parallel and
//! writes the library atomically with a manifest that marks it complete.

pub mod credits;
pub mod harmony;
pub mod patterns;
pub mod render;
pub mod rng;
pub mod styles;
pub mod synth;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::store::paths::show;
pub use styles::Style;

/// Version of the generator. Bump whenever the output changes: an existing
/// demo library with another version is regenerated (2: RIFF INFO tags).
pub const GENERATOR_VERSION: u32 = 2;

/// Manifest file written last into a finished library: its presence (with
/// the right header) is what makes a library complete.
pub const MANIFEST: &str = ".musim-demo";

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// The styles (one folder each).
    pub styles: Vec<Style>,
    /// Tracks per style.
    pub tracks: usize,
    /// Fixed track length in seconds; `None` = 20–30 s chosen per track.
    pub seconds: Option<f32>,
}

impl DemoSpec {
    /// The full library: every style, 12 tracks of 20–30 s.
    pub fn full() -> Self {
        DemoSpec {
            styles: Style::ALL.to_vec(),
            tracks: 12,
            seconds: None,
        }
    }

    /// The full spec, shrunk by `MUSIM_DEMO_TRACKS` / `MUSIM_DEMO_SECONDS`
    /// when set (a knob for tests of the first-start path, which would
    /// otherwise synthesise and index the whole library in a debug build).
    pub fn from_env() -> Self {
        let mut s = Self::full();
        if let Some(t) = env_num::<usize>("MUSIM_DEMO_TRACKS") {
            s.tracks = t.clamp(1, 99);
        }
        if let Some(x) = env_num::<f32>("MUSIM_DEMO_SECONDS") {
            s.seconds = Some(x.clamp(1.0, 120.0));
        }
        s
    }

    /// Number of tracks in the library.
    pub fn len(&self) -> usize {
        self.styles.len() * self.tracks
    }

    /// Whether the spec makes no tracks.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// First line of the manifest: identifies generator version and spec.
    fn header(&self) -> String {
        let names: Vec<&str> = self.styles.iter().map(|s| s.name()).collect();
        let secs = self
            .seconds
            .map_or_else(|| "20-30".to_string(), |s| format!("{s}"));
        format!(
            "musim demo library v{GENERATOR_VERSION} styles={} tracks={} seconds={secs}",
            names.join(","),
            self.tracks
        )
    }
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// One generated track and the parameters the generator chose (the ground
/// truth that tests compare musim's analysis with).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackInfo {
    /// Its style (= label).
    pub style: Style,
    /// Track number within the style (0-based, `NN` in the file name).
    pub number: usize,
    /// Path relative to the library root.
    pub rel_path: PathBuf,
    /// Tempo the arrangement was written at.
    pub bpm: f32,
    /// Key root (MIDI note).
    pub key: i32,
    /// Length in seconds.
    pub seconds: f32,
    /// Its tags (title, artist, album, genre, year, track number).
    pub credits: credits::Credits,
    /// Size of the WAV file in bytes.
    pub bytes: u64,
}

/// `<style>/<style>.NN.wav`.
pub fn rel_path(style: Style, number: usize) -> PathBuf {
    Path::new(style.name()).join(format!("{}.{number:02}.wav", style.name()))
}

/// Render track `number` of `style`: mastered mono samples at 22050 Hz and
/// its description. Pure function of its arguments (and the version).
pub fn render_track(style: Style, number: usize, seconds: Option<f32>) -> (Vec<f32>, TrackInfo) {
    let mut len_rng = rng::Rng::for_track(style.name(), number, 0);
    let seconds = seconds.unwrap_or_else(|| len_rng.range(20.0, 30.0));
    let mut r = rng::Rng::for_track(style.name(), number, 1);
    let mut a = styles::arrange(style, seconds, &mut r);
    render::master(&mut a.mix, a.level);
    let credits = credits::credits(style, number);
    let tags = render::info_chunk(&credits.riff_info()).len() as u64;
    let info = TrackInfo {
        style,
        number,
        rel_path: rel_path(style, number),
        bpm: a.bpm,
        key: a.key,
        seconds,
        credits,
        bytes: 44 + 2 * a.mix.len() as u64 + tags,
    };
    (a.mix, info)
}

/// Why the demo library could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file or folder could not be written, read or renamed.
    #[error("cannot write the demo library at {}: {source}", show(.path))]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The target exists and holds something else: never overwrite it.
    #[error("{} exists and is not a musim demo library; choose another folder with --out", show(.0))]
    NotDemo(PathBuf),
    /// A demo library (of another version) that holds files musim did not
    /// make: regenerating it would lose them.
    #[error("the demo library at {} holds {}, which musim did not make: it is not regenerated, so nothing of yours is lost; move such files elsewhere (or choose another folder with --out)", show(.dir), show(.file))]
    Foreign {
        /// The demo library.
        dir: PathBuf,
        /// One file in it that is not in its manifest.
        file: PathBuf,
    },
    /// No home directory, so no default location.
    #[error("cannot find a data folder for musim (is $HOME set?); pass --out DIR")]
    NoHome,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Default location: `<platform data dir>/demo` (next to the indexes).
pub fn default_dir() -> Result<PathBuf, DemoError> {
    directories::ProjectDirs::from("", "", "musim")
        .map(|d| d.data_dir().join("demo"))
        .ok_or(DemoError::NoHome)
}

/// Render every track of `spec` in parallel and write it under `root`
/// (created if needed), then the manifest. `progress(done, total)` is
/// called from worker threads after each file.
pub fn write_library(
    root: &Path,
    spec: &DemoSpec,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<TrackInfo>, DemoError> {
    for s in &spec.styles {
        let dir = root.join(s.name());
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    }
    let plan: Vec<(Style, usize)> = spec
        .styles
        .iter()
        .flat_map(|&s| (0..spec.tracks).map(move |n| (s, n)))
        .collect();
    let total = plan.len();
    let done = AtomicUsize::new(0);
    let infos = plan
        .par_iter()
        .map(|&(style, number)| {
            let (samples, info) = render_track(style, number, spec.seconds);
            let path = root.join(&info.rel_path);
            let bytes = render::wav_bytes(&samples, &info.credits.riff_info());
            std::fs::write(&path, bytes).map_err(io(&path))?;
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Ok(info)
        })
        .collect::<Result<Vec<_>, DemoError>>()?;
    let manifest = root.join(MANIFEST);
    std::fs::write(&manifest, manifest_text(spec, &infos)).map_err(io(&manifest))?;
    Ok(infos)
}

fn manifest_text(spec: &DemoSpec, infos: &[TrackInfo]) -> String {
    let mut s = spec.header();
    s.push_str("\npath\tstyle\tbpm\tkey\tseconds\tbytes\n");
    for t in infos {
        s.push_str(&format!(
            "{}\t{}\t{:.3}\t{}\t{:.3}\t{}\n",
            t.rel_path.to_string_lossy(),
            t.style.name(),
            t.bpm,
            t.key,
            t.seconds,
            t.bytes
        ));
    }
    s
}

/// Whether `root` holds a complete library of `spec` from this generator
/// version: the manifest header matches and every listed file has its size.
pub fn is_complete(root: &Path, spec: &DemoSpec) -> bool {
    let Ok(text) = std::fs::read_to_string(root.join(MANIFEST)) else {
        return false;
    };
    let mut lines = text.lines();
    if lines.next() != Some(spec.header().as_str()) {
        return false;
    }
    let mut count = 0;
    for line in lines.skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(bytes)) = (cols.first(), cols.get(5)) else {
            return false;
        };
        let want: Option<u64> = bytes.parse().ok();
        let have = std::fs::metadata(root.join(path)).ok().map(|m| m.len());
        if want.is_none() || want != have {
            return false;
        }
        count += 1;
    }
    count == spec.len()
}

/// Outcome of [`ensure_library`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ensured {
    /// The library folder.
    pub root: PathBuf,
    /// Whether it was (re)generated by this call.
    pub generated: bool,
    /// Why an outdated library was kept as it is (it holds files musim
    /// did not make), to tell the user.
    pub kept: Option<String>,
}

/// Make sure `dir` holds a complete, current demo library of `spec`,
/// generating it if not. Generation goes to a temp folder beside `dir`
/// that is renamed into place at the end, so an interrupted run never
/// leaves a half library that looks complete. A folder at `dir` that is
/// neither empty nor a demo library (any version) is never replaced; nor
/// is a demo library holding files musim did not make (kept as it is,
/// with [`Ensured::kept`] saying why; with `force`, an error).
pub fn ensure_library(
    dir: &Path,
    spec: &DemoSpec,
    force: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Ensured, DemoError> {
    if !force && is_complete(dir, spec) {
        return Ok(Ensured {
            root: dir.to_path_buf(),
            generated: false,
            kept: None,
        });
    }
    let exists = dir.exists();
    if exists && !replaceable(dir) {
        return Err(DemoError::NotDemo(dir.to_path_buf()));
    }
    if let Some(file) = exists.then(|| foreign_file(dir)).flatten() {
        let e = DemoError::Foreign {
            dir: dir.to_path_buf(),
            file,
        };
        if force {
            return Err(e);
        }
        return Ok(Ensured {
            root: dir.to_path_buf(),
            generated: false,
            kept: Some(e.to_string()),
        });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let name = dir
        .file_name()
        .map_or_else(|| "demo".into(), |n| n.to_string_lossy().into_owned());
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    let result = write_library(&tmp, spec, progress);
    if let Err(e) = result {
        // Best effort: the temp folder is ours and useless now.
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let old = parent.join(format!(".{name}.old-{pid}"));
    if exists {
        std::fs::rename(dir, &old).map_err(io(dir))?;
    }
    if let Err(source) = std::fs::rename(&tmp, dir) {
        // Another musim may have finished first; its library is as good.
        let _ = std::fs::remove_dir_all(&tmp);
        if is_complete(dir, spec) {
            let _ = std::fs::remove_dir_all(&old);
            return Ok(Ensured {
                root: dir.to_path_buf(),
                generated: false,
                kept: None,
            });
        }
        return Err(DemoError::Io {
            path: dir.to_path_buf(),
            source,
        });
    }
    if exists {
        let _ = std::fs::remove_dir_all(&old);
    }
    let _ = crate::store::atomic::sync_dir(&parent);
    Ok(Ensured {
        root: dir.to_path_buf(),
        generated: true,
        kept: None,
    })
}

/// Empty, or a demo library of any version (it has our manifest).
fn replaceable(dir: &Path) -> bool {
    if dir.join(MANIFEST).is_file() {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|mut r| r.next().is_none())
}

/// A file under the demo library `dir` that its manifest does not list
/// (the user's, or one `query --add` copied in), if any. An unreadable
/// manifest or folder counts as holding one: when in doubt, keep.
fn foreign_file(dir: &Path) -> Option<PathBuf> {
    let manifest = dir.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Some(manifest);
    };
    let ours: std::collections::HashSet<PathBuf> = text
        .lines()
        .skip(2)
        .filter_map(|l| l.split('\t').next())
        .map(|p| dir.join(p))
        .chain([manifest])
        .collect();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            return Some(d);
        };
        for e in entries {
            let Ok(e) = e else {
                return Some(d);
            };
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                _ if ours.contains(&path) => {}
                _ => return Some(path),
            }
        }
    }
    None
}
