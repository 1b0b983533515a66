//! Decoding with symphonia: wav, flac, mp3, ogg/vorbis, aac/m4a, alac, aiff,
//! caf, mkv/webm (where the codec is supported).
//!
//! The format is probed from the content; the extension is only a hint, so a
//! renamed file is still read correctly and junk is rejected, not trusted.
//! Damage is skipped, as ffmpeg does: a packet that fails to decode, or a
//! page or frame the demuxer drops for a bad checksum (seen as a jump in the
//! timestamps), becomes one warning naming its time (see [`super::damage`]);
//! the file is rejected only when too little of it decodes. An Ogg file whose
//! damage stops symphonia from opening it is read again without its damaged
//! pages ([`super::ogg_pages`]). A big embedded picture is never read:
//! symphonia is shown the file without it ([`super::ogg_slim`],
//! [`super::art_blocks`]). An early end of file stops decoding with a
//! "truncated" warning, keeping what was decoded. A panic inside symphonia
//! (it has some on damaged input) is contained: that packet is skipped, or
//! the file rejected as damaged.

use std::fs::File;
use std::io::{Cursor, ErrorKind, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use symphonia::core::audio::{Audio, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known as codec;
use symphonia::core::codecs::audio::{AudioCodecId, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Duration, Time, TimeBase, Timestamp};

use super::damage::Damage;
use super::{art_blocks, ogg_pages, ogg_slim, AudioError, AudioInfo, Opened, Rejected, Source};

/// Frames gathered before a block is handed on (about 0.75 s at 44.1 kHz).
const BLOCK_FRAMES: usize = 32 * 1024;
/// Consecutive undecodable packets after which we give up on the file.
const MAX_BAD_RUN: u32 = 500;
/// Consecutive demuxer errors after which the container is given up on
/// (each retry reads on from where the demuxer stopped).
const MAX_DEMUX_RETRIES: u32 = 32;
/// Consecutive packets at another sample rate that mean a real change of
/// stream rather than a damaged frame header.
const MAX_RATE_RUN: u32 = 20;
/// Largest Ogg file read into memory to drop its damaged pages.
const MAX_OGG_REPAIR_BYTES: u64 = 1 << 30;

/// Probe `path` with symphonia and prepare a decoder for its audio track.
///
/// The first block is decoded here already, so a file where nothing decodes
/// is reported by `open`, and the real sample rate is known even when the
/// container does not state it.
pub(crate) fn open(path: &Path) -> Result<Opened, Rejected> {
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    // A big embedded picture is hidden from symphonia, which would read it.
    let source: Box<dyn MediaSource> =
        match ogg_slim::slim(path).or_else(|| art_blocks::hidden(path)) {
            Some(slim) => Box::new(slim),
            None => Box::new(file),
        };
    let (format, repaired) = match probe(path, source) {
        Ok(format) => (format, false),
        Err(first) => (reprobe_ogg(path).ok_or(first)?, true),
    };
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| AudioError::NoAudio {
            path: path.to_path_buf(),
        })?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| AudioError::NoAudio {
            path: path.to_path_buf(),
        })?
        .clone();
    let track_id = track.id;
    let declared_frames = track.num_frames;
    let time_base = track.time_base;
    let duration_s = track_duration(track, params.sample_rate);
    let channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
    let mut info = AudioInfo {
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: u16::try_from(channels).unwrap_or(u16::MAX),
        codec: codec_name(params.codec),
        duration_s,
    };
    let decoder = contained(|| {
        symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
    })
    .map_err(|_| Rejected::Codec {
        codec: info.codec.clone(),
        info: (info.sample_rate > 0).then(|| info.clone()),
    })?;
    info.codec = decoder.codec_info().short_name.to_string();

    let mut src = SymphoniaSource {
        path: path.to_path_buf(),
        format,
        decoder,
        track_id,
        rate: info.sample_rate,
        declared_frames,
        frames: 0,
        bad_packets: 0,
        bad_run: 0,
        demux_run: 0,
        rate_run: 0,
        time_base,
        duration_s,
        // Pages dropped before the first audio packet leave a gap from 0.
        damage: Damage::new(repaired.then_some(0.0)),
        judged: false,
        stopped: false,
        scratch: Vec::new(),
        first: None,
        warnings: Vec::new(),
        ended: false,
        seeked: false,
    };
    src.prefetch(&mut info)?;
    Ok(Opened {
        rate: info.sample_rate,
        info,
        source: Box::new(src),
    })
}

/// An Ogg file symphonia could not open: open it again without its damaged
/// pages, or `None` when it is not Ogg, too large, or still unreadable.
fn reprobe_ogg(path: &Path) -> Option<Box<dyn FormatReader>> {
    let mut head = [0u8; 4];
    let mut file = File::open(path).ok()?;
    file.read_exact(&mut head).ok()?;
    if !ogg_pages::is_ogg(&head) || file.metadata().ok()?.len() > MAX_OGG_REPAIR_BYTES {
        return None;
    }
    let data = std::fs::read(path).ok()?;
    let (kept, dropped) = ogg_pages::drop_damaged_pages(&data);
    if dropped == 0 {
        return None;
    }
    probe(path, Box::new(Cursor::new(kept))).ok()
}

/// Let symphonia recognise the container of `source` (the file at `path`).
fn probe(path: &Path, source: Box<dyn MediaSource>) -> Result<Box<dyn FormatReader>, Rejected> {
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = contained(|| {
        symphonia::default::get_probe().probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
    });
    probed.map_err(|e| match e {
        // No reader recognised the bytes, or the scan for a marker ran off
        // the end: not a format symphonia knows.
        SymError::Unsupported(what) => Rejected::Unrecognised(what.to_string()),
        SymError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            Rejected::Unrecognised("no known audio format found".to_string())
        }
        SymError::IoError(io) => Rejected::Fatal(AudioError::io(path, io)),
        other => Rejected::Fatal(AudioError::corrupt(
            path,
            format!("cannot read the container: {other}"),
        )),
    })
}

/// Duration in seconds as the container states it.
fn track_duration(track: &Track, rate: Option<u32>) -> Option<f64> {
    if let (Some(n), Some(r)) = (track.num_frames, rate) {
        if r > 0 {
            return Some(n as f64 / f64::from(r));
        }
    }
    let tb = track.time_base?;
    let d = track.duration?;
    tb.calc_duration(d).map(|t| t.as_secs_f64())
}

/// A readable name for codecs that may turn up without a symphonia decoder.
fn codec_name(id: AudioCodecId) -> String {
    let known = [
        (codec::CODEC_ID_OPUS, "opus"),
        (codec::CODEC_ID_WMA, "wma"),
        (codec::CODEC_ID_AC3, "ac3"),
        (codec::CODEC_ID_EAC3, "eac3"),
        (codec::CODEC_ID_DCA, "dts"),
        (codec::CODEC_ID_SPEEX, "speex"),
        (codec::CODEC_ID_MUSEPACK, "musepack"),
        (codec::CODEC_ID_WAVPACK, "wavpack"),
        (codec::CODEC_ID_MONKEYS_AUDIO, "monkeys_audio"),
        (codec::CODEC_ID_TTA, "tta"),
        (codec::CODEC_ID_TRUEHD, "truehd"),
        (codec::CODEC_ID_ATRAC3, "atrac3"),
        (codec::CODEC_ID_ATRAC3PLUS, "atrac3plus"),
        (codec::CODEC_ID_COOK, "cook"),
        (codec::CODEC_ID_VORBIS, "vorbis"),
        (codec::CODEC_ID_MP3, "mp3"),
        (codec::CODEC_ID_AAC, "aac"),
        (codec::CODEC_ID_FLAC, "flac"),
        (codec::CODEC_ID_ALAC, "alac"),
    ];
    known
        .iter()
        .find(|(k, _)| *k == id)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("codec id {id}"))
}

/// The error standing for a panic inside symphonia.
const PANICKED: &str = "the decoder failed on damaged data";

/// Run a symphonia call, a panic inside it becoming a decode error: some
/// damaged input makes symphonia panic (e.g. arithmetic overflow in its MS
/// ADPCM decoder and WAV `fmt` parser where overflow checks are on, as in
/// musim's test builds), and one damaged file must not end the caller.
fn contained<T>(f: impl FnOnce() -> Result<T, SymError>) -> Result<T, SymError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(SymError::DecodeError(PANICKED)))
}

/// What one demux-and-decode step produced.
enum Step {
    /// Samples were appended.
    Audio,
    /// Nothing appended (other track, damaged packet); keep going.
    Skip,
    /// No more audio.
    End,
}

/// Streaming symphonia decoder, mixing to mono as it goes.
struct SymphoniaSource {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    /// Sample rate of the output (fixed at the first decoded packet).
    rate: u32,
    /// Frame count the container declares, if any.
    declared_frames: Option<u64>,
    /// Frames decoded so far.
    frames: u64,
    /// Packets skipped because they failed to decode.
    bad_packets: u64,
    /// Current run of consecutive failures.
    bad_run: u32,
    /// Current run of consecutive demuxer errors.
    demux_run: u32,
    /// Current run of packets decoding at another sample rate.
    rate_run: u32,
    /// Time base of the packets' timestamps.
    time_base: Option<TimeBase>,
    /// Length the container states, seconds.
    duration_s: Option<f64>,
    /// Audio lost to damage so far.
    damage: Damage,
    /// The damage verdict was given (the stream ended).
    judged: bool,
    /// Decoding stopped before the end of the stream (error, rate change).
    stopped: bool,
    /// Reused interleaved buffer.
    scratch: Vec<f32>,
    /// Block decoded during `open`.
    first: Option<Vec<f32>>,
    warnings: Vec<String>,
    ended: bool,
    /// A seek happened: frame counts no longer tell the decoded length.
    seeked: bool,
}

impl Source for SymphoniaSource {
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if let Some(b) = self.first.take() {
            return Ok(Some(b));
        }
        let block = self.decode_block();
        if self.ended && !self.judged {
            self.judged = true;
            self.damage_verdict()?;
        }
        Ok((!block.is_empty()).then_some(block))
    }

    fn take_warnings(&mut self) -> Vec<String> {
        let mut w = std::mem::take(&mut self.warnings);
        w.extend(self.damage.take_warnings());
        w
    }

    fn damage_verdict(&self) -> Result<(), AudioError> {
        self.damage
            .verdict()
            .map_err(|why| AudioError::corrupt(&self.path, why))
    }

    fn seek(&mut self, seconds: f64) -> Option<f64> {
        let time = Time::try_from_secs_f64(seconds.max(0.0))?;
        // Coarse: the window need not start at an exact sample, and an
        // accurate seek would decode from the previous key frame.
        let to = SeekTo::Time {
            time,
            track_id: Some(self.track_id),
        };
        let seeked = contained(|| self.format.seek(SeekMode::Coarse, to)).ok()?;
        self.decoder.reset();
        self.first = None;
        self.ended = false;
        self.bad_run = 0;
        self.seeked = true;
        self.damage.seeked();
        let tb = self
            .format
            .tracks()
            .iter()
            .find(|t| t.id == self.track_id)?
            .time_base?;
        let at = tb.calc_time(seeked.actual_ts)?;
        self.frames = (at.as_secs_f64() * f64::from(self.rate)) as u64;
        Some(at.as_secs_f64())
    }
}

impl SymphoniaSource {
    /// Decode the first block; fail if nothing at all decodes.
    fn prefetch(&mut self, info: &mut AudioInfo) -> Result<(), AudioError> {
        let block = self.decode_block();
        if block.is_empty() {
            if self.bad_packets > 0 {
                return Err(AudioError::corrupt(
                    &self.path,
                    format!(
                        "none of its {} audio packets could be decoded",
                        self.bad_packets
                    ),
                ));
            }
            return Err(AudioError::NoAudio {
                path: self.path.clone(),
            });
        }
        info.sample_rate = self.rate;
        if info.channels == 0 {
            info.channels = self
                .decoder
                .codec_params()
                .channels
                .as_ref()
                .map_or(1, |c| c.count() as u16);
        }
        self.first = Some(block);
        Ok(())
    }

    /// Decode packets until a block is full or the stream ends.
    fn decode_block(&mut self) -> Vec<f32> {
        let mut out = Vec::with_capacity(BLOCK_FRAMES);
        while !self.ended && out.len() < BLOCK_FRAMES {
            if let Step::End = self.step(&mut out) {
                self.end();
            }
        }
        out
    }

    /// Read one packet and decode it into `out` (mono).
    fn step(&mut self, out: &mut Vec<f32>) -> Step {
        let packet = match contained(|| self.format.next_packet()) {
            Ok(Some(p)) => p,
            Ok(None) => return Step::End,
            Err(e) => return self.demux_error(e),
        };
        self.demux_run = 0;
        if packet.track_id != self.track_id {
            return Step::Skip;
        }
        let (start_s, dur_s) = self.span(packet.pts, packet.dur);
        // The packet spans its trimmed frames too (the encoder's delay on
        // the first packet, padding on the last): the next one starts after
        // them, so they are not a gap.
        let whole = packet.trim_start.get() + packet.dur.get() + packet.trim_end.get();
        let (_, whole_s) = self.span(packet.pts, Duration::from(whole));
        self.damage.packet(start_s, whole_s, self.duration_s);
        let decoder = &mut self.decoder;
        let decoded = contained(|| decoder.decode(&packet));
        if matches!(decoded, Err(SymError::DecodeError(PANICKED))) {
            // Its state may be half-updated: start it afresh.
            let _ = catch_unwind(AssertUnwindSafe(|| self.decoder.reset()));
            return self.undecodable(start_s, dur_s);
        }
        match decoded {
            Ok(buf) => {
                let spec_rate = buf.spec().rate();
                let ch = buf.spec().channels().count().max(1);
                if self.rate == 0 {
                    self.rate = spec_rate;
                } else if spec_rate != self.rate && spec_rate != 0 {
                    // One frame at another rate is a damaged header (an MP3
                    // resynced on junk); a run of them is a new stream.
                    self.rate_run += 1;
                    if self.rate_run < MAX_RATE_RUN {
                        return self.undecodable(start_s, dur_s);
                    }
                    self.warnings.push(format!(
                        "sample rate changes mid-file ({} → {} Hz); decoding stopped at {:.1} s",
                        self.rate,
                        spec_rate,
                        self.seconds()
                    ));
                    self.stopped = true;
                    return Step::End;
                }
                self.rate_run = 0;
                let before = out.len();
                match buf {
                    // Most codecs (Vorbis, MP3, AAC, FLAC via f32) decode to
                    // f32 planes: mix those directly, skipping the
                    // interleaved copy (≈ 15 % of Vorbis decoding time).
                    GenericAudioBufferRef::F32(planar) => mix_planes(planar, out),
                    other => {
                        other.copy_to_vec_interleaved::<f32>(&mut self.scratch);
                        mix_into(&self.scratch, ch, out);
                    }
                }
                let n = out.len() - before;
                self.frames += n as u64;
                self.bad_run = 0;
                self.damage.decoded(n as f64 / f64::from(self.rate.max(1)));
                Step::Audio
            }
            Err(_) => self.undecodable(start_s, dur_s),
        }
    }

    /// A damaged packet: skip it, count it, carry on (up to a point).
    fn undecodable(&mut self, start_s: f64, dur_s: f64) -> Step {
        self.damage.failed(start_s, dur_s);
        self.bad_packets += 1;
        self.bad_run += 1;
        if self.bad_run >= MAX_BAD_RUN {
            self.warnings.push(format!(
                "gave up after {} consecutive undecodable packets at {:.1} s",
                self.bad_run, start_s
            ));
            self.stopped = true;
            return Step::End;
        }
        Step::Skip
    }

    /// Where a packet lies in the file, seconds: (start, duration). Without
    /// a time base, where the decoded audio has reached.
    fn span(&self, pts: Timestamp, dur: Duration) -> (f64, f64) {
        match self.time_base {
            Some(tb) => (
                tb.calc_time_saturating(pts).as_secs_f64(),
                tb.calc_duration_saturating(dur).as_secs_f64(),
            ),
            None => (
                self.seconds(),
                dur.get() as f64 / f64::from(self.rate.max(1)),
            ),
        }
    }

    /// The demuxer failed: a damaged spot it may read past (retried a few
    /// times, the gap in the timestamps tells what was lost), or the end.
    fn demux_error(&mut self, e: SymError) -> Step {
        let retry = matches!(e, SymError::DecodeError(m) if m != PANICKED);
        if retry && self.demux_run < MAX_DEMUX_RETRIES {
            self.demux_run += 1;
            return Step::Skip;
        }
        self.stopped = true;
        let at = self.seconds();
        let msg = match e {
            SymError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
                format!("truncated: decoding stopped at {at:.1} s")
            }
            SymError::ResetRequired => {
                format!("the stream changes format mid-file (chained stream); decoding stopped at {at:.1} s")
            }
            other => format!("damaged container ({other}); decoding stopped at {at:.1} s"),
        };
        self.warnings.push(msg);
        Step::End
    }

    /// Finish: summarise skipped packets and spot files shorter than declared.
    fn end(&mut self) {
        self.ended = true;
        self.damage.finish(self.unexplained_shortfall());
        let already = self.warnings.iter().any(|w| w.starts_with("truncated"));
        if let Some(declared) = self.declared_frames.filter(|_| !self.seeked) {
            // Allow 1 % slack: encoder delay/padding makes counts differ a bit.
            let slack = (declared / 100).max(u64::from(self.rate) / 10);
            // Audio skipped as damaged was there: only the rest is missing.
            let covered = (self.damage.covered_s() * f64::from(self.rate)) as u64;
            if !already && covered.max(self.frames) + slack < declared && self.rate > 0 {
                let total = declared as f64 / f64::from(self.rate);
                self.warnings.push(super::truncation_warning(
                    self.seconds(),
                    Some(total),
                    "file",
                ));
            }
        }
    }

    /// Seconds the container states (without a frame count) beyond what
    /// the packets covered, when the stream ended normally: pages dropped
    /// at the very end. 0 when none, or when the end is explained otherwise.
    fn unexplained_shortfall(&self) -> f64 {
        if self.stopped || self.seeked || self.declared_frames.is_some() {
            return 0.0;
        }
        let Some(stated) = self.duration_s.filter(|d| d.is_finite()) else {
            return 0.0;
        };
        let missing = stated - self.damage.covered_s();
        // Same slack as for a declared frame count.
        if missing > (stated / 100.0).max(0.1) {
            missing
        } else {
            0.0
        }
    }

    /// Seconds decoded so far.
    fn seconds(&self) -> f64 {
        if self.rate == 0 {
            0.0
        } else {
            self.frames as f64 / f64::from(self.rate)
        }
    }
}

/// Append the channel mean of planar f32 audio to `out`: the same sums in
/// the same order as [`mix_into`] (channel 0 + channel 1 + …, times
/// 1/channels), so both paths give identical samples, but each pass is a
/// straight vectorisable loop over one plane.
fn mix_planes(buf: &symphonia::core::audio::AudioBuffer<f32>, out: &mut Vec<f32>) {
    let start = out.len();
    let ch = buf.num_planes();
    let Some(first) = buf.plane(0) else {
        return;
    };
    out.extend_from_slice(first);
    for p in 1..ch {
        if let Some(plane) = buf.plane(p) {
            for (o, &v) in out[start..].iter_mut().zip(plane) {
                *o += v;
            }
        }
    }
    if ch > 1 {
        let scale = 1.0 / ch as f32;
        for o in &mut out[start..] {
            *o *= scale;
        }
    }
}

/// Append the channel mean of each interleaved frame to `out`.
fn mix_into(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels == 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() * scale),
    );
}
