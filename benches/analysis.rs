//! Analysis benchmarks (run: `cargo bench --bench analysis`).
//!
//! Prints per-item figures for the speed bars:
//! - features of a 30-s 22050 Hz mono WAV clip, decode included, one core;
//! - full tracks (Ogg Vorbis, 44.1 kHz stereo): decode + resample + features per audio minute;
//! - indexing N 30-s clips with all cores, and the unchanged re-run (via the CLI).
//!
//! Real music: set `MUSIM_BENCH_CLIPS=DIR` (30-s WAV clips) and `MUSIM_BENCH_TRACKS=DIR`
//! (full Ogg/MP3 tracks); otherwise synthetic signals are used. `MUSIM_BENCH_INDEX_N`
//! sets how many clips the indexing benchmark makes (default 1000). Set
//! `MUSIM_LIBROSA_PYTHON` to a Python with librosa 0.11 to time librosa on the same clips.
//!
//! Besides wall time, each figure is also given in CPU time (of the analysing
//! thread, or of the indexing process): on a machine shared with other work,
//! wall time counts other processes' time slices, CPU time much less so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use musim::analysis::{analyze_file, analyze_file_with, Windows};

#[path = "support/cpu.rs"]
mod cpu;

const SR: u32 = 22050;

#[repr(C)]
struct Timeval {
    sec: i64,
    usec: i64,
}

/// Linux `struct rusage`: user and system time, then 14 counters.
#[repr(C)]
struct Rusage {
    utime: Timeval,
    stime: Timeval,
    rest: [i64; 14],
}

extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

/// CPU time consumed by this thread; zero where unavailable.
fn thread_cpu() -> Duration {
    cpu::thread_cpu().unwrap_or(Duration::ZERO)
}

/// User + system CPU time of all waited-for child processes (Linux
/// `RUSAGE_CHILDREN`); zero where unavailable.
fn children_cpu() -> Duration {
    const RUSAGE_CHILDREN: i32 = -1;
    let tv = Timeval { sec: 0, usec: 0 };
    let mut ru = Rusage {
        utime: tv,
        stime: Timeval { sec: 0, usec: 0 },
        rest: [0; 14],
    };
    // SAFETY: `ru` is a valid, writable rusage; the call only writes it.
    if !cfg!(target_os = "linux") || unsafe { getrusage(RUSAGE_CHILDREN, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let us = |t: &Timeval| Duration::from_micros((t.sec * 1_000_000 + t.usec) as u64);
    us(&ru.utime) + us(&ru.stime)
}

/// A deterministic music-like test signal: chords, bass, clicks and noise.
fn synth_clip(seed: u64, seconds: f32, sr: u32) -> Vec<f32> {
    let n = (seconds * sr as f32) as usize;
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rnd = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let bpm = 80.0 + (seed % 80) as f32;
    let beat = 60.0 / bpm;
    let root = 110.0 * 2f32.powf((seed % 12) as f32 / 12.0);
    let two_pi = 2.0 * std::f32::consts::PI;
    (0..n)
        .map(|i| {
            let t = i as f32 / sr as f32;
            let bar = (t / (4.0 * beat)) as usize % 4;
            let f = root * [1.0, 1.335, 1.498, 1.122][bar];
            let pb = (t % beat) / beat;
            let chord = (two_pi * f * t).sin()
                + 0.6 * (two_pi * f * 1.26 * t).sin()
                + 0.5 * (two_pi * f * 1.5 * t).sin();
            let kick = (two_pi * 60.0 * t).sin() * (-pb * 20.0).exp();
            let hat = rnd() * (-((t + beat / 2.0) % beat) / beat * 40.0).exp();
            0.15 * chord * (-pb * 2.0).exp() + 0.5 * kick + 0.2 * hat
        })
        .collect()
}

fn write_wav(path: &Path, y: &[f32], sr: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for &v in y {
        for _ in 0..channels {
            w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
                .expect("write wav");
        }
    }
    w.finalize().expect("finalize wav");
}

fn files_in(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e.to_lowercase().as_str()))
    });
    v.sort();
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench_clips(tmp: &Path) {
    let clips = match std::env::var_os("MUSIM_BENCH_CLIPS") {
        Some(d) => files_in(Path::new(&d), &["wav"])
            .into_iter()
            .take(40)
            .collect::<Vec<_>>(),
        None => (0..20)
            .map(|i| {
                let p = tmp.join(format!("clip{i}.wav"));
                write_wav(&p, &synth_clip(i, 30.0, SR), SR, 1);
                p
            })
            .collect(),
    };
    // Warm up (plans, filterbanks), then time each clip on this thread.
    let _ = analyze_file(&clips[0]);
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    for p in &clips {
        let (t, c) = (Instant::now(), thread_cpu());
        analyze_file(p).expect("analysis");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        cpu.push((thread_cpu() - c).as_secs_f64() * 1e3);
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "features of a 30-s clip (decode included, 1 core): mean {mean:.2} ms, median {:.2} ms over {} clips (CPU time: median {:.2} ms)",
        median(times.clone()),
        clips.len(),
        median(cpu),
    );
    if let Some(py) = std::env::var_os("MUSIM_LIBROSA_PYTHON") {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/bench_librosa.py");
        let out = Command::new(py)
            .arg(script)
            .args(&clips)
            .env("OMP_NUM_THREADS", "1")
            .env("OPENBLAS_NUM_THREADS", "1")
            .env("MKL_NUM_THREADS", "1")
            .env("NUMBA_NUM_THREADS", "1")
            .output();
        match out {
            Ok(o) => print!("{}", String::from_utf8_lossy(&o.stdout)),
            Err(e) => println!("librosa timing failed: {e}"),
        }
    }
}

fn bench_tracks(tmp: &Path) {
    let tracks = match std::env::var_os("MUSIM_BENCH_TRACKS") {
        Some(d) => files_in(Path::new(&d), &["ogg", "mp3", "flac", "wav"])
            .into_iter()
            .take(12)
            .collect::<Vec<_>>(),
        None => {
            let wav = tmp.join("track.wav");
            write_wav(&wav, &synth_clip(7, 180.0, 44100), 44100, 2);
            let ogg = tmp.join("track.ogg");
            let ok = Command::new("ffmpeg")
                .args(["-nostdin", "-v", "error", "-y", "-i"])
                .arg(&wav)
                .args(["-c:a", "libvorbis", "-q:a", "5"])
                .arg(&ogg)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                println!(
                    "full tracks: skipped (no MUSIM_BENCH_TRACKS and ffmpeg cannot make an ogg)"
                );
                return;
            }
            vec![ogg]
        }
    };
    let (mut dsecs, mut dcpu, mut dminutes) = (0.0, 0.0, 0.0);
    for p in &tracks {
        let (t, c) = (Instant::now(), thread_cpu());
        let (_, y) = musim::audio::decode_mono(p).expect("decode");
        dsecs += t.elapsed().as_secs_f64();
        dcpu += (thread_cpu() - c).as_secs_f64();
        dminutes += y.len() as f64 / SR as f64 / 60.0;
    }
    println!(
        "full tracks, decode + resample only (1 core): {:.3} s per audio minute (CPU time {:.3} s)",
        dsecs / dminutes,
        dcpu / dminutes
    );
    let (mut secs, mut cpu, mut minutes) = (0.0, 0.0, 0.0);
    for p in &tracks {
        let (t, c) = (Instant::now(), thread_cpu());
        let a = analyze_file_with(p, &Windows::WHOLE).expect("analysis");
        secs += t.elapsed().as_secs_f64();
        cpu += (thread_cpu() - c).as_secs_f64();
        minutes += a.duration_s / 60.0;
    }
    println!(
        "full tracks, whole (decode + resample + features, 1 core): {:.3} s per audio minute (CPU time {:.3} s; {} tracks, {:.1} min of audio)",
        secs / minutes,
        cpu / minutes,
        tracks.len(),
        minutes
    );
    // The default analysis: tracks over 3.5 min cost 6 × 30-s windows,
    // whatever their length (descriptors and timbre Gaussian included).
    let (mut per_track, mut per_cpu) = (Vec::new(), Vec::new());
    let mut long = 0;
    for p in &tracks {
        let (t, c) = (Instant::now(), thread_cpu());
        let a = analyze_file(p).expect("analysis");
        per_track.push(t.elapsed().as_secs_f64());
        per_cpu.push((thread_cpu() - c).as_secs_f64());
        let windowed = Windows::default().starts(Some(a.duration_s)).is_some();
        long += usize::from(windowed);
        if std::env::var_os("MUSIM_BENCH_PER_TRACK").is_some() {
            println!(
                "  {:.3} s CPU  {:6.1} s of audio, {}  {}",
                per_cpu[per_cpu.len() - 1],
                a.duration_s,
                if windowed { "6 windows" } else { "whole" },
                p.display()
            );
        }
    }
    per_track.sort_by(f64::total_cmp);
    per_cpu.sort_by(f64::total_cmp);
    println!(
        "full tracks, default 6 × 30-s windows (1 core): {:.3} s per track median (CPU time {:.3} s), {:.3} s max ({} tracks, {long} long enough to be windowed)",
        per_track[per_track.len() / 2],
        per_cpu[per_cpu.len() / 2],
        per_track[per_track.len() - 1],
        per_track.len()
    );
}

fn bench_index(tmp: &Path) {
    let n: usize = std::env::var("MUSIM_BENCH_INDEX_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let lib = tmp.join("lib");
    let genres = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for (i, g) in (0..n).zip(genres.iter().cycle()) {
        let d = lib.join(g);
        std::fs::create_dir_all(&d).expect("mkdir");
        write_wav(
            &d.join(format!("{g}.{i:05}.wav")),
            &synth_clip(i as u64, 30.0, SR),
            SR,
            1,
        );
    }
    let exe = env!("CARGO_BIN_EXE_musim-tui");
    let index = tmp.join("bench.idx");
    for label in ["first run", "unchanged re-run"] {
        let (t, c) = (Instant::now(), children_cpu());
        let st = Command::new(exe)
            .arg("index")
            .arg("--library")
            .arg(&lib)
            .arg("--index")
            .arg(&index)
            .output()
            .expect("run musim-tui");
        let s = t.elapsed().as_secs_f64();
        let cpu = (children_cpu() - c).as_secs_f64();
        assert!(
            st.status.success(),
            "index failed: {}",
            String::from_utf8_lossy(&st.stderr)
        );
        println!(
            "index {n} 30-s clips, all cores, {label}: {s:.2} s ({:.2} ms per clip; CPU time {cpu:.2} s)",
            s * 1e3 / n as f64
        );
    }
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    let tmp = tempfile::tempdir().expect("tempdir");
    if want("clips") {
        bench_clips(tmp.path());
    }
    if want("tracks") {
        bench_tracks(tmp.path());
    }
    if want("index") {
        bench_index(tmp.path());
    }
}
