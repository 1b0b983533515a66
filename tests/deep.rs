//! The deep embedding against musicnn's own pipeline (librosa front end,
//! TensorFlow network): reference values made by `tools/musicnn/convert.py`
//! from the committed synthesised clips in `tests/fixtures/librosa/`, stored
//! in `tests/fixtures/musicnn/` (little-endian f32 arrays, `reference.json`).
#![cfg(feature = "embeddings")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use musim::deep::frontend::{self, N_MELS, PATCH_FRAMES, PATCH_LEN};
use musim::deep::kernels::Kernels;
use musim::deep::model::{self, N_TAGS, PENULTIMATE_DIM, POOL_DIM, TAGS_KEY};
use musim::deep::{msd_tag_names, DeepAccumulator, DeepError, DeepModel, EMBEDDING_DIM};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn reference() -> Value {
    let path = fixtures().join("musicnn/reference.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// An f32 array named in reference.json, checked against its stated shape.
fn array(entry: &Value) -> Vec<f32> {
    let file = entry["file"].as_str().unwrap();
    let bytes = std::fs::read(fixtures().join("musicnn").join(file)).unwrap();
    let n: u64 = entry["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .product();
    assert_eq!(bytes.len() as u64, 4 * n, "{file}: size vs shape");
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// A committed clip as librosa reads it: int16 / 32768.
fn clip(file: &str) -> Vec<f32> {
    let path = fixtures().join("librosa").join(file);
    let mut r = hound::WavReader::open(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(r.spec().sample_rate, 22050);
    r.samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect()
}

fn shared() -> Arc<DeepModel> {
    model::shared().expect("built-in model loads")
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn mean_abs_diff(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() as f64)
        .sum::<f64>()
        / b.len() as f64
}

/// The STFT, mel, float16 and log steps alone: the clip's samples taken as a
/// 16 kHz signal, no resampling, against librosa. `tiny` (100 samples) and
/// `small` (300) pad by reflection past both ends of the signal.
#[test]
fn log_mel_matches_librosa() {
    let r = reference();
    for (name, e) in r["direct"].as_object().unwrap() {
        let source = clip(e["source"].as_str().unwrap());
        let n = e["samples"].as_u64().unwrap() as usize;
        let want = array(&e["log_mel"]);
        let got = frontend::log_mel_16k(&source[..n]);
        assert_eq!(got.frames * N_MELS, want.len(), "{name}: frames");
        let diff = max_abs_diff(&got.data, &want);
        let mean = mean_abs_diff(&got.data, &want);
        eprintln!(
            "{name}: {} frames, max |diff| {diff:.2e}, mean {mean:.2e}",
            got.frames
        );
        // Bit-identical on the development machine; values span 0–5, and a
        // last-bit difference in a sum elsewhere could flip one float16 step
        // of S (≤ 2.2e-4 after the log) in a rare cell.
        assert!(diff <= 2.5e-4, "{name}: max |diff| {diff}");
        assert!(mean <= 1e-6, "{name}: mean |diff| {mean}");
    }
}

/// The whole front end from 22050 Hz: our resampler against soxr HQ
/// (librosa's `resample`), then the log-mel.
#[test]
fn log_mel_through_resampler_matches_librosa() {
    let r = reference();
    for name in ["chirp", "short"] {
        let e = &r["tracks"][name];
        let want = array(&e["log_mel"]);
        let got = frontend::log_mel(&clip(e["source"].as_str().unwrap()));
        assert_eq!(got.frames, e["frames"].as_u64().unwrap() as usize, "{name}");
        assert_eq!(got.data.len(), want.len(), "{name}");
        // Per band: worst difference over frames.
        let mut worst = [0.0f32; N_MELS];
        for (g, w) in got.data.chunks_exact(N_MELS).zip(want.chunks_exact(N_MELS)) {
            for ((m, a), b) in worst.iter_mut().zip(g).zip(w) {
                *m = m.max((a - b).abs());
            }
        }
        let mean = mean_abs_diff(&got.data, &want);
        let overall = worst.iter().fold(0.0f32, |a, &b| a.max(b));
        let below = worst[..90].iter().fold(0.0f32, |a, &b| a.max(b));
        eprintln!("{name}: max |diff| {overall:.2e} (bands 0–89: {below:.2e}), mean {mean:.2e}");
        eprintln!("{name}: worst per band, top 8: {:?}", &worst[88..]);
        // Measured: bands 0–89 ≤ 3.4e-3; the top bands (7.4–8 kHz, the
        // resamplers' transition band) ≤ 0.027; mean ≤ 3.1e-4.
        assert!(below <= 0.005, "{name}: bands 0–89 differ by {below}");
        assert!(overall <= 0.04, "{name}: max |diff| {overall}");
        assert!(mean <= 1e-3, "{name}: mean |diff| {mean}");
    }
}

/// The network alone, on its fast and its portable kernels: the reference
/// log-mel patch against TensorFlow's outputs.
#[test]
fn network_matches_tensorflow() {
    let r = reference();
    let e = &r["tracks"]["chirp"];
    let mel = array(&e["log_mel"]);
    let portable = DeepModel::built_in()
        .unwrap()
        .with_kernels(Kernels::Portable);
    for model in [&*shared(), &portable] {
        let out = model.run(&mel[..PATCH_LEN]).unwrap();
        eprintln!("{model:?}");
        check_outputs(e, &out);
    }
}

/// One patch's four outputs against the reference entry's.
fn check_outputs(e: &Value, out: &musim::deep::PatchOutputs) {
    assert_eq!(out.patches, 1);
    for (name, got, width) in [
        ("max_pool", &out.max_pool, POOL_DIM),
        ("mean_pool", &out.mean_pool, POOL_DIM),
        ("penultimate", &out.penultimate, PENULTIMATE_DIM),
        ("taggram", &out.taggram, N_TAGS),
    ] {
        let want = array(&e[name]);
        assert_eq!(got.len(), width);
        let scale = want.iter().fold(0.0f32, |a, b| a.max(b.abs())).max(1e-3);
        let diff = max_abs_diff(got, &want);
        eprintln!("{name}: max |diff| {diff:.2e} (largest value {scale:.2})");
        assert!(diff <= 1e-4 * scale.max(1.0), "{name}: {diff}");
    }
}

/// The whole pipeline, clip by clip: Rust embedding vs musicnn's.
#[test]
fn embeddings_match_reference() {
    let r = reference();
    let model = shared();
    for (name, e) in r["tracks"].as_object().unwrap() {
        let y = clip(e["source"].as_str().unwrap());
        let mut acc = DeepAccumulator::with_model(model.clone());
        acc.push_window(&y).unwrap();
        let got = acc.finish().unwrap();
        let want = array(&e["embedding"]);
        let want_tags = array(&e["tags"]);
        assert_eq!(got.embedding.len(), EMBEDDING_DIM);
        assert_eq!(
            got.patches,
            e["patches"].as_u64().unwrap() as usize,
            "{name}"
        );
        assert_eq!(
            got.repeat_padded,
            e["repeat_padded"].as_bool().unwrap(),
            "{name}"
        );
        let cos = cosine(&got.embedding, &want);
        let tags = max_abs_diff(&got.tags, &want_tags);
        eprintln!("{name}: cosine {cos:.6}, tags max |diff| {tags:.4}");
        // The bar is 0.999; measured ≥ 0.999997, so guard the margin.
        assert!(cos >= 0.9999, "{name}: cosine {cos}");
        assert!(tags <= 0.005, "{name}: tags differ by {tags}");
        assert!(got.tags.iter().all(|t| (0.0..=1.0).contains(t)));
    }
}

/// Windows: each is cut into whole patches on its own, tails dropped; a
/// track shorter than a patch is repeat-padded from its longest window; no
/// audio at all is an error.
#[test]
fn windows_tails_and_short_tracks() {
    let model = shared();
    let song = clip("song.wav"); // 10 s
    let seven = &song[..7 * 22050];
    // One 7-s window: 2 patches (1 s of tail dropped).
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(seven).unwrap();
    let whole = acc.finish().unwrap();
    assert_eq!((whole.patches, whole.repeat_padded), (2, false));
    // The same 7 s plus a 2-s window: the short window adds nothing.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(seven).unwrap();
    acc.push_window(&song[7 * 22050..9 * 22050]).unwrap();
    let with_tail = acc.finish().unwrap();
    assert_eq!(with_tail, whole);
    // Only short windows: the longest one is repeat-padded to one patch.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(&song[..22050]).unwrap();
    acc.push_window(&song[22050..3 * 22050]).unwrap();
    acc.push_window(&[]).unwrap();
    let short = acc.finish().unwrap();
    assert_eq!((short.patches, short.repeat_padded), (1, true));
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(&song[22050..3 * 22050]).unwrap();
    assert_eq!(acc.finish().unwrap(), short);
    // The padded embedding still describes the music: closer to the song's
    // own embedding than to noise's.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(&clip("noise.wav")).unwrap();
    let noise = acc.finish().unwrap();
    assert!(
        cosine(&short.embedding, &whole.embedding) > cosine(&short.embedding, &noise.embedding)
    );
    // A single sample is enough for one frame; nothing at all is an error.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(&[0.3]).unwrap();
    assert_eq!(acc.finish().unwrap().patches, 1);
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window(&[]).unwrap();
    let err = acc.finish().unwrap_err();
    assert!(matches!(err, DeepError::NoAudio), "{err}");
    assert!(DeepAccumulator::with_model(model).finish().is_err());
}

/// A patch budget runs evenly spaced patches of a window and averages
/// exactly those.
#[test]
fn patch_budget_picks_evenly_spaced_patches() {
    let model = shared();
    let song = clip("song.wav"); // 10 s: 3 patches
    let mel = frontend::log_mel(&song);
    assert_eq!(mel.n_patches(), 3);
    // At most 1 of 3: the middle one, its log-mel computed from the
    // samples around it only, and close to the whole window's.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window_at_most(&song, 1).unwrap();
    let one = acc.finish().unwrap();
    assert_eq!(one.patches, 1);
    let alone = frontend::patch_of(&song, 1).unwrap();
    assert!(max_abs_diff(&alone, &mel.patches()[PATCH_LEN..2 * PATCH_LEN]) < 2e-3);
    let middle = model.run(&alone).unwrap();
    assert!(max_abs_diff(&one.embedding[..POOL_DIM], &middle.mean_pool) <= 1e-5);
    assert!(max_abs_diff(&one.embedding[POOL_DIM..], &middle.max_pool) <= 1e-5);
    let from_whole = model.run(&mel.patches()[PATCH_LEN..2 * PATCH_LEN]).unwrap();
    assert!(max_abs_diff(&middle.mean_pool, &from_whole.mean_pool) < 0.05);
    // A budget at least the window's patches changes nothing.
    let mut acc = DeepAccumulator::with_model(model.clone());
    acc.push_window_at_most(&song, 3).unwrap();
    let all = acc.finish().unwrap();
    let mut acc = DeepAccumulator::with_model(model);
    acc.push_window(&song).unwrap();
    assert_eq!(all, acc.finish().unwrap());
    assert_eq!(all.patches, 3);
}

/// Bad input to the network call itself.
#[test]
fn partial_patches_are_rejected() {
    let err = shared().run(&vec![0.0; PATCH_LEN + 5]).unwrap_err();
    assert!(err.to_string().contains("patches"), "{err}");
    let none = shared().run(&[]).unwrap();
    assert_eq!(none.patches, 0);
    assert!(none.taggram.is_empty());
    // Several patches at once give the same rows as one by one.
    let mel = frontend::log_mel(&clip("song.wav"));
    let all = shared().run(mel.patches()).unwrap();
    assert_eq!(all.patches, 3);
    let second = shared()
        .run(&mel.patches()[PATCH_LEN..2 * PATCH_LEN])
        .unwrap();
    let row = &all.mean_pool[POOL_DIM..2 * POOL_DIM];
    assert!(max_abs_diff(row, &second.mean_pool) <= 1e-5);
    assert_eq!(PATCH_LEN, PATCH_FRAMES * N_MELS);
}

fn temp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn missing_model_file_is_named() {
    let path = Path::new("/nonexistent/musim/musicnn-msd.onnx");
    let err = DeepModel::from_path(path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DeepError::ModelIo { .. }), "{msg}");
    assert!(msg.contains("/nonexistent/musim/musicnn-msd.onnx"), "{msg}");
    assert!(msg.contains("cannot read"), "{msg}");
}

#[test]
fn corrupted_model_files_are_rejected() {
    let good = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/models/musicnn-msd.onnx"),
    )
    .unwrap();
    let text = b"this is not a model\n".repeat(50);
    let mut flipped = good.clone();
    // Damage the protobuf framing at the start of the file.
    for b in flipped.iter_mut().take(64) {
        *b ^= 0x5a;
    }
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.onnx", b"", "empty"),
        ("text.onnx", &text, ""),
        ("truncated.onnx", &good[..good.len() / 2], ""),
        ("flipped.onnx", &flipped, ""),
    ];
    for (name, bytes, needle) in cases {
        let (_dir, path) = temp_file(name, bytes);
        let err = DeepModel::from_path(&path).unwrap_err();
        let msg = err.to_string();
        eprintln!("{name}: {msg}");
        assert!(
            matches!(err, DeepError::ModelInvalid { .. }),
            "{name}: {msg}"
        );
        assert!(
            msg.contains(name),
            "{name}: message must name the file: {msg}"
        );
        assert!(msg.contains(needle), "{name}: {msg}");
    }
}

/// The built-in file with a `metadata_props` entry appended (a protobuf
/// message may be extended by concatenation): what `convert.py` writes
/// for a network other than MSD.
fn with_metadata(key: &str, value: &str) -> Vec<u8> {
    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let mut entry = Vec::new();
    for (field, text) in [(1u8, key), (2, value)] {
        entry.push((field << 3) | 2);
        varint(text.len(), &mut entry);
        entry.extend(text.as_bytes());
    }
    let mut bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/models/musicnn-msd.onnx"),
    )
    .unwrap();
    bytes.push((14 << 3) | 2);
    varint(entry.len(), &mut bytes);
    bytes.extend(entry);
    bytes
}

/// Another network's tag names come from its file (so its scores are not
/// shown under MSD names); the MSD file has none; a wrong count is an
/// error naming the file.
#[test]
fn a_model_file_carries_its_own_tag_names() {
    assert!(shared().tags().is_none());
    assert_eq!(musim::deep::tag_names_of(Some(&shared())), msd_tag_names());
    assert_eq!(musim::deep::tag_names_of(None), msd_tag_names());
    let mut names: Vec<String> = (0..N_TAGS).map(|i| format!("mtt tag {i}")).collect();
    names[3] = "evil\u{1b}[2J".to_string();
    let text: String = names.iter().map(|n| format!("{n}\n")).collect();
    let model = DeepModel::from_bytes(&with_metadata(TAGS_KEY, &text), "mtt.onnx").unwrap();
    assert_eq!(model.tags(), Some(&names[..]));
    // Shown names: the file's, with control characters made harmless.
    let shown = musim::deep::tag_names_of(Some(&model));
    assert_eq!(shown[0], "mtt tag 0");
    assert_eq!(shown[49], "mtt tag 49");
    assert!(
        shown[3].starts_with("evil") && !shown[3].contains('\u{1b}'),
        "{}",
        shown[3]
    );
    // Same weights, so the same outputs; but another identity.
    let patch = vec![0.25f32; PATCH_LEN];
    assert_eq!(model.run(&patch).unwrap(), shared().run(&patch).unwrap());
    assert_ne!(model.id(), shared().id());
    // Unrelated metadata is ignored.
    assert!(
        DeepModel::from_bytes(&with_metadata("author", "x"), "m.onnx")
            .unwrap()
            .tags()
            .is_none()
    );
    let err = DeepModel::from_bytes(&with_metadata(TAGS_KEY, "a\nb\n"), "few.onnx").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DeepError::ModelInvalid { .. }), "{msg}");
    assert!(msg.contains("few.onnx") && msg.contains("2 lines"), "{msg}");
}

/// Damage anywhere in the file — a byte changed in the protobuf framing or
/// in the weights, or the file cut short at any point — gives either a
/// working model or a clear error, never a panic.
#[test]
fn damage_anywhere_never_panics() {
    let good = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/models/musicnn-msd.onnx"),
    )
    .unwrap();
    let mut state = 0x9e37_79b9u32;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as usize % n
    };
    let (mut rejected, mut accepted) = (0, 0);
    for case in 0..40 {
        let mut bytes = good.clone();
        if case % 2 == 0 {
            let at = next(bytes.len());
            bytes[at] ^= 1 << (case / 2 % 8);
        } else {
            bytes.truncate(next(bytes.len()));
        }
        match DeepModel::from_bytes(&bytes, "damaged.onnx") {
            Ok(m) => {
                let out = m.run(&vec![0.5; PATCH_LEN]).unwrap();
                assert!(out.taggram.iter().all(|t| t.is_finite()));
                accepted += 1;
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(matches!(e, DeepError::ModelInvalid { .. }), "{msg}");
                assert!(msg.contains("damaged.onnx"), "{msg}");
                rejected += 1;
            }
        }
    }
    // Every truncation is caught; a flipped bit inside a weight is not
    // detectable (the file has no checksum).
    assert!(rejected >= 20, "{rejected} rejected, {accepted} accepted");
}

/// One decoding for both descriptions (a deep query) gives exactly what the
/// two separate passes give: a 70-s track read whole (a partial last
/// piece) and a 4-min one read in windows.
#[test]
fn analysis_and_embedding_from_one_decoding_match_two_passes() {
    use musim::analysis::{analyze_file_with, Windows};
    use musim::deep::track::analyze_and_embed;
    let model = shared();
    let dir = tempfile::tempdir().unwrap();
    for seconds in [70usize, 240] {
        let path = drifting_song(dir.path(), seconds);
        let windows = Windows::default();
        let a = analyze_file_with(&path, &windows).unwrap();
        let e = musim::deep::embed_file(&path, &windows, model.clone()).unwrap();
        let (a2, e2) = analyze_and_embed(&path, &windows, model.clone()).unwrap();
        assert_eq!(a.fingerprint.values, a2.fingerprint.values, "{seconds} s");
        assert_eq!(a.duration_s, a2.duration_s);
        assert_eq!(e, e2.unwrap(), "{seconds} s");
        // 70 s: pieces of 30, 30 and 10 s get 2 + 2 + 2 of the 6 patches;
        // 4 min: 1 in each of the 6 windows.
        assert_eq!(e.patches, musim::deep::track::PATCH_BUDGET, "{seconds} s");
    }
}

/// A `seconds`-long WAV of the song, its level drifting so that every
/// piece differs.
fn drifting_song(dir: &Path, seconds: usize) -> PathBuf {
    let song = clip("song.wav");
    let path = dir.join(format!("t{seconds}.wav"));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..seconds * 22050 {
        let gain = 0.5 + 0.4 * (i as f32 / 22050.0 / 17.0).sin();
        w.write_sample(song[i % song.len()] * gain).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// The patches a study dumps for another network (`mels_by_piece`) are the
/// track's pieces as the indexer cuts them, and the network run on them,
/// averaged over the patches the default budget picks, gives the product's
/// embedding (`embed_file`, which computes each picked patch on its own:
/// equal up to float rounding in the resampler).
#[test]
fn studied_patches_are_the_indexed_ones() {
    use musim::analysis::Windows;
    use musim::deep::track::{mels_by_piece, picked_patches, piece_share, PATCH_BUDGET};
    let model = shared();
    let dir = tempfile::tempdir().unwrap();
    let path = drifting_song(dir.path(), 70);
    let windows = Windows::default();
    let mels = mels_by_piece(&path, &windows).unwrap();
    // Read whole: pieces of 30, 30 and 10 s; 10, 10 and 3 whole patches.
    let counts: Vec<usize> = mels.iter().map(|m| m.n_patches()).collect();
    assert_eq!(counts, [10, 10, 3]);
    let mut sum = vec![0.0f64; EMBEDDING_DIM];
    let mut n = 0;
    for (p, mel) in mels.iter().enumerate() {
        let share = piece_share(PATCH_BUDGET, mels.len(), p);
        for i in picked_patches(mel.n_patches(), share) {
            let out = model
                .run(&mel.patches()[i * PATCH_LEN..(i + 1) * PATCH_LEN])
                .unwrap();
            let row = out.mean_pool.iter().chain(&out.max_pool);
            sum.iter_mut()
                .zip(row)
                .for_each(|(s, v)| *s += f64::from(*v));
            n += 1;
        }
    }
    assert_eq!(n, PATCH_BUDGET);
    let mean: Vec<f32> = sum.iter().map(|s| (s / n as f64) as f32).collect();
    let product = musim::deep::embed_file(&path, &windows, model.clone()).unwrap();
    assert!(
        max_abs_diff(&mean, &product.embedding) < 1e-3,
        "{}",
        max_abs_diff(&mean, &product.embedding)
    );
    // A short clip: its one repeat-padded patch, as the accumulator pads.
    let short = dir.path().join("short.wav");
    std::fs::copy(fixtures().join("librosa/short.wav"), &short).unwrap();
    let mels = mels_by_piece(&short, &windows).unwrap();
    assert_eq!(mels.len(), 1);
    assert_eq!((mels[0].frames, mels[0].n_patches()), (PATCH_FRAMES, 1));
    let one = model.run(mels[0].patches()).unwrap();
    let product = musim::deep::embed_file(&short, &windows, model).unwrap();
    assert!(product.repeat_padded);
    let row: Vec<f32> = one.mean_pool.iter().chain(&one.max_pool).copied().collect();
    assert!(max_abs_diff(&row, &product.embedding) < 1e-3);
}
