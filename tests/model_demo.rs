//! What a user sees on the demo library, end to end on real files: index a
//! deterministic subset (every style, 8 tracks of 15 s), build the model,
//! and check clusters, neighbours and queries against the styles.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use musim::app::model_file::build;
use musim::app::progress::Silent;
use musim::demo::{self, DemoSpec, Style};
use musim::eval::{nmi, precision_at_k_loo, Distance};
use musim::features::fingerprint::SEED_DIMS;
use musim::library::fs::RealFs;
use musim::library::indexer::{self, real_analysis, Job};
use musim::model::ModelParams;
use musim::query::query_file;
use musim::report::compare::{compare, ProfileScores};
use musim::similarity::Profile;

fn write_wav(path: &Path, y: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &v in y {
        w.write_sample((v * 32767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn demo_styles_cluster_neighbour_and_query_as_styles() {
    let spec = DemoSpec {
        styles: Style::ALL.to_vec(),
        tracks: 8,
        seconds: Some(15.0),
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    demo::write_library(&root, &spec, &|_, _| {}).unwrap();
    let root = std::fs::canonicalize(&root).unwrap();
    let index_path = tmp.path().join("demo.idx");
    let cancel = AtomicBool::new(false);
    let report = indexer::run(&Job {
        root: &root,
        index_path: &index_path,
        fs: &RealFs,
        analyze: real_analysis(),
        progress: &Silent,
        cancel: &cancel,
        windows: Default::default(),
        labels: Default::default(),
        prune: false,
        shard: None,
    })
    .unwrap();
    let index = report.index;
    assert_eq!(index.analysed(), 80);

    let model = build(index.clone(), &ModelParams::default(), &|_| {}, &cancel).unwrap();
    let names: Vec<&str> = Style::ALL.iter().map(|s| s.name()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(model.genres, sorted, "every style is a genre");

    let truth: Vec<usize> = model
        .tracks
        .iter()
        .map(|t| {
            model
                .genres
                .iter()
                .position(|g| Some(g) == t.label.as_ref())
                .unwrap()
        })
        .collect();
    let clusters: Vec<usize> = model.assignment.iter().map(|&c| c as usize).collect();
    let score = nmi(&truth, &clusters);
    // The original design's unscaled cosine on the librosa fingerprint.
    let raw: Vec<Vec<f32>> = index
        .entries
        .iter()
        .filter_map(|e| e.values().map(|v| v[..SEED_DIMS].to_vec()))
        .collect();
    let p5_raw = precision_at_k_loo(&raw, &truth, 5, Distance::Cosine).micro;
    let scores = compare(&index, &[Profile::Musim, Profile::Seed]).unwrap();
    let (musim, seed) = (&scores[0], &scores[1]);
    let p5 = |s: &ProfileScores| s.precision_at_5.unwrap();
    let acc = musim.knn_accuracy.unwrap();
    eprintln!(
        "K-Means NMI {score:.3}; P@5 musim {:.3} (5-NN {acc:.3}, hubness {:.2}), seed z-scored cosine {:.3} (hubness {:.2}), unscaled cosine {p5_raw:.3}",
        p5(musim),
        musim.hubness,
        p5(seed),
        seed.hubness
    );
    assert_eq!(model.clusters.len(), 10);
    assert!(score >= 0.6, "NMI {score}");
    assert!(acc >= 0.85, "5-NN accuracy {acc}");
    assert!(
        p5(seed) > p5_raw,
        "z-scored P@5 {} must beat unscaled {p5_raw}",
        p5(seed)
    );
    assert!(
        p5(musim) >= p5(seed),
        "musim P@5 {} must not trail seed {}",
        p5(musim),
        p5(seed)
    );

    // Same library, same model: clusters, map, graph — bit for bit.
    let again = build(index.clone(), &ModelParams::default(), &|_| {}, &cancel).unwrap();
    assert_eq!(again, model);

    // A freshly generated track of each style (a number the library does
    // not have) is predicted as that style.
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    let mut wrong = Vec::new();
    for style in Style::ALL {
        let (y, _) = demo::render_track(style, 40, Some(15.0));
        let path = fresh.join(format!("{}.wav", style.name()));
        write_wav(&path, &y);
        let r = query_file(&model, &path, 10).unwrap();
        assert_eq!(r.library_track, None);
        assert_eq!(r.similar.len(), 10);
        let g = r.genre.unwrap();
        if g.genre != style.name() {
            wrong.push(format!(
                "{} → {} ({:.0}%)",
                style.name(),
                g.genre,
                g.confidence * 100.0
            ));
        }
        // The map position lies among its neighbours' positions.
        let xs: Vec<f32> = r
            .similar
            .iter()
            .map(|s| model.map[s.track as usize][0])
            .collect();
        let (lo, hi) = xs
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(r.map[0] >= lo - 1e-3 && r.map[0] <= hi + 1e-3);
    }
    assert!(wrong.is_empty(), "wrong genre for fresh tracks: {wrong:?}");

    // A library track is not its own neighbour and keeps its own map spot.
    let first = musim::store::paths::from_bytes(&model.tracks[0].path);
    let r = query_file(&model, &first, 5).unwrap();
    assert_eq!(r.library_track, Some(0));
    assert!(r.similar.iter().all(|s| s.track != 0));
    assert_eq!(r.map, model.map[0]);
}
