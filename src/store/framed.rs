//! The container both musim files use (index and model): `magic` (8 bytes)
//! · format version (u32 LE) · payload length (u64 LE) · FNV-1a 64 checksum
//! of the payload (u64 LE) · payload. The version sits outside the payload
//! so an older file is recognised as such even when its payload layout
//! differs, and the checksum turns corruption into an explicit error instead
//! of a plausible-looking mis-decode.

use std::io::{self, BufWriter, Seek, SeekFrom, Write};

use super::hash::{fnv1a64, Fnv1a64};

const PREFIX_LEN: usize = 8 + 4 + 8 + 8;

/// Why bytes are not a usable framed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Wrong magic: some other kind of file.
    Foreign,
    /// Written by an older musim (this format version).
    Older(u32),
    /// Written by a newer musim (this format version).
    Newer(u32),
    /// Damaged: truncated or checksum mismatch.
    Corrupt(String),
}

/// Frame `payload` with `magic` and `version`.
pub fn encode(magic: &[u8; 8], version: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX_LEN + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a64(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Write to `w` what [`encode`] makes of the payload that `payload`
/// writes, without holding it: the prefix with room for the payload's
/// length and checksum, the payload (counted and hashed as it passes), then
/// the length and checksum written into their place.
pub fn write_streamed<W: Write + Seek>(
    w: &mut W,
    magic: &[u8; 8],
    version: u32,
    payload: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let start = w.stream_position()?;
    w.write_all(magic)?;
    w.write_all(&version.to_le_bytes())?;
    w.write_all(&[0u8; 16])?;
    let mut counted = Counted {
        inner: &mut *w,
        len: 0,
        hash: Fnv1a64::new(),
    };
    payload(&mut counted)?;
    let (len, sum) = (counted.len, counted.hash.finish());
    let end = w.stream_position()?;
    w.seek(SeekFrom::Start(start + 12))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(&sum.to_le_bytes())?;
    w.seek(SeekFrom::Start(end))?;
    Ok(())
}

/// Bytes buffered before they are written on (and hashed).
const STREAM_BUFFER: usize = 1 << 20;

/// Write `value` as postcard to `w`, through a buffer. An I/O error comes
/// back as itself: postcard's own writer reports any as a full buffer.
pub fn write_postcard<T: serde::Serialize + ?Sized>(
    value: &T,
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut kept = KeptError {
        inner: BufWriter::with_capacity(STREAM_BUFFER, w),
        error: None,
    };
    match postcard::to_io(value, &mut kept) {
        Ok(_) => Ok(()),
        Err(e) => Err(kept
            .error
            .take()
            .unwrap_or_else(|| io::Error::other(format!("cannot encode: {e}")))),
    }
}

/// A writer keeping the first error of the one it writes to.
struct KeptError<W: Write> {
    inner: W,
    error: Option<io::Error>,
}

impl<W: Write> KeptError<W> {
    /// `r`, its error kept (and a copy of its kind and text returned).
    fn keep<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        r.map_err(|e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            self.error.get_or_insert(e);
            copy
        })
    }
}

impl<W: Write> Write for KeptError<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.inner.write(buf);
        self.keep(r)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let r = self.inner.write_all(buf);
        self.keep(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.inner.flush();
        self.keep(r)
    }
}

/// A writer passing bytes on, counting and hashing those written.
struct Counted<'w, W: Write> {
    inner: &'w mut W,
    len: u64,
    hash: Fnv1a64,
}

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.hash.write(done);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The checked payload of bytes made by [`encode`] with the same magic and version.
pub fn decode<'a>(bytes: &'a [u8], magic: &[u8; 8], version: u32) -> Result<&'a [u8], FrameError> {
    if bytes.get(..magic.len()) != Some(&magic[..]) {
        return Err(FrameError::Foreign);
    }
    let truncated = || FrameError::Corrupt("truncated header".into());
    let v = read_u32(bytes, 8).ok_or_else(truncated)?;
    if v < version {
        return Err(FrameError::Older(v));
    }
    if v > version {
        return Err(FrameError::Newer(v));
    }
    let (len, sum) = match (read_u64(bytes, 12), read_u64(bytes, 20)) {
        (Some(l), Some(s)) => (l, s),
        _ => return Err(truncated()),
    };
    let payload = bytes.get(PREFIX_LEN..).unwrap_or_default();
    if payload.len() as u64 != len {
        return Err(FrameError::Corrupt(format!(
            "truncated: {} of {len} payload bytes",
            payload.len()
        )));
    }
    if fnv1a64(payload) != sum {
        return Err(FrameError::Corrupt("checksum mismatch".into()));
    }
    Ok(payload)
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

    #[test]
    fn a_streamed_frame_is_the_encoded_one_wherever_it_starts() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
        let want = encode(b"TESTFRAM", 9, &payload);
        let mut out = std::io::Cursor::new(b"before".to_vec());
        out.seek(SeekFrom::End(0)).unwrap();
        write_streamed(&mut out, b"TESTFRAM", 9, |w| {
            // In uneven pieces, as a serialiser writes.
            for piece in payload.chunks(997) {
                w.write_all(piece)?;
            }
            Ok(())
        })
        .unwrap();
        let out = out.into_inner();
        assert_eq!(&out[..6], b"before");
        assert_eq!(&out[6..], &want[..]);
        assert_eq!(decode(&out[6..], b"TESTFRAM", 9), Ok(&payload[..]));

        // A payload that fails fails the write.
        let mut out = std::io::Cursor::new(Vec::new());
        let e = write_streamed(&mut out, b"TESTFRAM", 9, |_| Err(io::Error::other("full")));
        assert_eq!(e.unwrap_err().to_string(), "full");
    }

    /// Accepts `room` bytes, then fails as a full disk does.
    struct Disk {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() + buf.len() > self.room {
                return Err(io::Error::from_raw_os_error(28));
            }
            self.got.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn postcard_is_written_as_encoded_and_an_io_error_is_kept() {
        let value: Vec<(u32, String, Vec<f32>)> = (0..5000u32)
            .map(|i| (i, format!("track {i}"), vec![i as f32; 30]))
            .collect();
        let want = postcard::to_allocvec(&value).unwrap();
        let mut disk = Disk {
            room: usize::MAX,
            got: Vec::new(),
        };
        write_postcard(&value, &mut disk).unwrap();
        assert_eq!(disk.got, want);

        let mut full = Disk {
            room: want.len() / 2,
            got: Vec::new(),
        };
        let e = write_postcard(&value, &mut full).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "{e}");
    }
}
