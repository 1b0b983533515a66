//! Safe text, end to end: a library whose file names and genre folder hold
//! terminal control sequences (ESC, BEL, CR, DEL, the C1 CSI U+009B, a
//! newline). Every command's stdout and stderr must show them escaped,
//! never raw (a raw `\e]0;…\a` retitles the window, `\e[2J` clears the
//! screen, `\r` overwrites the line), while the data outputs keep the
//! exact names: JSON escapes them and decodes back to them, CSV keeps them.

mod cli_support;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cli_support::{wav, Env, BIN};

/// The genre folder: an OSC title sequence ended by BEL, a CR, a C1 CSI.
const GENRE: &str = "ro\u{1b}]0;owned\u{7}\rck\u{9b}";
/// How [`GENRE`] is shown.
const GENRE_SHOWN: &str = "ro\\e]0;owned\\a\\rck\\x9b";
/// Audio files in [`GENRE`]: (name, how it is shown, sine frequency).
const ODD: [(&str, &str, f32); 3] = [
    ("a\u{1b}[2J\r.wav", "a\\e[2J\\r.wav", 300.0),
    ("b\u{9b}31m\u{7f}.wav", "b\\x9b31m\\x7f.wav", 340.0),
    ("c\u{7}\nFAKE LINE.wav", "c\\a\\nFAKE LINE.wav", 380.0),
];

/// `musim-tui args…` in `env` (as `Env::run` does), keeping the raw bytes
/// of its output; stdin is not a terminal.
fn run(env: &Env, args: &[&OsStr]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("HOME", &env.home)
        .env("XDG_CONFIG_HOME", env.home.join(".config"))
        .env("XDG_DATA_HOME", env.home.join(".local/share"))
        .env_remove("RUST_BACKTRACE")
        .current_dir(&env.cwd)
        .output()
        .unwrap()
}

/// Where `bytes` holds a raw ESC, BEL, CR, DEL or C1 control (U+0080–
/// U+009F, UTF-8 C2 80…C2 9F).
fn raw_controls(bytes: &[u8]) -> Vec<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| {
            matches!(b, 0x1b | 0x07 | 0x0d | 0x7f)
                || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The run as text, after checking it: exit code `code`, no raw control
/// in stdout or stderr, no forged line.
fn clean(what: &str, out: &Output, code: i32) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\nstdout: {stdout:?}\nstderr: {stderr:?}"
    );
    for (stream, bytes, text) in [
        ("stdout", &out.stdout, &stdout),
        ("stderr", &out.stderr, &stderr),
    ] {
        let at = raw_controls(bytes);
        assert!(
            at.is_empty(),
            "{what}: raw control bytes on {stream} at {at:?}: {text:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("FAKE LINE")),
            "{what}: a newline in a name started a line on {stream}: {text:?}"
        );
    }
    (stdout, stderr)
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// The library: [`GENRE`] with the [`ODD`] clips, a text file posing as an
/// mp3 and a skipped non-audio file (both oddly named); `jazz` with three
/// noise clips.
fn library(env: &Env) -> PathBuf {
    let lib = env.path("lib");
    for (name, _, freq) in ODD {
        wav(&lib.join(GENRE).join(name), freq, 2.0);
    }
    std::fs::write(lib.join(GENRE).join("bad\u{1b}[31m.mp3"), b"not audio\n").unwrap();
    std::fs::write(lib.join(GENRE).join("notes\u{1b}[2J.txt"), b"hello\n").unwrap();
    for i in 0..3 {
        wav(
            &lib.join(format!("jazz/j{i}.wav")),
            0.0,
            2.0 + 0.5 * i as f32,
        );
    }
    lib
}

fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn control_characters_in_names_are_shown_escaped_and_kept_as_data() {
    let env = Env::new();
    let lib = library(&env);
    let idx = env.path("lib.idx");
    let base: Vec<OsString> = vec![
        "--library".into(),
        lib.clone().into(),
        "--index".into(),
        idx.clone().into(),
    ];
    let with = |args: &[&OsStr]| -> Vec<OsString> {
        args.iter()
            .map(|a| a.to_os_string())
            .chain(base.iter().cloned())
            .collect()
    };
    let go = |args: &[&OsStr]| {
        let v = with(args);
        let refs: Vec<&OsStr> = v.iter().map(OsString::as_os_str).collect();
        run(&env, &refs)
    };
    let track = |i: usize| lib.join(GENRE).join(ODD[i].0);

    // index: the run summary (failure reason, skipped file) on stdout.
    let (out, _) = clean("index", &go(&[os("index")]), 0);
    assert!(out.contains("6 analysed"), "{out}");
    assert!(
        out.contains(&format!("{GENRE_SHOWN}/bad\\e[31m.mp3")),
        "the failure names the file, escaped: {out}"
    );
    assert!(out.contains("notes\\e[2J.txt"), "{out}");

    // train: the model's clusters with genre mix and representatives.
    let (out, _) = clean("train", &go(&[os("train")]), 0);
    assert!(out.contains(GENRE_SHOWN), "{out}");
    assert!(out.contains("model: 6 tracks"), "{out}");

    // No subcommand, stdout not a terminal: the summaries.
    let (out, err) = clean("no subcommand", &go(&[]), 0);
    assert!(
        out.contains(&format!("labels:    2: jazz (3), {GENRE_SHOWN} (3)")),
        "{out}"
    );
    assert!(err.contains("0 analysed, 7 unchanged"), "{err}");

    // query FILE, as text.
    let a = track(0);
    let (out, _) = clean("query", &go(&[os("query"), a.as_os_str()]), 0);
    assert!(
        out.starts_with(&format!(
            "query: {}",
            lib.join(GENRE_SHOWN).join(ODD[0].1).display()
        )),
        "{out}"
    );
    assert!(out.contains(ODD[1].1) && out.contains(ODD[2].1), "{out}");
    assert!(out.contains(&format!("genre:   {GENRE_SHOWN}")), "{out}");

    // query --json: escaped on the wire, the exact names once decoded.
    let (out, _) = clean(
        "query --json",
        &go(&[os("query"), os("--json"), a.as_os_str()]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["source"], a.to_str().unwrap());
    let similar: Vec<(String, Option<String>)> = v["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                file_name(s["path"].as_str().unwrap()),
                s["label"].as_str().map(String::from),
            )
        })
        .collect();
    for (name, _, _) in &ODD[1..] {
        assert!(
            similar.contains(&(name.to_string(), Some(GENRE.to_string()))),
            "{name:?} in {similar:?}"
        );
    }

    // path A B, as text and as JSON.
    let c = track(2);
    let (out, _) = clean("path", &go(&[os("path"), a.as_os_str(), c.as_os_str()]), 0);
    // Untagged tracks are named by their file stem.
    let stem = |shown: &'static str| shown.trim_end_matches(".wav");
    assert!(
        out.contains(stem(ODD[0].1)) && out.contains(stem(ODD[2].1)),
        "{out}"
    );
    assert!(out.contains(GENRE_SHOWN), "{out}");
    let (out, _) = clean(
        "path --json",
        &go(&[os("path"), os("--json"), a.as_os_str(), c.as_os_str()]),
        0,
    );
    let steps: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps = steps.as_array().unwrap();
    assert_eq!(file_name(steps[0]["path"].as_str().unwrap()), ODD[0].0);
    assert_eq!(
        file_name(steps.last().unwrap()["path"].as_str().unwrap()),
        ODD[2].0
    );
    assert_eq!(steps[0]["label"], GENRE);

    // An error line naming such a file.
    let gone = lib.join("gone\u{1b}]0;x\u{7}.wav");
    let (_, err) = clean("missing query", &go(&[os("query"), gone.as_os_str()]), 1);
    assert!(
        err.starts_with("musim-tui: error: query file ") && err.contains("gone\\e]0;x\\a.wav"),
        "{err}"
    );

    // report into an oddly named folder: its printed summary.
    let dir = env.path("rep\u{1b}[2J\r");
    let (out, _) = clean("report", &go(&[os("report"), os("-o"), dir.as_os_str()]), 0);
    assert!(
        out.contains("report written to ") && out.contains("rep\\e[2J\\r"),
        "{out}"
    );

    // export: JSON escaped and exact once decoded; CSV keeps the data as it is.
    let (out, _) = clean(
        "export json",
        &go(&[os("export"), os("--format"), os("json")]),
        0,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<String> = v["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| file_name(t["path"].as_str().unwrap()))
        .collect();
    for (name, _, _) in ODD {
        assert!(names.contains(&name.to_string()), "{name:?} in {names:?}");
    }
    let csv = go(&[os("export"), os("--format"), os("csv")]);
    assert_eq!(csv.status.code(), Some(0));
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.contains(&format!("{GENRE}/{}", ODD[1].0)), "{text:?}");
}
