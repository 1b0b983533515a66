//! Tags read from files ffmpeg makes in each format musim decodes, stored
//! in the index, and upgraded from an index of the previous format
//! without analysing the audio again.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use musim::library::fs::RealFs;
use musim::library::index::{Index, Outcome};
use musim::library::indexer::{self, AnalyzeFn, Job};
use musim::library::labels::LabelSource;
use musim::library::progress::Silent;
use musim::tags::{read, Tags};

mod cli_support;

fn have_ffmpeg() -> bool {
    cli_support::have_ffmpeg("this test")
}

/// A 440-Hz tone at `path` (format from the extension) with `meta` tags.
fn tagged(path: &Path, seconds: f64, meta: &[(&str, &str)]) {
    tone(path, 440.0, seconds, meta);
}

/// A `freq`-Hz tone at `path` (format from the extension) with `meta` tags.
fn tone(path: &Path, freq: f64, seconds: f64, meta: &[(&str, &str)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut args: Vec<std::ffi::OsString> = vec![
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!("sine=frequency={freq}:duration={seconds}").into(),
    ];
    let codec: &[&str] = match path.extension().and_then(|e| e.to_str()) {
        Some("ogg") => &["-c:a", "libvorbis"],
        Some("opus") => &["-c:a", "libopus"],
        // Tags in an ID3v2 chunk (ffmpeg's AIFF text chunks hold a title only).
        Some("aiff") => &["-write_id3v2", "1"],
        _ => &[],
    };
    args.extend(codec.iter().map(Into::into));
    for (k, v) in meta {
        args.push("-metadata".into());
        args.push(format!("{k}={v}").into());
    }
    args.push(path.into());
    cli_support::ffmpeg(args);
}

const FULL: &[(&str, &str)] = &[
    ("title", "Tïtle \u{263a}"),
    ("artist", "The Artist"),
    ("album_artist", "Various"),
    ("album", "The Album"),
    ("track", "3"),
    ("date", "1999"),
    ("genre", "hip hop;Rap"),
];

#[test]
fn every_format_that_carries_tags_is_read() {
    if !have_ffmpeg() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    // (extension, whether ffmpeg's muxer writes album artist and track).
    let formats = [
        ("mp3", true),
        ("flac", true),
        ("ogg", true),
        ("opus", true),
        ("m4a", true),
        // RIFF INFO has no album artist or track number.
        ("wav", false),
        ("aiff", true),
    ];
    for (ext, full) in formats {
        let p = d.path().join(format!("t.{ext}"));
        tagged(&p, 1.0, FULL);
        let t = read(&p).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(t.title.as_deref(), Some("Tïtle \u{263a}"), "{ext}");
        assert_eq!(t.artist.as_deref(), Some("The Artist"), "{ext}");
        assert_eq!(t.album.as_deref(), Some("The Album"), "{ext}");
        assert_eq!(t.year, Some(1999), "{ext}");
        assert_eq!(t.genres(), ["Hip-Hop", "Rap"], "{ext}");
        if full {
            assert_eq!(t.album_artist.as_deref(), Some("Various"), "{ext}");
            assert_eq!(t.track, Some(3), "{ext}");
        }
        let dur = t.duration_s.unwrap_or_default();
        assert!((dur - 1.0).abs() < 0.1, "{ext}: {dur}");
        assert_eq!(
            t.name(p.as_os_str().as_encoded_bytes()),
            "The Artist — Tïtle \u{263a}"
        );
    }
}

#[test]
fn untagged_and_blank_tags_fall_back_to_the_file_stem() {
    if !have_ffmpeg() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("07 Plain Song.flac");
    tagged(&p, 0.5, &[("title", "   "), ("artist", "")]);
    let t = read(&p).unwrap();
    assert_eq!((&t.title, &t.artist), (&None, &None));
    assert_eq!(t.name(p.as_os_str().as_encoded_bytes()), "07 Plain Song");
}

/// Replace the first occurrence of `what` in the file at `p` with `with`.
fn patch(p: &Path, what: &[u8], with: &[u8]) {
    let mut b = std::fs::read(p).unwrap();
    let at = b
        .windows(what.len())
        .position(|w| w == what)
        .unwrap_or_else(|| panic!("{what:?} not in {}", p.display()));
    b[at..at + with.len()].copy_from_slice(with);
    std::fs::write(p, b).unwrap();
}

fn run(root: &Path, index: &Path, analyze: &AnalyzeFn<'_>) -> indexer::Report {
    indexer::run(&Job {
        root,
        index_path: index,
        fs: &RealFs,
        analyze,
        progress: &Silent,
        cancel: &AtomicBool::new(false),
        windows: Default::default(),
        labels: LabelSource::Auto,
        prune: false,
        shard: None,
    })
    .unwrap()
}

fn entry<'a>(idx: &'a Index, name: &str) -> &'a musim::library::index::Entry {
    idx.entries
        .iter()
        .find(|e| e.path.ends_with(name.as_bytes()))
        .unwrap_or_else(|| panic!("{name} not indexed"))
}

/// A library laid out `Artist/Album/NN Title.ext`, one file with damaged
/// tags and one whose tags claim gigabytes.
fn library(root: &Path) {
    let a = root.join("The Artist/The Album");
    tagged(
        &a.join("01 One.mp3"),
        1.0,
        &[
            ("title", "One"),
            ("artist", "The Artist"),
            ("genre", "(17)"),
        ],
    );
    tagged(
        &a.join("02 Two.flac"),
        1.0,
        &[
            ("title", "Two"),
            ("artist", "The Artist"),
            ("genre", "rock"),
        ],
    );
    tagged(
        &root.join("B/Other/01 Three.ogg"),
        1.0,
        &[("title", "Three"), ("artist", "B")],
    );
    // Damaged ID3v2 frame: the frame's size says 0x7f7f7f7f bytes.
    let bad = root.join("B/Other/02 Damaged.mp3");
    tagged(&bad, 1.0, &[("title", "Damaged"), ("genre", "Rock")]);
    patch(&bad, b"TIT2", b"TIT2\x7f\x7f\x7f\x7f");
    // A Vorbis comment whose length claims 4 GB.
    let huge = root.join("B/Other/03 Huge.flac");
    tagged(&huge, 1.0, &[("title", "Huge"), ("genre", "Rock")]);
    let mut b = std::fs::read(&huge).unwrap();
    let at = b
        .windows(6)
        .position(|w| w == b"title=" || w == b"TITLE=")
        .unwrap();
    b[at - 4..at].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&huge, b).unwrap();
}

#[test]
fn indexing_stores_tags_labels_from_genres_and_still_analyses_damaged_tags() {
    if !have_ffmpeg() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("lib");
    library(&root);
    let root = std::fs::canonicalize(&root).unwrap();
    let index = d.path().join("lib.idx");
    let r = run(&root, &index, indexer::real_analysis());
    assert_eq!(r.failed(), 0, "{:?}", r.failures);
    assert_eq!(r.analysed, 5);
    let idx = Index::load(&index).unwrap().unwrap();
    let one = entry(&idx, "01 One.mp3");
    assert_eq!(one.name(), "The Artist — One");
    assert_eq!(one.label.as_deref(), Some("Rock"));
    assert_eq!(entry(&idx, "02 Two.flac").label.as_deref(), Some("Rock"));
    let three = entry(&idx, "01 Three.ogg");
    assert_eq!(
        (three.name().as_str(), three.label.as_deref()),
        ("B — Three", None)
    );
    for damaged in ["02 Damaged.mp3", "03 Huge.flac"] {
        let e = entry(&idx, damaged);
        assert!(matches!(e.outcome, Outcome::Analysed { .. }), "{damaged}");
        assert!(e.tags.is_some(), "{damaged}");
    }
    assert_eq!(idx.header.labels, LabelSource::Auto);
}

#[test]
fn an_index_of_the_previous_format_gets_its_tags_without_new_analysis() {
    if !have_ffmpeg() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("lib");
    tagged(
        &root.join("a.flac"),
        1.0,
        &[("title", "A"), ("artist", "X"), ("genre", "Jazz")],
    );
    tagged(&root.join("b.mp3"), 1.0, &[("title", "B"), ("artist", "Y")]);
    let root = std::fs::canonicalize(&root).unwrap();
    let index = d.path().join("lib.idx");
    let calls = AtomicUsize::new(0);
    let counting = |p: &Path| {
        calls.fetch_add(1, Ordering::SeqCst);
        musim::analysis::analyze_file(p)
    };
    run(&root, &index, &counting);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let now = Index::load(&index).unwrap().unwrap();
    // What an older musim wrote: no tags, folder labels.
    std::fs::write(&index, now.encode_previous_format().unwrap()).unwrap();
    let old = Index::load(&index).unwrap().unwrap();
    assert!(old.entries.iter().all(|e| e.tags.is_none()));
    let r = run(&root, &index, &counting);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "nothing analysed again");
    assert_eq!(r.unchanged, 2);
    let up = Index::load(&index).unwrap().unwrap();
    let a = entry(&up, "a.flac");
    assert_eq!(
        a.tags.as_ref().map(Tags::genres),
        Some(vec!["Jazz".to_string()])
    );
    assert_eq!(a.label.as_deref(), Some("Jazz"));
    assert_eq!(entry(&up, "b.mp3").name(), "Y — B");
    for (u, n) in up.entries.iter().zip(&now.entries) {
        assert_eq!(u.outcome, n.outcome);
    }
}

/// A library laid out `Artist/Album/NN Title.ext` whose genres are only in
/// the tags: two artists of low tones tagged Rock, two of high tones tagged
/// Jazz (one with its genre as an ID3v1 number), and one untagged track.
fn tagged_library(root: &Path) {
    let specs = [
        ("Ann", "rock", 220.0),
        ("Bob", "Rock", 260.0),
        ("Cid", "jazz", 1800.0),
        ("Dee", "(8)", 2100.0),
    ];
    for (artist, genre, freq) in specs {
        for n in 0..3 {
            let title = format!("{artist} Song {n}");
            let p = root
                .join(artist)
                .join("Album")
                .join(format!("0{n} {title}.mp3"));
            let album = format!("{artist} Album");
            let meta = [
                ("title", title.as_str()),
                ("artist", artist),
                ("album", album.as_str()),
                ("genre", genre),
                ("date", "2010"),
            ];
            tone(&p, freq + 15.0 * f64::from(n), 2.0, &meta);
        }
    }
    tagged(&root.join("loose/untagged.mp3"), 2.0, &[]);
}

#[test]
fn a_tag_labelled_library_is_named_and_scored_on_the_command_line() {
    if !have_ffmpeg() {
        return;
    }
    let env = cli_support::Env::new();
    let lib = env.path("lib");
    tagged_library(&lib);
    let l = lib.to_str().unwrap();
    env.run_ok(&["index", "--library", l]);
    let r = env.run_ok(&["--library", l]);
    // 12 of 13 tracks labelled from tags, with Jazz from "(8)" and "jazz".
    assert!(
        r.stdout.contains(
            "labels:    2: Jazz (6), Rock (6) (from genre tags; 12 of 13 tracks labelled)"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("tags:      12 of 13 analysed tracks have a title, 12 an artist, 12 a genre"),
        "{}",
        r.stdout
    );
    let r = env.run_ok(&["train", "--library", l]);
    assert!(r.stdout.contains("★ Ann — Ann Song"), "{}", r.stdout);

    let q = lib.join("Ann/Album/00 Ann Song 0.mp3");
    // The same query as JSON and as text with a playlist.
    let query = |more: &[&str]| {
        let mut args = vec!["query", "--library", l, q.to_str().unwrap(), "-k", "3"];
        args.extend_from_slice(more);
        env.run_ok(&args)
    };
    let r = query(&["--json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (&j["track"]["title"], &j["track"]["artist"]),
        (&"Ann Song 0".into(), &"Ann".into())
    );
    assert_eq!(j["genre"]["genre"], "Rock");
    let first = &j["similar"][0];
    assert_eq!(first["genre"], "Rock");
    assert!(first["name"].as_str().unwrap().contains(" — "), "{first}");
    assert_eq!(first["year"], 2010);

    let m3u = env.path("q.m3u");
    let r = query(&["--m3u", m3u.to_str().unwrap()]);
    assert!(
        r.stdout.contains("track:   Ann — Ann Song 0"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(" Rock         Ann — Ann Song 1"),
        "{}",
        r.stdout
    );
    let playlist = std::fs::read_to_string(&m3u).unwrap();
    assert!(
        playlist.starts_with("#EXTM3U\n#EXTINF:2,Ann - Ann Song "),
        "{playlist}"
    );

    let csv_path = env.path("f.csv");
    env.run_ok(&[
        "export",
        "--library",
        l,
        "--format",
        "csv",
        "-o",
        csv_path.to_str().unwrap(),
    ]);
    let mut rd = csv::Reader::from_path(&csv_path).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 13);
    let untagged = rows
        .iter()
        .find(|r| r[0].ends_with("untagged.mp3"))
        .unwrap();
    // Unlabelled, named by its stem, and still given a predicted genre.
    assert_eq!(
        (&untagged[1], &untagged[3], &untagged[7]),
        ("", "untagged", "")
    );
    assert!(["Rock", "Jazz"].contains(&&untagged[9]), "{untagged:?}");
    let c: f64 = untagged[10].parse().unwrap();
    assert!(c > 0.0 && c <= 1.0);
    for r in rows.iter().filter(|r| !r[1].is_empty()) {
        // Leave-one-out predictions on well-separated tones are right.
        assert_eq!(&r[9], &r[1], "{r:?}");
        assert_eq!(&r[8], "2010");
    }

    // The report scores with the artist and album filters, with chance levels.
    let out = env.path("report");
    env.run_ok(&[
        "report",
        "--library",
        l,
        "-o",
        out.to_str().unwrap(),
        "--compare",
        "seed",
    ]);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    for key in ["artist_filtered", "album_filtered"] {
        let f = &m[key];
        assert_eq!(
            (&f["evaluated"], &f["groups"]),
            (&12.into(), &4.into()),
            "{key}: {f}"
        );
        for score in ["precision_at_5", "precision_at_10", "knn_accuracy"] {
            let v = f[score]["value"]
                .as_f64()
                .unwrap_or_else(|| panic!("{key}.{score}: {f}"));
            let c = f[score]["chance"].as_f64().unwrap();
            assert!(
                (0.0..=1.0).contains(&v) && (0.0..1.0).contains(&c),
                "{key}.{score}: {f}"
            );
        }
        // Each genre has two artists of three tracks: a query's allowed
        // neighbours are 3 of its genre out of 9.
        let chance = f["precision_at_5"]["chance"].as_f64().unwrap();
        assert!((chance - 3.0 / 9.0).abs() < 1e-9, "{chance}");
        // Separated tones: the other artist of the genre is still nearest.
        assert_eq!(f["knn_accuracy"]["value"], 1.0, "{key}: {f}");
    }
    let seed = &m["comparison"][1];
    assert_eq!(seed["profile"], "seed");
    assert!(
        seed["precision_at_5_artist_filtered"].as_f64().is_some(),
        "{seed}"
    );
    assert!(
        seed["knn_accuracy_album_filtered"].as_f64().is_some(),
        "{seed}"
    );
    // Its P@5 against the active profile's, with an interval: 4 artists
    // are too few to resample, so the 12 labelled tracks are.
    let first = &m["comparison"][0];
    let d = &seed["precision_at_5_diff"];
    assert_eq!(
        (
            &d["against"],
            &d["groups"],
            &d["group_kind"],
            &d["resamples"]
        ),
        (&first["profile"], &12.into(), &"track".into(), &2000.into()),
        "{seed}"
    );
    let diff = d["diff"].as_f64().unwrap();
    let p5 = |s: &serde_json::Value| s["precision_at_5"].as_f64().unwrap();
    assert!(
        (diff - (p5(seed) - p5(first))).abs() < 1e-9,
        "{seed} {first}"
    );
    let (low, high) = (d["low"].as_f64().unwrap(), d["high"].as_f64().unwrap());
    assert!(low <= diff && diff <= high, "{d}");
    assert!(first["precision_at_5_diff"].is_null(), "{first}");
    assert!(first["precision_at_5_diff_reason"].is_string(), "{first}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| seed | ") && md.contains("(2000 resamples of 12 tracks (too few"),
        "{md}"
    );
    assert!(md.contains("## Neighbour search, artist-filtered"), "{md}");
    assert!(md.contains("## Neighbour search, album-filtered"), "{md}");
}

/// An MP3 tone made by ffmpeg with `extra` arguments before the output.
fn mp3_with(path: &Path, freq: f64, extra: &[&std::ffi::OsStr]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let sine = format!("sine=frequency={freq}:duration=2");
    let mut args: Vec<&std::ffi::OsStr> = ["-f", "lavfi", "-i", &sine]
        .into_iter()
        .map(std::ffi::OsStr::new)
        .collect();
    args.extend_from_slice(extra);
    args.push(path.as_os_str());
    cli_support::ffmpeg(args);
}

/// The bad tags: terminal escapes, CR, a C1 control and 300
/// genres in one field; UTF-16 text (ID3v2.3); bytes that are not UTF-8.
/// Every file is analysed, the text is stored intact, and no command
/// prints a raw escape, BEL, CR or C1 control.
#[test]
fn hostile_utf16_and_non_utf8_tags_are_stored_intact_and_shown_safely() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    if !have_ffmpeg() {
        return;
    }
    let env = cli_support::Env::new();
    let lib = env.path("lib");
    let evil_title = "\u{1b}]0;pwned\u{7}Evil\u{1b}[2J\rX";
    let evil_artist = "Art\u{9b}31mist";
    let genres: Vec<String> = (0..300).map(|i| format!("g{i}")).collect();
    let (title, artist, genre) = (
        format!("title={evil_title}"),
        format!("artist={evil_artist}"),
        format!("genre={}", genres.join(";")),
    );
    let m = OsStr::new("-metadata");
    mp3_with(
        &lib.join("hostile.mp3"),
        300.0,
        &[m, title.as_ref(), m, artist.as_ref(), m, genre.as_ref()],
    );
    mp3_with(
        &lib.join("utf16.mp3"),
        500.0,
        &[
            OsStr::new("-id3v2_version"),
            OsStr::new("3"),
            m,
            OsStr::new("title=Ünïcödé ☺"),
            m,
            OsStr::new("artist=Ärtist"),
        ],
    );
    mp3_with(
        &lib.join("latin1.mp3"),
        700.0,
        &[m, OsStr::from_bytes(b"title=caf\xe9 \xff")],
    );

    let root = std::fs::canonicalize(&lib).unwrap();
    let index = env.path("lib.idx");
    let r = run(&root, &index, indexer::real_analysis());
    assert_eq!((r.analysed, r.failed()), (3, 0), "{:?}", r.failures);
    let idx = Index::load(&index).unwrap().unwrap();
    let hostile = entry(&idx, "hostile.mp3").tags.clone().expect("tags");
    assert_eq!(hostile.title.as_deref(), Some(evil_title), "stored intact");
    assert_eq!(
        hostile.artist.as_deref(),
        Some(evil_artist),
        "stored intact"
    );
    let kept = hostile.genres();
    assert!(
        (1..=32).contains(&kept.len()) && kept[0].eq_ignore_ascii_case("g0"),
        "{kept:?}"
    );
    assert_eq!(entry(&idx, "utf16.mp3").name(), "Ärtist — Ünïcödé ☺");
    // Not UTF-8: lofty drops the undecodable frame; the track is analysed
    // and named by its file stem (or by lossily decoded text), never lost.
    let latin = entry(&idx, "latin1.mp3").name();
    assert!(latin == "latin1" || latin.starts_with("caf"), "{latin:?}");

    let l = lib.to_str().unwrap();
    let q = lib.join("utf16.mp3");
    let runs = [
        env.run(&["index", "--library", l]),
        env.run(&["--library", l]),
        env.run(&["train", "--library", l]),
        env.run(&["query", "--library", l, q.to_str().unwrap(), "-k", "2"]),
        env.run(&[
            "query",
            "--library",
            l,
            q.to_str().unwrap(),
            "-k",
            "2",
            "--json",
        ]),
        env.run(&["export", "--format", "json", "--library", l]),
    ];
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
        for out in [&r.stdout, &r.stderr] {
            assert!(
                !out.contains(['\u{1b}', '\u{7}', '\r', '\u{9b}']),
                "raw control in {r:?}"
            );
        }
    }
    // The hostile name is shown, escaped, among the query's neighbours.
    assert!(
        runs[3].stdout.contains("\\e]0;pwned\\aEvil\\e[2J\\rX"),
        "{:?}",
        runs[3]
    );
    assert!(
        runs[3].stdout.contains("Ärtist") || runs[3].stdout.contains("utf16"),
        "{:?}",
        runs[3]
    );
}
