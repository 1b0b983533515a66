//! The `deep` and `fused` similarity profiles from the command line: the
//! embedding pass (`index --deep`), its reuse and invalidation, models and
//! queries in those profiles (with tags), `report --compare`, and a broken
//! model file that leaves the other profiles working.

#![cfg(feature = "embeddings")]

mod cli_support;

use std::path::{Path, PathBuf};

use cli_support::{wav, Env, Run};
use musim::library::deep::DeepRecord;
use musim::library::index::Index;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
}

/// Three labelled kinds of 4 clips each: low sines, high sines, noise (two
/// of the noise clips are shorter than one 3-s patch).
fn library(env: &Env) -> PathBuf {
    let lib = env.path("lib");
    for i in 0..4 {
        let f = i as f32;
        wav(&lib.join(format!("low/low{i}.wav")), 110.0 + 30.0 * f, 4.0);
        wav(
            &lib.join(format!("high/high{i}.wav")),
            2500.0 + 500.0 * f,
            4.0,
        );
        wav(&lib.join(format!("noise/noise{i}.wav")), 0.0, 2.0 + f);
    }
    lib
}

fn embedded(index: &Path) -> usize {
    Index::load(index).unwrap().unwrap().deep.embedded()
}

#[test]
fn embeddings_are_computed_once_and_follow_the_files() {
    let env = Env::new();
    let lib = library(&env);
    let idx = env.path("lib.idx");
    let base = ["--library", s(&lib), "--index", s(&idx)];

    // In a profile without the embedding, nothing is embedded.
    ok(&env.run(&[&base[..], &["--similarity", "musim", "index"]].concat()));
    assert_eq!(embedded(&idx), 0);

    // With the default profile (fused), `index` embeds by itself.
    let r = env.run(&[&base[..], &["index"]].concat());
    ok(&r);
    assert!(
        r.stderr
            .contains("deep embeddings: 12 computed, 0 unchanged, 0 failed"),
        "{}",
        r.stderr
    );
    // noise0 (2 s) is shorter than one 3-s patch.
    assert!(r.stderr.contains("repeat-padded"), "{}", r.stderr);
    let index = Index::load(&idx).unwrap().unwrap();
    assert_eq!(index.deep.embedded(), 12);
    for e in &index.entries {
        match index.deep.get(e) {
            Some(DeepRecord::Embedded {
                embedding, tags, ..
            }) => {
                assert_eq!(embedding.len(), 1506);
                assert_eq!(tags.len(), 50);
                assert!(embedding.iter().chain(tags).all(|v| v.is_finite()));
            }
            other => panic!("{}: {other:?}", e.show_path()),
        }
    }

    // A second run reuses everything.
    let r = env.run(&[&base[..], &["index", "--deep"]].concat());
    ok(&r);
    assert!(!r.stderr.contains("computed"), "{}", r.stderr);

    // A changed file loses its embedding and gets a new one.
    wav(&lib.join("low/low0.wav"), 180.0, 5.0);
    ok(&env.run(&[&base[..], &["--similarity", "seed", "index"]].concat()));
    assert_eq!(embedded(&idx), 11);
    let r = env.run(&[&base[..], &["index", "--deep"]].concat());
    ok(&r);
    assert!(
        r.stderr
            .contains("deep embeddings: 1 computed, 11 unchanged"),
        "{}",
        r.stderr
    );
}

/// `fused` (the default) on an index in which no track has an embedding
/// is built as `musim`, and the model's description says so in one line.
#[test]
fn fused_without_any_embedding_is_musim_and_says_so() {
    use musim::app::model_file::build;
    use musim::model::ModelParams;
    use musim::similarity::Profile;
    let env = Env::new();
    let lib = library(&env);
    let idx = env.path("lib.idx");
    ok(&env.run(&[
        "--library",
        s(&lib),
        "--index",
        s(&idx),
        "--similarity",
        "musim",
        "index",
    ]));
    assert_eq!(embedded(&idx), 0);
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let model = |similarity| {
        let index = Index::load(&idx).unwrap().unwrap();
        let params = ModelParams {
            similarity,
            tsne_iterations: 100,
            ..ModelParams::default()
        };
        build(index, &params, &|_| {}, &cancel).unwrap()
    };
    let fused = model(Profile::default());
    assert_eq!(Profile::default(), Profile::Fused);
    assert!(fused.fell_back());
    assert_eq!(fused.profile(), Profile::Musim);
    let musim = model(Profile::Musim);
    assert!(!musim.fell_back());
    assert_eq!(fused.len(), 12);
    assert_eq!(fused.graph, musim.graph);
    let text = musim::model::describe::describe(&fused);
    let notes: Vec<&str> = text.lines().filter(|l| l.contains("note:")).collect();
    assert_eq!(notes.len(), 1, "{text}");
    assert!(
        notes[0].contains("similarity fused needs deep embeddings")
            && notes[0].contains("musim-tui index --deep"),
        "{text}"
    );
    assert!(
        text.starts_with("model: 12 tracks,")
            && text.lines().next().unwrap().contains("similarity musim"),
        "{text}"
    );
    // The deep profile itself has nothing to fall back on.
    let index = Index::load(&idx).unwrap().unwrap();
    let deep = ModelParams {
        similarity: Profile::Deep,
        ..ModelParams::default()
    };
    assert!(build(index, &deep, &|_| {}, &cancel).is_err());
}

#[test]
fn deep_and_fused_models_queries_and_comparison() {
    let env = Env::new();
    let lib = library(&env);
    let idx = env.path("lib.idx");
    let base = ["--library", s(&lib), "--index", s(&idx)];

    // Training in a deep profile embeds first, by itself.
    let r = env.run(&[&base[..], &["--similarity", "deep", "train"]].concat());
    ok(&r);
    assert!(
        r.stderr.contains("deep embeddings: 12 computed"),
        "{}",
        r.stderr
    );

    // A query of a new file in the fused profile: neighbours and tags.
    let q = env.path("q.wav");
    wav(&q, 3100.0, 4.0);
    let r = env.run(
        &[
            &base[..],
            &["--similarity", "fused", "query", s(&q), "-k", "3"],
        ]
        .concat(),
    );
    ok(&r);
    assert!(r.stdout.contains("tags (musicnn, MSD): "), "{}", r.stdout);
    let similar: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("1. ") || l.trim_start().starts_with("2. "))
        .collect();
    assert!(
        similar.iter().all(|l| l.contains("high")),
        "a 3.1 kHz sine should sit with the high sines: {}",
        r.stdout
    );

    // JSON carries the tags too, strongest first.
    let r = env.run(
        &[
            &base[..],
            &["--similarity", "deep", "query", s(&q), "--json"],
        ]
        .concat(),
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let tags = v["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 5);
    let scores: Vec<f64> = tags.iter().map(|t| t[1].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Shared tags: at most 3, each at least 0.05 and no more than the
    // query's own score for that tag.
    let shared = v["shared_tags"].as_array().unwrap();
    assert!(shared.len() <= 3, "{shared:?}");
    for t in shared {
        let (name, score) = (t[0].as_str().unwrap(), t[1].as_f64().unwrap());
        assert!(score >= 0.05, "{shared:?}");
        if let Some(own) = tags.iter().find(|o| o[0].as_str() == Some(name)) {
            assert!(
                score <= own[1].as_f64().unwrap() + 1e-6,
                "{shared:?} vs {tags:?}"
            );
        }
    }

    // All four profiles side by side, on the same tracks.
    let out = env.path("report");
    let r = env.run(
        &[
            &base[..],
            &[
                "--similarity",
                "musim",
                "report",
                "-o",
                s(&out),
                "--compare",
                "seed,deep,fused",
            ],
        ]
        .concat(),
    );
    ok(&r);
    for p in ["musim", "seed", "deep", "fused"] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("similarity {p} ")))
            .unwrap_or_else(|| panic!("no {p} row: {}", r.stdout));
        let p5: f64 = line
            .split("P@5 ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("{line}"));
        // Sines and noise are easy: every profile must find the kind.
        assert!(p5 >= 0.6, "{line}");
    }
}

#[test]
fn a_broken_model_is_named_and_the_other_profiles_keep_working() {
    let env = Env::new();
    let lib = library(&env);
    let idx = env.path("lib.idx");
    let base = ["--library", s(&lib), "--index", s(&idx)];
    let bad = env.path("broken.onnx");
    std::fs::write(&bad, b"this is not an ONNX model").unwrap();
    let r = env.run_env(
        &[&base[..], &["index", "--deep"]].concat(),
        &[("MUSIM_DEEP_MODEL", s(&bad))],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("broken.onnx"), "{}", r.stderr);
    assert!(
        r.stderr.contains("not a usable musicnn ONNX model"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("still work"), "{}", r.stderr);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("musim-tui: error: deep model ")),
        "{}",
        r.stderr
    );
    // The fast analysis was saved, and the musim profile works.
    assert_eq!(Index::load(&idx).unwrap().unwrap().analysed(), 12);
    let r = env.run_env(
        &[&base[..], &["--similarity", "musim", "train"]].concat(),
        &[("MUSIM_DEEP_MODEL", s(&bad))],
    );
    ok(&r);
    // A deep model asked for with the broken file: one clear line.
    let r = env.run_env(
        &[&base[..], &["--similarity", "deep", "train"]].concat(),
        &[("MUSIM_DEEP_MODEL", s(&bad))],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("broken.onnx"), "{}", r.stderr);
}

/// The explorer in a deep profile: it computes the embeddings in the
/// background, then shows the deep model (and saves it).
#[test]
fn explorer_embeds_in_the_background() {
    if !cli_support::tmux::available() {
        return;
    }
    let env = Env::new();
    let lib = env.path("lib");
    for i in 0..4 {
        let f = i as f32;
        wav(&lib.join(format!("low/low{i}.wav")), 150.0 + 40.0 * f, 4.0);
        wav(
            &lib.join(format!("high/high{i}.wav")),
            3000.0 + 400.0 * f,
            4.0,
        );
    }
    let idx = env.path("lib.idx");
    let shell = format!(
        "{} '{}' --library '{}' --index '{}' --similarity deep; echo EXITED:$?; sleep 60",
        env.shell_prefix(),
        cli_support::BIN,
        lib.display(),
        idx.display()
    );
    let t = cli_support::tmux::Tmux::start("deep", 100, 30, &shell);
    t.wait_for("clusters (2)", 180);
    // The deep model replaces the interim one once every track is embedded.
    let model = musim::app::model_file::model_path(&idx);
    let started = std::time::Instant::now();
    while !model.exists() {
        assert!(
            started.elapsed().as_secs() < 180,
            "no model saved; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    t.wait_for("clusters (2)", 60);
    t.keys(&["q"]);
    t.wait_for("EXITED:0", 20);
    assert_eq!(embedded(&idx), 8);
    let m = musim::app::model_file::read(&model).unwrap();
    assert_eq!(m.params.similarity, musim::similarity::Profile::Deep);
    assert_eq!(m.len(), 8);
}

/// A command that will need the embeddings makes them while indexing, from
/// the same decoding: the embedding pass then needs no file at all (shown
/// by deleting one before it runs), and gives what embedding the file
/// afresh gives.
/// The test library indexed by a session that embeds ahead: the library,
/// the index path, the session and the index run's report.
fn indexed_ahead(
    env: &Env,
) -> (
    PathBuf,
    PathBuf,
    musim::app::session::Session,
    musim::library::indexer::Report,
) {
    use musim::app::progress::Silent;
    let lib = library(env);
    let idx = env.path("lib.idx");
    let session = musim::app::session::Session::open(Some(&lib), Some(&idx)).unwrap();
    session.ahead.want();
    let report = session
        .index(&Silent, &std::sync::atomic::AtomicBool::new(false))
        .unwrap();
    (lib, idx, session, report)
}

#[test]
fn embeddings_made_while_indexing_are_used_by_the_embedding_pass() {
    use musim::app::progress::Silent;
    use std::sync::atomic::AtomicBool;
    let env = Env::new();
    let (lib, idx, session, report) = indexed_ahead(&env);
    let no = AtomicBool::new(false);
    assert_eq!(report.index.analysed(), 12);
    let kept = lib.join("high/high1.wav");
    let fresh = musim::deep::embed_file(
        &kept,
        &musim::analysis::Windows::default(),
        musim::deep::model::shared().unwrap(),
    )
    .unwrap();
    std::fs::remove_file(lib.join("low/low2.wav")).unwrap();
    let r = session.embed(&Silent, &no).unwrap();
    assert_eq!(r.embedded, 12, "{}", r.summary());
    assert!(r.failed.is_empty(), "{}", r.summary());
    let index = Index::load(&idx).unwrap().unwrap();
    let entry = index
        .entries
        .iter()
        .find(|e| e.path.ends_with(b"high/high1.wav"))
        .unwrap();
    match index.deep.get(entry) {
        Some(DeepRecord::Embedded { embedding, .. }) => assert_eq!(*embedding, fresh.embedding),
        other => panic!("{other:?}"),
    }
    // Handed out once: a second pass has nothing new to use or to do.
    assert!(session.ahead.take().is_empty());
}

/// `train` reads the index once: the embedding pass goes on from the index
/// run's index while the file is the one that run left, and hands it on to
/// the model when it embedded nothing new; a file replaced meanwhile is
/// read instead.
#[test]
fn the_embedding_pass_goes_on_from_the_index_run_s_index() {
    use musim::app::model_file::IndexStamp;
    use musim::app::progress::Silent;
    use std::sync::atomic::AtomicBool;
    let env = Env::new();
    let (_, idx, session, report) = indexed_ahead(&env);
    let no = AtomicBool::new(false);
    let stamp = IndexStamp::of(&idx).unwrap();
    let (r, handed) = session
        .embed_fresh(Some((report.index, stamp)), &Silent, &no)
        .unwrap();
    assert_eq!(r.embedded, 12, "{}", r.summary());
    // New rows were saved: the model step reads the file.
    assert!(handed.is_none());
    let saved = Index::load(&idx).unwrap().unwrap();
    assert_eq!(saved.deep.embedded(), 12);

    // Nothing new to embed: the index in hand is used, not the file (a
    // label only in memory shows which), and handed on.
    let mut in_hand = saved.clone();
    in_hand.entries[0].label = Some("only in memory".into());
    let stamp = IndexStamp::of(&idx).unwrap();
    let (r, handed) = session
        .embed_fresh(Some((in_hand.clone(), stamp)), &Silent, &no)
        .unwrap();
    assert_eq!((r.reused, r.embedded), (12, 0), "{}", r.summary());
    assert_eq!(handed.as_ref(), Some(&in_hand));
    assert_eq!(IndexStamp::of(&idx), Some(stamp), "nothing written");

    // The file was replaced since: it is read.
    saved.save(&idx).unwrap();
    let (_, handed) = session
        .embed_fresh(Some((in_hand, stamp)), &Silent, &no)
        .unwrap();
    assert_eq!(handed.as_ref(), Some(&saved));
}
