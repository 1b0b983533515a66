//! Seeded mutation fuzzing of every reader fed by the user's files: each
//! decoder (WAV, Sun .au, FLAC, Ogg Vorbis and Opus, MP3 and MP2, AAC in
//! ADTS and MP4, ALAC, AIFF, CAF, Matroska and WebM) and the tag reader on
//! the same files, the index reader and the model-file reader. Small real files are made in the test (hound, by
//! hand, ffmpeg, and `musim-tui train` for the index and model), then
//! mutated: bit flips, truncations, byte insertions, size-field corruption
//! and header splices. Every case must end without a panic, within
//! [`CASE_LIMIT`], and without any allocation above [`MAX_ALLOC`] or more
//! than [`MAX_PEAK`] live at once (a counting allocator).
//!
//! Each case has its own seed, printed when it fails;
//! `MUSIM_FUZZ_SEED=0x… cargo test --test fuzz_inputs` runs that case alone.
//! The external ffmpeg fallback is off (it is ffmpeg's parser, not ours).

mod cli_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use musim::app::model_file;
use musim::audio::{self, DecodeOptions};
use musim::library::index::Index;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Longest a case may take (a hang fails the test, naming the seed).
const CASE_LIMIT: Duration = Duration::from_secs(20);
/// Largest single allocation allowed: a size field taken on trust.
const MAX_ALLOC: usize = 256 << 20;
/// Most memory a case may hold at once (inputs are under 100 kB).
const MAX_PEAK: usize = 96 << 20;
/// Mutated cases per audio base file, per index and per model file.
const AUDIO_CASES: u64 = 250;
const STORE_CASES: u64 = 1000;

// ---- memory accounting -----------------------------------------------------

/// The system allocator, counting each thread's live bytes and peak, and
/// refusing (abort with the case's seed) any allocation above [`MAX_ALLOC`].
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

/// Seed of the case running (for the abort message).
static CASE_SEED: AtomicU64 = AtomicU64::new(0);

fn grow(n: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn shrink(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

/// Print the seed without allocating, then abort: an allocation this large
/// would otherwise end the process with no word of which case did it.
fn too_large(size: usize) -> ! {
    use std::io::Write;
    let mut buf = [0u8; 160];
    let mut w = &mut buf[..];
    let _ = writeln!(
        w,
        "fuzz case seed {:#x}: allocation of {size} bytes (limit {MAX_ALLOC})",
        CASE_SEED.load(Ordering::Relaxed)
    );
    let len = 160 - w.len();
    // SAFETY: writing an initialised stack buffer to stderr.
    unsafe { libc::write(2, buf.as_ptr().cast(), len) };
    std::process::abort()
}

// SAFETY: defers to `System`, only adding counters that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_large(layout.size());
        }
        let p = System.alloc(layout);
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC {
            too_large(layout.size());
        }
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOC {
            too_large(new_size);
        }
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            shrink(layout.size());
            grow(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

// ---- base inputs -----------------------------------------------------------

/// What reads a base file.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reader {
    Audio,
    Index,
    Model,
}

/// An unmutated input: a name (with the extension the reader sees).
struct Base {
    name: String,
    reader: Reader,
    bytes: Vec<u8>,
}

/// A Sun .au file: 0.3 s of a 330 Hz sine, `encoding` 1 (µ-law) or 3 (s16).
fn au(encoding: u32, channels: u32) -> Vec<u8> {
    let rate = 8000u32;
    let n = (rate as usize * 3 / 10) * channels as usize;
    let mut data = Vec::new();
    for i in 0..n {
        let v = (i as f64 * 330.0 * std::f64::consts::TAU / f64::from(rate)).sin() * 0.5;
        match encoding {
            1 => data.push(((v * 127.0) as i8) as u8),
            _ => data.extend_from_slice(&((v * 32767.0) as i16).to_be_bytes()),
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b".snd");
    for field in [24, data.len() as u32, encoding, rate, channels] {
        out.extend_from_slice(&field.to_be_bytes());
    }
    out.extend_from_slice(&data);
    out
}

/// The audio bases: made here, plus ffmpeg's when it is installed.
fn audio_bases(dir: &Path, ffmpeg: bool) -> Vec<Base> {
    let mut bases = Vec::new();
    let wav = dir.join("base.wav");
    cli_support::wav(&wav, 440.0, 0.3);
    bases.push(("pcm16.wav".to_string(), std::fs::read(&wav).unwrap()));
    bases.push(("mulaw.au".to_string(), au(1, 1)));
    bases.push(("s16_stereo.au".to_string(), au(3, 2)));
    if ffmpeg {
        // (name, ffmpeg output options)
        let made: &[(&str, &[&str])] = &[
            ("f32.wav", &["-c:a", "pcm_f32le"]),
            ("s24.wav", &["-c:a", "pcm_s24le"]),
            ("adpcm.wav", &["-c:a", "adpcm_ms"]),
            ("flac.flac", &["-c:a", "flac"]),
            ("vorbis.ogg", &["-c:a", "libvorbis"]),
            ("opus.opus", &["-c:a", "libopus", "-ar", "48000"]),
            ("mp3.mp3", &["-c:a", "libmp3lame"]),
            ("mp2.mp2", &["-c:a", "mp2"]),
            ("adts.aac", &["-c:a", "aac", "-f", "adts"]),
            ("aac.m4a", &["-c:a", "aac"]),
            ("alac.m4a", &["-c:a", "alac"]),
            ("pcm.aiff", &["-c:a", "pcm_s16be"]),
            ("pcm.caf", &["-c:a", "pcm_s16le"]),
            ("flac.mkv", &["-c:a", "flac"]),
            ("vorbis.webm", &["-c:a", "libvorbis"]),
        ];
        for (name, opts) in made {
            let path = dir.join(name);
            let common = [
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=0.4:sample_rate=44100",
                "-ac",
                "2",
                "-ar",
                "44100",
                "-metadata",
                "title=Fuzz Title",
                "-metadata",
                "artist=Some Artist",
                "-metadata",
                "album=An Album",
                "-metadata",
                "genre=Rock;Jazz",
                "-metadata",
                "date=2024",
                "-metadata",
                "track=3/12",
            ];
            let args = common.iter().chain(opts.iter()).map(std::ffi::OsStr::new);
            cli_support::ffmpeg(args.chain([path.as_os_str()]));
            bases.push((name.to_string(), std::fs::read(&path).unwrap()));
        }
    }
    bases
        .into_iter()
        .map(|(name, bytes)| Base {
            name,
            reader: Reader::Audio,
            bytes,
        })
        .collect()
}

/// A real index and model: `musim-tui train` on six short labelled clips.
fn store_bases() -> Vec<Base> {
    let env = cli_support::Env::new();
    let lib = env.path("lib");
    for (i, (genre, freq)) in [("low", 220.0), ("mid", 440.0), ("high", 880.0)]
        .iter()
        .enumerate()
    {
        for j in 0..2 {
            let f = freq * (1.0 + 0.05 * j as f32);
            cli_support::wav(&lib.join(genre).join(format!("{i}{j}.wav")), f, 1.0);
        }
    }
    let idx = env.path("lib.idx");
    let run = env.run(&[
        "train",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "train failed: {}", run.stderr);
    let model = model_file::model_path(&idx);
    vec![
        Base {
            name: "lib.idx".into(),
            reader: Reader::Index,
            bytes: std::fs::read(&idx).unwrap(),
        },
        Base {
            name: "lib.idx.model".into(),
            reader: Reader::Model,
            bytes: std::fs::read(&model).unwrap(),
        },
    ]
}

// ---- mutations -------------------------------------------------------------

/// Values a corrupted size or count field takes.
const SIZES: [u64; 9] = [
    0,
    1,
    2,
    0x7f,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// True one time in `n`.
fn one_in(rng: &mut Xoshiro256PlusPlus, n: u64) -> bool {
    rng.next_u64().is_multiple_of(n)
}

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (rng.next_u64() % n as u64) as usize
    }
}

/// An offset, half the time in the first 64 bytes where headers are.
fn offset(rng: &mut Xoshiro256PlusPlus, len: usize) -> usize {
    if one_in(rng, 2) {
        below(rng, len.min(64))
    } else {
        below(rng, len)
    }
}

/// Apply one to three mutations; their names, for the failure message.
fn mutate(rng: &mut Xoshiro256PlusPlus, data: &mut Vec<u8>, donors: &[&[u8]]) -> Vec<&'static str> {
    let mut done = Vec::new();
    for _ in 0..1 + below(rng, 3) {
        match below(rng, 5) {
            0 => {
                for _ in 0..1 + below(rng, 8) {
                    let at = offset(rng, data.len());
                    if let Some(b) = data.get_mut(at) {
                        *b ^= 1 << below(rng, 8);
                    }
                }
                done.push("bit flips");
            }
            1 => {
                let keep = below(rng, data.len());
                data.truncate(keep);
                done.push("truncation");
            }
            2 => {
                let at = offset(rng, data.len() + 1);
                let n = 1 + below(rng, 64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                data.splice(at..at, bytes);
                done.push("insertion");
            }
            3 => {
                let width = [2usize, 4, 8][below(rng, 3)];
                let at = offset(rng, data.len().saturating_sub(width));
                let mut v = SIZES[below(rng, SIZES.len())];
                if one_in(rng, 4) {
                    // Near the real length: off by a little.
                    v = (data.len() as u64)
                        .wrapping_add(rng.next_u64() % 9)
                        .wrapping_sub(4);
                }
                let le = v.to_le_bytes();
                let be = v.to_be_bytes();
                let bytes = if one_in(rng, 2) {
                    &le[..width]
                } else {
                    &be[8 - width..]
                };
                if let Some(slot) = data.get_mut(at..at + width) {
                    slot.copy_from_slice(bytes);
                }
                done.push("size field");
            }
            _ => {
                let donor = donors[below(rng, donors.len())];
                let n = (4 + below(rng, 252)).min(donor.len());
                let from = if one_in(rng, 2) {
                    0
                } else {
                    below(rng, donor.len() - n + 1)
                };
                let at = if one_in(rng, 2) {
                    0
                } else {
                    below(rng, data.len() + 1)
                };
                let end = (at + n).min(data.len());
                data.splice(at..end, donor[from..from + n].iter().copied());
                done.push("header splice");
            }
        }
    }
    done
}

/// The framed store layout (magic 8 · version 4 · length 8 · checksum 8):
/// mutate the payload and fix the length and checksum, so the decoder
/// behind the checksum sees the damage.
fn mutate_payload(
    rng: &mut Xoshiro256PlusPlus,
    framed: &[u8],
    donors: &[&[u8]],
) -> (Vec<u8>, Vec<&'static str>) {
    let mut payload = framed[28..].to_vec();
    let done = mutate(rng, &mut payload, donors);
    let mut out = framed[..12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&musim::store::fnv1a64(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    (out, done)
}

// ---- running cases ---------------------------------------------------------

thread_local! {
    /// Where the last panic on this thread happened, and its message.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Record panics instead of printing them: a panic that escapes musim fails
/// its case (with this text); one musim contains is counted by place.
fn record_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| {
                    format!(
                        "{}:{}",
                        l.file().rsplit("/src/").next().unwrap_or(""),
                        l.line()
                    )
                })
                .unwrap_or_default();
            let text = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = Some(format!("{place}: {text}")));
        }));
    });
}

/// How a case ended.
struct Ended {
    /// Most bytes held at once.
    peak: usize,
    /// A panic inside a dependency that musim contained.
    contained: Option<String>,
}

/// Feed `path` to its reader, as musim would.
fn read(reader: Reader, path: &Path, seek: Option<f64>) {
    match reader {
        Reader::Audio => {
            let _ = musim::tags::read(path);
            if let Ok(mut s) = audio::open_with(path, &DecodeOptions { ffmpeg: None }) {
                if let Some(t) = seek {
                    if s.seek_to(t).is_err() {
                        return;
                    }
                }
                while let Ok(Some(_)) = s.next_chunk() {}
                let _ = s.check_damage();
            }
        }
        Reader::Index => {
            if let Ok(Some(idx)) = Index::load(path) {
                let _ = (idx.analysed(), idx.failed(), idx.label_counts());
            }
        }
        Reader::Model => {
            let _ = model_file::read_params(path);
            let _ = model_file::read(path);
        }
    }
}

/// One case: its seed names the base (high 32 bits) and the case.
fn run_case(seed: u64, bases: &[Base], dir: &Path) -> Result<Ended, String> {
    let base = &bases[(seed >> 32) as usize];
    let donors: Vec<&[u8]> = bases.iter().map(|b| &b.bytes[..]).collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (bytes, done) = if base.reader != Reader::Audio && one_in(&mut rng, 2) {
        mutate_payload(&mut rng, &base.bytes, &donors)
    } else {
        let mut b = base.bytes.clone();
        let done = mutate(&mut rng, &mut b, &donors);
        (b, done)
    };
    let seek = one_in(&mut rng, 4).then(|| (rng.next_u64() % 500) as f64 / 1000.0);
    let path: PathBuf = dir.join(format!("{seed:016x}_{}", base.name));
    std::fs::write(&path, &bytes).unwrap();
    let reader = base.reader;
    let what = format!("{} ({})", base.name, done.join(", "));
    let (tx, rx) = mpsc::channel();
    let case_path = path.clone();
    std::thread::spawn(move || {
        CASE_SEED.store(seed, Ordering::Relaxed);
        let before = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(before));
        let outcome = std::panic::catch_unwind(|| read(reader, &case_path, seek));
        let peak = PEAK.with(Cell::get) - before;
        let panic = LAST_PANIC.with(|p| p.borrow_mut().take());
        let _ = tx.send(match outcome {
            Ok(()) => Ok(Ended {
                peak,
                contained: panic,
            }),
            Err(_) => Err(panic.unwrap_or_default()),
        });
    });
    let fail = |why: String| {
        Err(format!(
            "fuzz case seed {seed:#x}, {what}: {why}; rerun alone with MUSIM_FUZZ_SEED={seed:#x}"
        ))
    };
    let result = match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(e)) if e.peak > MAX_PEAK => fail(format!("held {} bytes at once", e.peak)),
        Ok(Ok(e)) => Ok(e),
        Ok(Err(panic)) => fail(format!("panicked at {panic}")),
        Err(_) => fail(format!("did not finish within {CASE_LIMIT:?}")),
    };
    let _ = std::fs::remove_file(&path);
    result
}

/// Run `per_base` cases on each base; every failure is reported.
fn fuzz(bases: &[Base], per_base: u64) {
    let dir = tempfile::tempdir().unwrap();
    let only = std::env::var("MUSIM_FUZZ_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok());
    let seeds: Vec<u64> = match only {
        Some(seed) if ((seed >> 32) as usize) < bases.len() => vec![seed],
        Some(_) => Vec::new(),
        None => (0..bases.len() as u64)
            .flat_map(|b| (0..per_base).map(move |i| (b << 32) | i))
            .collect(),
    };
    record_panics();
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut peak = 0;
    let mut contained: BTreeMap<String, usize> = BTreeMap::new();
    for &seed in &seeds {
        match run_case(seed, bases, dir.path()) {
            Ok(e) => {
                peak = peak.max(e.peak);
                if let Some(p) = e.contained {
                    *contained.entry(p).or_default() += 1;
                }
            }
            Err(e) => {
                eprintln!("{e}");
                failures.push(e);
            }
        }
    }
    eprintln!(
        "{} cases on {} bases in {:.1?}; largest peak {} kB",
        seeds.len(),
        bases.len(),
        started.elapsed(),
        peak / 1024
    );
    for (place, n) in &contained {
        eprintln!("  contained by musim {n}×: a panic at {place}");
    }
    assert!(
        failures.is_empty(),
        "{} failing case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mutated_audio_files_never_panic_hang_or_blow_up_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bases = audio_bases(
        dir.path(),
        cli_support::have_ffmpeg("fuzzing all but WAV and .au"),
    );
    // Every base decodes before mutation: the cases start from real files.
    for b in &bases {
        let p = dir.path().join(format!("check_{}", b.name));
        std::fs::write(&p, &b.bytes).unwrap();
        let opened = audio::open_with(&p, &DecodeOptions { ffmpeg: None });
        // Opus has no symphonia decoder: its container is still read.
        if !b.name.ends_with(".opus") {
            assert!(opened.is_ok(), "{}: {:?}", b.name, opened.err());
        }
    }
    fuzz(&bases, AUDIO_CASES);
}

#[test]
fn mutated_index_and_model_files_never_panic_hang_or_blow_up_memory() {
    let bases = store_bases();
    // The unmutated files read back.
    let dir = tempfile::tempdir().unwrap();
    let idx = dir.path().join("lib.idx");
    std::fs::write(&idx, &bases[0].bytes).unwrap();
    assert!(matches!(Index::load(&idx), Ok(Some(_))));
    let model = dir.path().join("lib.idx.model");
    std::fs::write(&model, &bases[1].bytes).unwrap();
    assert!(model_file::read(&model).is_ok());
    fuzz(&bases, STORE_CASES);
}
