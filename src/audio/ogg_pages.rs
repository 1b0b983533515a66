//! Dropping the Ogg pages that fail their checksum, for the one case
//! symphonia's Ogg reader does not survive: it skips a damaged page while
//! playing, but a damaged page among those it reads when opening the file
//! (the first audio page right after the codec headers) fails the whole
//! open. ffmpeg and libvorbis skip such a page; so does musim, by reading the
//! file again without the pages whose CRC does not match.

use std::io::Read;

use symphonia::core::checksum::Crc32;
use symphonia::core::io::Monitor;

/// The capture pattern that starts every Ogg page.
const CAPTURE: &[u8; 4] = b"OggS";
/// Fixed part of a page header, before the segment table.
const HEADER_LEN: usize = 27;
/// Where the CRC sits in the header.
const CRC_AT: usize = 22;

/// The header of one Ogg page, read without its body.
#[derive(Debug, Clone)]
pub(crate) struct PageHead {
    /// Where the page starts in the file.
    pub offset: u64,
    /// The fixed 27 bytes.
    pub fixed: [u8; HEADER_LEN],
    /// The segment table (lacing values).
    pub laces: Vec<u8>,
}

impl PageHead {
    /// The page header at `offset`, where `r` stands; `None` at the end of
    /// the file or when no page starts there. `r` is left at the body.
    pub fn read(r: &mut impl Read, offset: u64) -> Option<Self> {
        let mut fixed = [0u8; HEADER_LEN];
        r.read_exact(&mut fixed).ok()?;
        if !fixed.starts_with(CAPTURE) {
            return None;
        }
        let mut laces = vec![0u8; usize::from(fixed[HEADER_LEN - 1])];
        r.read_exact(&mut laces).ok()?;
        Some(Self {
            offset,
            fixed,
            laces,
        })
    }

    /// The granule position (0 on header pages, all ones when no packet
    /// ends on the page).
    pub fn granule(&self) -> u64 {
        u64::from_le_bytes(self.field())
    }

    /// The logical stream's serial number.
    pub fn serial(&self) -> u32 {
        u32::from_le_bytes(self.field_at(14))
    }

    /// The page sequence number.
    pub fn sequence(&self) -> u32 {
        u32::from_le_bytes(self.field_at(18))
    }

    /// The page goes on with a packet begun on the page before.
    pub fn continued(&self) -> bool {
        self.fixed[5] & 1 != 0
    }

    /// Bytes of the body.
    pub fn body_len(&self) -> u64 {
        self.laces.iter().map(|&l| u64::from(l)).sum()
    }

    /// Where the body starts in the file.
    pub fn body_offset(&self) -> u64 {
        self.offset + (HEADER_LEN + self.laces.len()) as u64
    }

    /// Where the next page starts.
    pub fn end(&self) -> u64 {
        self.body_offset() + self.body_len()
    }

    /// `N` bytes of the header from byte 6 (the granule position).
    fn field<const N: usize>(&self) -> [u8; N] {
        self.field_at(6)
    }

    /// `N` bytes of the header from `at`.
    fn field_at<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(src) = self.fixed.get(at..at + N) {
            out.copy_from_slice(src);
        }
        out
    }
}

/// The fields of a page to write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageFields {
    /// Header type flags: 1 continued packet, 2 first page, 4 last page.
    pub flags: u8,
    /// Granule position.
    pub granule: u64,
    /// Stream serial number.
    pub serial: u32,
    /// Page sequence number.
    pub sequence: u32,
}

/// One page of `f` with lacing values `laces` (at most 255) and `body`,
/// its CRC worked out.
pub(crate) fn page_bytes(f: PageFields, laces: &[u8], body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(HEADER_LEN + laces.len() + body.len());
    p.extend_from_slice(CAPTURE);
    p.push(0);
    p.push(f.flags);
    p.extend_from_slice(&f.granule.to_le_bytes());
    p.extend_from_slice(&f.serial.to_le_bytes());
    p.extend_from_slice(&f.sequence.to_le_bytes());
    p.extend_from_slice(&[0; 4]);
    p.push(u8::try_from(laces.len()).unwrap_or(u8::MAX));
    p.extend_from_slice(laces);
    p.extend_from_slice(body);
    let mut crc = Crc32::new(0);
    crc.process_buf_bytes(&p);
    if let Some(field) = p.get_mut(CRC_AT..CRC_AT + 4) {
        field.copy_from_slice(&crc.crc().to_le_bytes());
    }
    p
}

/// True when `head` starts like an Ogg file.
pub(crate) fn is_ogg(head: &[u8]) -> bool {
    head.starts_with(CAPTURE)
}

/// The bytes of `data` without its damaged pages, and how many were
/// dropped. Bytes between pages that are not a valid page (junk, a page
/// cut by the end of the file) are dropped too.
pub(crate) fn drop_damaged_pages(data: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(data.len());
    let mut dropped = 0;
    let mut pos = 0;
    let mut skipping = false;
    while pos < data.len() {
        match valid_page_len(data.get(pos..).unwrap_or_default()) {
            Some(len) => {
                out.extend_from_slice(data.get(pos..pos + len).unwrap_or_default());
                pos += len;
                skipping = false;
            }
            None => {
                dropped += usize::from(!skipping);
                skipping = true;
                pos = next_capture(data, pos + 1);
            }
        }
    }
    (out, dropped)
}

/// Offset of the next capture pattern at or after `from` (or the end).
fn next_capture(data: &[u8], from: usize) -> usize {
    data.get(from..)
        .and_then(|rest| rest.windows(CAPTURE.len()).position(|w| w == CAPTURE))
        .map_or(data.len(), |i| from + i)
}

/// Length of the page at the start of `data` when it is whole and its CRC
/// matches.
fn valid_page_len(data: &[u8]) -> Option<usize> {
    if !data.starts_with(CAPTURE) {
        return None;
    }
    let header = data.get(..HEADER_LEN)?;
    let segments = usize::from(*header.get(HEADER_LEN - 1)?);
    let table = data.get(HEADER_LEN..HEADER_LEN + segments)?;
    let body: usize = table.iter().map(|&s| usize::from(s)).sum();
    let len = HEADER_LEN + segments + body;
    let page = data.get(..len)?;
    let stated = u32::from_le_bytes(page.get(CRC_AT..CRC_AT + 4)?.try_into().ok()?);
    // The CRC is computed with its own field zeroed.
    let mut crc = Crc32::new(0);
    crc.process_buf_bytes(page.get(..CRC_AT)?);
    crc.process_buf_bytes(&[0; 4]);
    crc.process_buf_bytes(page.get(CRC_AT + 4..)?);
    (crc.crc() == stated).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page with `body` as one packet and a correct CRC.
    fn page(seq: u32, body: &[u8]) -> Vec<u8> {
        let f = PageFields {
            flags: 0,
            granule: 0,
            serial: 7,
            sequence: seq,
        };
        page_bytes(f, &[u8::try_from(body.len()).unwrap()], body)
    }

    #[test]
    fn a_flipped_bit_drops_exactly_its_page() {
        let pages: Vec<Vec<u8>> = (0..4).map(|i| page(i, &[i as u8; 100])).collect();
        let whole = pages.concat();
        assert_eq!(drop_damaged_pages(&whole), (whole.clone(), 0));
        let mut damaged = whole.clone();
        damaged[pages[0].len() + 60] ^= 0x08;
        let (kept, dropped) = drop_damaged_pages(&damaged);
        assert_eq!(dropped, 1);
        assert_eq!(kept, [&pages[0][..], &pages[2], &pages[3]].concat());
    }

    #[test]
    fn junk_and_a_cut_last_page_are_dropped() {
        let a = page(0, b"hello");
        let b = page(1, b"world");
        let mut data = a.clone();
        data.extend_from_slice(b"junk");
        data.extend_from_slice(&b[..b.len() - 2]);
        let (kept, dropped) = drop_damaged_pages(&data);
        assert_eq!((kept, dropped), (a, 1));
    }
}
