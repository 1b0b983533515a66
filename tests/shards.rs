//! `index --shard i/n` and `merge`: a small generated library analysed in
//! 2 and 3 shards (one of them from another mount point) merges into the
//! index a single run makes, usable by `index` and `query` as is; every
//! bad combination of shards is refused with a message naming it, and
//! nothing of the user's is overwritten.

mod cli_support;

use std::path::{Path, PathBuf};

use cli_support::{wav, Env};
use musim::library::index::{Entry, Index};

/// 12 one-second clips in 3 genre folders (GTZAN layout).
fn library(env: &Env) -> PathBuf {
    let lib = env.path("lib");
    for (g, base) in [("low", 150.0), ("mid", 800.0), ("high", 3000.0)] {
        for i in 0..4 {
            wav(
                &lib.join(format!("{g}/{g}{i}.wav")),
                base + 60.0 * i as f32,
                1.0,
            );
        }
    }
    lib
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn load(p: &Path) -> Index {
    Index::load(p).unwrap().unwrap()
}

/// Index shard `i/n` of `lib` into `dir/s{i}of{n}.idx`.
fn shard(env: &Env, lib: &Path, i: u32, n: u32, extra: &[&str]) -> PathBuf {
    let idx = env.path(&format!("s{i}of{n}.idx"));
    let spec = format!("{i}/{n}");
    let mut args = vec!["index", "--library", s(lib), "--index", s(&idx)];
    args.extend_from_slice(&["--shard", &spec]);
    args.extend_from_slice(extra);
    let r = env.run_ok(&args);
    assert!(
        r.stdout.contains(&format!("shard {i}/{n}: ")) && r.stdout.contains("of the library's 1"),
        "{r:?}"
    );
    idx
}

/// What a track is, whatever library root it was indexed under: its path
/// relative to the root, label, tags and fingerprint.
fn tracks(index: &Index) -> Vec<(PathBuf, Entry)> {
    let root = musim::store::paths::from_bytes(&index.header.root);
    index
        .entries
        .iter()
        .map(|e| {
            let p = musim::store::paths::from_bytes(&e.path);
            (p.strip_prefix(&root).unwrap().to_path_buf(), e.clone())
        })
        .collect()
}

#[test]
fn shards_merged_equal_the_full_index_and_work_like_it() {
    let env = Env::new();
    let lib = library(&env);
    let full = env.path("full.idx");
    // Shards hold no deep embeddings (`index --deep` runs on the merged
    // index), so the full index is made without them.
    env.run_ok(&[
        "--similarity",
        "musim",
        "index",
        "--library",
        s(&lib),
        "--index",
        s(&full),
    ]);
    let full_index = load(&full);
    assert_eq!(full_index.analysed(), 12);

    // Three shards on one machine: the merged file is the full index.
    let parts: Vec<PathBuf> = (1..=3).map(|i| shard(&env, &lib, i, 3, &[])).collect();
    let sizes: Vec<usize> = parts.iter().map(|p| load(p).entries.len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 12, "{sizes:?}");
    assert!(sizes.iter().all(|&n| n < 12), "{sizes:?}");
    let merged = env.path("merged.idx");
    let mut args = vec!["merge", "--index", s(&merged)];
    args.extend(parts.iter().map(|p| s(p)));
    let r = env.run_ok(&args);
    assert!(
        r.stdout
            .contains("merged 3 of 3 shards: 12 tracks (12 analysed)"),
        "{r:?}"
    );
    assert_eq!(load(&merged), full_index);

    // Used as is: indexing finds nothing to do, a query names the track.
    let r = env.run_ok(&["index", "--library", s(&lib), "--index", s(&merged)]);
    assert!(r.stdout.contains("0 analysed, 12 unchanged"), "{r:?}");
    let track = lib.join("mid/mid2.wav");
    let r = env.run_ok(&[
        "query",
        "--library",
        s(&lib),
        "--index",
        s(&merged),
        "--json",
        s(&track),
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["library_track"].is_u64(), "{r:?}");
    assert_eq!(v["track"]["name"], "mid2", "{r:?}");

    // Two shards, the second from a copy of the library mounted elsewhere
    // (same relative paths, same file times): merged under the original
    // root, every track has the full index's fingerprint, label and tags.
    let mount = env.path("elsewhere/music");
    std::fs::create_dir_all(mount.parent().unwrap()).unwrap();
    let cp = std::process::Command::new("cp")
        .args(["-rp", s(&lib), s(&mount)])
        .status()
        .unwrap();
    assert!(cp.success());
    let a = shard(&env, &lib, 1, 2, &[]);
    let b = shard(&env, &mount, 2, 2, &[]);
    let two = env.path("two.idx");
    env.run_ok(&[
        "merge",
        "--library",
        s(&lib),
        "--index",
        s(&two),
        s(&a),
        s(&b),
    ]);
    let merged = load(&two);
    assert_eq!(merged.header, full_index.header);
    assert_eq!(tracks(&merged), tracks(&full_index));
}

#[test]
fn bad_shards_and_outputs_are_refused_naming_them() {
    let env = Env::new();
    let lib = library(&env);
    let run = |args: &[&str]| env.run(args);
    let fail = |args: &[&str], want: &str| {
        let r = env.run(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains(want), "{args:?}: want {want:?}: {r:?}");
        r
    };

    // Bad --shard values: a usage error naming the flag.
    let x = env.path("x.idx");
    for (bad, why) in [
        ("0/3", "must be 1 to 3"),
        ("4/3", "must be 1 to 3"),
        ("1/0", "count must be 1"),
        ("two/3", "not a whole number"),
        ("2", "not of the form i/n"),
    ] {
        let r = run(&[
            "index",
            "--library",
            s(&lib),
            "--index",
            s(&x),
            "--shard",
            bad,
        ]);
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        assert!(
            r.stderr.contains("--shard") && r.stderr.contains(why),
            "{bad}: {r:?}"
        );
    }
    assert!(!x.exists());
    // A shard without its own index would turn the library's into a shard.
    fail(
        &["index", "--library", s(&lib), "--shard", "1/2"],
        "--shard needs --index FILE",
    );

    let s1 = shard(&env, &lib, 1, 3, &[]);
    let s2 = shard(&env, &lib, 2, 3, &[]);
    let s3 = shard(&env, &lib, 3, 3, &[]);
    let out = env.path("out.idx");
    let o = s(&out);

    // A missing shard: refused, unless --allow-partial.
    fail(
        &["merge", "--index", o, s(&s1), s(&s3)],
        "shard 2 of 3 is missing",
    );
    assert!(!out.exists());
    let r = env.run_ok(&["merge", "--index", o, "--allow-partial", s(&s1), s(&s3)]);
    assert!(r.stderr.contains("merged without shard 2 of 3"), "{r:?}");
    let partial = load(&out);
    assert_eq!(
        partial.entries.len(),
        load(&s1).entries.len() + load(&s3).entries.len()
    );

    // The output exists and is not a shard: kept unless --force, which
    // keeps a copy.
    let before = std::fs::read(&out).unwrap();
    fail(
        &["merge", "--index", o, s(&s1), s(&s2), s(&s3)],
        "already exists and is not one of the shards",
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    env.run_ok(&["merge", "--index", o, "--force", s(&s1), s(&s2), s(&s3)]);
    assert_eq!(load(&out).entries.len(), 12);
    assert_eq!(std::fs::read(env.path("out.idx.backup")).unwrap(), before);

    // The same shard twice; an index that is no shard.
    let y_path = env.path("y.idx");
    let y = s(&y_path);
    fail(
        &["merge", "--index", y, s(&s1), s(&s1), s(&s3)],
        "shard 1/3 is given twice",
    );
    fail(
        &["merge", "--index", y, s(&s1), s(&s2), o],
        "out.idx is not a shard index",
    );
    fail(
        &["merge", "--index", y, s(&s1), s(&env.path("none.idx"))],
        "none.idx does not exist",
    );

    // Shards of different splits, settings or libraries.
    let half = shard(&env, &lib, 2, 2, &[]);
    fail(
        &["merge", "--index", y, s(&s1), s(&half)],
        "differ in shard count: 3 vs 2",
    );
    let tagged = env.path("tagged.idx");
    env.run_ok(&[
        "index",
        "--library",
        s(&lib),
        "--index",
        s(&tagged),
        "--shard",
        "2/3",
        "--labels",
        "tag",
    ]);
    fail(
        &["merge", "--index", y, s(&s1), s(&tagged), s(&s3)],
        "differ in label source (--labels): auto vs tag",
    );
    let whole = env.path("whole.idx");
    env.run_ok(&[
        "index",
        "--library",
        s(&lib),
        "--index",
        s(&whole),
        "--shard",
        "2/3",
        "--whole",
    ]);
    fail(
        &["merge", "--index", y, s(&s1), s(&whole), s(&s3)],
        "differ in analysis",
    );
    wav(&lib.join("low/extra.wav"), 99.0, 1.0);
    let other = shard(&env, &lib, 2, 3, &[]);
    let r = fail(
        &["merge", "--index", y, s(&s1), s(&other), s(&s3)],
        "differ in library (audio files found): 12 vs 13",
    );
    assert!(r.stderr.contains("not parts of one analysis"), "{r:?}");
    std::fs::remove_file(lib.join("low/extra.wav")).unwrap();
    let other = shard(&env, &lib, 2, 3, &[]);

    // A track in a shard it does not belong to (an index edited by hand).
    let mut bad = load(&s1);
    let stray = load(&other).entries.remove(0);
    bad.entries.push(stray);
    let edited = env.path("edited.idx");
    bad.save(&edited).unwrap();
    fail(
        &["merge", "--index", y, s(&edited), s(&other), s(&s3)],
        "which belongs to shard 2/3, not 1/3",
    );
    assert!(!env.path("y.idx").exists());

    // The output may be one of the shards: it is kept as a copy first.
    let s1_bytes = std::fs::read(&s1).unwrap();
    env.run_ok(&["merge", "--index", s(&s1), s(&s1), s(&other), s(&s3)]);
    assert_eq!(load(&s1).entries.len(), 12);
    assert_eq!(
        std::fs::read(env.path("s1of3.idx.backup")).unwrap(),
        s1_bytes
    );
}
