//! A direct reader for plain PCM WAV files, the format of most clip
//! libraries (GTZAN converted, test sets, exports).
//!
//! Why not symphonia for these too: its generic sample machinery (planar
//! buffers, sample conversion, interleaving) costs ~45 instructions per
//! sample, about a fifth of the whole analysis of a 30-s clip. Here each
//! block of bytes is converted and channel-mixed in one tight loop.
//!
//! Only the common, unambiguous layout is taken: `RIFF`/`WAVE`, a `fmt `
//! chunk before the `data` chunk, integer PCM of 8/16/24/32 bits or IEEE
//! float of 32/64 bits (plain or `WAVE_FORMAT_EXTENSIBLE`). Anything else
//! (compressed WAV, RF64, odd block alignment, a damaged header) returns
//! `None` and goes to symphonia, which reports or decodes it as before.
//! Samples are converted exactly as symphonia converts them, so both paths
//! give bit-identical output (tested in `tests/audio_decode.rs`).

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{AudioError, AudioInfo, Opened, Source};

/// Frames per block: one output chunk, so a 22050 Hz file's blocks are
/// handed on without being copied (see `MonoStream::next_chunk`).
const BLOCK_FRAMES: usize = super::CHUNK_SAMPLES;
/// Chunks other than `fmt `/`data` we skip before giving up (LIST, fact, …).
const MAX_CHUNKS: usize = 64;
/// WAVE format tags.
const TAG_PCM: u16 = 1;
const TAG_FLOAT: u16 = 3;
const TAG_EXTENSIBLE: u16 = 0xfffe;
/// Data size written by streaming encoders that did not know the length.
const UNKNOWN_SIZE: u32 = 0xffff_ffff;

/// Sample encodings handled here (little-endian).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    /// Unsigned 8-bit.
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

impl Encoding {
    fn from_fmt(tag: u16, bits: u16) -> Option<Self> {
        Some(match (tag, bits) {
            (TAG_PCM, 8) => Self::U8,
            (TAG_PCM, 16) => Self::I16,
            (TAG_PCM, 24) => Self::I24,
            (TAG_PCM, 32) => Self::I32,
            (TAG_FLOAT, 32) => Self::F32,
            (TAG_FLOAT, 64) => Self::F64,
            _ => return None,
        })
    }

    fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::I16 => 2,
            Self::I24 => 3,
            Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// symphonia's codec short name, so `AudioInfo` reads the same either way.
    fn name(self) -> &'static str {
        match self {
            Self::U8 => "pcm_u8",
            Self::I16 => "pcm_s16le",
            Self::I24 => "pcm_s24le",
            Self::I32 => "pcm_s32le",
            Self::F32 => "pcm_f32le",
            Self::F64 => "pcm_f64le",
        }
    }

    /// One sample → f32, with symphonia's conversion formulas
    /// (`symphonia-core` `audio/conv.rs`).
    #[inline(always)]
    fn sample(self, b: &[u8]) -> f32 {
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        match self {
            Self::U8 => (at(0) as f32) / 128.0 - 1.0,
            Self::I16 => i16::from_le_bytes([at(0), at(1)]) as f32 / 32_768.0,
            Self::I24 => (i32::from_le_bytes([0, at(0), at(1), at(2)]) >> 8) as f32 / 8_388_608.0,
            Self::I32 => {
                (i32::from_le_bytes([at(0), at(1), at(2), at(3)]) as f64 / 2_147_483_648.0) as f32
            }
            Self::F32 => f32::from_le_bytes([at(0), at(1), at(2), at(3)]),
            Self::F64 => {
                f64::from_le_bytes([at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)]) as f32
            }
        }
    }
}

/// True if `head` starts like a RIFF WAVE file.
pub(crate) fn is_riff_wave(head: &[u8]) -> bool {
    head.len() >= 12 && head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE".as_slice())
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[x, y, z, w]) => u32::from_le_bytes([x, y, z, w]),
        _ => 0,
    }
}

/// What the `fmt ` chunk says.
#[derive(Debug)]
struct Format {
    encoding: Encoding,
    channels: u16,
    rate: u32,
}

/// Parse a `fmt ` chunk body; `None` for anything but plain PCM/float.
fn parse_fmt(b: &[u8]) -> Option<Format> {
    if b.len() < 16 {
        return None;
    }
    let mut tag = le_u16(b, 0);
    let channels = le_u16(b, 2);
    let rate = le_u32(b, 4);
    let block_align = le_u16(b, 12);
    let bits = le_u16(b, 14);
    if tag == TAG_EXTENSIBLE {
        // cbSize ≥ 22, valid bits, channel mask, then the sub-format GUID
        // whose first two bytes are the plain format tag.
        if b.len() < 40 || le_u16(b, 16) < 22 || le_u16(b, 18) != bits {
            return None;
        }
        tag = le_u16(b, 24);
    }
    let encoding = Encoding::from_fmt(tag, bits)?;
    // A block alignment that disagrees with the sample size is a damaged or
    // exotic header: let symphonia judge it.
    if channels == 0
        || rate == 0
        || usize::from(block_align) != encoding.bytes() * usize::from(channels)
    {
        return None;
    }
    Some(Format {
        encoding,
        channels,
        rate,
    })
}

/// Open `path` if it is a plain PCM/float WAV; `Ok(None)` hands it to
/// symphonia (not a WAV, or a WAV variant read there).
pub(crate) fn open(path: &Path) -> Result<Option<Opened>, AudioError> {
    let io = |e| AudioError::io(path, e);
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut r = BufReader::new(file);
    let mut riff = [0u8; 12];
    if read_full(&mut r, &mut riff).map_err(io)? < riff.len()
        || &riff[..4] != b"RIFF"
        || &riff[8..] != b"WAVE"
    {
        return Ok(None);
    }
    // Walk the chunks: `fmt ` must come before `data`.
    let mut pos = 12u64;
    let mut format = None;
    for _ in 0..MAX_CHUNKS {
        let mut h = [0u8; 8];
        if read_full(&mut r, &mut h).map_err(io)? < h.len() {
            return Ok(None);
        }
        let size = le_u32(&h, 4);
        pos += 8;
        match &h[..4] {
            b"fmt " => {
                if size > 1024 {
                    return Ok(None);
                }
                let mut body = vec![0u8; size as usize + (size as usize & 1)];
                if read_full(&mut r, &mut body).map_err(io)? < body.len() {
                    return Ok(None);
                }
                pos += body.len() as u64;
                format = parse_fmt(&body);
                if format.is_none() {
                    return Ok(None);
                }
            }
            b"data" => {
                let Some(f) = format else {
                    return Ok(None);
                };
                let available = file_len.saturating_sub(pos);
                let declared = (size != UNKNOWN_SIZE).then_some(u64::from(size));
                // Not one whole frame: reported at open, as symphonia does.
                let frame_bytes = f.encoding.bytes() * usize::from(f.channels);
                if declared.unwrap_or(available).min(available) < frame_bytes as u64 {
                    return Err(AudioError::NoAudio {
                        path: path.to_path_buf(),
                    });
                }
                // Read the samples straight from the file from here on: the
                // header's buffered reader would add a copy of every byte.
                let mut file = r.into_inner();
                file.seek(SeekFrom::Start(pos)).map_err(io)?;
                return Ok(Some(opened(path, file, f, declared, available)));
            }
            _ => {
                // Skip the chunk (padded to an even length).
                let skip = u64::from(size) + u64::from(size & 1);
                let skipped =
                    std::io::copy(&mut (&mut r).take(skip), &mut std::io::sink()).map_err(io)?;
                if skipped < skip {
                    return Ok(None);
                }
                pos += skip;
            }
        }
    }
    Ok(None)
}

/// The source for the data chunk, `available` bytes of which are in the file.
fn opened(path: &Path, reader: File, f: Format, declared: Option<u64>, available: u64) -> Opened {
    let frame_bytes = f.encoding.bytes() * usize::from(f.channels);
    let info = AudioInfo {
        sample_rate: f.rate,
        channels: f.channels,
        codec: f.encoding.name().to_string(),
        duration_s: declared
            .filter(|&d| d <= available)
            .map(|d| d as f64 / frame_bytes as f64 / f64::from(f.rate)),
    };
    let src = WavSource {
        path: path.to_path_buf(),
        reader,
        encoding: f.encoding,
        channels: usize::from(f.channels),
        rate: f.rate,
        remaining: declared.unwrap_or(available).min(available),
        declared,
        truncated: declared.is_some_and(|d| d > available),
        frame_bytes,
        buf: vec![0; BLOCK_FRAMES * frame_bytes],
        frames: 0,
        warnings: Vec::new(),
        ended: false,
    };
    Opened {
        rate: f.rate,
        info,
        source: Box::new(src),
    }
}

/// Streaming reader of the data chunk.
struct WavSource {
    path: PathBuf,
    reader: File,
    encoding: Encoding,
    channels: usize,
    rate: u32,
    /// Bytes of sample data left to read.
    remaining: u64,
    /// Data size from the header, if known.
    declared: Option<u64>,
    /// The file holds less data than the header declares.
    truncated: bool,
    frame_bytes: usize,
    buf: Vec<u8>,
    /// Frames decoded so far.
    frames: u64,
    warnings: Vec<String>,
    ended: bool,
}

impl Source for WavSource {
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if self.ended {
            return Ok(None);
        }
        let want = (self.buf.len() as u64).min(self.remaining) as usize;
        let buf = self.buf.get_mut(..want).unwrap_or_default();
        let got = read_full(&mut self.reader, buf).map_err(|e| AudioError::io(&self.path, e))?;
        self.remaining -= got as u64;
        // The file may also have shrunk since we opened it.
        self.truncated |= got < want;
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

impl WavSource {
    fn truncation_warning(&self) -> String {
        let rate = f64::from(self.rate);
        let total = self
            .declared
            .map(|d| d as f64 / self.frame_bytes as f64 / rate);
        super::truncation_warning(self.frames as f64 / rate, total, "file")
    }

    /// Whole frames of `data` → channel means, as `decode::mix_into` computes
    /// them (sum of the channels in order, times 1/channels).
    fn mix(&self, data: &[u8]) -> Vec<f32> {
        let enc = self.encoding;
        let bps = enc.bytes();
        // The common layouts get loops the compiler can specialise and
        // vectorise; the match sits outside the per-sample loop.
        match (enc, self.channels) {
            (Encoding::I16, 1) => data
                .as_chunks::<2>()
                .0
                .iter()
                .map(|s| i16::from_le_bytes(*s) as f32 / 32_768.0)
                .collect(),
            (Encoding::I16, 2) => data
                .as_chunks::<4>()
                .0
                .iter()
                .map(|s| {
                    let l = i16::from_le_bytes([s[0], s[1]]) as f32 / 32_768.0;
                    let r = i16::from_le_bytes([s[2], s[3]]) as f32 / 32_768.0;
                    [l, r].iter().sum::<f32>() * 0.5
                })
                .collect(),
            (_, 1) => data.chunks_exact(bps).map(|s| enc.sample(s)).collect(),
            (_, ch) => {
                let scale = 1.0 / ch as f32;
                data.chunks_exact(self.frame_bytes)
                    .map(|f| f.chunks_exact(bps).map(|s| enc.sample(s)).sum::<f32>() * scale)
                    .collect()
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_parsing_accepts_plain_and_extensible_pcm_only() {
        let mut fmt = vec![0u8; 16];
        fmt[0..2].copy_from_slice(&TAG_PCM.to_le_bytes());
        fmt[2..4].copy_from_slice(&2u16.to_le_bytes());
        fmt[4..8].copy_from_slice(&44100u32.to_le_bytes());
        fmt[12..14].copy_from_slice(&4u16.to_le_bytes());
        fmt[14..16].copy_from_slice(&16u16.to_le_bytes());
        let f = parse_fmt(&fmt).expect("plain 16-bit PCM");
        assert_eq!((f.encoding, f.channels, f.rate), (Encoding::I16, 2, 44100));
        // Wrong block alignment, ADPCM, 12-bit: left to symphonia.
        let mut bad = fmt.clone();
        bad[12..14].copy_from_slice(&3u16.to_le_bytes());
        assert!(parse_fmt(&bad).is_none());
        let mut adpcm = fmt.clone();
        adpcm[0..2].copy_from_slice(&2u16.to_le_bytes());
        assert!(parse_fmt(&adpcm).is_none());
        let mut odd = fmt.clone();
        odd[14..16].copy_from_slice(&12u16.to_le_bytes());
        assert!(parse_fmt(&odd).is_none());
        // Extensible with a float sub-format.
        let mut ext = fmt.clone();
        ext[0..2].copy_from_slice(&TAG_EXTENSIBLE.to_le_bytes());
        ext[12..14].copy_from_slice(&8u16.to_le_bytes());
        ext[14..16].copy_from_slice(&32u16.to_le_bytes());
        ext.extend_from_slice(&22u16.to_le_bytes());
        ext.extend_from_slice(&32u16.to_le_bytes());
        ext.extend_from_slice(&3u32.to_le_bytes());
        ext.extend_from_slice(&TAG_FLOAT.to_le_bytes());
        ext.extend_from_slice(&[0u8; 14]);
        let f = parse_fmt(&ext).expect("extensible float");
        assert_eq!(f.encoding, Encoding::F32);
        assert!(parse_fmt(&ext[..30]).is_none());
    }

    /// Every block of a source, concatenated, and its warnings.
    fn drain(mut src: Box<dyn Source>) -> (Vec<f32>, Vec<String>) {
        let mut out = Vec::new();
        while let Some(b) = src.next_block().expect("decodes") {
            out.extend(b);
        }
        (out, src.take_warnings())
    }

    /// A WAV written by hound: `channels` × `frames` of a deterministic
    /// full-scale signal in the given sample format.
    fn write(path: &Path, channels: u16, bits: u16, float: bool, frames: usize) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 44100,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for i in 0..frames * channels as usize {
            // Covers the whole range, negative and positive, both extremes.
            let x = ((i as f64 * 0.731).sin() * 1.02).clamp(-1.0, 1.0);
            match (float, bits) {
                (true, _) => w.write_sample(x as f32),
                (false, 8) => w.write_sample((x * 127.0).round() as i8),
                (false, 16) => w.write_sample((x * 32767.0).round() as i16),
                (false, 24) => w.write_sample((x * 8_388_607.0).round() as i32),
                _ => w.write_sample((x * 2_147_483_647.0).round() as i32),
            }
            .expect("write");
        }
        w.finalize().expect("finalize");
    }

    #[test]
    fn same_samples_as_symphonia() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            (1, 16, false),
            (2, 16, false),
            (1, 8, false),
            (2, 24, false),
            (1, 32, false),
            (2, 32, true),
            (6, 16, false),
            (3, 24, false),
        ];
        for (channels, bits, float) in cases {
            let path = dir.path().join(format!("{channels}ch_{bits}_{float}.wav"));
            // More than one block, and a partial last one.
            write(&path, channels, bits, float, 150_001);
            let fast = open(&path).expect("opens").expect("plain PCM");
            let slow = match super::super::decode::open(&path) {
                Ok(o) => o,
                Err(_) => panic!("symphonia rejects {}", path.display()),
            };
            assert_eq!(fast.info.sample_rate, slow.info.sample_rate);
            assert_eq!(fast.info.channels, slow.info.channels);
            assert_eq!(fast.info.codec, slow.info.codec, "{}", path.display());
            let (a, wa) = drain(fast.source);
            let (b, wb) = drain(slow.source);
            assert_eq!(a.len(), 150_001, "{}", path.display());
            // Bit for bit, so features do not depend on which path ran.
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()) && a.len() == b.len(),
                "{}",
                path.display()
            );
            assert!(wa.is_empty() && wb.is_empty(), "{wa:?} {wb:?}");
        }
    }

    #[test]
    fn truncated_and_chunked_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.wav");
        write(&path, 2, 16, false, 50_000);
        let bytes = std::fs::read(&path).expect("read");
        // Cut mid-frame: the whole frames before the cut, and a warning.
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() / 2 + 1]).expect("write");
        let (x, w) = drain(open(&cut).expect("opens").expect("plain PCM").source);
        assert_eq!(x.len(), (bytes.len() / 2 + 1 - 44) / 4);
        assert!(w.iter().any(|w| w.starts_with("truncated")), "{w:?}");
        // A LIST chunk between fmt and data is skipped; a data chunk before
        // fmt, or no fmt at all, goes to symphonia.
        let mut listed = bytes[..36].to_vec();
        listed.extend_from_slice(b"LIST\x05\x00\x00\x00hello\x00");
        listed.extend_from_slice(&bytes[36..]);
        let p2 = dir.path().join("list.wav");
        std::fs::write(&p2, &listed).expect("write");
        let (y, w) = drain(open(&p2).expect("opens").expect("plain PCM").source);
        assert_eq!(y, drain(open(&path).expect("opens").expect("PCM").source).0);
        assert!(w.is_empty(), "{w:?}");
        let mut no_fmt = bytes[..12].to_vec();
        no_fmt.extend_from_slice(&bytes[36..]);
        let p3 = dir.path().join("nofmt.wav");
        std::fs::write(&p3, &no_fmt).expect("write");
        assert!(open(&p3).expect("opens").is_none());
        // Only a header: no audio, reported at open.
        let p4 = dir.path().join("empty_data.wav");
        std::fs::write(&p4, &bytes[..44]).expect("write");
        assert!(matches!(open(&p4), Err(AudioError::NoAudio { .. })));
    }

    #[test]
    fn sample_conversion_matches_symphonias_formulas() {
        assert_eq!(Encoding::U8.sample(&[0]), -1.0);
        assert_eq!(Encoding::U8.sample(&[128]), 0.0);
        assert_eq!(Encoding::I16.sample(&(-32768i16).to_le_bytes()), -1.0);
        assert_eq!(Encoding::I16.sample(&16384i16.to_le_bytes()), 0.5);
        assert_eq!(Encoding::I24.sample(&[0, 0, 0x80]), -1.0);
        assert_eq!(
            Encoding::I24.sample(&[0xff, 0xff, 0x3f]),
            4194303.0 / 8388608.0
        );
        assert_eq!(Encoding::I32.sample(&i32::MIN.to_le_bytes()), -1.0);
        assert_eq!(Encoding::F32.sample(&0.25f32.to_le_bytes()), 0.25);
        assert_eq!(Encoding::F64.sample(&(-0.75f64).to_le_bytes()), -0.75);
    }
}
