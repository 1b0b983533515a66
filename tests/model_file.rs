//! The model file (format 9): read back equal to what was built, its
//! parameters read alone, current without reading the index while the
//! index file is unchanged, a large model's library-track queries
//! answered from its stored graph, and from the file in place (`fused`'s
//! projected unit embeddings too).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use musim::app::model_file::{
    current, ensure_stamped, model_path, read, read_params, Choice, IndexStamp, ModelFile, Stale,
};
use musim::library::index::{Entry, Index, Outcome};
use musim::model::ModelParams;
use musim::query::{query_file, query_library_track, query_point, query_row, QueryError};
use musim::similarity::Profile;

/// `n` tracks in 4 labelled groups, 3-value fingerprints with a spread
/// that makes every track distinct.
fn library(root: &Path, n: usize) -> Index {
    let mut idx = Index::empty(root);
    idx.header.feature_names = vec![
        "mfcc_mean[0]".into(),
        "chroma_stft_mean[0]".into(),
        "tempo".into(),
    ];
    for i in 0..n {
        let g = (i % 4) as f32;
        let j = (i as f32 * 0.618).fract();
        let k = (i as f32 * 0.377).fract();
        idx.entries.push(Entry {
            path: root
                .join(format!("{i}.wav"))
                .into_os_string()
                .into_encoded_bytes(),
            size: 1,
            mtime_ns: i as i64,
            label: Some(format!("g{g}")),
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: vec![g * 3.0 + j, 5.0 - g + k, 100.0 + 10.0 * g + j * k],
            },
        });
    }
    idx
}

fn quick(profile: Profile) -> ModelParams {
    ModelParams {
        similarity: profile,
        tsne_iterations: 250,
        ..ModelParams::default()
    }
}

#[test]
fn a_model_reads_back_equal_and_is_current_while_its_index_file_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let idx_path = tmp.path().join("lib.idx");
    let idx = library(tmp.path(), 40);
    idx.save(&idx_path).unwrap();
    let no = AtomicBool::new(false);
    let params = quick(Profile::Musim);
    let choice = Choice {
        params: Some(&params),
        similarity: None,
    };
    assert!(current(&idx_path, choice).is_none(), "no model yet");
    let stamp = IndexStamp::of(&idx_path);
    assert!(stamp.is_some());
    let built = ensure_stamped(idx.clone(), stamp, &idx_path, choice, &|_| {}, &no).unwrap();
    assert_eq!(built.rebuilt, Some(Stale::Missing));
    let mp = model_path(&idx_path);
    // Every part reads back as built, bit for bit.
    assert_eq!(read(&mp).unwrap(), built.model);
    assert_eq!(read_params(&mp).unwrap(), params);
    let file = ModelFile::open(&mp).unwrap().unwrap();
    assert_eq!(file.stamp(), stamp);
    let (size, sections) = file.sizes();
    assert_eq!(size as u64, std::fs::metadata(&mp).unwrap().len());
    assert!(sections.iter().any(|(n, len)| n == "z" && *len == 40 * 3));

    // Current without the index: the same model; a stored model's own
    // parameters (`None`) and the profile named explicitly agree too.
    assert_eq!(current(&idx_path, choice).unwrap(), built.model);
    let stored = Choice::default();
    assert_eq!(current(&idx_path, stored).unwrap(), built.model);
    let musim = Choice {
        params: None,
        similarity: Some(Profile::Musim),
    };
    assert!(current(&idx_path, musim).is_some());
    // Other parameters or another profile: not current.
    let other = ModelParams {
        k: Some(3),
        ..params
    };
    let with_other = Choice {
        params: Some(&other),
        similarity: None,
    };
    assert!(current(&idx_path, with_other).is_none());
    let seed = Choice {
        params: None,
        similarity: Some(Profile::Seed),
    };
    assert!(current(&idx_path, seed).is_none());

    // The index file rewritten with the same content: not current by its
    // stamp, current by its content, and stamped anew.
    idx.save(&idx_path).unwrap();
    let stamp2 = IndexStamp::of(&idx_path);
    assert_ne!(stamp2, stamp, "a rewrite is a new file");
    assert!(current(&idx_path, choice).is_none());
    let again = ensure_stamped(idx.clone(), stamp2, &idx_path, choice, &|_| {}, &no).unwrap();
    assert_eq!(again.rebuilt, None);
    assert!(again.save_error.is_none());
    assert_eq!(again.model, built.model);
    assert_eq!(current(&idx_path, choice).unwrap(), built.model);

    // A changed library: not current, rebuilt.
    let mut changed = idx.clone();
    changed.entries.pop();
    changed.save(&idx_path).unwrap();
    assert!(current(&idx_path, choice).is_none());
    let stamp3 = IndexStamp::of(&idx_path);
    let r = ensure_stamped(changed, stamp3, &idx_path, choice, &|_| {}, &no).unwrap();
    assert_eq!(r.rebuilt, Some(Stale::Changed));
    assert_eq!(current(&idx_path, choice).unwrap().len(), 39);
}

#[test]
fn a_model_of_an_older_format_is_rebuilt_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let idx_path = tmp.path().join("lib.idx");
    let idx = library(tmp.path(), 12);
    let mp = model_path(&idx_path);
    // Format 4's frame (magic, version, payload length, checksum,
    // payload), format 7's and 8's headers (sections; `fused`'s embeddings
    // unprojected at f32, z at f16) begin alike: magic, then version.
    for version in [4u32, 7, 8] {
        let mut old = b"MUSIMMDL".to_vec();
        old.extend_from_slice(&version.to_le_bytes());
        old.extend_from_slice(&[0u8; 16]);
        std::fs::write(&mp, &old).unwrap();
        let says = format!("was written by an older musim (format {version})");
        match read_params(&mp) {
            Err(Stale::Unusable(m)) => assert!(m.contains(&says), "{m}"),
            other => panic!("{other:?}"),
        }
        let no = AtomicBool::new(false);
        let params = quick(Profile::Seed);
        let choice = Choice {
            params: Some(&params),
            similarity: None,
        };
        let r = ensure_stamped(idx.clone(), None, &idx_path, choice, &|_| {}, &no).unwrap();
        assert!(matches!(&r.rebuilt, Some(Stale::Unusable(m)) if m.contains(&says)));
        assert_eq!(read(&mp).unwrap(), r.model);
    }
}

#[test]
fn a_large_models_library_track_is_answered_from_its_graph() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = library(tmp.path(), 300);
    for (profile, exact_below) in [
        (Profile::Musim, 100),
        (Profile::Seed, 100),
        (Profile::Musim, 5000),
    ] {
        let params = ModelParams {
            exact_below,
            ..quick(profile)
        };
        let no = AtomicBool::new(false);
        // The model as built, not as stored: its graph and its scans
        // compare the same space (stored, z is kept in 8 bits, and of these
        // 3-value rows near ties could trade places).
        let input = musim::app::model_file::input(idx.clone(), &params).unwrap();
        let m = musim::model::build(input, &params, &|_| {}, &no).unwrap();
        for i in [0usize, 7, 150, 299] {
            let by_row = query_row(&m, i, 5);
            let by_scan = query_point(&m, &m.space.row_point(i), Some(i), 5);
            let got: Vec<u32> = by_row.similar.iter().map(|s| s.track).collect();
            if exact_below > m.len() {
                // Small models compare every track, as before.
                assert_eq!(by_row, by_scan, "{profile} row {i}");
                continue;
            }
            // The graph's first five, in its order, with its similarities.
            let graph: Vec<u32> = m.graph[i].iter().take(5).map(|n| n.index).collect();
            assert_eq!(got, graph, "{profile} row {i}");
            for (s, n) in by_row.similar.iter().zip(&m.graph[i]) {
                assert_eq!(s.similarity, n.similarity);
            }
            // The rest of the answer is the row's own, as a scan gives it.
            assert_eq!(by_row.cluster, by_scan.cluster);
            assert_eq!(by_row.map, by_scan.map);
            assert_eq!(by_row.library_track, Some(i as u32));
            // NN-descent on 300 tracks finds the exact neighbours here.
            let scan: Vec<u32> = by_scan.similar.iter().map(|s| s.track).collect();
            assert_eq!(got, scan, "{profile} row {i}");
        }
        // More neighbours than the graph holds: every track is compared.
        let wide = query_row(&m, 3, 30);
        assert_eq!(wide, query_point(&m, &m.space.row_point(3), Some(3), 30));
    }
}

#[test]
fn a_library_track_is_answered_from_the_file_in_place_and_damage_is_told() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let idx_path = root.join("lib.idx");
    let idx = library(&root, 300);
    let fused_path = root.join("fused.idx");
    let fused = embedded(idx.clone());
    fused.save(&fused_path).unwrap();
    // The tracks queried exist as the index recorded them (size, mtime).
    let rows = [0usize, 7, 150, 299];
    for &i in &rows {
        let f = std::fs::File::create(root.join(format!("{i}.wav"))).unwrap();
        f.set_len(1).unwrap();
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(i as u64);
        f.set_modified(t).unwrap();
    }
    idx.save(&idx_path).unwrap();
    let params = ModelParams {
        exact_below: 100,
        ..quick(Profile::Musim)
    };
    let choice = Choice {
        params: Some(&params),
        similarity: None,
    };
    let no = AtomicBool::new(false);
    let stamp = IndexStamp::of(&idx_path);
    let m = ensure_stamped(idx.clone(), stamp, &idx_path, choice, &|_| {}, &no)
        .unwrap()
        .model;
    let mp = model_path(&idx_path);
    let file = ModelFile::open(&mp).unwrap().unwrap();
    let fused_params = ModelParams {
        exact_below: 100,
        ..quick(Profile::Fused)
    };
    let fused_model = built(&fused, &fused_path, &fused_params);
    let fused_file = ModelFile::open(&model_path(&fused_path)).unwrap().unwrap();
    assert_eq!(read(&model_path(&fused_path)).unwrap(), fused_model);
    for &i in &rows {
        let path = root.join(format!("{i}.wav"));
        let in_place = query_library_track(&file, &path, 5).unwrap();
        assert_eq!(in_place, Some(query_file(&m, &path, 5).unwrap()), "row {i}");
        let in_place = query_library_track(&fused_file, &path, 5).unwrap();
        let loaded = query_file(&fused_model, &path, 5).unwrap();
        assert_eq!(in_place, Some(loaded), "fused row {i}");
    }
    // A track changed since it was indexed, a file not in the library and
    // more neighbours than the graph holds: not answered in place.
    let changed = root.join("7.wav");
    std::fs::write(&changed, b"longer now").unwrap();
    assert_eq!(query_library_track(&file, &changed, 5).unwrap(), None);
    let stranger = root.join("elsewhere.wav");
    std::fs::write(&stranger, b"x").unwrap();
    assert_eq!(query_library_track(&file, &stranger, 5).unwrap(), None);
    let wide = root.join("150.wav");
    assert_eq!(query_library_track(&file, &wide, 30).unwrap(), None);

    // One flipped bit in track 150's z row: its query says the model is
    // corrupt (no panic); loading the model says so too, and it is rebuilt.
    let z = file.section_range("z").unwrap();
    assert_eq!(z.end - z.start, 300 * 3, "3 values a row, a byte each");
    let mut bytes = std::fs::read(&mp).unwrap();
    bytes[z.start as usize + 150 * 3 + 1] ^= 0x04;
    std::fs::write(&mp, &bytes).unwrap();
    let file = ModelFile::open(&mp).unwrap().unwrap();
    match query_library_track(&file, &wide.with_file_name("150.wav"), 5) {
        Err(QueryError::Model(e)) => assert!(
            e.contains("is corrupt (section z checksum mismatch)"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(read(&mp), Err(Stale::Unusable(e)) if e.contains("checksum")));
    let r = ensure_stamped(idx, stamp, &idx_path, choice, &|_| {}, &no).unwrap();
    assert!(matches!(&r.rebuilt, Some(Stale::Unusable(e)) if e.contains("section z checksum")));
    assert_eq!(read(&mp).unwrap(), m);
}

/// `n` tracks in 4 labelled groups with 3 descriptor values and a timbre
/// Gaussian each (as the musim profile compares), every track distinct.
fn library_with_timbre(root: &Path, n: usize) -> Index {
    use musim::features::timbre::{tri_index, DIMS, STORED};
    let mut idx = library(root, n);
    let names = &mut idx.header.feature_names;
    names.push("timbre_mean[0]".into());
    names.extend((1..STORED).map(|i| format!("timbre[{i}]")));
    for (i, e) in idx.entries.iter_mut().enumerate() {
        let Outcome::Analysed { values, .. } = &mut e.outcome else {
            unreachable!()
        };
        let g = (i % 4) as f32;
        let mut t = vec![0.0f32; STORED];
        for d in 0..DIMS {
            let j = ((i * (d + 3)) as f32 * 0.291).fract();
            t[d] = g * 2.0 + j + d as f32 * 0.1;
            t[DIMS + tri_index(d, d)] = 1.0 + g * 0.5 + j;
        }
        values.extend(t);
    }
    idx
}

/// The model of `idx`, saved at `idx_path`, built and stored beside it.
fn built(idx: &Index, idx_path: &Path, params: &ModelParams) -> musim::model::Model {
    let choice = Choice {
        params: Some(params),
        similarity: None,
    };
    let no = AtomicBool::new(false);
    let stamp = IndexStamp::of(idx_path);
    ensure_stamped(idx.clone(), stamp, idx_path, choice, &|_| {}, &no)
        .unwrap()
        .model
}

/// A new track's fingerprint: near group `g`'s tracks, not one of them.
fn new_values(idx: &Index, q: usize) -> Vec<f32> {
    let Outcome::Analysed { values, .. } = &idx.entries[q].outcome else {
        unreachable!()
    };
    values
        .iter()
        .enumerate()
        .map(|(d, v)| v * (1.0 + 0.02 * ((q * 7 + d) % 5) as f32 - 0.04))
        .collect()
}

/// Length of the test embeddings: [`EMBEDDING_LIVE`] that vary, then
/// dead units (constant, as most of musicnn's are).
const EMBEDDING_LEN: usize = 60;
const EMBEDDING_LIVE: usize = 48;

/// Track `i`'s (or a new track's, `salt` ≠ 0) embedding: near its group's.
fn embedding(i: usize, salt: usize) -> Vec<f32> {
    let g = (i % 4) as f32;
    (0..EMBEDDING_LEN)
        .map(|d| {
            if d >= EMBEDDING_LIVE {
                return 0.25;
            }
            let j = (((i + salt) * (d + 5)) as f32 * 0.377).fract();
            (g - d as f32 % 4.0).abs() + 0.6 * j
        })
        .collect()
}

/// `idx` with an embedding (and tag scores) for every track.
fn embedded(mut idx: Index) -> Index {
    use musim::library::deep::{DeepRecord, DeepRow};
    let rows: Vec<DeepRow> = idx
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| DeepRow {
            path: e.path.clone(),
            size: e.size,
            mtime_ns: e.mtime_ns,
            record: DeepRecord::Embedded {
                embedding: embedding(i, 0),
                tags: vec![0.5; 50],
                patches: 1,
                repeat_padded: false,
            },
        })
        .collect();
    idx.deep.model = "musicnn".into();
    idx.deep.insert(rows);
    idx
}

#[test]
fn a_new_track_is_answered_from_the_file_in_place() {
    use musim::query::query_values_in;
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    // Below 1000 tracks the mutual-proximity sample holds every track and
    // every track is compared: the answer is the loaded model's, exactly.
    // Above, the graph search finds the loaded model's neighbours.
    for (n, profile) in [
        (300, Profile::Musim),
        (300, Profile::Seed),
        (300, Profile::Fused),
        (1600, Profile::Musim),
        (1600, Profile::Fused),
    ] {
        let idx_path = root.join(format!("lib{n}{profile}.idx"));
        let idx = library_with_timbre(&root, n);
        let fused = profile == Profile::Fused;
        let idx = if fused { embedded(idx) } else { idx };
        idx.save(&idx_path).unwrap();
        let params = ModelParams {
            exact_below: 100,
            ..quick(profile)
        };
        let m = built(&idx, &idx_path, &params);
        let file = ModelFile::open(&model_path(&idx_path)).unwrap().unwrap();
        if fused {
            // The unit embeddings: their 32 principal components (of 48
            // live dimensions), at half precision.
            let deep = file.section_range("deep").unwrap();
            assert_eq!(deep.end - deep.start, (n * 32 * 2) as u64);
            assert_eq!(m.space.deep_rows().unwrap().0[0].len(), 32);
        }
        let (mut found, mut wanted) = (0, 0);
        for q in (0..n).step_by(n / 20) {
            let v = new_values(&idx, q);
            let e = embedding(q, 7);
            let e = fused.then_some(&e[..]);
            let full = query_point(&m, &m.space.point_with(&v, e).unwrap(), None, 10);
            let in_place = query_values_in(&file, &v, e, None, 10).unwrap();
            // The model in memory read the same way answers the same.
            assert_eq!(query_values_in(&m, &v, e, None, 10).unwrap(), in_place);
            if n <= 1000 {
                assert_eq!(in_place, full, "{profile} {n} query {q}");
                continue;
            }
            // Same cluster, genre and similarities; the neighbours found.
            assert_eq!(in_place.cluster, full.cluster);
            assert_eq!(in_place.genre, full.genre);
            let want: Vec<(u32, f32)> = full
                .similar
                .iter()
                .map(|s| (s.track, s.similarity))
                .collect();
            for s in &in_place.similar {
                if let Some(w) = want.iter().find(|w| w.0 == s.track) {
                    assert_eq!(w.1, s.similarity);
                }
            }
            wanted += want.len();
            found += in_place
                .similar
                .iter()
                .filter(|s| want.iter().any(|w| w.0 == s.track))
                .count();
        }
        if n > 1000 {
            let recall = found as f64 / wanted as f64;
            assert!(recall >= 0.98, "recall@10 {recall}");
        }
    }
}
