//! End to end: `musim-tui` on generated WAV clips with the real analysis
//! (decoding + features). Each bad input is reported with its reason while
//! the rest of the library is still indexed.

mod cli_support;

use cli_support::{wav, Env};
use musim::features::fingerprint::{dims, feature_names};
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(r: &cli_support::Run) {
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn index_then_export_a_labelled_library() {
    let env = Env::new();
    let lib = env.path("lib");
    wav(&lib.join("blues/a440.wav"), 440.0, 2.0);
    wav(&lib.join("blues/b220.wav"), 220.0, 2.0);
    wav(&lib.join("rock/noise.wav"), 0.0, 2.0);
    std::fs::write(
        lib.join("rock/fake.mp3"),
        b"this is a text file, not an mp3\n",
    )
    .unwrap();
    let idx = env.path("lib.idx");
    let base = ["--library", s(&lib), "--index", s(&idx)];

    let r = env.run(&[&["index"], &base[..]].concat());
    ok(&r);
    assert!(
        r.stdout
            .contains("3 analysed, 0 unchanged, 0 removed, 1 failed"),
        "{r:?}"
    );
    assert!(r.stdout.contains("1 × not an audio file:"), "{r:?}");
    assert!(r.stdout.contains("fake.mp3: "), "{r:?}");

    let r = env.run(&[&["index"], &base[..]].concat());
    ok(&r);
    assert!(
        r.stdout
            .contains("0 analysed, 4 unchanged, 0 removed, 0 failed"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("1 files failed before and are unchanged"),
        "{r:?}"
    );
    assert!(r.stdout.contains("is up to date"), "{r:?}");

    let r = env.run(&base);
    ok(&r);
    assert!(
        r.stdout.contains("tracks:    3 analysed, 1 failed"),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("labels:    2: blues (2), rock (1)"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains(&format!("features:  {} dimensions", dims())),
        "{r:?}"
    );

    // CSV to a file.
    let out = env.path("features.csv");
    let r = env.run(&[&["export", "--format", "csv", "-o", s(&out)], &base[..]].concat());
    ok(&r);
    assert!(r.stdout.is_empty(), "{r:?}");
    let mut rd = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..11], musim::export::CSV_COLUMNS);
    assert_eq!(&header[11..], feature_names());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let labels: Vec<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(labels, ["blues", "blues", "rock"]);
    for row in &rows {
        let d: f64 = row[2].parse().unwrap();
        assert!((d - 2.0).abs() < 0.05, "duration {d}");
        for v in row.iter().skip(11) {
            assert!(v.parse::<f32>().unwrap().is_finite());
        }
    }

    // JSON to stdout.
    let r = env.run(&[&["export", "--format", "json"], &base[..]].concat());
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["feature_names"].as_array().unwrap().len(), dims());
    let tracks = v["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 3);
    assert_eq!(tracks[2]["label"], "rock");
    assert!(tracks[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("blues/a440.wav"));
    assert_eq!(tracks[0]["values"].as_array().unwrap().len(), dims());

    // Predicted genres from the learned metric (opt-in; what it predicts
    // is checked in tests/report.rs): accepted, the same tracks.
    let r = env.run(
        &[
            &["export", "--format", "json", "--metric", "learned"],
            &base[..],
        ]
        .concat(),
    );
    ok(&r);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["tracks"].as_array().unwrap().len(), 3);
    let r = env.run(
        &[
            &["export", "--format", "json", "--metric", "lda"],
            &base[..],
        ]
        .concat(),
    );
    assert_eq!(r.code, 2, "{r:?}");

    // Change one file, remove another: only the changed one is analysed.
    wav(&lib.join("blues/a440.wav"), 660.0, 2.5);
    std::fs::remove_file(lib.join("rock/noise.wav")).unwrap();
    let r = env.run(&[&["index"], &base[..]].concat());
    ok(&r);
    assert!(
        r.stdout
            .contains("1 analysed, 2 unchanged, 1 removed, 0 failed"),
        "{r:?}"
    );
}

#[test]
fn a_single_track_library() {
    let env = Env::new();
    let lib = env.path("one");
    wav(&lib.join("only.wav"), 330.0, 2.0);
    let r = env.run(&["index", "--library", s(&lib)]);
    ok(&r);
    assert!(
        r.stdout
            .contains("1 analysed, 0 unchanged, 0 removed, 0 failed"),
        "{r:?}"
    );
    let r = env.run(&["export", "--format", "csv", "--library", s(&lib)]);
    ok(&r);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{r:?}");
    assert!(lines[1].contains("only.wav,,2"), "unlabelled: {}", lines[1]);
}

#[test]
fn non_utf8_and_unicode_file_names() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    let lib = env.path("names");
    wav(&lib.join(OsStr::from_bytes(b"caf\xe9.wav")), 440.0, 2.0);
    wav(&lib.join("Sigur Rós – Hoppípolla 🎵.wav"), 550.0, 2.0);
    wav(&lib.join("plain.wav"), 0.0, 2.0);
    let r = env.run(&["index", "--library", s(&lib)]);
    ok(&r);
    assert!(
        r.stdout
            .contains("3 analysed, 0 unchanged, 0 removed, 0 failed"),
        "{r:?}"
    );
    let r = env.run(&["export", "--format", "csv", "--library", s(&lib)]);
    ok(&r);
    assert!(r.stdout.contains("caf\u{fffd}.wav"), "{r:?}");
    assert!(r.stdout.contains("Sigur Rós – Hoppípolla 🎵.wav"), "{r:?}");
    let r = env.run(&["index", "--library", s(&lib)]);
    assert!(r.stdout.contains("0 analysed, 3 unchanged"), "{r:?}");
    // A non-UTF-8 path is queried like any other (it is its own nearest
    // track, shown safely).
    let cafe = lib.join(OsStr::from_bytes(b"caf\xe9.wav"));
    let r = env.run_os(&[
        OsStr::new("query"),
        cafe.as_os_str(),
        OsStr::new("--library"),
        lib.as_os_str(),
    ]);
    ok(&r);
    assert!(r.stdout.contains("caf\u{fffd}.wav"), "{r:?}");
}

#[test]
fn duplicate_files_are_reported() {
    let env = Env::new();
    let lib = env.path("dups");
    wav(&lib.join("a.wav"), 440.0, 2.0);
    std::fs::copy(lib.join("a.wav"), lib.join("a copy.wav")).unwrap();
    wav(&lib.join("b.wav"), 0.0, 2.0);
    let r = env.run(&["index", "--library", s(&lib)]);
    ok(&r);
    assert!(r.stdout.contains("3 analysed"), "{r:?}");
    assert!(r.stdout.contains("2 files look identical: "), "{r:?}");
    assert!(
        r.stdout.contains("a copy.wav") && r.stdout.contains("a.wav"),
        "{r:?}"
    );
}

#[test]
fn unreadable_file_and_folder_are_reported_and_the_rest_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let lib = env.path("perm");
    wav(&lib.join("ok.wav"), 440.0, 2.0);
    wav(&lib.join("locked.wav"), 220.0, 2.0);
    wav(&lib.join("sub/hidden.wav"), 330.0, 2.0);
    let idx = env.path("perm.idx");
    std::fs::set_permissions(
        lib.join("locked.wav"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(lib.join("sub"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let args = [
        OsStr::new("index"),
        OsStr::new("--library"),
        lib.as_os_str(),
        OsStr::new("--index"),
        idx.as_os_str(),
    ];
    let r = env.run_unprivileged(&args);
    for p in [lib.join("locked.wav"), lib.join("sub")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ok(&r);
    assert!(
        r.stdout
            .contains("1 analysed, 0 unchanged, 0 removed, 1 failed"),
        "{r:?}"
    );
    assert!(r.stdout.contains("1 × cannot read file:"), "{r:?}");
    assert!(
        r.stdout
            .contains("locked.wav: cannot read file: Permission denied"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("sub: unreadable folder (Permission denied"),
        "{r:?}"
    );
}

#[test]
fn data_songs_is_the_fallback_library() {
    let env = Env::new();
    wav(&env.cwd.join("data/songs/jazz/x.wav"), 440.0, 2.0);
    let r = env.run(&[]);
    ok(&r);
    let root = std::fs::canonicalize(env.cwd.join("data/songs")).unwrap();
    assert!(
        r.stdout.contains(&format!("library:   {}", root.display())),
        "{r:?}"
    );
    assert!(r.stdout.contains("labels:    1: jazz (1)"), "{r:?}");
}

/// Two writers of one index never run at once: while another process
/// holds the index's writer lock, `index` says it is waiting, and goes on
/// (reading the index only then) once the lock is released.
#[test]
fn a_second_writer_waits_for_the_first() {
    use musim::store::lock::WriterLock;
    use std::io::{BufRead, BufReader, Read};
    use std::sync::atomic::AtomicBool;
    let env = Env::new();
    let lib = env.path("lib");
    wav(&lib.join("a.wav"), 440.0, 2.0);
    let idx = env.path("lib.idx");
    let never = AtomicBool::new(false);
    let held = WriterLock::acquire(&idx, &never, &|_| panic!("free")).unwrap();

    let mut child = env.spawn_piped(&["index", "--library", s(&lib), "--index", s(&idx)]);
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("index said nothing while the lock was held");
    assert!(
        line.contains("another musim-tui is writing index") && line.contains("lib.idx"),
        "{line}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "index ran under a held lock"
    );
    assert!(!idx.exists(), "the index was written under a held lock");

    drop(held);
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{status}: {out}");
    assert!(out.contains("1 analysed, 0 unchanged"), "{out}");
}

/// How many tracks [`long_library`] holds.
const FILES: usize = 40;

/// A library of [`FILES`] 20-s tracks: long enough to stop its indexing
/// partway.
fn long_library(env: &Env) -> std::path::PathBuf {
    let lib = env.path("lib");
    for i in 0..FILES {
        wav(&lib.join(format!("t{i:02}.wav")), 0.0, 20.0);
    }
    lib
}

/// Start `musim-tui args…` (an index run writing `idx`) with a checkpoint
/// after every file; return it, still running, with the first checkpoint
/// that holds an analysed track.
fn index_until_first_checkpoint(
    env: &Env,
    args: &[&str],
    idx: &Path,
) -> (std::process::Child, musim::library::index::Index) {
    use musim::library::index::Index;
    let mut child = env.spawn_env(args, &[("MUSIM_CHECKPOINT_SECONDS", "0")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    loop {
        if let Ok(Some(i)) = Index::load(idx) {
            if i.analysed() > 0 {
                return (child, i);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "index ended ({status}) before any checkpoint of {} was seen",
                idx.display()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint within 300 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// SIGTERM and SIGHUP stop an index run as Ctrl-C does: the files in
/// progress finish, what was analysed is saved, and the exit code is 128 +
/// the signal (143, 129).
#[test]
fn sigterm_and_sighup_save_the_index_and_exit_128_plus_signal() {
    use musim::library::index::Index;
    let env = Env::new();
    let lib = long_library(&env);
    for (name, sig, code) in [("TERM", "sigterm", 143), ("HUP", "sighup", 129)] {
        let idx = env.path(&format!("{sig}.idx"));
        let args = ["index", "--library", s(&lib), "--index", s(&idx)];
        // The signal comes partway through.
        let (mut child, _) = index_until_first_checkpoint(&env, &args, &idx);
        let sent = Command::new("kill")
            .args([format!("-{name}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{name}: {status}");
        let held = Index::load(&idx).unwrap().expect("index saved").analysed();
        assert!(
            held > 0 && held < FILES,
            "SIG{name} partway: {held} of {FILES} in the index"
        );
    }
}

/// A run killed (SIGKILL) partway keeps what it analysed: the indexer saves
/// checkpoints while it works ($MUSIM_CHECKPOINT_SECONDS=0: after every
/// file), and the next run finds those files unchanged and analyses only
/// the rest.
#[test]
fn a_killed_index_run_keeps_its_checkpoint() {
    use musim::library::index::Index;
    let env = Env::new();
    let lib = long_library(&env);
    let idx = env.path("lib.idx");
    let args = ["index", "--library", s(&lib), "--index", s(&idx)];

    let (mut child, kept) = index_until_first_checkpoint(&env, &args, &idx);
    child.kill().unwrap();
    child.wait().unwrap();
    // Killed partway: what the checkpoint holds, the index still holds (a
    // checkpoint written after the one read is fine too).
    let after = Index::load(&idx)
        .unwrap()
        .expect("the index survives the kill");
    let held = after.analysed();
    assert!(held >= kept.analysed(), "{held} < {}", kept.analysed());
    assert!(
        held < FILES,
        "the run was not killed partway ({held} of {FILES} analysed)"
    );
    eprintln!("killed with {held} of {FILES} files in the index");

    let r = env.run(&args);
    ok(&r);
    let expected = format!(
        "{} analysed, {held} unchanged, 0 removed, 0 failed",
        FILES - held
    );
    assert!(r.stdout.contains(&expected), "expected {expected:?}: {r:?}");
    let r = env.run(&args);
    ok(&r);
    assert!(
        r.stdout.contains(&format!(
            "0 analysed, {FILES} unchanged, 0 removed, 0 failed"
        )),
        "{r:?}"
    );
}
