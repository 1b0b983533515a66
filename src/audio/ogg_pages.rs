//! Dropping the Ogg pages that fail their checksum, for the one case
//! symphonia's Ogg reader does not survive: it skips a damaged page while
//! playing, but a damaged page among those it reads when opening the file
//! (the first audio page right after the codec headers) fails the whole
//! open. ffmpeg and libvorbis skip such a page; so does musim, by reading the
//! file again without the pages whose CRC does not match.

use symphonia::core::checksum::Crc32;
use symphonia::core::io::Monitor;

/// The capture pattern that starts every Ogg page.
const CAPTURE: &[u8; 4] = b"OggS";
/// Fixed part of a page header, before the segment table.
const HEADER_LEN: usize = 27;
/// Where the CRC sits in the header.
const CRC_AT: usize = 22;

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
        let mut p = Vec::new();
        p.extend_from_slice(CAPTURE);
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&7u32.to_le_bytes());
        p.extend_from_slice(&seq.to_le_bytes());
        p.extend_from_slice(&[0; 4]);
        p.push(1);
        p.push(u8::try_from(body.len()).unwrap());
        p.extend_from_slice(body);
        let mut crc = Crc32::new(0);
        crc.process_buf_bytes(&p);
        p[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.crc().to_le_bytes());
        p
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
