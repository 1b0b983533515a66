//! Reports end to end: a small model built from a hand-made index, the
//! report written to a folder, every PNG decoded (size, not blank, text
//! drawn from the embedded font), metrics.json checked against
//! `musim::eval` called directly, report.md linking the plots; libraries
//! without labels, with one genre, one or two tracks, some labels; write
//! errors that name the file; and `musim-tui report` from the command line.

mod cli_support;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use musim::app::model_file::build;
use musim::eval::{self, Distance, CHANCE_SHUFFLES};
use musim::library::index::{Entry, Index, Outcome};
use musim::model::{Model, ModelParams};
use musim::report::plot::style::{Rgb, INK};
use musim::report::plot::{self, Align, Font, VAlign};
use musim::report::{self, Context, Options, Report};

const LONG: &str = "an extremely long genre name that cannot fit on any axis";

fn entry(path: &str, label: Option<&str>, values: Vec<f32>) -> Entry {
    Entry {
        path: path.as_bytes().to_vec(),
        size: 1,
        mtime_ns: 1,
        label: label.map(str::to_string),
        tags: None,
        outcome: Outcome::Analysed {
            duration_s: 30.0,
            values,
        },
    }
}

fn failed(path: &str) -> Entry {
    Entry {
        path: path.as_bytes().to_vec(),
        size: 1,
        mtime_ns: 1,
        label: None,
        tags: None,
        outcome: Outcome::Failed {
            kind: "not an audio file".into(),
            reason: "x".into(),
        },
    }
}

const DIMS: usize = 6;

fn index(entries: Vec<Entry>) -> Index {
    let mut idx = Index::empty(Path::new("/lib"));
    idx.header.feature_names = (0..DIMS).map(|d| format!("mfcc_mean[{d}]")).collect();
    idx.entries = entries;
    idx
}

/// Deterministic noise in −0.5..0.5.
fn noise(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5) as f32
}

/// `per` tracks in each of `genres`, groups close enough to overlap (so
/// the confusion matrix has off-diagonal cells).
fn tracks(genres: &[Option<&str>], per: usize) -> Vec<Entry> {
    let mut seed = 7u64;
    let mut e = Vec::new();
    for i in 0..per {
        for (g, label) in genres.iter().enumerate() {
            let values = (0..DIMS)
                .map(|d| if d == g % DIMS { 2.0 } else { 0.0 } + 2.2 * noise(&mut seed))
                .collect();
            let folder = label.unwrap_or("misc");
            e.push(entry(
                &format!("/lib/{folder}/{folder} {i:02}.wav"),
                *label,
                values,
            ));
        }
    }
    e
}

fn model(idx: &Index) -> Model {
    // The seed profile: the checks below recompute its cosine metrics.
    let params = ModelParams {
        tsne_iterations: 250,
        similarity: musim::similarity::Profile::Seed,
        ..ModelParams::default()
    };
    build(idx.clone(), &params, &|_| {}, &AtomicBool::new(false)).unwrap()
}

/// Write the report; with `MUSIM_TEST_REPORT_KEEP=DIR` set, also keep a
/// copy in DIR/<folder name> to look at.
fn write(model: &Model, ctx: &Context, dir: &Path) -> report::Written {
    let w = report::write(model, ctx, &Options::default(), dir).unwrap();
    if let Some(keep) = std::env::var_os("MUSIM_TEST_REPORT_KEEP") {
        let name = format!(
            "{}-{}",
            dir.file_name().unwrap().to_string_lossy(),
            model.len()
        );
        let to = Path::new(&keep).join(name);
        std::fs::create_dir_all(&to).unwrap();
        for (f, _) in &w.files {
            std::fs::copy(f, to.join(f.file_name().unwrap())).unwrap();
        }
    }
    w
}

/// A decoded PNG: width, height, RGB bytes.
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let d = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut r = d.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn distinct_colours(rgb: &[u8]) -> usize {
    let mut c: Vec<[u8; 3]> = rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
    c.sort_unstable();
    c.dedup();
    c.len()
}

/// Dark (text-coloured) pixels in rows y0..y1.
fn ink_in_band(rgb: &[u8], w: u32, y0: u32, y1: u32) -> usize {
    let row = w as usize * 3;
    rgb[y0 as usize * row..y1 as usize * row]
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 110))
        .count()
}

/// Check a written PNG: the size `write` reported, many colours, and a
/// title drawn in the band at the top.
fn check_png(path: &Path, size: Option<(u32, u32)>) {
    assert!(path.exists(), "{} missing", path.display());
    let (w, h, rgb) = decode(path);
    assert_eq!(Some((w, h)), size, "{}", path.display());
    assert!(
        (600..3000).contains(&w) && (150..3000).contains(&h),
        "{w}×{h}"
    );
    assert!(
        distinct_colours(&rgb) > 30,
        "{} looks blank: {} colours",
        path.display(),
        distinct_colours(&rgb)
    );
    // The title sits in the top 60 pixels: text pixels must be there.
    let ink = ink_in_band(&rgb, w, 15, 60);
    assert!(
        ink > 300,
        "{}: no title text ({ink} dark pixels)",
        path.display()
    );
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn value(s: &serde_json::Value) -> f64 {
    s["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("no value in {s}"))
}

fn chance(s: &serde_json::Value) -> f64 {
    s["chance"]
        .as_f64()
        .unwrap_or_else(|| panic!("no chance in {s}"))
}

/// Every score object in the JSON has a value or a reason, never both
/// missing (and never a NaN, which serde_json would turn into null).
fn scores_are_complete(v: &serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if m.contains_key("value") && m.contains_key("reason") {
                assert!(
                    m["value"].is_number() != m["reason"].is_string(),
                    "value xor reason: {v}"
                );
            }
            m.values().for_each(scores_are_complete);
        }
        serde_json::Value::Array(a) => a.iter().for_each(scores_are_complete),
        _ => {}
    }
}

fn metrics(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("metrics.json")).unwrap();
    // The file is also a valid `Report`.
    let _: Report = serde_json::from_str(&text).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    scores_are_complete(&v);
    v
}

#[test]
fn labelled_report_matches_eval_and_draws_every_plot() {
    let mut entries = tracks(&[Some("blues"), Some(LONG), Some("classical")], 12);
    entries.push(failed("/lib/blues/broken.mp3"));
    let idx = index(entries);
    let m = model(&idx);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("results/nested");
    let w = write(&m, &Context::of_index(&idx), &dir);

    let names: Vec<String> = w
        .files
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "confusion_matrix.png",
            "tsne_map.png",
            "clusters.png",
            "metrics.json",
            "report.md"
        ]
    );
    for (path, size) in &w.files {
        if path.extension().is_some_and(|e| e == "png") {
            check_png(path, *size);
        }
    }
    // Nothing else in the folder (no temp files left).
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 5);

    // The numbers, against musim::eval called directly.
    let v = metrics(&dir);
    assert_eq!(v["tracks"]["analysed"], 36);
    assert_eq!(v["tracks"]["failed"], 1);
    assert_eq!(v["tracks"]["genres"], 3);
    let genres: Vec<&str> = v["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(genres, m.genres);
    let truth: Vec<usize> = m
        .tracks
        .iter()
        .map(|t| {
            m.genres
                .iter()
                .position(|g| Some(g) == t.label.as_ref())
                .unwrap()
        })
        .collect();
    let loo = eval::knn_loo(&m.space.z, &truth, 5, Distance::Cosine);
    let c = eval::Classification::new(&truth, &loo.predictions, 3);
    let cl = &v["classification"];
    assert!(close(value(&cl["accuracy"]), c.accuracy));
    assert!(close(
        chance(&cl["accuracy"]),
        eval::chance_accuracy(&truth)
    ));
    assert!(close(value(&cl["balanced_accuracy"]), c.balanced_accuracy));
    assert!(close(chance(&cl["balanced_accuracy"]), 1.0 / 3.0));
    assert!(close(value(&cl["macro_f1"]), c.macro_f1));
    let confusion: Vec<Vec<usize>> = serde_json::from_value(cl["confusion"].clone()).unwrap();
    assert_eq!(confusion, c.confusion);
    assert!(
        confusion
            .iter()
            .enumerate()
            .any(|(t, row)| row.iter().enumerate().any(|(p, &n)| p != t && n > 0)),
        "the fixture should confuse some tracks: {confusion:?}"
    );
    for (g, r) in c.per_class.iter().enumerate() {
        let j = &cl["per_genre"][g];
        assert_eq!(j["genre"], m.genres[g]);
        assert!(close(j["precision"].as_f64().unwrap(), r.precision));
        assert!(close(j["recall"].as_f64().unwrap(), r.recall));
        assert!(close(j["f1"].as_f64().unwrap(), r.f1));
        assert_eq!(j["support"], r.support);
    }
    for (i, k) in [5usize, 10].into_iter().enumerate() {
        let p = eval::precision_at_k_loo(&m.space.z, &truth, k, Distance::Cosine);
        let j = &v["neighbours"][i];
        assert_eq!(j["k"], k);
        assert!(close(value(&j["micro"]), p.micro));
        assert!(close(value(&j["macro"]), p.macro_));
        assert!(close(
            chance(&j["micro"]),
            eval::chance_precision_at_k(&truth)
        ));
        // Three genres of 12: each finds 11 of 35 others of its own.
        assert!(close(chance(&j["macro"]), 11.0 / 35.0));
    }
    let clusters: Vec<usize> = m.assignment.iter().map(|&a| a as usize).collect();
    let seed = m.params.seed;
    let cg = &v["clustering"];
    assert!(close(value(&cg["nmi"]), eval::nmi(&truth, &clusters)));
    assert!(close(
        chance(&cg["nmi"]),
        eval::chance_nmi(&truth, &clusters, CHANCE_SHUFFLES, seed)
    ));
    assert!(close(value(&cg["ari"]), eval::ari(&truth, &clusters)));
    assert!(close(
        chance(&cg["ari"]),
        eval::chance_ari(&truth, &clusters, CHANCE_SHUFFLES, seed)
    ));
    assert!(close(value(&cg["purity"]), eval::purity(&truth, &clusters)));
    let purity_chance = chance(&cg["purity"]);
    assert!(purity_chance > 0.3 && purity_chance < value(&cg["purity"]));
    assert!(close(
        value(&cg["silhouette"]),
        eval::silhouette(&m.space.z, &clusters, None, seed)
    ));
    assert!(chance(&cg["silhouette"]).abs() < 0.2);
    assert!(close(
        value(&v["map"]["trustworthiness"]),
        eval::trustworthiness(&m.space.z, &m.map, 10)
    ));
    assert!(close(
        chance(&v["map"]["trustworthiness"]),
        report::chance_trustworthiness(36, 10)
    ));
    let p = &v["parameters"];
    assert_eq!(p["knn_k"], 5);
    assert_eq!(p["seed"], 42);
    assert_eq!(p["k"], 3);
    assert_eq!(p["tsne_iterations"], 250);
    assert_eq!(p["perplexity"], 30.0);
    assert!(close(p["perplexity_used"].as_f64().unwrap(), 35.0 / 3.0));
    assert_eq!(p["distance"], "seed: cosine on z-scored fingerprints");
    assert_eq!(v["clusters"].as_array().unwrap().len(), m.clusters.len());
    let rep = &v["clusters"][0]["representatives"][0];
    assert_eq!(
        rep["track"].as_u64().unwrap() as u32,
        m.clusters[0].representatives()[0]
    );
    assert!(rep["name"].as_str().unwrap().ends_with(
        &rep["path"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .replace(".wav", "")
    ));

    // report.md embeds the plots and shows the numbers.
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    for png in ["confusion_matrix.png", "tsne_map.png", "clusters.png"] {
        assert!(md.contains(&format!("]({png})")), "{png} not linked");
    }
    assert!(
        md.contains(&format!("| accuracy | {:.1}% |", 100.0 * c.accuracy)),
        "{md}"
    );
    assert!(md.contains("| blues |") && md.contains("| precision@10, micro |"));
    assert!(md.contains("1 failed"), "{md}");
    assert!(md.contains("1 file could not be analysed"), "{md}");

    // Same model, same bytes.
    let again = tmp.path().join("again");
    write(&m, &Context::of_index(&idx), &again);
    for name in &names {
        assert_eq!(
            std::fs::read(dir.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name} differs between runs"
        );
    }
}

#[test]
fn text_comes_from_the_embedded_font() {
    // A title-only picture and the same without text: the font must put
    // dark pixels where the text goes, with no system font involved.
    let blank = plot::render(400, 60, |_| Ok(())).unwrap();
    let titled = plot::render(400, 60, |a| {
        Font::new(22.0, INK).draw(a, "Genre confusion", 10, 20, Align::Left, VAlign::Top)
    })
    .unwrap();
    let decode_bytes = |b: &[u8]| {
        let mut r = png::Decoder::new(std::io::Cursor::new(b.to_vec()))
            .read_info()
            .unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        r.next_frame(&mut buf).unwrap();
        buf
    };
    let (b, t) = (decode_bytes(&blank.bytes), decode_bytes(&titled.bytes));
    assert!(b.iter().all(|&c| c == 255));
    assert!(ink_in_band(&t, 400, 15, 40) > 150);
    // The ink stays inside the text's box: 20..20+cap height, x from 10.
    let cap = Font::new(22.0, Rgb(0, 0, 0)).cap() as u32;
    assert_eq!(ink_in_band(&t, 400, 0, 18), 0);
    assert_eq!(ink_in_band(&t, 400, 20 + cap + 2, 60), 0);
}

#[test]
fn unlabelled_library_gets_map_and_clusters_but_no_confusion_matrix() {
    let idx = index(tracks(&[None, None, None], 8));
    let m = model(&idx);
    let tmp = tempfile::tempdir().unwrap();
    // A confusion matrix from an older report is the user's: left alone.
    std::fs::write(tmp.path().join("confusion_matrix.png"), "old").unwrap();
    let w = write(&m, &Context::of_index(&idx), tmp.path());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("confusion_matrix.png")).unwrap(),
        "old"
    );
    let pngs: Vec<_> = w.files.iter().filter(|f| f.1.is_some()).collect();
    assert_eq!(pngs.len(), 2);
    for (p, size) in pngs {
        check_png(p, *size);
    }
    let v = metrics(tmp.path());
    assert!(v["classification"].is_null());
    let why = v["classification_reason"].as_str().unwrap();
    assert!(why.contains("no genre labels"), "{why}");
    assert_eq!(
        v["plots"],
        serde_json::json!(["tsne_map.png", "clusters.png"])
    );
    assert!(v["clustering"]["nmi"]["value"].is_null());
    assert!(v["clustering"]["silhouette"]["value"].is_number());
    assert!(v["map"]["trustworthiness"]["value"].is_number());
    assert!(v["parameters"]["k_choice"]
        .as_str()
        .unwrap()
        .contains("silhouette"));
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    assert!(!md.contains("](confusion_matrix.png)"));
    assert!(md.contains("No confusion matrix: the library has no genre labels"));
    assert!(md.contains("](tsne_map.png)") && md.contains("](clusters.png)"));
    assert!(report::summary(&w).contains("no genre labels"));
}

#[test]
fn one_genre_says_there_is_nothing_to_tell_apart() {
    let idx = index(tracks(&[Some("rock")], 10));
    let m = model(&idx);
    let tmp = tempfile::tempdir().unwrap();
    let w = write(&m, &Context::default(), tmp.path());
    assert!(!tmp.path().join("confusion_matrix.png").exists());
    for (p, size) in w.files.iter().filter(|f| f.1.is_some()) {
        check_png(p, *size);
    }
    let v = metrics(tmp.path());
    assert!(v["classification"].is_null());
    assert!(v["classification_reason"]
        .as_str()
        .unwrap()
        .contains("one genre (rock)"));
    assert!(v["neighbours"][0]["micro"]["reason"]
        .as_str()
        .unwrap()
        .contains("one genre"));
    assert!(v["clustering"]["purity"]["value"].is_null());
}

#[test]
fn one_and_two_track_libraries_get_clear_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let one = index(vec![entry("/lib/x/only.wav", Some("x"), vec![1.0; DIMS])]);
    let m = model(&one);
    let w = write(&m, &Context::default(), &tmp.path().join("one"));
    for (p, size) in w.files.iter().filter(|f| f.1.is_some()) {
        check_png(p, *size);
    }
    let v = metrics(&tmp.path().join("one"));
    assert_eq!(v["tracks"]["analysed"], 1);
    assert!(v["classification"].is_null());
    assert_eq!(
        v["clustering"]["silhouette"]["reason"],
        "needs at least two tracks"
    );
    assert_eq!(
        v["map"]["trustworthiness"]["reason"],
        "needs at least three tracks"
    );
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("one analysed track")));

    // Two tracks, two genres: each is predicted from the other alone.
    let two = index(vec![
        entry(
            "/lib/a/a.wav",
            Some("a"),
            vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        entry(
            "/lib/b/b.wav",
            Some("b"),
            vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        ),
    ]);
    let m = model(&two);
    let dir = tmp.path().join("two");
    let w = write(&m, &Context::default(), &dir);
    assert_eq!(w.files.len(), 5);
    for (p, size) in w.files.iter().filter(|f| f.1.is_some()) {
        check_png(p, *size);
    }
    let v = metrics(&dir);
    assert_eq!(v["classification"]["k_used"], 1);
    assert_eq!(value(&v["classification"]["accuracy"]), 0.0);
    assert_eq!(v["neighbours"][1]["k_used"], 1);
    assert!(v["map"]["trustworthiness"]["value"].is_null());
}

#[test]
fn partly_labelled_tracks_are_left_out_of_genre_metrics() {
    let mut e = tracks(&[Some("a"), Some("b")], 8);
    e.extend(tracks(&[None], 5));
    let idx = index(e);
    let m = model(&idx);
    assert_eq!(m.len(), 21);
    let tmp = tempfile::tempdir().unwrap();
    let w = write(&m, &Context::default(), tmp.path());
    for (p, size) in w.files.iter().filter(|f| f.1.is_some()) {
        check_png(p, *size);
    }
    let v = metrics(tmp.path());
    assert_eq!(v["tracks"]["unlabelled"], 5);
    assert_eq!(v["classification"]["evaluated"], 16);
    let labelled: Vec<usize> = (0..m.len())
        .filter(|&i| m.tracks[i].label.is_some())
        .collect();
    let z: Vec<Vec<f32>> = labelled.iter().map(|&i| m.space.z[i].clone()).collect();
    let truth: Vec<usize> = labelled
        .iter()
        .map(|&i| usize::from(m.tracks[i].label.as_deref() == Some("b")))
        .collect();
    let acc = eval::knn_loo_accuracy(&z, &truth, 5, Distance::Cosine);
    assert!(close(value(&v["classification"]["accuracy"]), acc));
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("5 of 21")));
}

#[test]
fn write_errors_name_the_file() {
    let idx = index(tracks(&[Some("a"), Some("b")], 4));
    let m = model(&idx);
    let tmp = tempfile::tempdir().unwrap();
    // The output "folder" is a file.
    let file = tmp.path().join("taken");
    std::fs::write(&file, "x").unwrap();
    let e = report::write(
        &m,
        &Context::default(),
        &Options::default(),
        &file.join("sub"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("cannot create the report folder") && e.contains("taken"),
        "{e}"
    );
    // metrics.json cannot be replaced (a folder is in its way).
    let dir = tmp.path().join("out");
    std::fs::create_dir_all(dir.join("metrics.json/x")).unwrap();
    let e = report::write(&m, &Context::default(), &Options::default(), &dir)
        .unwrap_err()
        .to_string();
    assert!(e.contains("metrics.json"), "{e}");
}

#[test]
fn cli_report_writes_results_in_the_current_folder() {
    use cli_support::{wav, Env};
    let env = Env::new();
    let lib = env.path("lib");
    for i in 0..4 {
        wav(
            &lib.join(format!("low/low{i}.wav")),
            150.0 + 40.0 * i as f32,
            2.0,
        );
        wav(
            &lib.join(format!("high/high{i}.wav")),
            3000.0 + 400.0 * i as f32,
            2.0,
        );
        wav(
            &lib.join(format!("noise/noise{i}.wav")),
            0.0,
            1.5 + i as f32 * 0.5,
        );
    }
    let lib_s = lib.to_str().unwrap();
    let r = env.run(&["report", "--library", lib_s]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("report written to results"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("5-NN genre accuracy"), "{}", r.stdout);
    for f in [
        "confusion_matrix.png",
        "tsne_map.png",
        "clusters.png",
        "metrics.json",
        "report.md",
    ] {
        assert!(env.cwd.join("results").join(f).exists(), "{f}");
    }
    let v = metrics(&env.cwd.join("results"));
    assert_eq!(v["tracks"]["analysed"], 12);
    assert_eq!(v["genres"], serde_json::json!(["high", "low", "noise"]));
    let (w, h, _) = decode(&env.cwd.join("results/confusion_matrix.png"));
    assert!(w >= 600 && h >= 300);

    let out = env.path("elsewhere/deep");
    let r = env.run(&["report", "--library", lib_s, "-o", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.join("report.md").exists());

    let blocker = env.path("blocker");
    std::fs::write(&blocker, "x").unwrap();
    let r = env.run(&[
        "report",
        "--library",
        lib_s,
        "-o",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("cannot create the report folder") && r.stderr.contains("blocker"),
        "{}",
        r.stderr
    );
}

/// The learned-metric section: genre lies on one feature, each artist
/// (one folder each) sits at an offset on the five others that it shares
/// with an artist of the other genre. Across artists the profile's cosine
/// is misled by the offsets; the metric learned from the labels weighs
/// them down and finds the genre.
#[test]
fn learned_metric_is_scored_across_artists() {
    let mut seed = 11u64;
    let mut entries = Vec::new();
    // Artists 2m (ambient) and 2m + 1 (rock) share an offset, so each
    // one's nearest other artist is of the other genre.
    let offsets: Vec<Vec<f32>> = (0..6)
        .map(|_| (0..DIMS).map(|_| 6.0 * noise(&mut seed)).collect())
        .collect();
    for artist in 0..12 {
        let genre = artist % 2;
        let offset = &offsets[artist / 2];
        // Five labelled tracks, then one unlabelled.
        for t in 0..6 {
            let values = (0..DIMS)
                .map(|d| match d {
                    0 => genre as f32 - 0.5 + 0.3 * noise(&mut seed),
                    _ => offset[d] + 0.3 * noise(&mut seed),
                })
                .collect();
            let label = ["ambient", "rock"][genre];
            entries.push(entry(
                &format!("/lib/artist {artist}/{t}.wav"),
                (t < 5).then_some(label),
                values,
            ));
        }
    }
    let m = model(&index(entries));
    let r = report::compute(&m, &Context::default(), &Options::default());
    let l = r.learned_metric.as_ref().expect("scored");
    assert_eq!(
        (l.evaluated, l.groups, l.folds, l.by_folder),
        (60, 12, 10, 60)
    );
    let (plain, learned) = (
        l.plain_accuracy.value.unwrap(),
        l.learned_accuracy.value.unwrap(),
    );
    assert_eq!(l.plain_accuracy.chance, Some(0.5));
    assert!(learned >= 0.95, "learned {learned}");
    assert!(
        plain > 0.3 && plain <= learned - 0.2,
        "plain {plain}, learned {learned}"
    );
    let md = report::markdown::render(&r);
    assert!(md.contains("## Learned metric (artist-disjoint)"), "{md}");

    // `export --metric learned`: every track predicted, the labelled ones
    // cross-fitted across artists, the unlabelled by the full fit.
    let predicted = report::learned::predict(&m).unwrap();
    let (mut right, mut unlabelled_right) = (0, 0);
    for (t, p) in m.tracks.iter().zip(&predicted) {
        let path = t.path_text();
        let artist: usize = path
            .split("artist ")
            .nth(1)
            .and_then(|a| a.split('/').next())
            .and_then(|a| a.parse().ok())
            .expect("an artist folder");
        let want = ["ambient", "rock"][artist % 2];
        let (genre, share) = p.as_ref().expect("every track predicted");
        assert!((0.0..=1.0).contains(share));
        if genre == want {
            right += 1;
            unlabelled_right += usize::from(t.label.is_none());
        }
    }
    assert!(right >= 68, "{right} of 72 right");
    assert!(
        unlabelled_right >= 11,
        "{unlabelled_right} of 12 unlabelled right"
    );

    // Folders named after the genre (the GTZAN layout) and no tags: no
    // artist to keep apart, so no score, and the reason says so.
    let r = report::compute(
        &model(&index(tracks(&[Some("a"), Some("b")], 10))),
        &Context::default(),
        &Options::default(),
    );
    assert!(r.learned_metric.is_none());
    let why = r.learned_metric_reason.unwrap();
    assert!(why.contains("artist, album or folder"), "{why}");
}
