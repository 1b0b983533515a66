//! The model and queries on libraries of every awkward shape: empty, one or
//! two tracks, identical tracks, no labels, k larger than the library, and
//! damaged or outdated model files.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use musim::app::model_file::build;
use musim::app::model_file::{ensure, model_path, Stale};
use musim::library::index::{Entry, Index, Outcome};
use musim::model::{KChoice, ModelError, ModelParams};
use musim::query::{query_point, text::render};

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

/// An index with 3-dimensional fingerprints.
fn index(entries: Vec<Entry>) -> Index {
    let mut idx = Index::empty(Path::new("/lib"));
    idx.header.feature_names = vec![
        "mfcc_mean[0]".into(),
        "chroma_stft_mean[0]".into(),
        "tempo".into(),
    ];
    idx.entries = entries;
    idx
}

/// Two labelled groups of `per` tracks, well apart.
fn two_groups(per: usize) -> Index {
    let mut e = Vec::new();
    for i in 0..per {
        let j = i as f32 * 0.01;
        e.push(entry(
            &format!("/lib/a/{i}.wav"),
            Some("a"),
            vec![1.0 + j, 5.0 - j, 120.0 + j],
        ));
        e.push(entry(
            &format!("/lib/b/{i}.wav"),
            Some("b"),
            vec![-1.0 - j, 2.0 + j, 90.0 - j],
        ));
    }
    index(e)
}

fn quick() -> ModelParams {
    ModelParams {
        tsne_iterations: 200,
        ..ModelParams::default()
    }
}

fn run(idx: &Index) -> Result<musim::model::Model, ModelError> {
    build(idx.clone(), &quick(), &|_| {}, &AtomicBool::new(false))
}

#[test]
fn empty_library_says_to_index_first() {
    let mut failed = index(vec![]);
    failed.entries.push(Entry {
        path: b"/lib/x.mp3".to_vec(),
        size: 1,
        mtime_ns: 1,
        label: None,
        tags: None,
        outcome: Outcome::Failed {
            kind: "not an audio file".into(),
            reason: "x".into(),
        },
    });
    for idx in [index(vec![]), failed] {
        let e = run(&idx).unwrap_err();
        assert!(matches!(e, ModelError::Empty));
        assert!(e.to_string().contains("index a library first"), "{e}");
    }
}

#[test]
fn one_two_and_three_track_libraries() {
    let one = run(&index(vec![entry(
        "/lib/a.wav",
        Some("rock"),
        vec![1.0, 2.0, 3.0],
    )]))
    .unwrap();
    assert_eq!(
        (one.len(), one.clusters.len(), one.map.clone()),
        (1, 1, vec![[0.0, 0.0]])
    );
    let r = query_point(&one, &one.space.row_point(0), Some(0), 10);
    assert!(r.similar.is_empty() && r.genre.is_none());
    assert!(render(&r).contains("similar: none"));
    let r = query_point(&one, &one.space.point(&[1.5, 2.5, 3.5]).unwrap(), None, 10);
    assert_eq!(r.similar.len(), 1);
    assert_eq!(r.genre.unwrap().genre, "rock");

    for n in [2, 3] {
        let e = (0..n)
            .map(|i| {
                entry(
                    &format!("/lib/{i}.wav"),
                    None,
                    vec![i as f32, (i * i) as f32, 1.0],
                )
            })
            .collect();
        let m = run(&index(e)).unwrap();
        assert_eq!(m.len(), n);
        assert!(m.map.iter().flatten().all(|v| v.is_finite()));
        assert!(m.graph.iter().all(|ns| ns.len() == n - 1));
        let r = query_point(&m, &m.space.row_point(0), Some(0), 10);
        assert_eq!(r.similar.len(), n - 1);
    }
}

#[test]
fn identical_tracks_fold_into_one_result() {
    let e = (0..20)
        .map(|i| {
            entry(
                &format!("/lib/{}/{i}.wav", if i % 2 == 0 { "x" } else { "y" }),
                Some(if i % 2 == 0 { "x" } else { "y" }),
                vec![1.0, 2.0, 3.0],
            )
        })
        .collect();
    let m = run(&index(e)).unwrap();
    assert_eq!(m.clusters.len(), 1, "one distinct track, one cluster");
    assert!(m.map.iter().all(|p| *p == [0.0, 0.0]));
    let r = query_point(&m, &m.space.row_point(0), Some(0), 5);
    assert_eq!(r.similar.len(), 1);
    assert_eq!(r.similar[0].copies.len(), 18);
    assert!(render(&r).contains("(+18 identical copies)"));
}

#[test]
fn unlabelled_library_chooses_k_by_silhouette() {
    let mut idx = two_groups(15);
    idx.entries.iter_mut().for_each(|e| e.label = None);
    let m = run(&idx).unwrap();
    assert!(!m.is_labelled());
    match &m.k_choice {
        KChoice::Silhouette(scores) => {
            assert_eq!(scores.first().map(|s| s.0), Some(2));
            let best = scores.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
            assert_eq!(best.0, 2, "{scores:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.clusters.len(), 2);
    assert!(m
        .clusters
        .iter()
        .all(|c| c.archetype.describe(3) == "unlabelled"));
    let r = query_point(&m, &m.space.row_point(0), Some(0), 5);
    assert!(r.genre.is_none());
    assert!(render(&r).contains("genre:   unknown"));
}

#[test]
fn labelled_library_gets_one_cluster_per_genre_and_representatives() {
    let m = run(&two_groups(10)).unwrap();
    assert_eq!(m.k_choice, KChoice::Genres);
    assert_eq!(m.clusters.len(), 2);
    for c in &m.clusters {
        assert_eq!(c.archetype.counts.len(), 1, "{:?}", c.archetype);
        assert_eq!(c.representatives().len(), 3);
        // Members are ordered by PageRank.
        let pr: Vec<f64> = c.members.iter().map(|&i| m.pagerank[i as usize]).collect();
        assert!(pr.windows(2).all(|w| w[0] >= w[1]));
    }
    let big_k = build(
        two_groups(3),
        &ModelParams {
            k: Some(50),
            ..quick()
        },
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(big_k.clusters.len() <= 6 && big_k.clusters.len() >= 2);
    assert_eq!(big_k.k_choice, KChoice::Given);
}

#[test]
fn cancelled_build_stops() {
    let e = build(two_groups(10), &quick(), &|_| {}, &AtomicBool::new(true)).unwrap_err();
    assert!(matches!(e, ModelError::Cancelled));
}

#[test]
fn stored_model_is_reused_rebuilt_when_stale_and_never_trusted_when_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let idx_path = tmp.path().join("lib.idx");
    let mp = model_path(&idx_path);
    assert_eq!(mp, tmp.path().join("lib.idx.model"));
    let idx = two_groups(6);
    let no = AtomicBool::new(false);
    let params = quick();
    let first = ensure(idx.clone(), &idx_path, Some(&params), &|_| {}, &no).unwrap();
    assert_eq!(first.rebuilt, Some(Stale::Missing));
    assert!(first.save_error.is_none() && mp.is_file());
    let again = ensure(idx.clone(), &idx_path, None, &|_| {}, &no).unwrap();
    assert_eq!(
        again.rebuilt, None,
        "parameters of the stored model are kept"
    );
    assert_eq!(again.model, first.model);
    // The parameters alone, read without decoding the tracks.
    assert_eq!(
        musim::app::model_file::read_params(&mp).unwrap(),
        first.model.params
    );

    // The library changed: rebuilt.
    let mut changed = idx.clone();
    changed.entries.pop();
    let r = ensure(changed.clone(), &idx_path, None, &|_| {}, &no).unwrap();
    assert_eq!(r.rebuilt, Some(Stale::Changed));
    assert_eq!(r.model.len(), 11);

    // Damaged files: rebuilt with the reason, never a crash.
    let good = std::fs::read(&mp).unwrap();
    let mut older = good.clone();
    older[8..12].copy_from_slice(&0u32.to_le_bytes());
    // A byte of the first section (the parameters) flipped; the last
    // byte (the end of the section table) flipped.
    let mut flipped = good.clone();
    flipped[16] ^= 0xff;
    let mut cut_table = good.clone();
    let last = cut_table.len() - 1;
    cut_table[last] ^= 0xff;
    for (bytes, why) in [
        (b"not a model at all".to_vec(), "is not a musim model"),
        (good[..good.len() / 2].to_vec(), "is corrupt (truncated"),
        (flipped, "is corrupt (section meta checksum mismatch)"),
        (cut_table, "is corrupt (truncated: no section table)"),
        (older, "was written by an older musim (format 0)"),
    ] {
        std::fs::write(&mp, &bytes).unwrap();
        match musim::app::model_file::read_params(&mp) {
            Err(Stale::Unusable(msg)) => assert!(msg.contains(why), "{msg}"),
            other => panic!("{other:?}"),
        }
        let r = ensure(changed.clone(), &idx_path, None, &|_| {}, &no).unwrap();
        match r.rebuilt {
            Some(Stale::Unusable(msg)) => {
                assert!(msg.contains(why) && msg.contains("lib.idx.model"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.model.len(), 11);
    }
}

#[cfg(unix)]
#[test]
fn what_is_not_a_model_file_at_the_model_path_is_an_error_and_left_alone() {
    use musim::app::model_file::{discard, EnsureError};
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    let idx_path = tmp.path().join("lib.idx");
    let mp = model_path(&idx_path);
    let idx = two_groups(4);
    let no = AtomicBool::new(false);

    // A directory.
    std::fs::create_dir(&mp).unwrap();
    let e = ensure(idx.clone(), &idx_path, Some(&quick()), &|_| {}, &no).unwrap_err();
    assert!(matches!(e, EnsureError::File(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "model path {} is a directory, not a model file; it was left untouched \
             (move it away and musim rebuilds the model there)",
            mp.display()
        )
    );
    discard(&idx_path).unwrap();
    assert!(mp.is_dir());
    std::fs::remove_dir(&mp).unwrap();

    // A FIFO: refused without opening it (a blocking open would hang).
    let ok = std::process::Command::new("mkfifo")
        .arg(&mp)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
    let (tx, rx) = std::sync::mpsc::channel();
    let (i, m) = (idx_path.clone(), mp.clone());
    std::thread::spawn(move || {
        let no = AtomicBool::new(false);
        let ensured = ensure(two_groups(4), &i, Some(&quick()), &|_| {}, &no).map(|_| ());
        let params = musim::app::model_file::read_params(&m).map(|_| ());
        let read = musim::app::model_file::read(&m).map(|_| ());
        let _ = tx.send((ensured.map_err(|e| e.to_string()), params, read));
    });
    let (ensured, params, read) = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading the model path blocked on a FIFO");
    assert!(
        ensured
            .unwrap_err()
            .contains("is a FIFO (named pipe), not a model file"),
        "FIFO"
    );
    assert!(matches!(params, Err(Stale::Unusable(m)) if m.contains("FIFO")));
    assert!(matches!(read, Err(Stale::Unusable(m)) if m.contains("FIFO")));
    discard(&idx_path).unwrap();
    assert!(std::fs::symlink_metadata(&mp)
        .unwrap()
        .file_type()
        .is_fifo());
    std::fs::remove_file(&mp).unwrap();

    // A regular model file is musim's: discarded for a forced rebuild.
    ensure(idx.clone(), &idx_path, Some(&quick()), &|_| {}, &no).unwrap();
    assert!(mp.is_file());
    discard(&idx_path).unwrap();
    assert!(!mp.exists());
    discard(&idx_path).unwrap();
}
