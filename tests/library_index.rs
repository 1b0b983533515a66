//! Indexer logic with an injected analysis function: incremental reuse,
//! failures, bad input (folders, links, names, indexes), interruption.
//! End-to-end runs with the real analysis live in `cli_*.rs`.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use musim::analysis::TrackAnalysis;
use musim::app::summary::{problem_count, run_summary};
use musim::audio::AudioError;
use musim::features::fingerprint::{dims, Fingerprint};
use musim::library::fs::{Fs, Meta, RealFs};
use musim::library::index::{Index, FORMAT_VERSION, MAGIC};
use musim::library::indexer::{run, AnalyzeFn, IndexError, Job, Previous, Report, Saved};
use musim::library::progress::Progress;
use musim::library::progress::Silent;
use musim::library::scan::ProblemKind;

/// A stand-in for the real analysis: reads the file for real (so real IO
/// errors surface), fails on content starting with "BAD", panics on
/// "PANIC", otherwise derives a fingerprint from the bytes.
struct Fake {
    calls: AtomicUsize,
    /// Paths that fail with "permission denied" (root ignores chmod 000).
    deny: Mutex<HashSet<PathBuf>>,
    /// Set `cancel` after this many calls.
    cancel_after: Option<(usize, &'static AtomicBool)>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            calls: AtomicUsize::new(0),
            deny: Mutex::new(HashSet::new()),
            cancel_after: None,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn analyse(&self, path: &Path) -> Result<TrackAnalysis, AudioError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((after, flag)) = self.cancel_after {
            if n >= after {
                flag.store(true, Ordering::SeqCst);
            }
        }
        if self.deny.lock().unwrap().contains(path) {
            return Err(AudioError::Io {
                path: path.to_path_buf(),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| AudioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if bytes.starts_with(b"BAD") {
            return Err(AudioError::NotAudio {
                path: path.to_path_buf(),
                detail: "looks like text".into(),
            });
        }
        if bytes.starts_with(b"PANIC") {
            panic!("decoder bug");
        }
        let warnings = if bytes.starts_with(b"WARN") {
            let w = |what: &str| format!("{}: {what}", path.display());
            vec![w("truncated"), w("damaged audio at 1.0 s")]
        } else {
            Vec::new()
        };
        let seed = bytes
            .iter()
            .fold(7u32, |h, &b| h.wrapping_mul(31).wrapping_add(b.into()));
        Ok(TrackAnalysis {
            duration_s: bytes.len() as f64,
            fingerprint: Fingerprint {
                values: (0..dims())
                    .map(|i| (seed % 1000) as f32 + i as f32)
                    .collect(),
            },
            warnings,
        })
    }
}

struct Lib {
    dir: tempfile::TempDir,
    root: PathBuf,
    index: PathBuf,
}

impl Lib {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("music");
        std::fs::create_dir(&root).unwrap();
        let root = std::fs::canonicalize(root).unwrap();
        let index = dir.path().join("lib.idx");
        Lib { dir, root, index }
    }

    fn file(&self, rel: impl AsRef<Path>, content: &[u8]) -> PathBuf {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        p
    }

    fn run_with(
        &self,
        fake: &Fake,
        fs: &dyn Fs,
        cancel: &AtomicBool,
    ) -> Result<Report, IndexError> {
        self.run_job(fake, fs, cancel, false, &Silent)
    }

    fn run_job(
        &self,
        fake: &Fake,
        fs: &dyn Fs,
        cancel: &AtomicBool,
        prune: bool,
        progress: &dyn Progress,
    ) -> Result<Report, IndexError> {
        let f = |p: &Path| fake.analyse(p);
        let analyze: &AnalyzeFn<'_> = &f;
        run(&Job {
            root: &self.root,
            index_path: &self.index,
            fs,
            analyze,
            progress,
            cancel,
            windows: Default::default(),
            labels: Default::default(),
            prune,
            shard: None,
        })
    }

    /// A run that fails, with its message.
    fn run_err(&self, fake: &Fake) -> String {
        self.run_with(fake, &RealFs, &AtomicBool::new(false))
            .unwrap_err()
            .to_string()
    }

    /// A run with `index --prune`, its notes on stderr collected.
    fn run_pruning(&self, fake: &Fake, notes: &Notes) -> Report {
        self.run_job(fake, &RealFs, &AtomicBool::new(false), true, notes)
            .unwrap()
    }

    fn run(&self, fake: &Fake) -> Report {
        self.run_with(fake, &RealFs, &AtomicBool::new(false))
            .unwrap()
    }

    fn stored(&self) -> Index {
        Index::load(&self.index).unwrap().unwrap()
    }
}

fn set_mtime_later(p: &Path) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    f.set_modified(t).unwrap();
}

#[test]
fn empty_folder_indexes_zero_tracks() {
    let lib = Lib::new();
    let fake = Fake::new();
    let r = lib.run(&fake);
    assert_eq!((r.analysed, r.unchanged, r.failed()), (0, 0, 0));
    assert_eq!(fake.calls(), 0);
    assert_eq!(lib.stored().entries.len(), 0);
    assert!(run_summary(&r).contains("0 analysed, 0 unchanged, 0 removed, 0 failed"));
}

#[test]
fn folder_with_one_track() {
    let lib = Lib::new();
    lib.file("rock/a.wav", b"a");
    let r = lib.run(&Fake::new());
    assert_eq!(r.analysed, 1);
    let idx = lib.stored();
    assert_eq!(idx.entries.len(), 1);
    assert_eq!(idx.entries[0].label.as_deref(), Some("rock"));
}

#[test]
fn unchanged_files_are_not_analysed_again_and_removed_ones_drop_out() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    let b = lib.file("b.flac", b"bb");
    let c = lib.file("c.mp3", b"ccc");
    lib.file("notes.txt", b"not audio");
    let fake = Fake::new();
    let r = lib.run(&fake);
    assert_eq!((r.analysed, fake.calls(), r.scan.skipped.len()), (3, 3, 1));
    assert_eq!(
        lib.stored().label_counts(),
        vec![],
        "flat tree is unlabelled"
    );

    let r = lib.run(&fake);
    assert_eq!((r.analysed, r.unchanged, fake.calls()), (0, 3, 3));
    assert_eq!(r.saved, Saved::UpToDate);

    std::fs::write(&b, b"changed").unwrap();
    set_mtime_later(&c);
    std::fs::remove_file(lib.root.join("a.wav")).unwrap();
    let r = lib.run(&fake);
    assert_eq!((r.analysed, r.unchanged, r.removed), (2, 0, 1));
    assert_eq!(fake.calls(), 5);
    assert_eq!(lib.stored().entries.len(), 2);
}

#[test]
fn rerun_of_1000_unchanged_clips_takes_under_a_second() {
    let lib = Lib::new();
    for g in 0..10 {
        for i in 0..100 {
            lib.file(
                format!("genre{g}/clip{i:03}.wav"),
                format!("{g}-{i}").as_bytes(),
            );
        }
    }
    let fake = Fake::new();
    let r = lib.run(&fake);
    assert_eq!(r.analysed, 1000);
    assert_eq!(lib.stored().label_counts().len(), 10);
    let t = std::time::Instant::now();
    let r = lib.run(&fake);
    let took = t.elapsed();
    assert_eq!((r.unchanged, fake.calls()), (1000, 1000));
    assert!(took.as_secs_f64() <= 1.0, "re-run took {took:?}");
}

#[test]
fn failures_are_grouped_remembered_and_retried_only_when_changed() {
    let lib = Lib::new();
    lib.file("good.wav", b"good");
    let bad = lib.file("bad1.mp3", b"BAD text");
    lib.file("bad2.mp3", b"BAD text too");
    lib.file("crash.ogg", b"PANIC");
    let fake = Fake::new();
    let r = lib.run(&fake);
    assert_eq!((r.analysed, r.failed()), (1, 3));
    let (kind, fails) = &r.failures[0];
    assert_eq!((kind.as_str(), fails.len()), ("not an audio file", 2));
    let text = run_summary(&r);
    assert!(text.contains("2 × not an audio file:"), "{text}");
    assert!(
        text.contains("bad1.mp3: not an audio file musim can read (looks like text)"),
        "{text}"
    );
    assert!(text.contains("1 × internal error:"), "{text}");
    assert!(text.contains("analysis crashed: decoder bug"), "{text}");
    assert_eq!(lib.stored().failed(), 3);

    let r = lib.run(&fake);
    assert_eq!((fake.calls(), r.known_failures, r.failed()), (4, 3, 0));

    std::fs::write(&bad, b"now fine").unwrap();
    let r = lib.run(&fake);
    assert_eq!((fake.calls(), r.analysed, r.known_failures), (5, 1, 2));
}

#[test]
fn gtzan_layout_is_labelled_any_other_tree_is_not() {
    let lib = Lib::new();
    lib.file("blues/a.wav", b"1");
    lib.file("blues/b.wav", b"2");
    lib.file("rock/c.wav", b"3");
    lib.run(&Fake::new());
    assert_eq!(
        lib.stored().label_counts(),
        vec![("blues".to_string(), 2), ("rock".to_string(), 1)]
    );
    lib.file("loose.wav", b"4");
    lib.run(&Fake::new());
    let idx = lib.stored();
    assert!(idx.entries.iter().all(|e| e.label.is_none()));
    assert_eq!(idx.entries.len(), 4);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_and_the_rest_indexed() {
    let lib = Lib::new();
    lib.file("a/x.wav", b"x");
    std::os::unix::fs::symlink(lib.root.join("a"), lib.root.join("a/back")).unwrap();
    std::os::unix::fs::symlink("self", lib.root.join("self")).unwrap();
    let r = lib.run(&Fake::new());
    assert_eq!(r.analysed, 1);
    assert_eq!(
        problem_count(&r, ProblemKind::SymlinkLoop),
        2,
        "{:?}",
        r.scan.problems
    );
    let text = run_summary(&r);
    assert!(text.contains("2 scan problems:"), "{text}");
    assert!(
        text.contains("a/back: symlink loop (not followed)"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn dangling_symlink_is_reported_and_the_rest_indexed() {
    let lib = Lib::new();
    lib.file("x.wav", b"x");
    std::os::unix::fs::symlink(lib.root.join("gone.wav"), lib.root.join("link.wav")).unwrap();
    let r = lib.run(&Fake::new());
    assert_eq!(r.analysed, 1);
    assert_eq!(problem_count(&r, ProblemKind::DanglingSymlink), 1);
    assert!(run_summary(&r).contains("link.wav: dangling symlink (target missing)"));
}

#[cfg(unix)]
#[test]
fn symlinked_folders_are_followed() {
    let lib = Lib::new();
    let outside = lib.dir.path().join("elsewhere");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("y.wav"), b"y").unwrap();
    std::os::unix::fs::symlink(&outside, lib.root.join("linked")).unwrap();
    let r = lib.run(&Fake::new());
    assert_eq!(r.analysed, 1);
    assert!(r.scan.problems.is_empty());
}

/// A file system whose listed folders cannot be read, exactly as the OS
/// reports it for a `chmod 000` folder — needed because root reads those.
struct DenyDirs(Vec<PathBuf>);

impl Fs for DenyDirs {
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<io::Result<PathBuf>>> {
        if self.0.iter().any(|d| d == dir) {
            return Err(io::Error::from_raw_os_error(13));
        }
        RealFs.read_dir(dir)
    }
    fn metadata(&self, path: &Path) -> io::Result<Meta> {
        RealFs.metadata(path)
    }
    fn symlink_metadata(&self, path: &Path) -> io::Result<Meta> {
        RealFs.symlink_metadata(path)
    }
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let d = tempfile::tempdir().unwrap();
    std::fs::metadata(d.path()).unwrap().uid() == 0
}

#[cfg(unix)]
#[test]
fn unreadable_folder_is_reported_and_the_rest_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let lib = Lib::new();
    lib.file("ok/a.wav", b"a");
    let locked = lib.root.join("locked");
    lib.file("locked/b.wav", b"b");
    let check = |r: &Report| {
        assert_eq!(r.analysed, 1);
        assert_eq!(problem_count(r, ProblemKind::UnreadableFolder), 1);
        let text = run_summary(r);
        assert!(
            text.contains("locked: unreadable folder (Permission denied"),
            "{text}"
        );
    };
    // Injected: works whoever runs the test.
    let r = lib
        .run_with(
            &Fake::new(),
            &DenyDirs(vec![locked.clone()]),
            &AtomicBool::new(false),
        )
        .unwrap();
    check(&r);
    // The real OS error, where permissions apply (not as root).
    if !running_as_root() {
        std::fs::remove_file(&lib.index).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let r = lib.run(&Fake::new());
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
        check(&r);
    }
}

#[cfg(unix)]
#[test]
fn unreadable_file_fails_with_its_reason_and_the_rest_is_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    let locked = lib.file("locked.wav", b"b");
    let fake = Fake::new();
    if running_as_root() {
        // Root reads chmod-000 files: inject the error the OS gives others.
        fake.deny.lock().unwrap().insert(locked.clone());
    } else {
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let r = lib.run(&fake);
    assert_eq!((r.analysed, r.failed()), (1, 1));
    assert_eq!(r.failures[0].0, "cannot read file");
    assert!(
        r.failures[0].1[0]
            .reason
            .contains("locked.wav: cannot read file: permission denied")
            || r.failures[0].1[0]
                .reason
                .contains("locked.wav: cannot read file: Permission denied"),
        "{:?}",
        r.failures
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_and_unicode_names_are_indexed_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let lib = Lib::new();
    let raw = lib.root.join(std::ffi::OsStr::from_bytes(b"caf\xe9.wav"));
    std::fs::write(&raw, b"latin1").unwrap();
    let uni = lib.file("Sigur Rós – Hoppípolla 🎵.flac", b"unicode");
    let r = lib.run(&Fake::new());
    assert_eq!(r.analysed, 2);
    let idx = lib.stored();
    let paths: Vec<&[u8]> = idx.entries.iter().map(|e| e.path.as_slice()).collect();
    assert!(paths.contains(&raw.as_os_str().as_bytes()));
    assert!(paths.contains(&uni.as_os_str().as_bytes()));
    let mut csv = Vec::new();
    musim::export::write(&idx, musim::export::Format::Csv, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("caf\u{fffd}.wav"), "{csv}");
    assert!(csv.contains("Hoppípolla 🎵.flac"));
    // Unchanged on re-run: the raw bytes match what the scan sees.
    assert_eq!(lib.run(&Fake::new()).unchanged, 2);
}

#[test]
fn duplicate_files_are_reported() {
    let lib = Lib::new();
    lib.file("a.wav", b"same");
    lib.file("copy of a.wav", b"same");
    lib.file("other.wav", b"different");
    let r = lib.run(&Fake::new());
    assert_eq!(r.duplicates.len(), 1);
    let text = run_summary(&r);
    assert!(text.contains("2 files look identical: "), "{text}");
    assert!(
        text.contains("a.wav, ") && text.contains("copy of a.wav"),
        "{text}"
    );
}

fn expect_rebuild(lib: &Lib, bad: &[u8], message: &str, suffix: &str) {
    std::fs::write(&lib.index, bad).unwrap();
    let fake = Fake::new();
    let r = lib.run(&fake);
    match &r.previous {
        Previous::Unusable(m) => assert!(m.contains(message), "{m}"),
        p => panic!("expected unusable, got {p:?}"),
    }
    assert_eq!(fake.calls(), 1);
    let backup = PathBuf::from(format!("{}.{suffix}", lib.index.display()));
    assert_eq!(
        r.saved,
        Saved::Written {
            backup: Some(backup.clone())
        }
    );
    assert_eq!(std::fs::read(&backup).unwrap(), bad, "bad file kept aside");
    assert_eq!(lib.stored().entries.len(), 1);
    assert!(run_summary(&r).contains("the unusable old one was moved to"));
    std::fs::remove_file(backup).unwrap();
}

#[test]
fn corrupt_truncated_and_older_indexes_are_reported_and_rebuilt() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let good = std::fs::read(&lib.index).unwrap();

    let random: Vec<u8> = (0..500u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    expect_rebuild(&lib, &random, "is not a musim index", "corrupt");
    expect_rebuild(
        &lib,
        &good[..good.len() / 2],
        "is corrupt (truncated",
        "corrupt",
    );
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    expect_rebuild(&lib, &flipped, "is corrupt (checksum mismatch)", "corrupt");
    let mut old = MAGIC.to_vec();
    old.extend_from_slice(&0u32.to_le_bytes());
    old.extend_from_slice(b"whatever format 0 looked like");
    expect_rebuild(
        &lib,
        &old,
        "was written by an older musim (format 0)",
        "old",
    );
    const { assert!(FORMAT_VERSION > 0) };
}

#[test]
fn a_corrupt_index_is_not_replaced_by_a_run_that_analysed_nothing() {
    let lib = Lib::new();
    lib.file("bad.mp3", b"BAD");
    std::fs::write(&lib.index, b"garbage").unwrap();
    let r = lib.run(&Fake::new());
    assert_eq!(r.saved, Saved::KeptOld("nothing could be analysed".into()));
    assert_eq!(std::fs::read(&lib.index).unwrap(), b"garbage");
    assert!(run_summary(&r).contains("nothing could be analysed: index"));
}

#[test]
fn a_changed_feature_set_invalidates_every_fingerprint() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.file("b.wav", b"b");
    lib.run(&Fake::new());
    let mut idx = lib.stored();
    idx.header.feature_set_version += 100;
    idx.save(&lib.index).unwrap();
    let fake = Fake::new();
    let r = lib.run(&fake);
    assert!(matches!(&r.previous, Previous::Stale(m) if m.contains("made with feature set v")));
    assert_eq!((fake.calls(), r.analysed), (2, 2));
    assert_eq!(
        lib.stored().header.feature_set_version,
        musim::features::fingerprint::FEATURE_SET_VERSION
    );
}

#[test]
fn interruption_keeps_what_was_analysed() {
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let lib = Lib::new();
    for i in 0..40 {
        lib.file(format!("t{i:02}.wav"), format!("{i}").as_bytes());
    }
    let mut fake = Fake::new();
    fake.cancel_after = Some((3, &CANCEL));
    let r = lib.run_with(&fake, &RealFs, &CANCEL).unwrap();
    assert!(r.interrupted);
    assert!(r.analysed >= 3 && r.analysed < 40, "{}", r.analysed);
    assert_eq!(r.not_reached, 40 - r.analysed);
    assert!(matches!(r.saved, Saved::Written { .. }));
    assert_eq!(lib.stored().entries.len(), r.analysed);
    assert!(run_summary(&r).contains("interrupted: "));
    // The next run continues where this one stopped.
    let fake = Fake::new();
    let r2 = lib.run(&fake);
    assert_eq!((r2.unchanged, fake.calls()), (r.analysed, 40 - r.analysed));
}

#[test]
fn interruption_before_any_result_keeps_the_old_index() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let before = std::fs::read(&lib.index).unwrap();
    lib.file("b.wav", b"b");
    let r = lib
        .run_with(&Fake::new(), &RealFs, &AtomicBool::new(true))
        .unwrap();
    assert!(r.interrupted);
    assert_eq!(
        r.saved,
        Saved::KeptOld("interrupted before any file was analysed".into())
    );
    assert_eq!(std::fs::read(&lib.index).unwrap(), before);
}

#[test]
fn index_in_a_missing_or_non_folder_is_a_clear_error_before_any_work() {
    let mut lib = Lib::new();
    lib.file("a.wav", b"a");
    let fake = Fake::new();
    lib.index = lib.dir.path().join("no/such/dir/lib.idx");
    let e = lib
        .run_with(&fake, &RealFs, &AtomicBool::new(false))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lib.idx: folder") && e.contains("does not exist"),
        "{e}"
    );
    let file = lib.file("plain.txt", b"");
    lib.index = file.join("lib.idx");
    let e = lib
        .run_with(&fake, &RealFs, &AtomicBool::new(false))
        .unwrap_err()
        .to_string();
    assert!(e.contains("plain.txt is not a folder"), "{e}");
    assert_eq!(fake.calls(), 0);
}

/// A progress that keeps the notes the indexer would print on stderr.
#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

impl Progress for Notes {
    fn start(&self, _total: u64) {}
    fn advance(&self, _path: &Path) {}
    fn finish(&self) {}
    fn note(&self, msg: &str) {
        self.0.lock().unwrap().push(msg.to_string());
    }
}

impl Notes {
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The names in the index's folder, sorted (to see what was moved aside).
fn names_beside(lib: &Lib) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(lib.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_empty_library_folder_removes_nothing_and_names_the_folder() {
    let lib = Lib::new();
    for i in 0..3 {
        lib.file(format!("t{i}.wav"), format!("{i}").as_bytes());
    }
    lib.run(&Fake::new());
    let before = std::fs::read(&lib.index).unwrap();
    for i in 0..3 {
        std::fs::remove_file(lib.root.join(format!("t{i}.wav"))).unwrap();
    }
    // Not audio: still "no audio files".
    lib.file("notes.txt", b"hello");
    let e = lib.run_err(&Fake::new());
    assert_eq!(
        e,
        format!(
            "library folder {} has no audio files but its index holds 3 tracks — is the drive mounted? \
             Nothing was removed (to really empty the index, run `musim-tui index --prune`)",
            lib.root.display()
        )
    );
    assert_eq!(
        std::fs::read(&lib.index).unwrap(),
        before,
        "index untouched"
    );

    // Asked for: the index is emptied (3 tracks: no copy kept).
    let notes = Notes::default();
    let r = lib.run_pruning(&Fake::new(), &notes);
    assert_eq!((r.removed, r.previous_copy.clone()), (3, None));
    assert!(notes.all().is_empty(), "{:?}", notes.all());
    assert_eq!(lib.stored().entries.len(), 0);
    // An empty index of an empty folder is fine without the flag.
    assert_eq!(lib.run(&Fake::new()).removed, 0);
}

#[test]
fn a_stale_index_of_an_empty_folder_is_kept_too() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let mut idx = lib.stored();
    idx.header.feature_set_version += 100;
    idx.save(&lib.index).unwrap();
    let before = std::fs::read(&lib.index).unwrap();
    std::fs::remove_file(lib.root.join("a.wav")).unwrap();
    let e = lib.run_err(&Fake::new());
    assert!(
        e.contains("its index holds 1 track — is the drive mounted?"),
        "{e}"
    );
    assert_eq!(std::fs::read(&lib.index).unwrap(), before);
}

#[test]
fn removing_most_of_the_index_keeps_a_numbered_copy_first() {
    let lib = Lib::new();
    for i in 0..20 {
        lib.file(format!("t{i:02}.wav"), format!("{i}").as_bytes());
    }
    lib.run(&Fake::new());
    let first = std::fs::read(&lib.index).unwrap();
    for i in 0..11 {
        std::fs::remove_file(lib.root.join(format!("t{i:02}.wav"))).unwrap();
    }
    let notes = Notes::default();
    let r = lib
        .run_job(
            &Fake::new(),
            &RealFs,
            &AtomicBool::new(false),
            false,
            &notes,
        )
        .unwrap();
    let copy = PathBuf::from(format!("{}.backup", lib.index.display()));
    assert_eq!(r.removed, 11);
    assert_eq!(r.previous_copy.as_ref(), Some(&copy));
    assert_eq!(std::fs::read(&copy).unwrap(), first, "the previous index");
    assert_eq!(lib.stored().entries.len(), 9);
    assert_eq!(
        notes.all(),
        vec![format!(
            "11 of the 20 tracks of index {} are no longer in library {} and are removed from it; \
             the previous index is kept as {}",
            lib.index.display(),
            lib.root.display(),
            copy.display()
        )]
    );

    // Half or fewer than 10: no copy.
    for i in 11..15 {
        std::fs::remove_file(lib.root.join(format!("t{i:02}.wav"))).unwrap();
    }
    let r = lib.run(&Fake::new());
    assert_eq!((r.removed, r.previous_copy), (4, None));

    // Emptying a library on purpose keeps one too, under the next number.
    for i in 0..12 {
        lib.file(format!("u{i:02}.wav"), format!("u{i}").as_bytes());
    }
    lib.run(&Fake::new());
    let second = std::fs::read(&lib.index).unwrap();
    for e in std::fs::read_dir(&lib.root).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    let r = lib.run_pruning(&Fake::new(), &Notes::default());
    let copy1 = PathBuf::from(format!("{}.backup.1", lib.index.display()));
    assert_eq!((r.removed, r.previous_copy.as_ref()), (17, Some(&copy1)));
    assert_eq!(std::fs::read(&copy).unwrap(), first, "never replaced");
    assert_eq!(std::fs::read(&copy1).unwrap(), second);
    assert_eq!(lib.stored().entries.len(), 0);
}

#[test]
fn corrupt_indexes_are_kept_under_numbered_names() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    for (n, bad) in [&b"garbage one"[..], b"garbage two", b"garbage three"]
        .iter()
        .enumerate()
    {
        std::fs::write(&lib.index, bad).unwrap();
        let r = lib.run(&Fake::new());
        let name = match n {
            0 => format!("{}.corrupt", lib.index.display()),
            n => format!("{}.corrupt.{n}", lib.index.display()),
        };
        assert_eq!(
            r.saved,
            Saved::Written {
                backup: Some(PathBuf::from(&name))
            }
        );
        assert_eq!(lib.stored().entries.len(), 1);
    }
    for (name, bad) in [
        ("lib.idx.corrupt", "garbage one"),
        ("lib.idx.corrupt.1", "garbage two"),
        ("lib.idx.corrupt.2", "garbage three"),
    ] {
        let got = std::fs::read_to_string(lib.dir.path().join(name)).unwrap();
        assert_eq!(got, bad, "{name}");
    }
}

/// Run on another thread: a blocking open of a FIFO must fail the test,
/// not hang it.
fn within_seconds<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("hung (a FIFO opened for reading blocks)")
}

#[cfg(unix)]
#[test]
fn a_fifo_at_the_index_path_is_an_error_at_once_and_left_alone() {
    use std::os::unix::fs::FileTypeExt;
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    let ok = std::process::Command::new("mkfifo")
        .arg(&lib.index)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
    let lib = std::sync::Arc::new(lib);
    let l = lib.clone();
    let e = within_seconds(20, move || l.run_err(&Fake::new()));
    assert_eq!(
        e,
        format!(
            "index path {} is a FIFO (named pipe), not an index file; it was left untouched",
            lib.index.display()
        )
    );
    let l = lib.clone();
    let loaded = within_seconds(20, move || Index::load(&l.index).map(|_| ()));
    assert!(loaded.is_err());
    let t = std::fs::symlink_metadata(&lib.index).unwrap().file_type();
    assert!(t.is_fifo(), "still the FIFO");
    assert_eq!(names_beside(&lib), vec!["lib.idx", "music"]);
}

#[test]
fn a_directory_at_the_index_path_is_reported_not_renamed() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    std::fs::create_dir(&lib.index).unwrap();
    std::fs::write(lib.index.join("mine.txt"), b"user data").unwrap();
    let fake = Fake::new();
    let e = lib.run_err(&fake);
    assert_eq!(
        e,
        format!(
            "index path {} is a directory, not an index file; it was left untouched",
            lib.index.display()
        )
    );
    assert_eq!(fake.calls(), 0);
    assert_eq!(
        std::fs::read(lib.index.join("mine.txt")).unwrap(),
        b"user data"
    );
    assert_eq!(names_beside(&lib), vec!["lib.idx", "music"]);
}

#[cfg(unix)]
#[test]
fn a_dangling_symlink_at_the_index_path_is_not_replaced() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    let target = lib.dir.path().join("unmounted/drive/lib.idx");
    std::os::unix::fs::symlink(&target, &lib.index).unwrap();
    let e = lib.run_err(&Fake::new());
    assert!(
        e.contains(&format!(
            "index path {} is a symlink to {}, which does not exist",
            lib.index.display(),
            target.display()
        )),
        "{e}"
    );
    assert!(std::fs::symlink_metadata(&lib.index)
        .unwrap()
        .file_type()
        .is_symlink());
}

/// A file system on which the index cannot be read (EACCES), as for a
/// `chmod 000` index when not root.
struct DenyIndex(PathBuf);

impl Fs for DenyIndex {
    fn read_dir(&self, dir: &Path) -> io::Result<Vec<io::Result<PathBuf>>> {
        RealFs.read_dir(dir)
    }
    fn metadata(&self, path: &Path) -> io::Result<Meta> {
        RealFs.metadata(path)
    }
    fn symlink_metadata(&self, path: &Path) -> io::Result<Meta> {
        RealFs.symlink_metadata(path)
    }
    fn read_index(&self, path: &Path) -> Result<Option<Vec<u8>>, musim::store::regular::ReadError> {
        if path == self.0 {
            return Err(io::Error::from_raw_os_error(13).into());
        }
        RealFs.read_index(path)
    }
}

#[test]
fn an_unreadable_index_is_reported_not_moved_aside() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let before = std::fs::read(&lib.index).unwrap();
    lib.file("b.wav", b"b");
    let fake = Fake::new();
    let e = lib
        .run_with(
            &fake,
            &DenyIndex(lib.index.clone()),
            &AtomicBool::new(false),
        )
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "index {} cannot be read (Permission denied (os error 13)); it was left untouched",
            lib.index.display()
        )
    );
    assert_eq!(fake.calls(), 0);
    assert_eq!(std::fs::read(&lib.index).unwrap(), before);
    assert_eq!(names_beside(&lib), vec!["lib.idx", "music"]);
}

#[test]
fn the_index_of_another_library_is_refused_naming_both() {
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let before = std::fs::read(&lib.index).unwrap();
    let first_root = lib.root.clone();
    let other = lib.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let other = std::fs::canonicalize(other).unwrap();
    std::fs::write(other.join("b.wav"), b"b").unwrap();
    let lib = Lib {
        root: other.clone(),
        ..lib
    };
    let fake = Fake::new();
    let e = lib.run_err(&fake);
    assert_eq!(
        e,
        format!(
            "index {} was made for library {}, not {}: nothing was changed (use the index of {}, \
             or run `musim-tui index --prune` to replace its tracks with those of {})",
            lib.index.display(),
            first_root.display(),
            other.display(),
            other.display(),
            other.display()
        )
    );
    assert_eq!(fake.calls(), 0);
    assert_eq!(std::fs::read(&lib.index).unwrap(), before);

    // Asked for: the index becomes the other library's.
    let r = lib.run_pruning(&Fake::new(), &Notes::default());
    assert_eq!((r.analysed, r.removed), (1, 1));
    let idx = lib.stored();
    assert_eq!(idx.header.root, other.as_os_str().as_encoded_bytes());
    assert_eq!(idx.entries.len(), 1);
}

#[test]
fn the_sessions_prune_flag_reaches_the_indexer() {
    use musim::app::session::{Session, SessionError};
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.file("b.wav", b"b");
    lib.run(&Fake::new());
    std::fs::remove_file(lib.root.join("a.wav")).unwrap();
    std::fs::remove_file(lib.root.join("b.wav")).unwrap();
    let mut session = Session::open(Some(&lib.root), Some(&lib.index)).unwrap();
    assert!(!session.prune);
    let fake = Fake::new();
    let f = |p: &Path| fake.analyse(p);
    let no = AtomicBool::new(false);
    let e = session
        .index_with(&f, Default::default(), &Silent, &no)
        .unwrap_err();
    assert!(
        matches!(e, SessionError::Index(IndexError::NoAudio { held: 2, .. })),
        "{e:?}"
    );
    assert_eq!(lib.stored().entries.len(), 2);
    session.prune = true;
    let r = session
        .index_with(&f, Default::default(), &Silent, &no)
        .unwrap();
    assert_eq!(r.removed, 2);
    assert_eq!(lib.stored().entries.len(), 0);
}

#[test]
fn reading_another_librarys_index_through_a_session_is_refused() {
    use musim::app::session::{Session, SessionError};
    let lib = Lib::new();
    lib.file("a.wav", b"a");
    lib.run(&Fake::new());
    let other = lib.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let session = Session::open(Some(&other), Some(&lib.index)).unwrap();
    let e = session.load().unwrap_err();
    assert!(matches!(e, SessionError::OtherLibrary { .. }), "{e:?}");
    // The embedding pass checks the index's header alone, the same way,
    // and leaves the index as it was.
    #[cfg(feature = "embeddings")]
    {
        let before = std::fs::read(&lib.index).unwrap();
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let e = session
            .embed(&musim::library::progress::Silent, &cancel)
            .unwrap_err();
        assert!(matches!(e, SessionError::OtherLibrary { .. }), "{e:?}");
        assert_eq!(std::fs::read(&lib.index).unwrap(), before);
        let missing =
            Session::open(Some(&lib.root), Some(&lib.dir.path().join("none.idx"))).unwrap();
        let e = missing
            .embed(&musim::library::progress::Silent, &cancel)
            .unwrap_err();
        assert!(matches!(e, SessionError::NotIndexed { .. }), "{e:?}");
    }
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "index {} was made for library {}, not {}",
            lib.index.display(),
            lib.root.display(),
            std::fs::canonicalize(&other).unwrap().display()
        )),
        "{text}"
    );
    // With the index alone (no library chosen), it is read as it is.
    let session = Session::open_for_reading(None, Some(&lib.index)).unwrap();
    assert_eq!(session.load().unwrap().entries.len(), 1);
    let session = Session::open(Some(&lib.root), Some(&lib.index)).unwrap();
    assert_eq!(session.load().unwrap().entries.len(), 1);
}

/// Ogg pages with granule 0 (header pages): a 30-byte packet, then one of
/// 17 MB (over lofty's 16 MB), payloads zero.
fn ogg_with_huge_header() -> Vec<u8> {
    let page = |laces: &[u8]| {
        let mut p = b"OggS\0\0".to_vec();
        p.extend_from_slice(&[0; 20]);
        p.push(laces.len() as u8);
        p.extend_from_slice(laces);
        let body: usize = laces.iter().map(|&l| usize::from(l)).sum();
        p.resize(p.len() + body, 0);
        p
    };
    let mut bytes = page(&[30]);
    for _ in 0..(17 << 20) / (255 * 255) + 1 {
        bytes.extend(page(&[255; 255]));
    }
    bytes.extend(page(&[1]));
    bytes
}

#[test]
fn each_file_counts_once_in_the_summary() {
    let lib = Lib::new();
    let fake = Fake::new();
    lib.file("ok.wav", b"fine");
    lib.file("warned.wav", b"WARN twice");
    // Fails to decode, and its tags are too large to read: a failure only.
    let big = lib.file("big.ogg", &ogg_with_huge_header());
    fake.deny.lock().unwrap().insert(big);
    let r = lib.run(&fake);
    let text = run_summary(&r);
    assert!(
        text.contains("2 analysed, 0 unchanged, 0 removed, 1 failed"),
        "{text}"
    );
    assert!(text.contains("  1 analysed with warnings:\n"), "{text}");
    assert!(text.contains("warned.wav: truncated"), "{text}");
    assert!(
        text.contains("warned.wav: damaged audio at 1.0 s"),
        "{text}"
    );
    assert!(!text.contains("tags not read"), "{text}");
    assert_eq!(r.warned_files, 1);
}
