//! MP4 and FLAC files shown to symphonia with a big metadata block hidden.
//!
//! symphonia reads an MP4 file's `meta` atom (the iTunes tags, cover art in
//! `covr` among them) and a FLAC file's picture block whole into memory,
//! although musim takes its tags from lofty. Renaming such a block in the
//! stream symphonia reads (an MP4 `meta` atom to `free`, a FLAC picture or
//! comment block to padding) makes symphonia seek past it: four bytes or
//! one change, the same length, every other offset in the file unchanged.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::ogg_slim::MAX_KEPT_PACKET;
use super::spliced::Spliced;

/// Atoms nested deeper than this are not looked into.
const MAX_DEPTH: usize = 3;
/// Atoms looked at, at most (a damaged file must not make this slow).
const MAX_ATOMS: usize = 4096;

/// The MP4 or FLAC file at `path` with its metadata blocks over
/// [`MAX_KEPT_PACKET`] bytes hidden, or `None` when it is neither or has
/// no such block.
pub(crate) fn hidden(path: &Path) -> Option<Spliced> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = BufReader::new(file.try_clone().ok()?);
    let mut head = [0u8; 8];
    r.read_exact(&mut head).ok()?;
    let patches = if &head[4..8] == b"ftyp" {
        let mut found = Vec::new();
        let mut budget = MAX_ATOMS;
        mp4_metas(&mut r, 0, len, 0, &mut budget, &mut found)?;
        found
    } else {
        flac_blocks(&mut r, &head)?
    };
    (!patches.is_empty()).then(|| Spliced::patched(file, len, patches))
}

/// Patches renaming each big `meta` atom in `start..end` (top level, or
/// in `moov/udta`, where symphonia reads them) to `free`.
fn mp4_metas(
    r: &mut BufReader<File>,
    start: u64,
    end: u64,
    depth: usize,
    budget: &mut usize,
    found: &mut Vec<(u64, Vec<u8>)>,
) -> Option<()> {
    let mut at = start;
    while at + 8 <= end {
        *budget = budget.checked_sub(1)?;
        r.seek(SeekFrom::Start(at)).ok()?;
        let mut h = [0u8; 8];
        r.read_exact(&mut h).ok()?;
        let kind: [u8; 4] = h[4..8].try_into().ok()?;
        let (size, header) = match u32::from_be_bytes(h[..4].try_into().ok()?) {
            0 => (end - at, 8),
            1 => {
                let mut large = [0u8; 8];
                r.read_exact(&mut large).ok()?;
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header || at + size > end {
            return Some(());
        }
        let into = matches!((depth, &kind), (0, b"moov") | (1, b"udta"));
        if into && depth < MAX_DEPTH {
            mp4_metas(r, at + header, at + size, depth + 1, budget, found)?;
        } else if &kind == b"meta" && matches!(depth, 0 | 2) && size > MAX_KEPT_PACKET {
            found.push((at + 4, b"free".to_vec()));
        }
        at += size;
    }
    Some(())
}

/// Patches turning each big picture or comment block of a FLAC file into
/// padding; `head` is the file's first 8 bytes, `r` stands after them.
fn flac_blocks(r: &mut BufReader<File>, head: &[u8; 8]) -> Option<Vec<(u64, Vec<u8>)>> {
    // An ID3v2 tag before the stream: its size is syncsafe (7 bits a byte).
    let start = if head.starts_with(b"ID3") {
        let mut rest = [0u8; 2];
        r.read_exact(&mut rest).ok()?;
        let size = [head[6], head[7], rest[0], rest[1]]
            .iter()
            .fold(0u64, |n, &b| (n << 7) | u64::from(b & 0x7f));
        10 + size
    } else {
        0
    };
    r.seek(SeekFrom::Start(start)).ok()?;
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic).ok()?;
    if &magic != b"fLaC" {
        return None;
    }
    let mut at = start + 4;
    let mut found = Vec::new();
    for _ in 0..MAX_ATOMS {
        let mut h = [0u8; 4];
        r.read_exact(&mut h).ok()?;
        let len = u64::from(u32::from_be_bytes([0, h[1], h[2], h[3]]));
        let last = h[0] & 0x80;
        if matches!(h[0] & 0x7f, 4 | 6) && len > MAX_KEPT_PACKET {
            found.push((at, vec![last | 1]));
        }
        if last != 0 {
            break;
        }
        at += 4 + len;
        r.seek(SeekFrom::Start(at)).ok()?;
    }
    Some(found)
}
