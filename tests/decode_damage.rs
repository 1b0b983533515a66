//! Tolerant decoding on real files made by ffmpeg: a damaged Ogg page, FLAC
//! frame or MP3 frame is skipped with one warning naming the file and the
//! time, the rest decodes; a file damaged almost everywhere is rejected.

mod cli_support;

use std::path::{Path, PathBuf};

use musim::analysis::{analyze_file, TrackAnalysis};
use musim::audio::AudioError;

const SECONDS: f64 = 20.0;
const RATE: u32 = 44100;

/// A 20 s stereo 440 Hz sine at 44.1 kHz encoded with `codec` into `name`.
fn encode(dir: &Path, name: &str, codec: &str) -> Vec<u8> {
    encode_for(dir, name, codec, SECONDS)
}

/// [`encode`], `seconds` long.
fn encode_for(dir: &Path, name: &str, codec: &str, seconds: f64) -> Vec<u8> {
    let path = dir.join(name);
    let sine = format!("sine=frequency=440:duration={seconds}:sample_rate={RATE}");
    let args = ["-f", "lavfi", "-i", &sine, "-ac", "2", "-c:a", codec];
    cli_support::ffmpeg(
        args.iter()
            .map(std::ffi::OsStr::new)
            .chain([path.as_os_str()]),
    );
    std::fs::read(&path).expect("read the encoded file")
}

/// Write `bytes` as `name` in `dir` and analyse it.
fn analyse(dir: &Path, name: &str, bytes: &[u8]) -> Result<TrackAnalysis, AudioError> {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).expect("write the damaged file");
    analyze_file(&path)
}

/// The time a warning names: the number before " s" after "at ".
fn named_time(warning: &str) -> f64 {
    let at = warning.find(" at ").expect("warning names a time") + 4;
    let rest = &warning[at..];
    let end = rest.find(" s").expect("time in seconds");
    rest[..end].parse().expect("a number")
}

/// The file decodes to nearly its whole length with exactly one warning,
/// naming the file and a time in `window` (seconds).
fn assert_one_skip(name: &str, got: &TrackAnalysis, lost_at_most: f64, window: (f64, f64)) {
    assert!(
        got.duration_s > SECONDS - lost_at_most && got.duration_s <= SECONDS + 0.1,
        "{name}: {:.2} s decoded of {SECONDS} s",
        got.duration_s
    );
    assert_eq!(got.warnings.len(), 1, "{name}: {:?}", got.warnings);
    let w = &got.warnings[0];
    assert!(w.contains(name) && w.contains("damaged audio at"), "{w}");
    let t = named_time(w);
    assert!(
        t >= window.0 && t <= window.1,
        "{name}: damage named at {t} s, expected within {window:?}: {w}"
    );
}

/// Ogg pages: (offset, length, granule position).
fn ogg_pages(data: &[u8]) -> Vec<(usize, usize, u64)> {
    let mut pages = Vec::new();
    let mut pos = 0;
    while pos + 27 <= data.len() && &data[pos..pos + 4] == b"OggS" {
        let n = usize::from(data[pos + 26]);
        let body: usize = data[pos + 27..pos + 27 + n]
            .iter()
            .map(|&s| usize::from(s))
            .sum();
        let gran = u64::from_le_bytes(data[pos + 6..pos + 14].try_into().unwrap());
        let len = 27 + n + body;
        pages.push((pos, len, gran));
        pos += len;
    }
    assert_eq!(pos, data.len(), "the encoded file is a clean page sequence");
    pages
}

#[test]
fn ogg_page_with_a_flipped_bit_is_skipped_with_one_warning() {
    if !cli_support::have_ffmpeg("ogg_page_with_a_flipped_bit_is_skipped_with_one_warning") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clean = encode(dir.path(), "clean.ogg", "libvorbis");
    let pages = ogg_pages(&clean);
    // The page holding the middle byte: one bit of its body flipped.
    let i = pages
        .iter()
        .position(|&(at, len, _)| at + len > clean.len() / 2)
        .unwrap();
    let (at, len, gran) = pages[i];
    let mut bytes = clean.clone();
    bytes[at + len / 2] ^= 0x10;
    let got = analyse(dir.path(), "flipped.ogg", &bytes).unwrap();
    // The page covers (previous granule, its granule]; its audio is lost.
    // symphonia times the page after a lost one as if it were the lost one,
    // so the gap shows at the damaged page's start or end.
    let start = pages[i - 1].2 as f64 / f64::from(RATE);
    let end = gran as f64 / f64::from(RATE);
    assert_one_skip(
        "flipped.ogg",
        &got,
        end - start + 0.2,
        (start - 0.1, end + 0.1),
    );
}

#[test]
fn ogg_with_its_first_audio_page_damaged_still_decodes() {
    if !cli_support::have_ffmpeg("ogg_with_its_first_audio_page_damaged_still_decodes") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clean = encode(dir.path(), "clean.ogg", "libvorbis");
    let pages = ogg_pages(&clean);
    // The first page with a granule position holds the first audio.
    let (at, len, gran) = *pages.iter().find(|p| p.2 > 0).unwrap();
    let mut bytes = clean.clone();
    bytes[at + len / 2] ^= 0x01;
    let got = analyse(dir.path(), "first_page.ogg", &bytes).unwrap();
    let page_s = gran as f64 / f64::from(RATE);
    assert_one_skip("first_page.ogg", &got, page_s + 0.2, (0.0, 0.1));
}

#[test]
fn flac_frame_with_damaged_bytes_is_skipped_with_one_warning() {
    if !cli_support::have_ffmpeg("flac_frame_with_damaged_bytes_is_skipped_with_one_warning") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clean = encode(dir.path(), "clean.flac", "flac");
    let mut bytes = clean.clone();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xa5;
    }
    let got = analyse(dir.path(), "damaged.flac", &bytes).unwrap();
    // A FLAC frame is 4096 samples (0.09 s); the damage is near the middle
    // (the sine compresses evenly).
    assert_one_skip("damaged.flac", &got, 0.3, (8.0, 12.0));
}

#[test]
fn mp3_frame_with_a_damaged_header_is_skipped_with_one_warning() {
    if !cli_support::have_ffmpeg("mp3_frame_with_a_damaged_header_is_skipped_with_one_warning") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let clean = encode(dir.path(), "clean.mp3", "libmp3lame");
    // The first MPEG-1 layer III frame header after the middle: its sample
    // rate bits turned from 44.1 to 48 kHz.
    let mid = clean.len() / 2;
    let at = (mid..clean.len() - 4)
        .find(|&i| clean[i] == 0xff && clean[i + 1] & 0xfe == 0xfa && (clean[i + 2] >> 2) & 3 == 0)
        .expect("a frame header after the middle");
    let mut bytes = clean.clone();
    bytes[at + 2] |= 0b0000_0100;
    let got = analyse(dir.path(), "damaged.mp3", &bytes).unwrap();
    assert_one_skip("damaged.mp3", &got, 0.2, (8.0, 12.0));
}

/// Flip one byte every `step` bytes from 10 % to 90 % of the file.
fn damage_most(clean: &[u8], step: usize) -> Vec<u8> {
    let mut bytes = clean.to_vec();
    let n = bytes.len();
    for i in (n / 10..n * 9 / 10).step_by(step) {
        bytes[i] ^= 0x55;
    }
    bytes
}

#[test]
fn files_damaged_in_most_places_are_rejected() {
    if !cli_support::have_ffmpeg("files_damaged_in_most_places_are_rejected") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, codec, step) in [("most.ogg", "libvorbis", 1000), ("most.flac", "flac", 1000)] {
        let clean = encode(dir.path(), &format!("clean_{name}"), codec);
        // Lightly damaged (one spot in the middle): kept.
        let mut light = clean.clone();
        let mid = light.len() / 2;
        light[mid] ^= 0x55;
        assert!(analyse(dir.path(), name, &light).is_ok(), "{name}");
        let err = analyse(dir.path(), name, &damage_most(&clean, step)).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, AudioError::Corrupt { .. })
                && msg.contains(name)
                && msg.contains("could be decoded")
                && msg.contains("50 %"),
            "{name}: {msg}"
        );
    }
}

#[test]
fn a_long_file_analysed_in_windows_is_judged_on_what_they_read() {
    if !cli_support::have_ffmpeg("a_long_file_analysed_in_windows_is_judged_on_what_they_read") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Four minutes: analysed as windows (seeks), never decoded to the end.
    let clean = encode_for(dir.path(), "long.flac", "flac", 240.0);
    let got = analyse(dir.path(), "long.flac", &clean).unwrap();
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let err = analyse(dir.path(), "long.flac", &damage_most(&clean, 1000)).unwrap_err();
    assert!(
        matches!(err, AudioError::Corrupt { .. }) && err.to_string().contains("could be decoded"),
        "{err}"
    );
}

#[test]
fn index_reports_the_skipped_damage_and_the_rejected_file() {
    if !cli_support::have_ffmpeg("index_reports_the_skipped_damage_and_the_rejected_file") {
        return;
    }
    let env = cli_support::Env::new();
    let lib = env.path("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let ogg = encode(&lib, "damaged.ogg", "libvorbis");
    let pages = ogg_pages(&ogg);
    let (at, len, _) = pages[pages.len() / 2];
    let mut bytes = ogg.clone();
    bytes[at + len / 2] ^= 0x04;
    std::fs::write(lib.join("damaged.ogg"), &bytes).unwrap();
    let flac = encode(&lib, "ruined.flac", "flac");
    std::fs::write(lib.join("ruined.flac"), damage_most(&flac, 1000)).unwrap();
    let idx = env.path("lib.idx");
    let run = env.run(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
    ]);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert_eq!(run.code, 0, "{out}");
    let warning = out
        .lines()
        .find(|l| l.contains("damaged.ogg: damaged audio at"))
        .unwrap_or_else(|| panic!("no warning naming damaged.ogg:\n{out}"));
    assert!(warning.contains(" s skipped ("), "{warning}");
    assert!(
        out.lines()
            .any(|l| l.contains("ruined.flac") && l.contains("could be decoded")),
        "no rejection of ruined.flac:\n{out}"
    );
}

/// A clean Vorbis file made by ffmpeg from a 22050 Hz track (the demo's
/// first): the encoder's delay before the first packet (256 frames,
/// 0.0116 s at this rate) is trimmed, not lost audio, so no warning.
#[test]
fn a_clean_vorbis_file_at_22050_hz_has_no_warning() {
    let d = tempfile::tempdir().unwrap();
    let (samples, _) = musim::demo::render_track(musim::demo::Style::Ambient, 0, None);
    let wav = d.path().join("track.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for s in &samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let ogg = d.path().join("track.ogg");
    let args = [
        "-i".as_ref(),
        wav.as_os_str(),
        "-c:a".as_ref(),
        "libvorbis".as_ref(),
    ];
    cli_support::ffmpeg(args.into_iter().chain([ogg.as_os_str()]));
    let got = analyze_file(&ogg).unwrap();
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let want = samples.len() as f64 / 22050.0;
    assert!(
        (got.duration_s - want).abs() < 0.05,
        "{} s of {want} s",
        got.duration_s
    );
}
