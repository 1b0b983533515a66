//! An Ogg file shown to symphonia without its oversized comment packet.
//!
//! An embedded picture lives in the comment header packet (a base64
//! `METADATA_BLOCK_PICTURE` comment, or a FLAC picture block): a 50 MB
//! picture makes a 67 MB packet. symphonia's Ogg reader gathers every
//! packet whole, and refuses one over 16 MB ("packet buffer would exceed
//! max size"), so such a file would not decode at all, and a smaller one
//! still costs its size in memory. musim reads tags with lofty, not
//! symphonia, so the packet's content is not needed here: the header pages
//! from the one holding it up to the first audio page are written anew
//! with an empty comment packet in its place (fresh CRCs, sequence numbers
//! counted on), and the audio pages follow from the file untouched. Only
//! the page headers are read to find the packet; its bytes never are.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::ogg_pages::{page_bytes, PageFields, PageHead};
use super::spliced::{Part, Spliced};

/// A header packet larger than this is replaced, bytes. Real comment
/// packets without a picture are a few KB, Vorbis setup packets tens of KB.
pub(crate) const MAX_KEPT_PACKET: u64 = 1 << 20;
/// Header pages walked at most (a 67 MB packet spans about 1 050).
const MAX_HEADER_PAGES: usize = 1 << 14;

/// Where a packet lies: (page, segment) of its first and last lacing value.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: (usize, usize),
    last: (usize, usize),
}

/// The Ogg file at `path` without its oversized comment header packet, or
/// `None` when it is not Ogg, has no header packet over
/// [`MAX_KEPT_PACKET`], or is laid out in a way this does not rewrite
/// (several streams, a header packet that is not a comment, a packet
/// running into the audio pages): symphonia then reads the file itself.
pub(crate) fn slim(path: &Path) -> Option<Spliced> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut r = BufReader::new(file.try_clone().ok()?);
    let (pages, audio) = header_pages(&mut r)?;
    let big = oversized(&pages)?;
    let kind = read_at(&mut r, &pages, big.first, 8)?;
    let flac = read_at(&mut r, &pages, (0, 0), 5).is_some_and(|b| b == b"\x7fFLAC");
    let empty = empty_comment(&kind, flac)?;
    let mut head = vec![0u8; usize::try_from(pages.get(big.first.0)?.offset).ok()?];
    r.seek(SeekFrom::Start(0)).ok()?;
    r.read_exact(&mut head).ok()?;
    let rest = pages.get(big.first.0..)?;
    let big = Span {
        first: (0, big.first.1),
        last: (big.last.0.checked_sub(big.first.0)?, big.last.1),
    };
    head.extend(rewrite(&mut r, rest, big, &empty)?);
    let parts = vec![
        Part::Bytes(head),
        Part::File {
            start: audio.offset,
            end: len,
        },
    ];
    Some(Spliced::new(file, parts))
}

/// The header pages (before the first page with audio, whose granule
/// position is set) and that first audio page, which must start a packet
/// of its own. `None` when the file is not one Ogg stream laid out so.
fn header_pages(r: &mut BufReader<File>) -> Option<(Vec<PageHead>, PageHead)> {
    let mut pages: Vec<PageHead> = Vec::new();
    let mut at = 0u64;
    loop {
        let page = PageHead::read(r, at)?;
        let serial = pages.first().map_or(page.serial(), PageHead::serial);
        if page.serial() != serial || pages.len() >= MAX_HEADER_PAGES {
            return None;
        }
        let granule = page.granule();
        if granule != 0 && granule != u64::MAX {
            return (!page.continued()).then_some((pages, page));
        }
        at = page.end();
        r.seek_relative(i64::try_from(page.body_len()).ok()?).ok()?;
        pages.push(page);
    }
}

/// The first header packet over [`MAX_KEPT_PACKET`] bytes.
fn oversized(pages: &[PageHead]) -> Option<Span> {
    let mut start = None;
    let mut size = 0u64;
    for (p, page) in pages.iter().enumerate() {
        for (s, &lace) in page.laces.iter().enumerate() {
            let first = *start.get_or_insert((p, s));
            size += u64::from(lace);
            if lace < 255 {
                if size > MAX_KEPT_PACKET {
                    let last = (p, s);
                    return Some(Span { first, last });
                }
                start = None;
                size = 0;
            }
        }
    }
    None
}

/// Up to `n` bytes of the packet data from segment `from` on.
fn read_at(
    r: &mut BufReader<File>,
    pages: &[PageHead],
    from: (usize, usize),
    n: usize,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    let (mut p, mut s) = from;
    while out.len() < n {
        let page = pages.get(p)?;
        let Some(&lace) = page.laces.get(s) else {
            (p, s) = (p + 1, 0);
            continue;
        };
        let before: u64 = page.laces.iter().take(s).map(|&l| u64::from(l)).sum();
        r.seek(SeekFrom::Start(page.body_offset() + before)).ok()?;
        let take = usize::from(lace).min(n - out.len());
        let mut buf = vec![0u8; take];
        r.read_exact(&mut buf).ok()?;
        out.extend(buf);
        if lace < 255 {
            break;
        }
        s += 1;
    }
    Some(out)
}

/// An empty comment packet of the kind whose first bytes are `first`
/// (Vorbis, Opus, or a FLAC metadata block, `flac` telling the stream is
/// Ogg FLAC); `None` for any other packet, which is left alone.
fn empty_comment(first: &[u8], flac: bool) -> Option<Vec<u8>> {
    if first.starts_with(b"\x03vorbis") {
        // Vendor length 0, no comments, framing bit.
        return Some(b"\x03vorbis\0\0\0\0\0\0\0\0\x01".to_vec());
    }
    if first.starts_with(b"OpusTags") {
        return Some(b"OpusTags\0\0\0\0\0\0\0\0".to_vec());
    }
    let block = *first.first()?;
    // A FLAC comment (4) or picture (6) block becomes an empty padding
    // block (1), keeping its "last block" bit.
    (flac && matches!(block & 0x7f, 4 | 6)).then(|| vec![(block & 0x80) | 1, 0, 0, 0])
}

/// The header pages `pages` (the first holding the start of `big`, whose
/// page indexes count from it) written anew with `empty` in place of the
/// packet `big`.
fn rewrite(
    r: &mut BufReader<File>,
    pages: &[PageHead],
    big: Span,
    empty: &[u8],
) -> Option<Vec<u8>> {
    // Lacing values and bytes of every kept segment, in order.
    let mut laces = Vec::new();
    let mut body = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        r.seek(SeekFrom::Start(page.body_offset())).ok()?;
        for (s, &lace) in page.laces.iter().enumerate() {
            let inside = (p, s) >= big.first && (p, s) <= big.last;
            if inside {
                r.seek_relative(i64::from(lace)).ok()?;
                if (p, s) == big.last {
                    laces.extend(lacing(empty.len()));
                    body.extend_from_slice(empty);
                }
                continue;
            }
            let mut seg = vec![0u8; usize::from(lace)];
            r.read_exact(&mut seg).ok()?;
            laces.push(lace);
            body.extend(seg);
        }
    }
    let first = pages.first()?;
    let mut out = Vec::new();
    let mut continued = first.continued();
    let mut at = 0usize;
    for (k, chunk) in laces.chunks(255).enumerate() {
        let n: usize = chunk.iter().map(|&l| usize::from(l)).sum();
        let ends_packet = chunk.iter().any(|&l| l < 255);
        let f = PageFields {
            flags: u8::from(continued),
            granule: if ends_packet { 0 } else { u64::MAX },
            serial: first.serial(),
            sequence: first.sequence().wrapping_add(u32::try_from(k).ok()?),
        };
        out.extend(page_bytes(f, chunk, body.get(at..at + n)?));
        at += n;
        continued = chunk.last() == Some(&255);
    }
    Some(out)
}

/// Lacing values for a packet of `len` bytes.
fn lacing(len: usize) -> Vec<u8> {
    let mut l = vec![255u8; len / 255];
    l.push((len % 255) as u8);
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::ogg_pages::drop_damaged_pages;

    /// Pages of one stream (serial 9) holding `packets`, each packet
    /// starting a new page when `fresh` says so; header pages have granule
    /// 0, the others 1000 each.
    fn pages(packets: &[(Vec<u8>, bool, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut laces: Vec<u8> = Vec::new();
        let mut body: Vec<u8> = Vec::new();
        let mut seq = 0u32;
        let mut continued = false;
        let mut audio = false;
        let mut flush = |laces: &mut Vec<u8>, body: &mut Vec<u8>, audio: bool, cont: &mut bool| {
            let mut at = 0;
            for chunk in laces.chunks(255) {
                let n: usize = chunk.iter().map(|&l| usize::from(l)).sum();
                let f = PageFields {
                    flags: u8::from(*cont) | if seq == 0 { 2 } else { 0 },
                    granule: if !chunk.iter().any(|&l| l < 255) {
                        u64::MAX
                    } else if audio {
                        1000 * u64::from(seq)
                    } else {
                        0
                    },
                    serial: 9,
                    sequence: seq,
                };
                out.extend(page_bytes(f, chunk, &body[at..at + n]));
                at += n;
                seq += 1;
                *cont = chunk.last() == Some(&255);
            }
            laces.clear();
            body.clear();
        };
        for (data, fresh, is_audio) in packets {
            if *fresh && !laces.is_empty() {
                flush(&mut laces, &mut body, audio, &mut continued);
            }
            audio = *is_audio;
            laces.extend(lacing(data.len()));
            body.extend_from_slice(data);
        }
        flush(&mut laces, &mut body, audio, &mut continued);
        out
    }

    /// The packets of the Ogg stream in `data`.
    fn packets(data: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
            let mut r = &data[pos..];
            let head = PageHead::read(&mut r, pos as u64).unwrap();
            let mut at = usize::try_from(head.body_offset()).unwrap();
            for &l in &head.laces {
                cur.extend_from_slice(&data[at..at + usize::from(l)]);
                at += usize::from(l);
                if l < 255 {
                    out.push(std::mem::take(&mut cur));
                }
            }
            pos = usize::try_from(head.end()).unwrap();
        }
        out
    }

    #[test]
    fn an_oversized_vorbis_comment_is_emptied_and_the_rest_kept() {
        let id = b"\x01vorbis-identification".to_vec();
        let mut comment = b"\x03vorbis".to_vec();
        comment.extend(std::iter::repeat_n(b'A', 3 << 20));
        // The setup packet shares the comment's last page and runs on.
        let setup: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let audio: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 3000]).collect();
        let mut list = vec![(id.clone(), true, false), (comment, true, false)];
        list.push((setup.clone(), false, false));
        for a in &audio {
            list.push((a.clone(), true, true));
        }
        let bytes = pages(&list);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.ogg");
        std::fs::write(&p, &bytes).unwrap();

        let mut view = slim(&p).expect("rewritten");
        let held: usize = view
            .parts()
            .iter()
            .map(|part| match part {
                Part::Bytes(b) => b.len(),
                Part::File { .. } => 0,
            })
            .sum();
        // Only the small header packets are held, not the 3 MB comment.
        assert!(held < 100_000, "{held}");
        let mut seen = Vec::new();
        view.read_to_end(&mut seen).unwrap();
        // Every page's CRC is right.
        assert_eq!(drop_damaged_pages(&seen).1, 0);
        let got = packets(&seen);
        let mut want = vec![id, b"\x03vorbis\0\0\0\0\0\0\0\0\x01".to_vec(), setup];
        want.extend(audio);
        assert_eq!(got, want);
        // The audio pages are the file's own bytes.
        let audio_at = bytes.len() - 3 * (27 + 12 + 3000);
        assert!(seen.ends_with(&bytes[audio_at..]));

        // Without an oversized packet, nothing is rewritten.
        let small = pages(&[
            (b"\x01vorbis".to_vec(), true, false),
            (vec![5; 100], true, true),
        ]);
        std::fs::write(&p, small).unwrap();
        assert!(slim(&p).is_none());
    }

    #[test]
    fn only_comment_packets_are_replaced() {
        assert!(empty_comment(b"\x05vorbis", false).is_none());
        assert_eq!(empty_comment(b"OpusTags", false).unwrap().len(), 16);
        // FLAC: a last picture block becomes a last, empty padding block.
        assert_eq!(
            empty_comment(&[0x86, 0, 0], true),
            Some(vec![0x81, 0, 0, 0])
        );
        assert!(empty_comment(&[0x06, 0, 0], false).is_none());
        assert!(empty_comment(&[0x03], true).is_none());
    }
}
