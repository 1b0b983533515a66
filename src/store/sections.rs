//! A file of tagged sections that can be read one at a time (the model
//! file): `magic` (8 bytes) · format version (u32 LE) · the sections, each
//! at a multiple of 8 bytes · the table (per section: tag, offset, length,
//! CRC-32 of its bytes) · the table's length (u64 LE) and CRC-32 (u32 LE) ·
//! `magic` again. The table is at the end so that sections can be written
//! one after another without holding them all; each section's checksum is
//! verified when it is read, so opening the file costs nothing like
//! checking all of it (a query reads a few sections of a 100 MB model).
//! The file is memory-mapped: musim writes these files atomically (a new
//! file renamed over the old), so a mapped file is never changed under a
//! reader.

use std::io::{self, Write};
use std::path::Path;

use super::framed::FrameError;
use super::regular::{open_regular, ReadError};

/// A section's name in the table.
pub type Tag = [u8; 8];

const PREFIX_LEN: u64 = 12;
const ENTRY_LEN: usize = 8 + 8 + 8 + 8;
/// Bytes covered by one checksum.
pub const BLOCK: usize = 64 * 1024;
const TRAILER_LEN: usize = 8 + 4 + 8;

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    tag: Tag,
    offset: u64,
    len: u64,
    /// Where the block checksums are.
    crcs: u64,
}

/// Writes sections to `w` as they come, then the table.
pub struct Writer<'w> {
    w: &'w mut dyn Write,
    magic: [u8; 8],
    at: u64,
    table: Vec<Entry>,
}

impl<'w> Writer<'w> {
    /// Start a file of `magic` and `version`.
    pub fn new(w: &'w mut dyn Write, magic: &[u8; 8], version: u32) -> io::Result<Self> {
        w.write_all(magic)?;
        w.write_all(&version.to_le_bytes())?;
        Ok(Writer {
            w,
            magic: *magic,
            at: PREFIX_LEN,
            table: Vec::new(),
        })
    }

    /// Append section `tag`.
    pub fn section(&mut self, tag: Tag, bytes: &[u8]) -> io::Result<()> {
        let pad = self.at.next_multiple_of(8) - self.at;
        self.w.write_all(&[0u8; 8][..pad as usize])?;
        self.at += pad;
        self.w.write_all(bytes)?;
        let offset = self.at;
        self.at += bytes.len() as u64;
        let crcs: Vec<u8> = bytes
            .chunks(BLOCK)
            .flat_map(|b| crc32fast::hash(b).to_le_bytes())
            .collect();
        self.w.write_all(&crcs)?;
        self.table.push(Entry {
            tag,
            offset,
            len: bytes.len() as u64,
            crcs: self.at,
        });
        self.at += crcs.len() as u64;
        Ok(())
    }

    /// Write the table and the trailer.
    pub fn finish(self) -> io::Result<()> {
        let mut table = Vec::with_capacity(self.table.len() * ENTRY_LEN);
        for e in &self.table {
            table.extend_from_slice(&e.tag);
            table.extend_from_slice(&e.offset.to_le_bytes());
            table.extend_from_slice(&e.len.to_le_bytes());
            table.extend_from_slice(&e.crcs.to_le_bytes());
        }
        self.w.write_all(&table)?;
        self.w.write_all(&(table.len() as u64).to_le_bytes())?;
        self.w.write_all(&crc32fast::hash(&table).to_le_bytes())?;
        self.w.write_all(&self.magic)
    }
}

/// An open sectioned file: its bytes (mapped) and its table.
pub struct Sections {
    bytes: Bytes,
    table: Vec<Entry>,
}

/// The file's bytes: mapped, or owned (an empty file cannot be mapped).
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Why a sectioned file cannot be opened or read.
#[derive(Debug)]
pub enum OpenError {
    /// The path cannot be read, or is not a regular file.
    Read(ReadError),
    /// The bytes are not a usable file of this magic and version.
    Frame(FrameError),
}

impl Sections {
    /// Open the file at `path` (`Ok(None)` when there is none): its magic,
    /// version and table are checked, its sections only when read.
    pub fn open(path: &Path, magic: &[u8; 8], version: u32) -> Result<Option<Self>, OpenError> {
        let file = match open_regular(path) {
            Ok(f) => f,
            Err(ReadError::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                return match std::fs::read_link(path) {
                    Ok(target) => Err(OpenError::Read(ReadError::Dangling(target))),
                    Err(_) => Ok(None),
                };
            }
            Err(e) => return Err(OpenError::Read(e)),
        };
        let len = file
            .metadata()
            .map_err(|e| OpenError::Read(ReadError::Io(e)))?
            .len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: musim replaces these files by renaming a new file over
            // them, never writing into one in place, so the mapped bytes do
            // not change while they are read.
            let map = unsafe { memmap2::Mmap::map(&file) };
            Bytes::Mapped(map.map_err(|e| OpenError::Read(ReadError::Io(e)))?)
        };
        Self::parse(bytes, magic, version)
            .map(Some)
            .map_err(OpenError::Frame)
    }

    /// Sections of bytes already in memory (tests, and files read whole).
    pub fn from_bytes(bytes: Vec<u8>, magic: &[u8; 8], version: u32) -> Result<Self, FrameError> {
        Self::parse(Bytes::Owned(bytes), magic, version)
    }

    fn parse(bytes: Bytes, magic: &[u8; 8], version: u32) -> Result<Self, FrameError> {
        if bytes.get(..8) != Some(&magic[..]) {
            return Err(FrameError::Foreign);
        }
        let v = read_u32(&bytes, 8).ok_or_else(|| corrupt("truncated header"))?;
        if v < version {
            return Err(FrameError::Older(v));
        }
        if v > version {
            return Err(FrameError::Newer(v));
        }
        let n = bytes.len();
        let trailer = n
            .checked_sub(TRAILER_LEN)
            .filter(|&t| t >= PREFIX_LEN as usize)
            .ok_or_else(|| corrupt("truncated: no section table"))?;
        if bytes.get(trailer + 12..) != Some(&magic[..]) {
            return Err(corrupt("truncated: no section table"));
        }
        let (Some(table_len), Some(crc)) =
            (read_u64(&bytes, trailer), read_u32(&bytes, trailer + 8))
        else {
            return Err(corrupt("truncated: no section table"));
        };
        let start = usize::try_from(table_len)
            .ok()
            .and_then(|l| trailer.checked_sub(l))
            .filter(|&s| s >= PREFIX_LEN as usize && (table_len as usize).is_multiple_of(ENTRY_LEN))
            .ok_or_else(|| corrupt("section table out of bounds"))?;
        let raw = &bytes[start..trailer];
        if crc32fast::hash(raw) != crc {
            return Err(corrupt("section table checksum mismatch"));
        }
        let table = raw
            .chunks_exact(ENTRY_LEN)
            .map(|c| {
                let mut tag = [0u8; 8];
                tag.copy_from_slice(&c[..8]);
                Entry {
                    tag,
                    offset: read_u64(c, 8).unwrap_or(u64::MAX),
                    len: read_u64(c, 16).unwrap_or(u64::MAX),
                    crcs: read_u64(c, 24).unwrap_or(u64::MAX),
                }
            })
            .collect::<Vec<_>>();
        let outside = |at: u64, len: u64| at.checked_add(len).is_none_or(|end| end > start as u64);
        if table
            .iter()
            .any(|e| outside(e.offset, e.len) || outside(e.crcs, 4 * blocks(e.len)))
        {
            return Err(corrupt("section out of bounds"));
        }
        Ok(Sections { bytes, table })
    }

    /// The bytes of section `tag`, every block's checksum verified.
    pub fn get(&self, tag: &Tag) -> Result<&[u8], FrameError> {
        let s = self.section(tag)?;
        s.read(0..s.len())
    }

    /// Section `tag`, its checksums verified as parts of it are read.
    pub fn section(&self, tag: &Tag) -> Result<Section<'_>, FrameError> {
        let e = self
            .table
            .iter()
            .find(|e| &e.tag == tag)
            .ok_or_else(|| corrupt(&format!("section {} missing", name(tag))))?;
        // Bounds were checked when the table was read.
        let at = |from: u64, len: u64| &self.bytes[from as usize..(from + len) as usize];
        Ok(Section {
            tag: e.tag,
            bytes: at(e.offset, e.len),
            crcs: at(e.crcs, 4 * blocks(e.len)),
        })
    }

    /// Total size of the file, bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True for an empty file (never the case for a parsed one).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Where section `tag`'s bytes lie in the file.
    pub fn range(&self, tag: &Tag) -> Option<std::ops::Range<u64>> {
        let e = self.table.iter().find(|e| &e.tag == tag)?;
        Some(e.offset..e.offset + e.len)
    }

    /// Each section's tag and length, in file order.
    pub fn sizes(&self) -> Vec<(Tag, u64)> {
        self.table.iter().map(|e| (e.tag, e.len)).collect()
    }
}

/// One section of an open file, read in parts: each read checks the
/// checksums of the blocks it touches.
#[derive(Clone, Copy)]
pub struct Section<'a> {
    tag: Tag,
    bytes: &'a [u8],
    crcs: &'a [u8],
}

impl<'a> Section<'a> {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when the section holds nothing.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes `range` of the section, the blocks they lie in verified
    /// (out of bounds is corrupt: offsets come from the file).
    pub fn read(&self, range: std::ops::Range<usize>) -> Result<&'a [u8], FrameError> {
        let out = self
            .bytes
            .get(range.clone())
            .ok_or_else(|| corrupt(&format!("section {} read out of bounds", name(&self.tag))))?;
        if range.is_empty() {
            return Ok(out);
        }
        for b in range.start / BLOCK..range.end.div_ceil(BLOCK) {
            let block = &self.bytes[b * BLOCK..((b + 1) * BLOCK).min(self.bytes.len())];
            if Some(crc32fast::hash(block)) != read_u32(self.crcs, 4 * b) {
                return Err(corrupt(&format!(
                    "section {} checksum mismatch",
                    name(&self.tag)
                )));
            }
        }
        Ok(out)
    }

    /// The `i`th of the section's `width`-byte items.
    pub fn item(&self, i: usize, width: usize) -> Result<&'a [u8], FrameError> {
        let at = i.saturating_mul(width);
        self.read(at..at.saturating_add(width))
    }

    /// The `i`th u64 (LE) of the section.
    pub fn u64_at(&self, i: usize) -> Result<u64, FrameError> {
        self.item(i, 8).map(|b| read_u64(b, 0).unwrap_or(0))
    }
}

/// Number of checksummed blocks of `len` bytes.
fn blocks(len: u64) -> u64 {
    len.div_ceil(BLOCK as u64)
}

/// A tag as text, for messages.
fn name(tag: &Tag) -> String {
    String::from_utf8_lossy(tag)
        .trim_end_matches('\0')
        .to_string()
}

fn corrupt(what: &str) -> FrameError {
    FrameError::Corrupt(what.to_string())
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TESTSECT";

    fn file(sections: &[(&Tag, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, MAGIC, 3).unwrap();
        for (t, b) in sections {
            w.section(**t, b).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn sections_read_back_aligned_and_checked() {
        let bytes = file(&[(b"aaaaaaaa", b"hello"), (b"bbbbbbbb", &[7u8; 100])]);
        let s = Sections::from_bytes(bytes.clone(), MAGIC, 3).unwrap();
        assert_eq!(s.get(b"aaaaaaaa").unwrap(), b"hello");
        assert_eq!(s.get(b"bbbbbbbb").unwrap(), &[7u8; 100][..]);
        assert_eq!(s.sizes(), vec![(*b"aaaaaaaa", 5), (*b"bbbbbbbb", 100)]);
        assert!(matches!(
            s.get(b"cccccccc"),
            Err(FrameError::Corrupt(m)) if m.contains("missing")
        ));
        // The second section starts on a multiple of 8.
        let at = bytes.windows(100).position(|w| w == [7u8; 100]).unwrap();
        assert_eq!(at % 8, 0);

        // A flipped byte in a section is found when that section is read,
        // and only then.
        let mut bad = bytes.clone();
        bad[at + 50] ^= 1;
        let s = Sections::from_bytes(bad, MAGIC, 3).unwrap();
        assert_eq!(s.get(b"aaaaaaaa").unwrap(), b"hello");
        assert!(
            matches!(s.get(b"bbbbbbbb"), Err(FrameError::Corrupt(m)) if m.contains("checksum"))
        );
    }

    #[test]
    fn a_part_read_checks_the_blocks_it_touches_only() {
        // Three blocks and a bit, each byte its offset's low bits.
        let data: Vec<u8> = (0..3 * BLOCK + 100).map(|i| (i % 251) as u8).collect();
        let bytes = file(&[(b"big\0\0\0\0\0", &data), (b"small\0\0\0", b"x")]);
        let at = bytes.windows(64).position(|w| w == &data[..64]).unwrap();
        let mut bad = bytes.clone();
        bad[at + 2 * BLOCK + 7] ^= 0x10;
        let s = Sections::from_bytes(bad, MAGIC, 3).unwrap();
        let big = s.section(b"big\0\0\0\0\0").unwrap();
        assert_eq!(big.len(), data.len());
        // Blocks 0, 1 and 3 are intact and read back; a read of the last
        // bytes of block 1 reaching into block 2 is not.
        assert_eq!(big.read(10..BLOCK + 20).unwrap(), &data[10..BLOCK + 20]);
        assert_eq!(
            big.read(3 * BLOCK..3 * BLOCK + 100).unwrap(),
            &data[3 * BLOCK..]
        );
        for r in [2 * BLOCK - 1..2 * BLOCK + 1, 2 * BLOCK + 7..2 * BLOCK + 8] {
            assert!(
                matches!(big.read(r.clone()), Err(FrameError::Corrupt(m)) if m.contains("big checksum")),
                "{r:?}"
            );
        }
        assert!(s.get(b"big\0\0\0\0\0").is_err());
        assert_eq!(s.get(b"small\0\0\0").unwrap(), b"x");
        // Reads past the end are errors, not panics.
        assert!(big.read(data.len()..data.len() + 1).is_err());
        assert!(big.item(usize::MAX / 2, 8).is_err());
        assert_eq!(
            big.u64_at(0).unwrap(),
            u64::from_le_bytes(data[..8].try_into().unwrap())
        );
    }

    #[test]
    fn foreign_old_new_and_truncated_files_are_told_apart() {
        let bytes = file(&[(b"aaaaaaaa", b"hello")]);
        let open = |b: &[u8], v| Sections::from_bytes(b.to_vec(), MAGIC, v).map(|_| ());
        assert_eq!(open(&bytes, 4), Err(FrameError::Older(3)));
        assert_eq!(open(&bytes, 2), Err(FrameError::Newer(3)));
        assert_eq!(
            open(b"NOTMUSIMxxxxxxxxxxxxxxxxxxx", 3),
            Err(FrameError::Foreign)
        );
        for cut in [0, 5, 12, 20, bytes.len() - 1] {
            let r = open(&bytes[..cut], 3);
            assert!(r.is_err(), "cut at {cut}");
        }
        // A damaged table is corrupt, not a mis-read.
        let mut bad = bytes.clone();
        let n = bad.len();
        bad[n - TRAILER_LEN - 3] ^= 0xff;
        assert!(matches!(open(&bad, 3), Err(FrameError::Corrupt(_))));
    }

    #[test]
    fn a_file_on_disk_is_mapped_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, file(&[(b"aaaaaaaa", b"on disk")])).unwrap();
        let s = Sections::open(&p, MAGIC, 3).unwrap().unwrap();
        assert_eq!(s.get(b"aaaaaaaa").unwrap(), b"on disk");
        assert!(Sections::open(&dir.path().join("none"), MAGIC, 3)
            .unwrap()
            .is_none());
        std::fs::write(&p, b"").unwrap();
        assert!(matches!(
            Sections::open(&p, MAGIC, 3),
            Err(OpenError::Frame(FrameError::Foreign))
        ));
    }
}
