//! Sun/NeXT `.au` files (GTZAN's original format), which symphonia lacks.
//!
//! Layout: a big-endian header of six `u32` — magic `.snd`, data offset
//! (header size, ≥ 24; an annotation may follow the six fields), data size
//! (`0xffffffff` = unknown, read to end of file), encoding, sample rate,
//! channels — then interleaved samples. We honour the data offset rather than
//! assuming 24, and read the data in fixed-size blocks so memory does not grow
//! with the file.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{AudioError, AudioInfo, Opened, Rejected, Source};

/// The magic number at the start of every .au file.
const MAGIC: &[u8; 4] = b".snd";
/// Size of the fixed header fields.
const MIN_HEADER: u32 = 24;
/// Data size meaning "unknown: read to the end of the file".
const UNKNOWN_SIZE: u32 = 0xffff_ffff;
/// Bytes read per block (about 0.4 s of 16-bit stereo at 44.1 kHz).
const BLOCK_BYTES: usize = 64 * 1024;
/// Channel counts beyond this are treated as a damaged header.
const MAX_CHANNELS: u32 = 1024;

/// True if `head` starts with the .au magic.
pub fn is_au(head: &[u8]) -> bool {
    head.starts_with(MAGIC)
}

/// Sample encodings we decode.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    MuLaw,
    ALaw,
    /// Signed big-endian integer PCM of this many bytes (1–4).
    Int(usize),
    F32,
    F64,
}

/// An encoding code this decoder does not read; its message is the codec's
/// readable name.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
enum UnsupportedEncoding {
    /// G.721 ADPCM (code 23).
    #[error("G.721 ADPCM (.au encoding 23)")]
    G721,
    /// G.722 (code 24).
    #[error("G.722 (.au encoding 24)")]
    G722,
    /// G.723 ADPCM (code 25 or 26).
    #[error("G.723 ADPCM (.au encoding {0})")]
    G723(u32),
    /// Any other code.
    #[error(".au encoding {0}")]
    Other(u32),
}

impl Encoding {
    /// Map the header's encoding code; `Err` names the codec readably.
    fn from_code(code: u32) -> Result<Self, UnsupportedEncoding> {
        Ok(match code {
            1 => Self::MuLaw,
            2 => Self::Int(1),
            3 => Self::Int(2),
            4 => Self::Int(3),
            5 => Self::Int(4),
            6 => Self::F32,
            7 => Self::F64,
            27 => Self::ALaw,
            23 => return Err(UnsupportedEncoding::G721),
            24 => return Err(UnsupportedEncoding::G722),
            25 | 26 => return Err(UnsupportedEncoding::G723(code)),
            other => return Err(UnsupportedEncoding::Other(other)),
        })
    }

    fn bytes(self) -> usize {
        match self {
            Self::MuLaw | Self::ALaw => 1,
            Self::Int(n) => n,
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    fn name(self) -> String {
        match self {
            Self::MuLaw => "mulaw".into(),
            Self::ALaw => "alaw".into(),
            Self::Int(n) => format!("pcm_s{}be", n * 8),
            Self::F32 => "pcm_f32be".into(),
            Self::F64 => "pcm_f64be".into(),
        }
    }
}

/// The parsed header.
#[derive(Debug)]
struct Header {
    offset: u32,
    data_size: Option<u64>,
    encoding: Encoding,
    rate: u32,
    channels: u32,
}

/// Read a big-endian u32 at byte `at` of the header.
fn be_u32(h: &[u8], at: usize) -> u32 {
    match h.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Parse and check the 24 header bytes against the file length.
fn parse_header(path: &Path, h: &[u8], file_len: Option<u64>) -> Result<Header, Rejected> {
    let bad = |d: String| {
        Rejected::Fatal(AudioError::corrupt(
            path,
            format!("invalid .au header: {d}"),
        ))
    };
    if h.len() < MIN_HEADER as usize || !is_au(h) {
        return Err(bad("shorter than 24 bytes".into()));
    }
    let offset = be_u32(h, 4);
    let size = be_u32(h, 8);
    let code = be_u32(h, 12);
    let rate = be_u32(h, 16);
    let channels = be_u32(h, 20);
    if offset < MIN_HEADER {
        return Err(bad(format!("header size {offset} is below 24")));
    }
    if file_len.is_some_and(|l| u64::from(offset) > l) {
        return Err(bad(format!(
            "data offset {offset} is past the end of the file"
        )));
    }
    if rate == 0 {
        return Err(bad("sample rate is 0".into()));
    }
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(bad(format!("{channels} channels")));
    }
    let encoding = Encoding::from_code(code).map_err(|codec| Rejected::Codec {
        codec: codec.to_string(),
        info: Some(AudioInfo {
            sample_rate: rate,
            channels: channels as u16,
            codec: format!("au encoding {code}"),
            duration_s: None,
        }),
    })?;
    let data_size = (size != UNKNOWN_SIZE).then_some(u64::from(size));
    Ok(Header {
        offset,
        data_size,
        encoding,
        rate,
        channels,
    })
}

/// Open an .au file: parse its header and position at the data.
pub(crate) fn open(path: &Path) -> Result<Opened, Rejected> {
    let io = |e| Rejected::Fatal(AudioError::io(path, e));
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let (info, src) = open_stream(path, file, Some(file_len))?;
    Ok(Opened {
        rate: info.sample_rate,
        info,
        source: Box::new(src),
    })
}

/// Read the header from `r` (a file, or ffmpeg's stdout, whose length
/// `file_len` is unknown) and skip to the sample data.
pub(crate) fn open_stream<R: Read + Send>(
    path: &Path,
    mut r: R,
    file_len: Option<u64>,
) -> Result<(AudioInfo, AuSource<R>), Rejected> {
    let io = |e| Rejected::Fatal(AudioError::io(path, e));
    let mut h = [0u8; MIN_HEADER as usize];
    let got = read_full(&mut r, &mut h).map_err(io)?;
    let header = parse_header(path, h.get(..got).unwrap_or(&[]), file_len)?;
    // Skip the annotation by reading, which also works on a pipe.
    let skip = u64::from(header.offset - MIN_HEADER);
    let skipped = std::io::copy(&mut (&mut r).take(skip), &mut std::io::sink()).map_err(io)?;
    if skipped < skip {
        return Err(Rejected::Fatal(AudioError::NoAudio {
            path: path.to_path_buf(),
        }));
    }

    let frame_bytes = header.encoding.bytes() * header.channels as usize;
    let available = file_len.map_or(u64::MAX, |l| l - u64::from(header.offset));
    let to_read = header.data_size.unwrap_or(available).min(available);
    if to_read < frame_bytes as u64 {
        return Err(Rejected::Fatal(AudioError::NoAudio {
            path: path.to_path_buf(),
        }));
    }
    let info = AudioInfo {
        sample_rate: header.rate,
        channels: header.channels as u16,
        codec: header.encoding.name(),
        duration_s: header
            .data_size
            .map(|s| s as f64 / frame_bytes as f64 / f64::from(header.rate)),
    };
    let src = AuSource {
        path: path.to_path_buf(),
        reader: r,
        encoding: header.encoding,
        channels: header.channels as usize,
        rate: header.rate,
        remaining: to_read,
        declared: header.data_size,
        frame_bytes,
        buf: vec![0; (BLOCK_BYTES / frame_bytes).max(1) * frame_bytes],
        table: law_table(header.encoding),
        frames: 0,
        warnings: Vec::new(),
        ended: false,
        truncated: header.data_size.is_some_and(|d| d > available),
    };
    Ok((info, src))
}

/// Streaming reader of the sample data.
pub(crate) struct AuSource<R> {
    path: PathBuf,
    reader: R,
    encoding: Encoding,
    channels: usize,
    rate: u32,
    /// Bytes of sample data left to read.
    remaining: u64,
    /// Data size from the header, if known.
    declared: Option<u64>,
    frame_bytes: usize,
    buf: Vec<u8>,
    /// μ-law/A-law → linear lookup (empty for other encodings).
    table: Vec<f32>,
    /// Frames decoded so far.
    frames: u64,
    warnings: Vec<String>,
    ended: bool,
    /// The file holds less data than the header declares.
    truncated: bool,
}

impl<R: Read + Send> Source for AuSource<R> {
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if self.ended {
            return Ok(None);
        }
        let want = (self.buf.len() as u64).min(self.remaining) as usize;
        let buf = self.buf.get_mut(..want).unwrap_or_default();
        let got = read_full(&mut self.reader, buf).map_err(|e| AudioError::io(&self.path, e))?;
        self.remaining -= got as u64;
        // A short read of a declared size means the file ended early (it
        // may also have shrunk since we opened it).
        // On a pipe of unknown length (ffmpeg) the end is just the end.
        self.truncated |= got < want && self.declared.is_some();
        self.ended = got < want || self.remaining == 0;
        let whole = got - got % self.frame_bytes;
        let out = self.mix(self.buf.get(..whole).unwrap_or_default());
        self.frames += out.len() as u64;
        if self.ended && self.truncated {
            self.warnings.push(self.truncation_warning());
        }
        Ok((!out.is_empty()).then_some(out))
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

impl<R> AuSource<R> {
    /// Sample rate from the header.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    fn truncation_warning(&self) -> String {
        let rate = f64::from(self.rate);
        let total = self
            .declared
            .map(|d| d as f64 / self.frame_bytes as f64 / rate);
        super::truncation_warning(self.frames as f64 / rate, total, "header")
    }

    /// Decode whole frames of `data` and average the channels.
    fn mix(&self, data: &[u8]) -> Vec<f32> {
        let bps = self.encoding.bytes();
        let scale = 1.0 / self.channels as f32;
        data.chunks_exact(self.frame_bytes)
            .map(|frame| {
                let sum: f32 = frame.chunks_exact(bps).map(|s| self.sample(s)).sum();
                sum * scale
            })
            .collect()
    }

    /// One sample's bytes → f32 in [-1, 1) (integers scaled by 2^(bits-1), as libsndfile).
    fn sample(&self, b: &[u8]) -> f32 {
        match (self.encoding, b) {
            (Encoding::MuLaw | Encoding::ALaw, [x]) => {
                self.table.get(*x as usize).copied().unwrap_or(0.0)
            }
            (Encoding::Int(1), [x]) => f32::from(*x as i8) / 128.0,
            (Encoding::Int(2), [x, y]) => f32::from(i16::from_be_bytes([*x, *y])) / 32768.0,
            (Encoding::Int(3), [x, y, z]) => {
                (i32::from_be_bytes([*x, *y, *z, 0]) >> 8) as f32 / 8_388_608.0
            }
            (Encoding::Int(4), [a, b2, c, d]) => {
                i32::from_be_bytes([*a, *b2, *c, *d]) as f32 / 2_147_483_648.0
            }
            (Encoding::F32, [a, b2, c, d]) => f32::from_be_bytes([*a, *b2, *c, *d]),
            (Encoding::F64, [a, b2, c, d, e, f, g, h]) => {
                f64::from_be_bytes([*a, *b2, *c, *d, *e, *f, *g, *h]) as f32
            }
            _ => 0.0,
        }
    }
}

/// Read until `buf` is full or the file ends; returns bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Lookup table for the companded encodings (G.711), scaled like libsndfile
/// (16-bit linear / 32768) so results match librosa reading GTZAN.
fn law_table(enc: Encoding) -> Vec<f32> {
    let f: fn(u8) -> i16 = match enc {
        Encoding::MuLaw => ulaw_to_linear,
        Encoding::ALaw => alaw_to_linear,
        _ => return Vec::new(),
    };
    (0..=255u8).map(|b| f32::from(f(b)) / 32768.0).collect()
}

/// G.711 μ-law byte → 16-bit linear.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let exponent = (u >> 4) & 0x07;
    let mantissa = i32::from(u & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// G.711 A-law byte → 16-bit linear.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = (a >> 4) & 0x07;
    let mantissa = i32::from(a & 0x0f);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    // In A-law a set sign bit means positive.
    if a & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_reference_values() {
        // μ-law: 0xff/0x7f are ±0, 0x80/0x00 the extremes (±32124).
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        // A-law: 0xd5 is the smallest positive step, 0xaa the largest.
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
    }

    #[test]
    fn unknown_encoding_is_a_codec_rejection() {
        assert!(Encoding::from_code(23).is_err());
        assert_eq!(Encoding::from_code(3), Ok(Encoding::Int(2)));
        let name = |code| Encoding::from_code(code).unwrap_err().to_string();
        assert_eq!(name(23), "G.721 ADPCM (.au encoding 23)");
        assert_eq!(name(24), "G.722 (.au encoding 24)");
        assert_eq!(name(26), "G.723 ADPCM (.au encoding 26)");
        assert_eq!(name(99), ".au encoding 99");
    }
}
