//! Loading the index from a memory map, each part of the map released as
//! soon as it is read.
//!
//! Reading the whole file into memory and then decoding it held both at
//! once: at 100 000 tracks with deep embeddings, a 776 MB file beside its
//! decoded form. Here the file is mapped; the checksum is worked out and
//! the entries and embeddings decoded piece by piece, and each piece of the
//! map is handed back to the kernel once passed (`MADV_DONTNEED` on a
//! read-only file mapping: the pages are dropped from this process and
//! would be read from the file again if touched). What stays resident is
//! the decoded index and one piece of the file.

use std::cell::Cell;
use std::path::Path;

use memmap2::{Mmap, UncheckedAdvice};

use super::deep::{DeepRow, DeepTable};
use super::index::{Entry, Header, Index, LoadError, FORMAT_VERSION, MAGIC};
use crate::store::hash::Fnv1a64;
use crate::store::regular::{kind_at, open_regular, ReadError};

/// Bytes of the map read before they are released.
const PIECE: usize = 32 << 20;
/// magic · version (u32) · payload length (u64) · checksum (u64).
const PREFIX_LEN: usize = 8 + 4 + 8 + 8;

/// The file, mapped, and how far it has been released.
struct Map {
    map: Mmap,
    released: Cell<usize>,
}

impl Map {
    /// Release the map's pages before `upto` (whole pieces only, so the
    /// page being read is never released under the decoder).
    fn release_before(&self, upto: usize) {
        let end = upto / PIECE * PIECE;
        let released = self.released.get();
        if end > released {
            // SAFETY: the mapping is a read-only map of a file; dropping
            // its pages only makes a later touch read them from the file
            // again, and no slice of the released range is used afterwards.
            let _ = unsafe {
                self.map
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, released, end - released)
            };
            self.released.set(end);
        }
    }
}

/// The index at `path` read from a map (`Ok(None)` when there is none);
/// a file of an older format is read the ordinary way.
pub(crate) fn load(path: &Path) -> Result<Option<Index>, LoadError> {
    match open(path)? {
        None => Ok(None),
        Some(Opened::Decoded(index)) => Ok(Some(index)),
        Some(Opened::Current(m)) => {
            m.released.set(0);
            decode(&m, path).map(Some)
        }
    }
}

/// The header alone of the index at `path`, the file checked as [`load`]
/// checks it but its entries and embeddings not decoded: what a run needs
/// to learn the index's analysis windows or label source (at 100 000
/// tracks a full load holds 1.5 GB).
pub(crate) fn header(path: &Path) -> Result<Option<Header>, LoadError> {
    match open(path)? {
        None => Ok(None),
        Some(Opened::Decoded(index)) => Ok(Some(index.header)),
        Some(Opened::Current(m)) => {
            let payload = m.map.get(PREFIX_LEN..).unwrap_or_default();
            postcard::take_from_bytes::<Header>(payload)
                .map(|(header, _)| Some(header))
                .map_err(|e| LoadError::Corrupt {
                    path: path.to_path_buf(),
                    detail: format!("cannot decode: {e}"),
                })
        }
    }
}

/// An index file opened for reading.
enum Opened {
    /// Of the current format, mapped, its checksum verified.
    Current(Map),
    /// Of an older format, decoded the ordinary way.
    Decoded(Index),
}

/// Map the index at `path` and verify its checksum (`Ok(None)` when there
/// is none).
fn open(path: &Path) -> Result<Option<Opened>, LoadError> {
    let reading = |e: ReadError| LoadError::reading(path, e);
    if kind_at(path).map_err(reading)?.is_none() {
        return Ok(None);
    }
    let file = open_regular(path).map_err(reading)?;
    // SAFETY: the map is read only; a file changed underneath while it is
    // read fails its checksum or decodes to an error, never to memory
    // unsafety in this code, which copies everything out of the map.
    let map = unsafe { Mmap::map(&file) }.map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |detail: &str| LoadError::Corrupt {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    let prefix = map.get(..PREFIX_LEN);
    let current = prefix.is_some_and(|p| {
        p.starts_with(MAGIC) && p.get(8..12) == Some(&FORMAT_VERSION.to_le_bytes()[..])
    });
    if !current {
        // Foreign, older, newer or truncated: the ordinary reader says which.
        return Index::decode(&map, path).map(|i| Some(Opened::Decoded(i)));
    }
    let field = |at: usize| {
        map.get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    let (len, sum) = (field(12), field(20));
    let (Some(len), Some(sum)) = (len, sum) else {
        return Err(corrupt("truncated header"));
    };
    let payload_len = map.len() - PREFIX_LEN;
    if payload_len as u64 != len {
        return Err(corrupt(&format!(
            "truncated: {payload_len} of {len} payload bytes"
        )));
    }
    let m = Map {
        map,
        released: Cell::new(0),
    };
    let mut hash = Fnv1a64::new();
    let mut at = PREFIX_LEN;
    while at < m.map.len() {
        let end = (at + PIECE).min(m.map.len());
        hash.write(m.map.get(at..end).unwrap_or_default());
        at = end;
        m.release_before(at);
    }
    if hash.finish() != sum {
        return Err(corrupt("checksum mismatch"));
    }
    Ok(Some(Opened::Current(m)))
}

/// Decode the payload of `m` (checked already).
fn decode(m: &Map, path: &Path) -> Result<Index, LoadError> {
    let corrupt = |e: postcard::Error| LoadError::Corrupt {
        path: path.to_path_buf(),
        detail: format!("cannot decode: {e}"),
    };
    let total = m.map.len();
    let payload = m.map.get(PREFIX_LEN..).unwrap_or_default();
    let (header, rest) = postcard::take_from_bytes::<Header>(payload).map_err(corrupt)?;
    let (entries, rest) = postcard::take_from_bytes::<Vec<Entry>>(rest).map_err(corrupt)?;
    m.release_before(total - rest.len());
    let (model, rest) = postcard::take_from_bytes::<String>(rest).map_err(corrupt)?;
    let (count, mut rest) = postcard::take_from_bytes::<usize>(rest).map_err(corrupt)?;
    // Rows are decoded one at a time; the map behind them is released as
    // they go (the rows are copied out, so nothing points into it).
    let mut rows = Vec::with_capacity(count.min(rest.len()));
    for _ in 0..count {
        let (row, after) = postcard::take_from_bytes::<DeepRow>(rest).map_err(corrupt)?;
        rows.push(row);
        rest = after;
        // Rows are copied out: the map behind them can go.
        m.release_before(total - rest.len());
    }
    if !rest.is_empty() {
        return Err(LoadError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("{} bytes after the index", rest.len()),
        });
    }
    Ok(Index {
        header,
        entries,
        deep: DeepTable { model, rows },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::deep::DeepRecord;
    use crate::library::index::Outcome;

    #[test]
    fn a_mapped_load_equals_the_saved_index_and_damage_is_named() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.idx");
        assert!(load(&p).unwrap().is_none());
        let mut index = Index::empty(d.path());
        for i in 0..300u32 {
            let path = format!("/m/{i:04}.wav").into_bytes();
            index.entries.push(Entry {
                path: path.clone(),
                size: u64::from(i),
                mtime_ns: 5,
                label: Some("rock".into()),
                tags: None,
                outcome: Outcome::Analysed {
                    duration_s: 1.0,
                    values: vec![i as f32; 40],
                },
            });
            index.deep.rows.push(DeepRow {
                path,
                size: u64::from(i),
                mtime_ns: 5,
                record: DeepRecord::Embedded {
                    embedding: vec![0.5; 1506],
                    tags: vec![0.25; 50],
                    patches: 6,
                    repeat_padded: false,
                },
            });
        }
        index.deep.model = "musicnn".into();
        index.save(&p).unwrap();
        assert_eq!(load(&p).unwrap().unwrap(), index);
        assert_eq!(header(&p).unwrap().unwrap(), index.header);

        let mut bytes = std::fs::read(&p).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("is corrupt (checksum mismatch)"), "{e}");
        let e = header(&p).unwrap_err().to_string();
        assert!(e.contains("is corrupt (checksum mismatch)"), "{e}");
        bytes.truncate(mid);
        std::fs::write(&p, &bytes).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("is corrupt (truncated:"), "{e}");
        std::fs::write(&p, b"not an index at all, just text").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("is not a musim index"), "{e}");
    }
}
