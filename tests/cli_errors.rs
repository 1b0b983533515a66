//! CLI conventions and bad input that need no audio analysis: exit codes,
//! one-line errors, library choice, config file, index location and damage.

mod cli_support;

use cli_support::{default_indexes, Env};
use std::ffi::OsStr;

fn one_line_error(r: &cli_support::Run, expected: &str) {
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("musim-tui: error: "), "{r:?}");
    assert_eq!(r.stderr.lines().count(), 1, "one line: {r:?}");
    assert!(
        r.stderr.contains(expected),
        "expected {expected:?} in {r:?}"
    );
    assert!(!r.stderr.contains("backtrace"), "{r:?}");
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    assert_eq!(env.run(&["--bogus"]).code, 2);
    assert_eq!(env.run(&["export"]).code, 2, "missing --format");
    assert_eq!(env.run(&["export", "--format", "xml"]).code, 2);
    assert_eq!(env.run(&["--help"]).code, 0);
}

/// Counts are named for what they count (`train --clusters`, `query` and
/// `play` `-k/--neighbours`); 0 where it means nothing, absurd values and
/// non-numbers are usage errors naming the flag and the range.
#[test]
fn counts_out_of_range_are_usage_errors() {
    let env = Env::new();
    for (args, flag, range) in [
        (&["train", "--clusters", "0"][..], "--clusters", "2 to 1000"),
        (&["train", "--k", "1"][..], "--clusters", "2 to 1000"),
        (
            &["train", "--clusters", "5000"][..],
            "--clusters",
            "2 to 1000",
        ),
        (
            &["query", "x.wav", "-k", "0"][..],
            "--neighbours",
            "1 to 1000",
        ),
        (
            &["query", "x.wav", "--neighbours", "100000"][..],
            "--neighbours",
            "1 to 1000",
        ),
        (
            &["play", "x.wav", "-k", "101"][..],
            "--neighbours",
            "0 to 100",
        ),
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(flag) && r.stderr.contains(range),
            "{args:?}: {r:?}"
        );
    }
    let r = env.run(&["query", "x.wav", "-k", "ten"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("`ten` is not a whole number"), "{r:?}");
}

#[test]
fn every_subcommand_accepts_library_and_index() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("x.idx");
    let (l, i) = (lib.to_str().unwrap(), idx.to_str().unwrap());
    for args in [
        vec!["index", "--library", l, "--index", i],
        vec!["--library", l, "--index", i, "index"],
        vec!["export", "--format", "csv", "--library", l, "--index", i],
        vec!["--library", l, "--index", i],
    ] {
        let r = env.run(&args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
    }
}

#[test]
fn library_pointing_to_a_file_or_a_missing_folder() {
    let env = Env::new();
    let file = env.path("song.wav");
    std::fs::write(&file, b"x").unwrap();
    let r = env.run(&["index", "--library", file.to_str().unwrap()]);
    one_line_error(
        &r,
        &format!(
            "library {} is a file, not a folder (from --library)",
            file.display()
        ),
    );
    let missing = env.path("nope");
    let r = env.run(&["--library", missing.to_str().unwrap()]);
    one_line_error(
        &r,
        &format!(
            "library folder {} does not exist (from --library)",
            missing.display()
        ),
    );
}

#[test]
fn no_library_falls_back_to_the_demo_library() {
    // Nothing configured used to be an error; now musim generates and
    // uses its built-in demo library (shrunk here to keep the test fast).
    let env = Env::new();
    let r = env.run_env(
        &["index"],
        &[("MUSIM_DEMO_TRACKS", "1"), ("MUSIM_DEMO_SECONDS", "3")],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("no library configured: using the built-in demo library at"),
        "{r:?}"
    );
    assert!(r.stdout.contains("10 analysed"), "{r:?}");
}

#[test]
fn bad_config_file_names_the_file_and_line() {
    let env = Env::new();
    std::fs::create_dir_all(env.config.parent().unwrap()).unwrap();
    std::fs::write(&env.config, "# my musim config\nlibrary = ~/Music\n").unwrap();
    let r = env.run(&["index"]);
    one_line_error(
        &r,
        &format!("bad config file {}, line 2:", env.config.display()),
    );
}

#[test]
fn config_file_chooses_the_library() {
    let env = Env::new();
    let lib = env.path("from-config");
    std::fs::create_dir(&lib).unwrap();
    std::fs::create_dir_all(env.config.parent().unwrap()).unwrap();
    std::fs::write(
        &env.config,
        format!("library = {:?}\n", lib.to_str().unwrap()),
    )
    .unwrap();
    let r = env.run_ok(&[]);
    assert!(
        r.stdout.contains(&format!("library:   {}", lib.display())),
        "{r:?}"
    );
    std::fs::remove_dir(&lib).unwrap();
    let r = env.run(&[]);
    one_line_error(&r, "does not exist (from config file ");
}

#[test]
fn empty_library_indexes_zero_tracks_into_the_default_location() {
    let env = Env::new();
    let lib = env.path("My Music");
    std::fs::create_dir(&lib).unwrap();
    let r = env.run_ok(&["index", "--library", lib.to_str().unwrap()]);
    assert!(
        r.stdout
            .contains("0 analysed, 0 unchanged, 0 removed, 0 failed"),
        "{r:?}"
    );
    let idx = default_indexes(&env);
    assert_eq!(idx.len(), 1, "{idx:?}");
    let name = idx[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("My_Music-") && name.ends_with(".idx"),
        "{name}"
    );

    let r = env.run_ok(&["--library", lib.to_str().unwrap()]);
    for line in [
        "library:   ",
        "index:     ",
        "tracks:    0 analysed, 0 failed",
        "labels:    none",
        "features:  ",
    ] {
        assert!(r.stdout.contains(line), "{line:?} in {r:?}");
    }
}

#[test]
fn export_before_indexing_says_to_run_index_first() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let r = env.run(&[
        "export",
        "--format",
        "csv",
        "--library",
        lib.to_str().unwrap(),
    ]);
    one_line_error(&r, "has not been indexed yet");
    // The hint repeats the user's --library, ready to paste.
    assert!(
        r.stderr.contains(&format!(
            "run `musim-tui index --library {}` first",
            lib.display()
        )),
        "{r:?}"
    );
}

#[test]
fn export_of_a_corrupt_index_says_to_rebuild() {
    let env = Env::new();
    let idx = env.path("bad.idx");
    let mut bytes = b"MUSIMIDX".to_vec();
    bytes.extend_from_slice(&musim::library::index::FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(b"short");
    std::fs::write(&idx, bytes).unwrap();
    let r = env.run(&[
        "export",
        "--format",
        "json",
        "--index",
        idx.to_str().unwrap(),
    ]);
    one_line_error(
        &r,
        &format!(
            "index {} is corrupt (truncated header); run `musim-tui index --index {}` to rebuild it",
            idx.display(),
            idx.display()
        ),
    );
}

#[test]
fn corrupt_index_is_reported_moved_aside_and_rebuilt() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    std::fs::write(&idx, [0x13u8, 0x37, 0xff, 0x00, 0x42].repeat(40)).unwrap();
    let r = env.run_ok(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
    ]);
    assert!(
        r.stderr.contains(&format!(
            "index {} is not a musim index; rebuilding",
            idx.display()
        )),
        "{r:?}"
    );
    assert!(
        r.stdout.contains(&format!(
            "(the unusable old one was moved to {}.corrupt)",
            idx.display()
        )),
        "{r:?}"
    );
    assert!(env.path("lib.idx.corrupt").exists());
    env.run_ok(&[
        "export",
        "--format",
        "csv",
        "--index",
        idx.to_str().unwrap(),
    ]);
}

#[test]
fn index_in_a_missing_folder_or_under_a_file_is_a_clear_error() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let missing = env.path("no/such/dir/x.idx");
    let r = env.run(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        missing.to_str().unwrap(),
    ]);
    one_line_error(
        &r,
        &format!(
            "cannot write {}: folder {} does not exist",
            missing.display(),
            env.path("no/such/dir").display()
        ),
    );
    let file = env.path("plain");
    std::fs::write(&file, b"").unwrap();
    let under = file.join("x.idx");
    let r = env.run(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        under.to_str().unwrap(),
    ]);
    one_line_error(&r, "is not a folder");
}

#[test]
fn index_in_an_unwritable_folder_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let ro = env.path("readonly");
    std::fs::create_dir(&ro).unwrap();
    let idx = ro.join("x.idx");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let args = [
        OsStr::new("index"),
        OsStr::new("--library"),
        lib.as_os_str(),
        OsStr::new("--index"),
        idx.as_os_str(),
    ];
    let r = env.run_unprivileged(&args);
    one_line_error(
        &r,
        &format!("cannot write {}: Permission denied", idx.display()),
    );
    assert_eq!(r.stderr.matches("Permission denied").count(), 1, "{r:?}");
}

#[test]
fn symlink_loop_and_dangling_symlink_are_reported_not_fatal() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir_all(lib.join("a")).unwrap();
    std::os::unix::fs::symlink(&lib, lib.join("a/loop")).unwrap();
    std::os::unix::fs::symlink(lib.join("gone.flac"), lib.join("dangling.flac")).unwrap();
    std::fs::write(lib.join("a/readme.txt"), b"hi").unwrap();
    let r = env.run_ok(&["index", "--library", lib.to_str().unwrap()]);
    assert!(r.stdout.contains("2 scan problems:"), "{r:?}");
    assert!(
        r.stdout.contains("a/loop: symlink loop (not followed)"),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("dangling.flac: dangling symlink (target missing)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("1 non-audio files skipped: "), "{r:?}");
}

/// An index of `n` analysed tracks of the library at `lib` (its files need
/// not exist), written to `idx` as the indexer would.
fn synthetic_index(lib: &std::path::Path, idx: &std::path::Path, n: usize) {
    use musim::library::index::{Entry, Index, Outcome};
    let root = std::fs::canonicalize(lib).unwrap();
    let mut index = Index::empty(&root);
    let dims = musim::features::fingerprint::dims();
    for i in 0..n {
        index.entries.push(Entry {
            path: musim::store::paths::to_bytes(&root.join(format!("t{i:02}.wav"))),
            size: 100 + i as u64,
            mtime_ns: 1,
            label: None,
            tags: None,
            outcome: Outcome::Analysed {
                duration_s: 30.0,
                values: (0..dims).map(|d| (i * 7 + d) as f32 * 0.01).collect(),
            },
        });
    }
    index.save(idx).unwrap();
}

fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// The names in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_empty_library_folder_is_refused_and_its_index_kept() {
    // An unmounted drive leaves an empty mount point: "0 analysed, 36
    // removed" would forget the whole library.
    let env = Env::new();
    let lib = env.path("drive");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    synthetic_index(&lib, &idx, 36);
    let before = std::fs::read(&idx).unwrap();
    let r = env.run(&[
        "index",
        "--library",
        lib.to_str().unwrap(),
        "--index",
        idx.to_str().unwrap(),
    ]);
    one_line_error(
        &r,
        &format!(
            "library folder {} has no audio files but its index holds 36 tracks — is the drive mounted? \
             Nothing was removed (to really empty the index, run \
             `musim-tui index --prune --library {} --index {}`)",
            std::fs::canonicalize(&lib).unwrap().display(),
            lib.display(),
            idx.display()
        ),
    );
    assert_eq!(std::fs::read(&idx).unwrap(), before, "index untouched");
    assert_eq!(
        names_in(env.tmp.path()),
        ["drive", "home", "lib.idx", "work"]
    );
}

#[test]
fn a_fifo_at_the_index_path_is_an_error_not_a_hang() {
    use std::os::unix::fs::FileTypeExt;
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    mkfifo(&idx);
    let expected = format!(
        "index path {} is a FIFO (named pipe), not an index file",
        idx.display()
    );
    let (l, i) = (lib.to_str().unwrap(), idx.to_str().unwrap());
    for args in [
        vec!["index", "--library", l, "--index", i],
        vec!["export", "--format", "csv", "--index", i],
        vec!["export", "--format", "csv", "--library", l, "--index", i],
    ] {
        let r = env.run_within(60, &args);
        one_line_error(&r, &expected);
        assert!(
            !r.stderr.contains("rebuild"),
            "rebuilding would not help: {r:?}"
        );
    }
    let t = std::fs::symlink_metadata(&idx).unwrap().file_type();
    assert!(t.is_fifo(), "the FIFO is left where it was");
    assert_eq!(names_in(env.tmp.path()), ["home", "lib", "lib.idx", "work"]);
}

#[test]
fn a_directory_at_the_index_path_is_reported_and_not_renamed() {
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    std::fs::create_dir(&idx).unwrap();
    std::fs::write(idx.join("keep.txt"), b"mine").unwrap();
    let (l, i) = (lib.to_str().unwrap(), idx.to_str().unwrap());
    let r = env.run(&["index", "--library", l, "--index", i]);
    one_line_error(
        &r,
        &format!(
            "index path {} is a directory, not an index file; it was left untouched",
            idx.display()
        ),
    );
    let r = env.run(&["export", "--format", "json", "--index", i]);
    one_line_error(
        &r,
        &format!(
            "index path {} is a directory, not an index file",
            idx.display()
        ),
    );
    assert_eq!(std::fs::read(idx.join("keep.txt")).unwrap(), b"mine");
    assert_eq!(names_in(env.tmp.path()), ["home", "lib", "lib.idx", "work"]);
}

#[test]
fn an_unreadable_index_is_reported_not_moved_aside_and_rebuilt() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    synthetic_index(&lib, &idx, 3);
    let before = std::fs::read(&idx).unwrap();
    std::fs::set_permissions(&idx, std::fs::Permissions::from_mode(0o000)).unwrap();
    let os = |s: &'static str| OsStr::new(s);
    let r = env.run_unprivileged(&[
        os("index"),
        os("--library"),
        lib.as_os_str(),
        os("--index"),
        idx.as_os_str(),
    ]);
    one_line_error(
        &r,
        &format!(
            "index {} cannot be read (Permission denied (os error 13)); it was left untouched",
            idx.display()
        ),
    );
    let r = env.run_unprivileged(&[
        os("export"),
        os("--format"),
        os("csv"),
        os("--index"),
        idx.as_os_str(),
    ]);
    one_line_error(
        &r,
        &format!(
            "index {} cannot be read (Permission denied (os error 13))",
            idx.display()
        ),
    );
    assert!(!r.stderr.contains("rebuild"), "{r:?}");
    std::fs::set_permissions(&idx, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(std::fs::read(&idx).unwrap(), before);
    assert_eq!(names_in(env.tmp.path()), ["home", "lib", "lib.idx", "work"]);
}

#[test]
fn the_index_of_another_library_is_refused_naming_both_roots() {
    let env = Env::new();
    let a = env.path("A");
    let b = env.path("B");
    std::fs::create_dir(&a).unwrap();
    std::fs::create_dir(&b).unwrap();
    cli_support::wav(&b.join("b.wav"), 440.0, 0.5);
    let idx = env.path("a.idx");
    synthetic_index(&a, &idx, 3);
    let before = std::fs::read(&idx).unwrap();
    let (ra, rb) = (
        std::fs::canonicalize(&a).unwrap(),
        std::fs::canonicalize(&b).unwrap(),
    );
    let (bs, i) = (b.to_str().unwrap(), idx.to_str().unwrap());
    let r = env.run(&["export", "--format", "csv", "--library", bs, "--index", i]);
    one_line_error(
        &r,
        &format!(
            "index {} was made for library {}, not {}",
            idx.display(),
            ra.display(),
            rb.display()
        ),
    );
    assert!(
        r.stdout.is_empty(),
        "no answer from the wrong library: {r:?}"
    );
    let r = env.run(&["index", "--library", bs, "--index", i]);
    one_line_error(
        &r,
        &format!(
            "index {} was made for library {}, not {}: nothing was changed",
            idx.display(),
            ra.display(),
            rb.display()
        ),
    );
    assert_eq!(std::fs::read(&idx).unwrap(), before);
    // Without --library the index is read as it is (documented).
    let r = env.run_ok(&["export", "--format", "csv", "--index", i]);
    assert!(r.stdout.contains("t02.wav"), "{r:?}");
}

/// Two files for `path` to chain and an index whose model path holds
/// something else; returns the model path.
fn model_path_setup(env: &Env) -> (std::path::PathBuf, Vec<String>) {
    let lib = env.path("lib");
    std::fs::create_dir(&lib).unwrap();
    let idx = env.path("lib.idx");
    synthetic_index(&lib, &idx, 12);
    for f in ["t00.wav", "t01.wav"] {
        std::fs::write(lib.join(f), b"x").unwrap();
    }
    // The files are fakes: the default profile's embedding pass would
    // report each on stderr before the model path's error.
    let args = vec![
        "--similarity".to_string(),
        "musim".to_string(),
        "path".to_string(),
        lib.join("t00.wav").to_str().unwrap().to_string(),
        lib.join("t01.wav").to_str().unwrap().to_string(),
        "--index".to_string(),
        idx.to_str().unwrap().to_string(),
    ];
    (env.path("lib.idx.model"), args)
}

#[test]
fn a_fifo_or_directory_at_the_model_path_is_reported_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let env = Env::new();
    let (model, args) = model_path_setup(&env);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    mkfifo(&model);
    let r = env.run_within(60, &args);
    one_line_error(
        &r,
        &format!(
            "model path {} is a FIFO (named pipe), not a model file; it was left untouched",
            model.display()
        ),
    );
    assert!(std::fs::symlink_metadata(&model)
        .unwrap()
        .file_type()
        .is_fifo());
    std::fs::remove_file(&model).unwrap();
    std::fs::create_dir(&model).unwrap();
    let r = env.run_within(60, &args);
    one_line_error(
        &r,
        &format!(
            "model path {} is a directory, not a model file",
            model.display()
        ),
    );
    assert!(model.is_dir());
    assert_eq!(
        names_in(env.tmp.path()),
        ["home", "lib", "lib.idx", "lib.idx.model", "work"]
    );
}

#[test]
fn an_unreadable_model_is_reported_not_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let (model, args) = model_path_setup(&env);
    std::fs::write(&model, b"someone else's model").unwrap();
    std::fs::set_permissions(&model, std::fs::Permissions::from_mode(0o000)).unwrap();
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let r = env.run_unprivileged(&args);
    one_line_error(
        &r,
        &format!(
            "model {} cannot be read (Permission denied (os error 13)); it was left untouched",
            model.display()
        ),
    );
    std::fs::set_permissions(&model, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(std::fs::read(&model).unwrap(), b"someone else's model");
}
