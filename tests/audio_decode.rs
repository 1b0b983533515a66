//! Decoding tests on the committed fixtures (made by
//! `tools/make_audio_fixtures.sh`): every format, rate and channel count gives
//! a 440 Hz sine of amplitude 0.5 at 22050 Hz, of the right length; bad inputs
//! give specific errors that name the file.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use musim::audio::{self, AudioError, DecodeOptions, MonoStream, CHUNK_SAMPLES, TARGET_RATE};

const SR: f64 = TARGET_RATE as f64;
const FREQ: f64 = 440.0;
/// RMS of a sine of amplitude 0.5.
const RMS: f64 = 0.5 / std::f64::consts::SQRT_2;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

/// True when ffmpeg runs. Missing ffmpeg fails the test under `CI=true`,
/// elsewhere the caller skips with a note.
fn have_ffmpeg(test: &str) -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: ffmpeg is required on CI but was not found"
        );
        eprintln!("NOTE: {test} skipped: ffmpeg is not installed");
    }
    ok
}

fn no_ffmpeg() -> DecodeOptions {
    DecodeOptions { ffmpeg: None }
}

fn decode(name: &str) -> (audio::AudioInfo, Vec<f32>) {
    audio::decode_mono(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Frequency from rising zero crossings (linearly interpolated).
fn frequency(x: &[f32]) -> f64 {
    let mut first = None;
    let mut last = 0.0;
    let mut n = 0;
    for i in 1..x.len() {
        let (a, b) = (f64::from(x[i - 1]), f64::from(x[i]));
        if a < 0.0 && b >= 0.0 {
            let t = (i - 1) as f64 + a / (a - b);
            first.get_or_insert(t);
            last = t;
            n += 1;
        }
    }
    match first {
        Some(f) if n > 1 => (n - 1) as f64 * SR / (last - f),
        _ => 0.0,
    }
}

/// Check a decoded tone: length (±`len_tol` samples), pitch, level, and that
/// it starts at the start (time alignment).
fn check_tone(name: &str, seconds: f64, len_tol: f64) -> audio::AudioInfo {
    let (info, x) = decode(name);
    let want = seconds * SR;
    assert!(
        (x.len() as f64 - want).abs() <= len_tol,
        "{name}: {} samples, expected {want} ± {len_tol}",
        x.len()
    );
    assert!(
        x.iter().all(|v| v.is_finite()),
        "{name}: non-finite samples"
    );
    let mid = &x[x.len() / 10..x.len() * 9 / 10];
    let f = frequency(mid);
    assert!((f - FREQ).abs() < 2.0, "{name}: frequency {f:.2} Hz");
    let r = rms(mid);
    assert!(
        (r - RMS).abs() < 0.06 * RMS,
        "{name}: rms {r:.4}, expected {RMS:.4}"
    );
    info
}

fn check_info(info: &audio::AudioInfo, rate: u32, channels: u16, name: &str) {
    assert_eq!(info.sample_rate, rate, "{name}: {info:?}");
    assert_eq!(info.channels, channels, "{name}: {info:?}");
}

/// Lossless formats at the nominal rates: `ceil(n · 22050 / sr)` exactly.
const EXACT: f64 = 1.0;
/// Lossy codecs add/trim priming and padding; allow 10 %.
const LOSSY: f64 = 0.1 * 0.5 * SR;

#[test]
fn wav_s16_44100_stereo() {
    let info = check_tone("sine_44100_2ch_s16.wav", 0.5, EXACT);
    check_info(&info, 44100, 2, "wav");
    assert!((info.duration_s.unwrap() - 0.5).abs() < 1e-6);
}

#[test]
fn wav_f32_at_22050_is_passed_through_exactly() {
    let (info, x) = decode("sine_22050_1ch_f32.wav");
    check_info(&info, 22050, 1, "wav f32");
    assert_eq!(x.len(), 11025);
    for (i, v) in x.iter().enumerate().take(2000) {
        let want = 0.5 * (2.0 * std::f64::consts::PI * FREQ * i as f64 / SR).sin();
        assert!((f64::from(*v) - want).abs() < 1e-5, "sample {i}");
    }
}

#[test]
fn wav_8000_upsampled() {
    let info = check_tone("sine_8000_1ch_s16.wav", 0.5, EXACT);
    check_info(&info, 8000, 1, "wav 8k");
}

#[test]
fn flac_192000() {
    let info = check_tone("sine_192000_1ch.flac", 0.5, EXACT);
    check_info(&info, 192000, 1, "flac 192k");
    assert_eq!(info.codec, "flac");
}

#[test]
fn flac_six_channels() {
    let info = check_tone("sine_48000_6ch.flac", 0.25, EXACT);
    check_info(&info, 48000, 6, "flac 6ch");
}

#[test]
fn mp3() {
    let info = check_tone("sine_44100_2ch.mp3", 0.5, LOSSY);
    check_info(&info, 44100, 2, "mp3");
}

#[test]
fn ogg_vorbis() {
    let info = check_tone("sine_44100_2ch.ogg", 0.5, LOSSY);
    check_info(&info, 44100, 2, "ogg");
    assert_eq!(info.codec, "vorbis");
}

#[test]
fn m4a_aac() {
    let info = check_tone("sine_48000_2ch_aac.m4a", 0.5, LOSSY);
    check_info(&info, 48000, 2, "aac");
}

#[test]
fn m4a_alac() {
    let info = check_tone("sine_44100_1ch_alac.m4a", 0.5, EXACT);
    check_info(&info, 44100, 1, "alac");
}

#[test]
fn aiff() {
    let info = check_tone("sine_22050_1ch.aiff", 0.5, EXACT);
    check_info(&info, 22050, 1, "aiff");
}

#[test]
fn caf() {
    let info = check_tone("sine_48000_1ch.caf", 0.25, EXACT);
    check_info(&info, 48000, 1, "caf");
}

#[test]
fn mkv_flac() {
    let info = check_tone("sine_44100_2ch_flac.mkv", 0.5, EXACT);
    check_info(&info, 44100, 2, "mkv");
}

#[test]
fn webm_vorbis() {
    let info = check_tone("sine_48000_2ch_vorbis.webm", 0.5, LOSSY);
    check_info(&info, 48000, 2, "webm");
}

#[test]
fn au_mulaw_8000() {
    let info = check_tone("sine_8000_1ch_mulaw.au", 0.5, EXACT);
    check_info(&info, 8000, 1, "au mulaw");
    assert_eq!(info.codec, "mulaw");
}

#[test]
fn au_s16_stereo() {
    let info = check_tone("sine_22050_2ch_s16.au", 0.5, EXACT);
    check_info(&info, 22050, 2, "au s16");
    assert_eq!(info.codec, "pcm_s16be");
}

#[test]
fn channel_mean_of_antiphase_stereo_is_silence() {
    let (info, x) = decode("antiphase_44100_2ch.wav");
    assert_eq!(info.channels, 2);
    assert_eq!(x.len(), 5513);
    assert!(rms(&x) < 1e-4, "rms {}", rms(&x));
}

#[test]
fn opus_via_ffmpeg() {
    if !have_ffmpeg("opus_via_ffmpeg") {
        return;
    }
    for name in ["sine_48000_2ch.opus", "sine_48000_1ch_opus.webm"] {
        let info = check_tone(name, 0.5, LOSSY);
        assert!(
            info.codec.contains("opus") && info.codec.contains("ffmpeg"),
            "{info:?}"
        );
        assert_eq!(info.sample_rate, 48000, "{name}");
    }
}

#[test]
fn wma_unknown_to_symphonia_via_ffmpeg() {
    if !have_ffmpeg("wma_unknown_to_symphonia_via_ffmpeg") {
        return;
    }
    let info = check_tone("sine_22050_1ch.wma", 0.5, LOSSY);
    check_info(&info, 22050, 1, "wma");
    let err = expect_err("sine_22050_1ch.wma", &no_ffmpeg());
    assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
    assert!(err.to_string().contains("install ffmpeg"), "{err}");
}

#[test]
fn random_bytes_are_not_audio() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.mp3");
    // Deterministic pseudo-random bytes (xorshift).
    let mut x: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..6000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&path, bytes).unwrap();
    for opts in [no_ffmpeg(), DecodeOptions::from_env()] {
        let err = audio::open_with(&path, &opts).err().expect("must fail");
        assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
        assert!(err.to_string().contains("noise.mp3"), "{err}");
    }
}

#[test]
fn opus_without_ffmpeg_is_unsupported_codec() {
    for opts in [
        DecodeOptions {
            ffmpeg: Some("/nonexistent/ffmpeg".into()),
        },
        no_ffmpeg(),
    ] {
        let path = fixture("sine_48000_2ch.opus");
        let err = audio::open_with(&path, &opts).err().expect("must fail");
        let msg = err.to_string();
        assert!(
            matches!(&err, AudioError::UnsupportedCodec { codec, .. } if codec == "opus"),
            "{err:?}"
        );
        assert!(
            msg.contains("sine_48000_2ch.opus") && msg.contains("install ffmpeg"),
            "{msg}"
        );
    }
}

#[test]
fn dropping_an_ffmpeg_stream_early_stops_ffmpeg() {
    if !have_ffmpeg("dropping_an_ffmpeg_stream_early_stops_ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long.opus");
    let st = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=120",
        ])
        .args(["-c:a", "libopus", "-b:a", "16k"])
        .arg(&long)
        .status()
        .unwrap();
    assert!(st.success());
    let mut s = audio::open(&long).unwrap();
    let c = s.next_chunk().unwrap().unwrap();
    assert_eq!(c.len(), CHUNK_SAMPLES);
    let t = Instant::now();
    drop(s);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "drop took {:?}",
        t.elapsed()
    );
}

// ---- bad input -----------------------------------------------------------------

fn expect_err(name: &str, opts: &DecodeOptions) -> AudioError {
    let path = fixture(name);
    let err = audio::open_with(&path, opts)
        .err()
        .unwrap_or_else(|| panic!("{name}: must fail"));
    assert!(
        err.to_string().contains(name),
        "message must name the file: {err}"
    );
    err
}

#[test]
fn zero_byte_file_is_empty() {
    let err = expect_err("empty.wav", &DecodeOptions::from_env());
    assert!(matches!(err, AudioError::Empty { .. }), "{err:?}");
}

#[test]
fn text_renamed_mp3_is_not_audio() {
    for opts in [no_ffmpeg(), DecodeOptions::from_env()] {
        let err = expect_err("text_renamed.mp3", &opts);
        assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
        assert!(err.to_string().contains("text"), "{err}");
    }
}

#[test]
fn png_renamed_wav_is_not_audio() {
    let err = expect_err("image_renamed.wav", &DecodeOptions::from_env());
    assert!(matches!(err, AudioError::NotAudio { .. }), "{err:?}");
    assert!(err.to_string().contains("PNG"), "{err}");
}

#[test]
fn header_only_wav_has_no_audio() {
    let err = expect_err("header_only.wav", &DecodeOptions::from_env());
    assert!(matches!(err, AudioError::NoAudio { .. }), "{err:?}");
}

#[test]
fn missing_file_is_io_error() {
    let err = expect_err("does_not_exist.wav", &no_ffmpeg());
    assert!(matches!(err, AudioError::Io { .. }), "{err:?}");
}

/// Decode fully, returning samples and warnings.
fn decode_with_warnings(path: &Path) -> (Vec<f32>, Vec<String>) {
    let mut s: MonoStream = audio::open(path).unwrap_or_else(|e| panic!("{e}"));
    let mut x = Vec::new();
    while let Some(c) = s.next_chunk().unwrap_or_else(|e| panic!("{e}")) {
        x.extend(c);
    }
    (x, s.warnings().to_vec())
}

fn assert_truncated(name: &str, full_s: f64) {
    let (x, warnings) = decode_with_warnings(&fixture(name));
    let got = x.len() as f64 / SR;
    // The fixtures keep 60 % of the bytes.
    assert!(
        got > 0.4 * full_s && got < 0.75 * full_s,
        "{name}: {got:.2} s of {full_s} s"
    );
    assert!(
        (frequency(&x[1000..x.len() - 1000]) - FREQ).abs() < 2.0,
        "{name}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("truncated")),
        "{name}: warnings {warnings:?}"
    );
}

#[test]
fn truncated_wav_keeps_the_audio_before_the_cut() {
    assert_truncated("truncated.wav", 0.5);
}

#[test]
fn truncated_flac_keeps_the_audio_before_the_cut() {
    assert_truncated("truncated.flac", 2.0);
}

#[test]
fn truncated_mp3_keeps_the_audio_before_the_cut() {
    assert_truncated("truncated.mp3", 2.0);
}

#[test]
fn damaged_mp3_frames_are_skipped() {
    let (x, _warnings) = decode_with_warnings(&fixture("damaged_middle.mp3"));
    let got = x.len() as f64 / SR;
    assert!((got - 2.0).abs() < 0.2, "{got:.2} s");
    assert!((frequency(&x[..x.len() / 3]) - FREQ).abs() < 2.0);
    // (The last 1000 samples hold the encoder padding, silent.)
    assert!((frequency(&x[x.len() * 2 / 3..x.len() - 1000]) - FREQ).abs() < 2.0);
}

// ---- streaming -------------------------------------------------------------------

fn write_wav(path: &Path, rate: u32, channels: u16, seconds: f64) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (seconds * f64::from(rate)) as usize;
    for i in 0..n {
        let v = 0.5 * (2.0 * std::f64::consts::PI * FREQ * i as f64 / f64::from(rate)).sin();
        for _ in 0..channels {
            w.write_sample((v * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

#[test]
fn long_file_streams_in_bounded_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.wav");
    write_wav(&path, 44100, 2, 10.0);
    let mut s = audio::open(&path).unwrap();
    let mut total = 0;
    let mut chunks = 0;
    while let Some(c) = s.next_chunk().unwrap() {
        assert!(!c.is_empty() && c.len() <= CHUNK_SAMPLES);
        total += c.len();
        chunks += 1;
    }
    assert_eq!(total, 220500);
    assert_eq!(chunks, 5);
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
}

#[test]
fn unicode_and_non_utf8_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let uni = dir.path().join("música – ✓ 曲.wav");
    std::fs::copy(fixture("sine_8000_1ch_s16.wav"), &uni).unwrap();
    assert_eq!(audio::decode_mono(&uni).unwrap().1.len(), 11025);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let raw = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"bad\xff\xfename.au"));
        std::fs::copy(fixture("sine_8000_1ch_mulaw.au"), &raw).unwrap();
        assert_eq!(audio::decode_mono(&raw).unwrap().1.len(), 11025);
    }
}

// ---- Sun .au edge cases, written byte by byte ------------------------------------------

/// An .au file: header of `header_size` bytes (annotation zero-filled), the
/// given data-size field, encoding, rate, channels, then `data`.
fn au_bytes(
    header_size: u32,
    data_size: u32,
    enc: u32,
    rate: u32,
    ch: u32,
    data: &[u8],
) -> Vec<u8> {
    let mut b = b".snd".to_vec();
    for v in [header_size, data_size, enc, rate, ch] {
        b.extend(v.to_be_bytes());
    }
    b.resize(header_size as usize, 0);
    b.extend_from_slice(data);
    b
}

/// `n` frames of the sine on `ch` channels, encoded with `enc`.
fn encode_sine(n: usize, rate: u32, ch: u32, enc: impl Fn(f64) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let v = 0.5 * (2.0 * std::f64::consts::PI * FREQ * i as f64 / f64::from(rate)).sin();
        for _ in 0..ch {
            out.extend(enc(v));
        }
    }
    out
}

fn decode_bytes(
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<(Vec<f32>, Vec<String>), AudioError> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    let mut s = audio::open_with(&p, &no_ffmpeg())?;
    let mut x = Vec::new();
    while let Some(c) = s.next_chunk()? {
        x.extend(c);
    }
    Ok((x, s.warnings().to_vec()))
}

#[test]
fn au_all_encodings_any_header_size() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 22050;
    let n = 11025;
    type Enc = Box<dyn Fn(f64) -> Vec<u8>>;
    let cases: Vec<(u32, &str, Enc)> = vec![
        (2, "s8", Box::new(|v| vec![((v * 127.0) as i8) as u8])),
        (
            3,
            "s16",
            Box::new(|v| ((v * 32767.0) as i16).to_be_bytes().to_vec()),
        ),
        (
            4,
            "s24",
            Box::new(|v| ((v * 8_388_607.0) as i32).to_be_bytes()[1..].to_vec()),
        ),
        (
            5,
            "s32",
            Box::new(|v| ((v * 2_147_483_647.0) as i32).to_be_bytes().to_vec()),
        ),
        (6, "f32", Box::new(|v| (v as f32).to_be_bytes().to_vec())),
        (7, "f64", Box::new(|v| v.to_be_bytes().to_vec())),
    ];
    for (code, label, enc) in cases {
        for (ch, header, size_known) in [(1u32, 24u32, true), (3, 40, false)] {
            let data = encode_sine(n, rate, ch, &enc);
            let size = if size_known {
                data.len() as u32
            } else {
                u32::MAX
            };
            let bytes = au_bytes(header, size, code, rate, ch, &data);
            let (x, w) = decode_bytes(dir.path(), &format!("{label}_{ch}.au"), &bytes)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(x.len(), n, "{label} ch {ch}");
            assert!(w.is_empty(), "{label}: {w:?}");
            assert!((frequency(&x) - FREQ).abs() < 1.0, "{label}");
            assert!((rms(&x) - RMS).abs() < 0.02, "{label}: rms {}", rms(&x));
        }
    }
}

#[test]
fn au_alaw() {
    let dir = tempfile::tempdir().unwrap();
    // A-law by table search (the tests stay independent of the decoder's maths).
    let levels: Vec<i16> = (0..=255u8).map(musim::audio::au::alaw_to_linear).collect();
    let enc = |v: f64| {
        let target = v * 32768.0;
        let best = (0..=255u8)
            .min_by(|&a, &b| {
                let da = (f64::from(levels[a as usize]) - target).abs();
                let db = (f64::from(levels[b as usize]) - target).abs();
                da.total_cmp(&db)
            })
            .unwrap();
        vec![best]
    };
    let data = encode_sine(8000, 16000, 2, enc);
    let bytes = au_bytes(28, data.len() as u32, 27, 16000, 2, &data);
    let (x, _) = decode_bytes(dir.path(), "alaw.au", &bytes).unwrap();
    assert_eq!(x.len(), 11025);
    assert!((frequency(&x[500..10500]) - FREQ).abs() < 1.0);
    assert!((rms(&x[500..10500]) - RMS).abs() < 0.02);
}

#[test]
fn au_truncated_and_damaged_headers() {
    let dir = tempfile::tempdir().unwrap();
    let data = encode_sine(22050, 22050, 1, |v| {
        ((v * 32767.0) as i16).to_be_bytes().to_vec()
    });
    // Header declares 1 s, only half is there.
    let mut bytes = au_bytes(24, data.len() as u32, 3, 22050, 1, &data);
    bytes.truncate(24 + data.len() / 2 + 1);
    let (x, w) = decode_bytes(dir.path(), "cut.au", &bytes).unwrap();
    assert_eq!(x.len(), 11025);
    assert!(
        w.iter()
            .any(|w| w.starts_with("truncated: decoding stopped at 0.5 s")),
        "{w:?}"
    );

    let bad_offset = au_bytes(24, 4, 3, 22050, 1, &[0, 1, 0, 1]);
    let mut bad_offset = bad_offset.clone();
    bad_offset[7] = 8; // header size 8 < 24
    let err = decode_bytes(dir.path(), "badhdr.au", &bad_offset).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("badhdr.au"));

    let zero_ch = au_bytes(24, 4, 3, 22050, 0, &[0, 1, 0, 1]);
    let err = decode_bytes(dir.path(), "zeroch.au", &zero_ch).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err:?}");

    let g721 = au_bytes(24, 4, 23, 8000, 1, &[0, 1, 0, 1]);
    let err = decode_bytes(dir.path(), "g721.au", &g721).unwrap_err();
    assert!(
        matches!(err, AudioError::UnsupportedCodec { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("G.721"), "{err}");

    let only_header = au_bytes(24, 0, 1, 8000, 1, &[]);
    let err = decode_bytes(dir.path(), "nodata.au", &only_header).unwrap_err();
    assert!(matches!(err, AudioError::NoAudio { .. }), "{err:?}");

    let huge_rate = au_bytes(24, 4, 3, 4_000_000_000, 1, &[0, 1, 0, 1]);
    let err = decode_bytes(dir.path(), "rate.au", &huge_rate).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("sample rate"), "{err}");

    let short = b".snd\x00\x00".to_vec();
    let err = decode_bytes(dir.path(), "short.au", &short).unwrap_err();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err:?}");
}
