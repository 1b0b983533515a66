//! The size of an Ogg stream's header packets, from its page headers alone.
//!
//! lofty reads an Ogg file's comment packet whole before it checks its
//! size, so a 50 MB embedded picture (67 MB once base64-encoded into a
//! `METADATA_BLOCK_PICTURE` comment) costs 67 MB of memory before the read
//! fails. Walking the page headers (27 bytes and a segment table each,
//! the payloads skipped with a seek) finds such a packet without reading it.

use std::io::BufReader;
use std::path::Path;

use crate::audio::ogg_pages::PageHead;

/// The largest packet among the header packets of the Ogg stream in `path`
/// (the pages before the first one with audio, whose granule position is
/// not 0), in bytes; `None` when the file is not Ogg or its pages cannot be
/// walked (lofty then reports what is wrong). Stops early once a packet
/// exceeds `limit`.
pub fn largest_header_packet(path: &Path, limit: u64) -> Option<u64> {
    let file = std::fs::File::open(path).ok()?;
    let mut r = BufReader::new(file);
    let mut largest = 0u64;
    let mut packet = 0u64;
    let mut at = 0u64;
    loop {
        let Some(page) = PageHead::read(&mut r, at) else {
            return (largest > 0).then_some(largest);
        };
        let granule = page.granule();
        // Header pages have granule 0; "no packet ends here" is all ones.
        if granule != 0 && granule != u64::MAX {
            return Some(largest);
        }
        for &lace in &page.laces {
            packet += u64::from(lace);
            if lace < 255 {
                largest = largest.max(packet);
                packet = 0;
            }
        }
        largest = largest.max(packet);
        if largest > limit {
            return Some(largest);
        }
        at = page.end();
        r.seek_relative(i64::try_from(page.body_len()).ok()?).ok()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One Ogg page holding `laces` (payload bytes zeroed).
    fn page(granule: u64, laces: &[u8]) -> Vec<u8> {
        let mut p = b"OggS".to_vec();
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&granule.to_le_bytes());
        p.extend_from_slice(&[0; 12]);
        p.push(laces.len() as u8);
        p.extend_from_slice(laces);
        let body: usize = laces.iter().map(|&l| usize::from(l)).sum();
        p.extend(std::iter::repeat_n(0u8, body));
        p
    }

    #[test]
    fn finds_a_packet_spanning_pages_and_stops_at_audio() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.ogg");
        // Packet of 30 bytes; a packet of 255 × 3 + 255 × 2 + 10 = 1285
        // bytes across two pages; then an audio page (not counted).
        let mut bytes = page(0, &[30, 255, 255, 255]);
        bytes.extend(page(0, &[255, 255, 10]));
        bytes.extend(page(4096, &[255, 255, 255, 255, 255, 255, 255, 1]));
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(largest_header_packet(&p, 1 << 20), Some(1285));
        // Over the limit after the first page: it stops there.
        assert_eq!(largest_header_packet(&p, 100), Some(765));
        std::fs::write(&p, b"ID3 not ogg").unwrap();
        assert_eq!(largest_header_packet(&p, 100), None);
    }

    #[test]
    fn an_oversized_comment_packet_is_refused_without_reading_it() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.ogg");
        // A 30-byte first packet, then one of 17 MB over 267 pages.
        let mut bytes = page(0, &[30]);
        let pages = (17 << 20) / (255 * 255) + 1;
        for _ in 0..pages {
            bytes.extend(page(0, &[255; 255]));
        }
        bytes.extend(page(0, &[1]));
        std::fs::write(&p, &bytes).unwrap();
        let n = largest_header_packet(&p, crate::tags::read::MAX_ITEM).unwrap();
        assert!(n > crate::tags::read::MAX_ITEM, "{n}");
        let e = crate::tags::read(&p).unwrap_err().to_string();
        assert!(
            e.contains("big.ogg: tags not read: an Ogg header packet is over 16 MB"),
            "{e}"
        );
    }
}
