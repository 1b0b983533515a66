//! The index file: what musim knows about a library's tracks.
//!
//! Layout: [`crate::store::framed`] with `MAGIC`, around a postcard of [`Index`].

use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::deep::DeepTable;
use super::labels::LabelSource;
use super::shard::ShardInfo;
use crate::analysis::Windows;
use crate::features::{analyzer::SEGMENT_SECONDS, fingerprint, HOP, N_FFT, SR};
use crate::store::atomic::{write_atomic_seekable, WriteError};
use crate::store::framed::{self, FrameError};
use crate::store::paths::show;
use crate::store::regular::{FileKind, ReadError};
use crate::tags::Tags;

/// First bytes of every index file.
pub const MAGIC: &[u8; 8] = b"MUSIMIDX";
/// Version of the file layout; bump when [`Index`] changes shape.
pub const FORMAT_VERSION: u32 = 5;
/// The previous layout (no shard record), still read as is.
const FORMAT_V4: u32 = 4;
/// The previous layout (no tags, no label source), still read: its
/// entries come back with `tags: None` and get their tags read, without
/// re-analysing their audio, on the next indexing run.
const FORMAT_V3: u32 = 3;

/// Parameters the fingerprints depend on; a mismatch invalidates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisParams {
    /// Sample rate, Hz.
    pub sr: u32,
    /// FFT size.
    pub n_fft: u32,
    /// Hop length.
    pub hop: u32,
    /// Long-track segment length, seconds.
    pub segment_seconds: u32,
    /// Which parts of long tracks are analysed.
    pub windows: Windows,
}

impl AnalysisParams {
    /// The parameters of this build, with the default windows.
    pub fn current() -> Self {
        Self::with_windows(Windows::default())
    }

    /// The parameters of this build, analysing `windows` of long tracks.
    pub fn with_windows(windows: Windows) -> Self {
        AnalysisParams {
            sr: SR,
            n_fft: N_FFT as u32,
            hop: HOP as u32,
            segment_seconds: SEGMENT_SECONDS as u32,
            windows,
        }
    }
}

/// Index header: everything needed to know whether entries are reusable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// `fingerprint::FEATURE_SET_VERSION` of the writer.
    pub feature_set_version: u32,
    /// Crate version of the writer; remembered failures are retried when it
    /// changes, because a newer decoder may read what an older one could not.
    pub musim_version: String,
    /// Analysis parameters.
    pub params: AnalysisParams,
    /// Library root (raw OS bytes).
    pub root: Vec<u8>,
    /// Names of the fingerprint dimensions.
    pub feature_names: Vec<String>,
    /// Where genre labels come from (`--labels`).
    pub labels: LabelSource,
    /// The shard this index holds (`index --shard i/n`), with what it saw
    /// of the whole library; `None` for a whole library.
    pub shard: Option<ShardInfo>,
}

impl Header {
    /// The header this build writes for `root` (default windows).
    pub fn current(root: &Path) -> Self {
        Self::with_windows(root, Windows::default())
    }

    /// The header this build writes for `root`, analysing `windows`.
    pub fn with_windows(root: &Path, windows: Windows) -> Self {
        Self::with_choices(root, windows, LabelSource::default())
    }

    /// The header this build writes for `root`, analysing `windows` and
    /// labelling from `labels`.
    pub fn with_choices(root: &Path, windows: Windows, labels: LabelSource) -> Self {
        Header {
            labels,
            feature_set_version: fingerprint::FEATURE_SET_VERSION,
            musim_version: env!("CARGO_PKG_VERSION").to_string(),
            params: AnalysisParams::with_windows(windows),
            root: crate::store::paths::to_bytes(root),
            feature_names: fingerprint::feature_names().to_vec(),
            shard: None,
        }
    }
}

/// The result of analysing one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// Analysed: duration and fingerprint values.
    Analysed {
        /// Duration, seconds.
        duration_s: f64,
        /// Fingerprint, in the order of the header's feature names.
        values: Vec<f32>,
    },
    /// Could not be analysed.
    Failed {
        /// Short error kind for grouping, e.g. "not an audio file".
        kind: String,
        /// The full message.
        reason: String,
    },
}

crate::store::stamp::stamped!(Entry);

/// One track of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Full path, raw OS bytes.
    pub path: Vec<u8>,
    /// Size in bytes when analysed.
    pub size: u64,
    /// Modification time when analysed, ns since the epoch.
    pub mtime_ns: i64,
    /// Genre label (the folder's name, or the primary genre tag,
    /// normalised: see [`super::labels`]).
    pub label: Option<String>,
    /// The file's tags (`None`: not read yet, in an index of the previous
    /// format; the next run reads them).
    pub tags: Option<Tags>,
    /// Fingerprint or failure.
    pub outcome: Outcome,
}

impl Entry {
    /// The path for display.
    pub fn show_path(&self) -> String {
        crate::store::paths::show_bytes(&self.path)
    }

    /// The track's name ("Artist — Title", else the file stem) as data:
    /// see [`Tags::name`].
    pub fn name(&self) -> String {
        self.tags.clone().unwrap_or_default().name(&self.path)
    }

    /// The fingerprint values, if analysed.
    pub fn values(&self) -> Option<&[f32]> {
        match &self.outcome {
            Outcome::Analysed { values, .. } => Some(values),
            Outcome::Failed { .. } => None,
        }
    }
}

/// A whole index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// Header.
    pub header: Header,
    /// Entries, sorted by path.
    pub entries: Vec<Entry>,
    /// Deep embeddings of the entries (filled by the embedding pass).
    pub deep: DeepTable,
}

/// Why an existing index could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file exists but cannot be read.
    #[error("index {} cannot be read ({source})", show(.path))]
    Io {
        /// The index.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Something other than a regular file is at the index path (it is
    /// not opened: a FIFO would block).
    #[error("index path {} is {kind}, not an index file", show(.path))]
    NotAFile {
        /// The index path.
        path: PathBuf,
        /// What is there.
        kind: FileKind,
    },
    /// The index path is a symlink to nothing (e.g. on an unmounted drive).
    #[error("index path {} is a symlink to {}, which does not exist", show(.path), show(.target))]
    Dangling {
        /// The index path.
        path: PathBuf,
        /// The symlink's target.
        target: PathBuf,
    },
    /// Not a musim index at all.
    #[error("index {} is not a musim index", show(.path))]
    NotAnIndex {
        /// The index.
        path: PathBuf,
    },
    /// Written by an older musim.
    #[error("index {} was written by an older musim (format {version})", show(.path))]
    Older {
        /// The index.
        path: PathBuf,
        /// Its format version.
        version: u32,
    },
    /// Written by a newer musim.
    #[error("index {} was written by a newer musim (format {version})", show(.path))]
    Newer {
        /// The index.
        path: PathBuf,
        /// Its format version.
        version: u32,
    },
    /// Damaged: truncated, checksum mismatch or undecodable.
    #[error("index {} is corrupt ({detail})", show(.path))]
    Corrupt {
        /// The index.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

impl LoadError {
    /// Whether the file is musim's, readable and bad (corrupt, foreign,
    /// older or newer): it may be moved aside and rebuilt. Anything else
    /// (unreadable, not a regular file) is reported and left alone.
    pub fn replaceable(&self) -> bool {
        match self {
            LoadError::NotAnIndex { .. }
            | LoadError::Older { .. }
            | LoadError::Newer { .. }
            | LoadError::Corrupt { .. } => true,
            LoadError::Io { .. } | LoadError::NotAFile { .. } | LoadError::Dangling { .. } => false,
        }
    }

    pub(crate) fn reading(path: &Path, e: ReadError) -> LoadError {
        let path = path.to_path_buf();
        match e {
            ReadError::NotAFile(kind) => LoadError::NotAFile { path, kind },
            ReadError::Dangling(target) => LoadError::Dangling { path, target },
            ReadError::Io(source) => LoadError::Io { path, source },
        }
    }
}

impl Index {
    /// An empty index for `root`.
    pub fn empty(root: &Path) -> Self {
        Index {
            header: Header::current(root),
            entries: Vec::new(),
            deep: DeepTable::default(),
        }
    }

    /// Serialise with magic, version, length and checksum.
    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        let payload = postcard::to_allocvec(self)?;
        Ok(framed::encode(MAGIC, FORMAT_VERSION, &payload))
    }

    /// Serialise in the previous format (3: no tags, no label source), as
    /// an older musim wrote it: for tests of the upgrade.
    #[doc(hidden)]
    pub fn encode_previous_format(&self) -> Result<Vec<u8>, postcard::Error> {
        v3::encode(self)
    }

    /// Parse bytes produced by [`Index::encode`]; `path` names the file in errors.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Index, LoadError> {
        let path = path.to_path_buf();
        let payload = match framed::decode(bytes, MAGIC, FORMAT_VERSION) {
            Ok(p) => p,
            Err(FrameError::Foreign) => return Err(LoadError::NotAnIndex { path }),
            Err(FrameError::Older(FORMAT_V3)) => return v3::decode(bytes, path),
            Err(FrameError::Older(FORMAT_V4)) => return v4::decode(bytes, path),
            Err(FrameError::Older(version)) => return Err(LoadError::Older { path, version }),
            Err(FrameError::Newer(version)) => return Err(LoadError::Newer { path, version }),
            Err(FrameError::Corrupt(detail)) => return Err(LoadError::Corrupt { path, detail }),
        };
        postcard::from_bytes(payload).map_err(|e| LoadError::Corrupt {
            path,
            detail: format!("cannot decode: {e}"),
        })
    }

    /// Read the index at `path`; `Ok(None)` when there is none yet. Only a
    /// regular file is read: anything else at `path` is an error naming it.
    pub fn load(path: &Path) -> Result<Option<Index>, LoadError> {
        // Mapped, each part released once read: see [`super::index_map`].
        super::index_map::load(path)
    }

    /// The header alone of the index at `path` (`Ok(None)` when there is
    /// none), the file checked whole but its tracks not decoded.
    pub fn load_header(path: &Path) -> Result<Option<Header>, LoadError> {
        super::index_map::header(path)
    }

    /// [`Index::load`] through `fs` (tests inject IO errors).
    pub fn load_from(fs: &dyn super::fs::Fs, path: &Path) -> Result<Option<Index>, LoadError> {
        fs.load_index(path)
    }

    /// Write atomically to `path`, streamed: the encoded index (776 MB at
    /// 100 000 tracks with embeddings) is never held in memory.
    pub fn save(&self, path: &Path) -> Result<(), WriteError> {
        write_atomic_seekable(path, |w| self.write_to(w))
    }

    /// Write the bytes of [`Index::encode`] to `w`, as they are made.
    pub fn write_to<W: Write + Seek>(&self, w: &mut W) -> io::Result<()> {
        framed::write_streamed(w, MAGIC, FORMAT_VERSION, |payload| {
            framed::write_postcard(self, payload)
        })
    }

    /// Number of analysed entries.
    pub fn analysed(&self) -> usize {
        self.entries.iter().filter(|e| e.values().is_some()).count()
    }

    /// Number of failed entries.
    pub fn failed(&self) -> usize {
        self.entries.len() - self.analysed()
    }

    /// Labels with their number of analysed tracks, sorted by label (failed
    /// tracks are left out: they take no part in models or evaluation).
    pub fn label_counts(&self) -> Vec<(String, usize)> {
        let mut m = std::collections::BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.values().is_some()) {
            if let Some(l) = &e.label {
                *m.entry(l.clone()).or_insert(0) += 1;
            }
        }
        m.into_iter().collect()
    }
}

/// The payload of an index file in the older layout `version`, decoded.
fn older_payload<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    version: u32,
    path: PathBuf,
) -> Result<T, LoadError> {
    let corrupt = |detail: String| LoadError::Corrupt {
        path: path.clone(),
        detail,
    };
    let payload = framed::decode(bytes, MAGIC, version).map_err(|e| match e {
        FrameError::Corrupt(d) => corrupt(d),
        other => corrupt(format!("{other:?}")),
    })?;
    postcard::from_bytes(payload).map_err(|e| corrupt(format!("cannot decode: {e}")))
}

/// The header fields every older format starts with, in their order
/// (postcard writes a struct's fields one after the other, so a struct
/// nested first reads the same bytes as its fields would).
#[derive(Deserialize)]
struct OldHeader {
    feature_set_version: u32,
    musim_version: String,
    params: AnalysisParams,
    root: Vec<u8>,
    feature_names: Vec<String>,
}

impl OldHeader {
    /// The current header, labelled from `labels`, of a whole library.
    fn upgrade(self, labels: LabelSource) -> Header {
        Header {
            feature_set_version: self.feature_set_version,
            musim_version: self.musim_version,
            params: self.params,
            root: self.root,
            feature_names: self.feature_names,
            labels,
            shard: None,
        }
    }
}

/// The format-4 layout (no shard record), read and converted.
mod v4 {
    use super::*;

    #[derive(Deserialize)]
    struct Index4 {
        header: Header4,
        entries: Vec<Entry>,
        deep: DeepTable,
    }

    #[derive(Deserialize)]
    struct Header4 {
        common: OldHeader,
        labels: LabelSource,
    }

    /// A format-4 file as an [`Index`] of a whole library.
    pub(super) fn decode(bytes: &[u8], path: PathBuf) -> Result<Index, LoadError> {
        let old: Index4 = older_payload(bytes, FORMAT_V4, path)?;
        Ok(Index {
            header: old.header.common.upgrade(old.header.labels),
            entries: old.entries,
            deep: old.deep,
        })
    }
}

/// The format-3 layout, read and converted.
mod v3 {
    use super::*;

    #[derive(Deserialize)]
    struct Index3 {
        header: OldHeader,
        entries: Vec<Entry3>,
        deep: DeepTable,
    }

    #[derive(Deserialize)]
    struct Entry3 {
        path: Vec<u8>,
        size: u64,
        mtime_ns: i64,
        label: Option<String>,
        outcome: Outcome,
    }

    /// A format-3 file as an [`Index`]: labels were folder labels, tags
    /// are not read yet.
    pub(super) fn decode(bytes: &[u8], path: PathBuf) -> Result<Index, LoadError> {
        let old: Index3 = older_payload(bytes, FORMAT_V3, path)?;
        Ok(Index {
            header: old.header.upgrade(LabelSource::Folder),
            entries: old
                .entries
                .into_iter()
                .map(|e| Entry {
                    path: e.path,
                    size: e.size,
                    mtime_ns: e.mtime_ns,
                    label: e.label,
                    tags: None,
                    outcome: e.outcome,
                })
                .collect(),
            deep: old.deep,
        })
    }

    /// `index` in the format-3 layout (what an older musim wrote).
    pub(super) fn encode(index: &Index) -> Result<Vec<u8>, postcard::Error> {
        #[derive(Serialize)]
        struct H<'a>(u32, &'a str, AnalysisParams, &'a [u8], &'a [String]);
        #[derive(Serialize)]
        struct E<'a>(&'a [u8], u64, i64, &'a Option<String>, &'a Outcome);
        #[derive(Serialize)]
        struct I<'a>(H<'a>, Vec<E<'a>>, &'a DeepTable);
        let h = &index.header;
        let i = I(
            H(
                h.feature_set_version,
                &h.musim_version,
                h.params,
                &h.root,
                &h.feature_names,
            ),
            index
                .entries
                .iter()
                .map(|e| E(&e.path, e.size, e.mtime_ns, &e.label, &e.outcome))
                .collect(),
            &index.deep,
        );
        let payload = postcard::to_allocvec(&i)?;
        Ok(framed::encode(MAGIC, FORMAT_V3, &payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Index {
        let mut idx = Index::empty(Path::new("/music"));
        idx.entries.push(Entry {
            path: b"/music/rock/caf\xe9.wav".to_vec(),
            size: 10,
            mtime_ns: 5,
            label: Some("rock".into()),
            tags: Some(Tags {
                title: Some("Caf\u{e9} \u{1b}[2J".into()),
                artist: Some("A".into()),
                genres: vec!["Rock".into(), "Pop".into()],
                year: Some(1999),
                ..Tags::default()
            }),
            outcome: Outcome::Analysed {
                duration_s: 2.0,
                values: vec![1.0, 2.0],
            },
        });
        idx.entries.push(Entry {
            path: b"/music/rock/x.mp3".to_vec(),
            size: 3,
            mtime_ns: 6,
            label: Some("rock".into()),
            tags: None,
            outcome: Outcome::Failed {
                kind: "not an audio file".into(),
                reason: "x.mp3: not an audio file".into(),
            },
        });
        idx
    }

    #[test]
    fn round_trips() {
        let idx = sample();
        let back = Index::decode(&idx.encode().unwrap(), Path::new("i")).unwrap();
        assert_eq!(back, idx);
    }

    #[test]
    fn a_saved_index_is_the_encoded_bytes_and_replaces_the_old_one() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.idx");
        let mut idx = sample();
        // Enough entries for the payload to pass through the write buffer
        // several times.
        for i in 0..20_000u32 {
            let mut e = idx.entries[0].clone();
            e.path = format!("/music/{i:05}.flac").into_bytes();
            idx.entries.push(e);
        }
        idx.save(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), idx.encode().unwrap());
        let small = sample();
        small.save(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), small.encode().unwrap());
        assert_eq!(Index::load(&p).unwrap(), Some(small));
        // Only the index: no temp file left beside it.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_previous_format_is_read_with_tags_unread() {
        let idx = sample();
        let back = Index::decode(&idx.encode_previous_format().unwrap(), Path::new("i")).unwrap();
        let want = Header {
            labels: LabelSource::Folder,
            ..idx.header.clone()
        };
        assert_eq!(back.header, want);
        assert_eq!(back.entries.len(), 2);
        for (b, e) in back.entries.iter().zip(&idx.entries) {
            assert_eq!((&b.path, b.size, b.mtime_ns), (&e.path, e.size, e.mtime_ns));
            assert_eq!((&b.label, &b.outcome), (&e.label, &e.outcome));
            assert_eq!(b.tags, None);
        }
        // A damaged format-3 file is corrupt, not mistaken for anything else.
        let mut bad = idx.encode_previous_format().unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let e = Index::decode(&bad, Path::new("i")).unwrap_err().to_string();
        assert!(e.contains("is corrupt"), "{e}");
    }

    #[test]
    fn format_4_is_read_as_a_whole_library() {
        // Format 4 is format 5 without the header's last field (the shard).
        #[derive(Serialize)]
        struct H<'a>(
            u32,
            &'a str,
            AnalysisParams,
            &'a [u8],
            &'a [String],
            LabelSource,
        );
        #[derive(Serialize)]
        struct I<'a>(H<'a>, &'a [Entry], &'a DeepTable);
        let idx = sample();
        let h = &idx.header;
        let v4 = I(
            H(
                h.feature_set_version,
                &h.musim_version,
                h.params,
                &h.root,
                &h.feature_names,
                LabelSource::Tag,
            ),
            &idx.entries,
            &idx.deep,
        );
        let bytes = framed::encode(MAGIC, FORMAT_V4, &postcard::to_allocvec(&v4).unwrap());
        let back = Index::decode(&bytes, Path::new("i")).unwrap();
        let want = Header {
            labels: LabelSource::Tag,
            shard: None,
            ..idx.header.clone()
        };
        assert_eq!(back.header, want);
        assert_eq!(back.entries, idx.entries);
    }

    #[test]
    fn every_damage_is_detected() {
        let bytes = sample().encode().unwrap();
        let p = Path::new("i.idx");
        let msg = |b: &[u8]| Index::decode(b, p).unwrap_err().to_string();
        assert_eq!(msg(b"hello world"), "index i.idx is not a musim index");
        assert_eq!(msg(&[]), "index i.idx is not a musim index");
        assert!(msg(&bytes[..bytes.len() - 3]).contains("is corrupt (truncated"));
        assert!(msg(&bytes[..10]).contains("is corrupt (truncated header)"));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x55;
        assert_eq!(msg(&flipped), "index i.idx is corrupt (checksum mismatch)");
        let mut old = bytes.clone();
        old[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            msg(&old),
            "index i.idx was written by an older musim (format 0)"
        );
    }
}
