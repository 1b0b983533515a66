//! A file seen through edits: byte ranges of the file and replacement
//! bytes, one after the other, read and sought as one stream. It is how
//! symphonia is shown an audio file without its embedded picture (see
//! [`super::ogg_slim`] and [`super::art_blocks`]): the picture's bytes are
//! never read, and nothing is copied but the few bytes replaced.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

/// One piece of the stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Bytes `start..end` of the file.
    File { start: u64, end: u64 },
    /// Bytes held here.
    Bytes(Vec<u8>),
}

impl Part {
    fn len(&self) -> u64 {
        match self {
            Part::File { start, end } => end.saturating_sub(*start),
            Part::Bytes(b) => b.len() as u64,
        }
    }
}

/// The stream: `parts` in order, over `file`.
pub(crate) struct Spliced {
    file: File,
    /// Each part with where it starts in the stream.
    parts: Vec<(u64, Part)>,
    len: u64,
    pos: u64,
}

impl Spliced {
    /// The stream of `parts` over `file`.
    pub fn new(file: File, parts: Vec<Part>) -> Self {
        let mut at = 0;
        let parts = parts
            .into_iter()
            .filter(|p| p.len() > 0)
            .map(|p| {
                let start = at;
                at += p.len();
                (start, p)
            })
            .collect();
        Self {
            file,
            parts,
            len: at,
            pos: 0,
        }
    }

    /// `file` (`file_len` bytes) with each `(at, bytes)` of `patches`
    /// written over it, in order of `at` and not overlapping (same lengths:
    /// the rest of the file keeps its offsets).
    pub fn patched(file: File, file_len: u64, patches: Vec<(u64, Vec<u8>)>) -> Self {
        let mut parts = Vec::new();
        let mut at = 0;
        for (start, bytes) in patches {
            let start = start.max(at);
            parts.push(Part::File {
                start: at,
                end: start,
            });
            at = start + bytes.len() as u64;
            parts.push(Part::Bytes(bytes));
        }
        parts.push(Part::File {
            start: at,
            end: file_len,
        });
        Self::new(file, parts)
    }
}

impl Spliced {
    /// The parts, in order (for tests: what is held in memory).
    #[cfg(test)]
    pub fn parts(&self) -> Vec<Part> {
        self.parts.iter().map(|(_, p)| p.clone()).collect()
    }
}

impl Read for Spliced {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pos = self.pos;
        // The part holding `pos` (parts are sorted by their start).
        let i = self.parts.partition_point(|(start, _)| *start <= pos);
        let Some((start, part)) = i.checked_sub(1).and_then(|i| self.parts.get(i)) else {
            return Ok(0);
        };
        let into = pos - start;
        let left = part.len().saturating_sub(into);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match part {
            Part::Bytes(b) => {
                let from = usize::try_from(into).unwrap_or(usize::MAX);
                let src = b.get(from..from + want).unwrap_or_default();
                buf[..src.len()].copy_from_slice(src);
                src.len()
            }
            Part::File { start, .. } => {
                self.file.seek(SeekFrom::Start(start + into))?;
                self.file.read(&mut buf[..want])?
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Spliced {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

impl MediaSource for Spliced {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_read_and_seek_as_one_stream() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        let parts = vec![
            Part::File { start: 0, end: 3 },
            Part::Bytes(b"ab".to_vec()),
            Part::File { start: 7, end: 10 },
        ];
        let mut s = Spliced::new(File::open(&p).unwrap(), parts);
        assert_eq!(s.byte_len(), Some(8));
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"012ab789");
        s.seek(SeekFrom::Start(4)).unwrap();
        let mut two = [0u8; 2];
        s.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"b7");
        s.seek(SeekFrom::End(-1)).unwrap();
        s.read_exact(&mut two[..1]).unwrap();
        assert_eq!(two[0], b'9');
        assert!(s.seek(SeekFrom::Current(-100)).is_err());

        let patches = vec![(1, b"X".to_vec()), (4, b"YZ".to_vec())];
        let mut p2 = Spliced::patched(File::open(&p).unwrap(), 10, patches);
        let mut all = String::new();
        p2.read_to_string(&mut all).unwrap();
        assert_eq!(all, "0X23YZ6789");
    }
}
