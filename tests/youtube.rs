//! `musim::youtube::fetch` against fake yt-dlp programs: small `/bin/sh`
//! scripts that accept exactly the options musim passes (anything else is an
//! error, as with the real one), answer `--print` the way yt-dlp does, and
//! then succeed, fail or hang as each test needs. Nothing touches the
//! network and the process environment is never changed: the fakes are
//! found through `FetchOptions::search_path` or `program`. The tests at the
//! end run `musim-tui query` itself with the fake first on its PATH, to
//! kill and interrupt it mid-download.
#![cfg(unix)]

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use musim::youtube::{fetch, Download, FetchOptions, YoutubeError, TEMP_PREFIX};

const URL: &str = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";

/// Parses the arguments like yt-dlp's option parser would for the options
/// musim uses, refusing anything else, and defines helpers for the bodies:
/// `dest EXT` (the `-o` template with `%(ext)s` filled in), `say_title T` and
/// `say_file F` (what the two `--print` templates print, if given).
const PRELUDE: &str = r#"
set -u
fmt=""; out=""; url=""; print_title=""; print_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-playlist|--no-progress|--no-simulate) ;;
    -f) shift; fmt="${1-}" ;;
    -o) shift; out="${1-}" ;;
    --print) shift
      case "${1-}" in
        'video:musim-title:%(title)s') print_title=1 ;;
        'after_move:musim-file:%(filepath)s') print_file=1 ;;
        *) echo "fake yt-dlp: unexpected --print ${1-}" >&2; exit 2 ;;
      esac ;;
    --) shift
      [ $# -eq 1 ] || { echo "yt-dlp: error: expected exactly one URL" >&2; exit 2; }
      url="$1" ;;
    *) echo "yt-dlp: error: no such option: $1" >&2; exit 2 ;;
  esac
  shift
done
case "$fmt" in 'bestaudio[ext=m4a]/'*) ;; *) echo "yt-dlp: error: bad format $fmt" >&2; exit 2 ;; esac
case "$out" in /*'/audio.%(ext)s') ;; *) echo "yt-dlp: error: bad -o $out" >&2; exit 2 ;; esac
case "$url" in http://*|https://*) ;; *) echo "yt-dlp: error: bad URL $url" >&2; exit 2 ;; esac
dest() { printf '%s' "$out" | sed "s/%(ext)s/$1/; s/%%/%/g"; }
say_title() { [ -z "$print_title" ] || printf 'musim-title:%s\n' "$1"; }
say_file() { [ -z "$print_file" ] || printf 'musim-file:%s\n' "$1"; }
"#;

/// One test's sandbox: `bin/` (the search path), `tmp/` (the temp parent), a
/// real WAV to "download", and a place for the fakes to leave notes.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        for d in ["bin", "tmp", "empty", "notes"] {
            std::fs::create_dir(root.path().join(d)).unwrap();
        }
        write_wav(&root.path().join("song.wav"));
        Self { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// Write `bin/<name>`: shebang, `extra` (e.g. a python3 argument
    /// check), the argument parser, then `body`. `@WAV@` and `@NOTES@` in
    /// the body become the sandbox's WAV file and notes folder.
    fn script(&self, name: &str, extra: &str, body: &str) -> PathBuf {
        let body = body
            .replace("@WAV@", &self.path("song.wav").display().to_string())
            .replace("@NOTES@", &self.path("notes").display().to_string());
        let text = format!(
            "#!/bin/sh\n# fake {name} for musim's tests\n{extra}\ntouch '{}/ran'\n{PRELUDE}\n{body}\n",
            self.path("notes").display()
        );
        let p = self.path("bin").join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn ytdlp(&self, body: &str) -> PathBuf {
        self.script("yt-dlp", "", body)
    }

    /// Options finding programs in `bin/` only, temp folders in `tmp/`.
    fn opts(&self) -> FetchOptions {
        FetchOptions {
            search_path: Some(self.path("bin").into_os_string()),
            temp_parent: Some(self.path("tmp")),
            ..FetchOptions::default()
        }
    }

    fn fetch(&self, url: &str) -> Result<Download, YoutubeError> {
        fetch(url, &self.opts())
    }

    /// The fake was started.
    fn ran(&self) -> bool {
        self.path("notes/ran").exists()
    }

    /// What is left in the temp parent (must be nothing after a failure).
    fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.path("tmp"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    fn assert_clean(&self) {
        assert_eq!(
            self.leftovers(),
            Vec::<PathBuf>::new(),
            "temp folders left behind"
        );
    }
}

/// One second of a 440 Hz sine, 22050 Hz mono 16-bit.
fn write_wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..22050 {
        let t = i as f32 / 22050.0;
        let v = 0.5 * (2.0 * std::f32::consts::PI * 440.0 * t).sin();
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// A well-behaved yt-dlp: title, download, final path.
const GOOD: &str = r#"
say_title 'Fake Song – live'
printf '%s' "$url" > '@NOTES@/url'
f=$(dest wav)
cp '@WAV@' "$f.part" && mv "$f.part" "$f"
say_file "$f"
"#;

/// Fail like yt-dlp does: a warning, then `ERROR: <msg>` and exit 1.
fn failing(msg: &str) -> String {
    format!(
        "echo 'WARNING: [youtube] some harmless warning' >&2\n\
         echo \"ERROR: {msg}\" >&2\nexit 1\n"
    )
}

fn message(e: &YoutubeError) -> String {
    e.to_string()
}

#[test]
fn success_returns_decodable_audio_and_the_title_then_cleans_up() {
    let sb = Sandbox::new();
    sb.ytdlp(GOOD);
    let dl = sb.fetch(&format!("  {URL}\n")).unwrap();
    assert_eq!(dl.url, URL);
    assert_eq!(dl.title.as_deref(), Some("Fake Song – live"));
    assert_eq!(std::fs::read_to_string(sb.path("notes/url")).unwrap(), URL);
    assert_eq!(dl.audio.file_name().unwrap(), "audio.wav");
    assert!(dl.audio.starts_with(dl.dir()));
    assert!(dl.dir().starts_with(sb.path("tmp")));
    let (_, samples) = musim::audio::decode_mono(&dl.audio).unwrap();
    assert!(
        (samples.len() as i64 - 22050).abs() < 100,
        "{}",
        samples.len()
    );

    let dir = dl.dir().to_path_buf();
    assert!(dir.is_dir());
    drop(dl);
    assert!(!dir.exists(), "temp folder kept after drop");
    sb.assert_clean();
}

#[test]
fn any_http_address_is_handed_to_ytdlp() {
    let sb = Sandbox::new();
    sb.ytdlp(GOOD);
    for url in [
        "https://youtu.be/dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=abc&list=RDAMVMabc",
        "https://www.youtube.com/shorts/abc123",
        "http://example.com/some/track",
    ] {
        let dl = sb.fetch(url).unwrap();
        assert_eq!(std::fs::read_to_string(sb.path("notes/url")).unwrap(), url);
        assert!(dl.audio.is_file());
    }
    // Scheme and host are case-insensitive; yt-dlp's site patterns are not.
    let dl = sb.fetch("HTTPS://WWW.YOUTUBE.COM/watch?v=AbC").unwrap();
    let expected = "https://www.youtube.com/watch?v=AbC";
    assert_eq!(dl.url, expected);
    assert_eq!(
        std::fs::read_to_string(sb.path("notes/url")).unwrap(),
        expected
    );
    drop(dl);
    sb.assert_clean();
}

#[test]
fn non_http_strings_are_refused_without_running_anything() {
    let sb = Sandbox::new();
    sb.ytdlp(GOOD);
    for bad in [
        "ftp://x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "",
        "   ",
        "\t\n",
        "https://",
        "-o /etc/passwd",
        "www.youtube.com/watch?v=x",
    ] {
        match sb.fetch(bad) {
            Err(e @ YoutubeError::NotHttp { .. }) => {
                let m = message(&e);
                assert!(m.contains("not an http(s) URL"), "{m}");
                assert!(m.contains(&format!("{bad:?}")), "{m}");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(!sb.ran());
    sb.assert_clean();
}

#[test]
fn nothing_on_the_path_is_not_installed() {
    let sb = Sandbox::new();
    let opts = FetchOptions {
        search_path: Some(sb.path("empty").into_os_string()),
        ..sb.opts()
    };
    let e = fetch(URL, &opts).unwrap_err();
    assert!(matches!(e, YoutubeError::NotInstalled { .. }), "{e:?}");
    let m = message(&e);
    for word in [
        URL,
        "not installed",
        "pipx install yt-dlp",
        "pip install --user yt-dlp",
        "MUSIM_YTDLP",
    ] {
        assert!(m.contains(word), "{word:?} missing in: {m}");
    }
    sb.assert_clean();
}

#[test]
fn a_missing_explicit_program_is_not_installed() {
    let sb = Sandbox::new();
    let missing = sb.path("bin/no-such-yt-dlp");
    let opts = FetchOptions {
        program: Some(missing.clone()),
        ..sb.opts()
    };
    let e = fetch(URL, &opts).unwrap_err();
    assert!(matches!(e, YoutubeError::NotInstalled { .. }), "{e:?}");
    let m = message(&e);
    assert!(m.contains(&missing.display().to_string()), "{m}");
    assert!(m.contains("does not exist"), "{m}");
    sb.assert_clean();
}

#[test]
fn an_explicit_program_wins_over_the_search_path() {
    let sb = Sandbox::new();
    // The one on the path would fail; the explicit one is elsewhere.
    sb.ytdlp(&failing("wrong program"));
    let good = sb.path("good-yt-dlp");
    std::fs::rename(sb.script("tmp-good", "", GOOD), &good).unwrap();
    let opts = FetchOptions {
        program: Some(good),
        ..sb.opts()
    };
    let dl = fetch(URL, &opts).unwrap();
    assert_eq!(dl.title.as_deref(), Some("Fake Song – live"));
}

#[test]
fn python3_module_is_the_fallback() {
    let sb = Sandbox::new();
    let check = r#"[ "${1-}" = -m ] && [ "${2-}" = yt_dlp ] || { echo "python3: unexpected $*" >&2; exit 2; }
shift 2"#;
    sb.script("python3", check, GOOD);
    let dl = sb.fetch(URL).unwrap();
    assert_eq!(dl.title.as_deref(), Some("Fake Song – live"));
    assert!(musim::audio::decode_mono(&dl.audio).is_ok());
}

#[test]
fn python3_without_the_module_is_not_installed() {
    let sb = Sandbox::new();
    let p = sb.path("bin/python3");
    std::fs::write(
        &p,
        "#!/bin/sh\necho \"$0: No module named yt_dlp\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let e = sb.fetch(URL).unwrap_err();
    assert!(matches!(e, YoutubeError::NotInstalled { .. }), "{e:?}");
    let m = message(&e);
    assert!(m.contains("No module named yt_dlp"), "{m}");
    assert!(m.contains("pipx install yt-dlp"), "{m}");
    sb.assert_clean();
}

#[test]
fn network_failures_are_reported_as_such() {
    for err in [
        "[youtube] dQw4w9WgXcQ: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution> (caused by URLError(gaierror(-3, 'Temporary failure in name resolution')))",
        "[youtube] dQw4w9WgXcQ: Unable to download API page: HTTP Error 503: Service Unavailable",
        "unable to download video data: <urlopen error [Errno 110] Connection timed out>",
    ] {
        let sb = Sandbox::new();
        sb.ytdlp(&format!("f=$(dest m4a)\necho partial > \"$f.part\"\n{}", failing(err)));
        let e = sb.fetch(URL).unwrap_err();
        assert!(matches!(e, YoutubeError::Network { .. }), "{err}: {e:?}");
        let m = message(&e);
        assert!(m.contains(URL) && m.contains("network problem"), "{m}");
        assert!(m.contains("check the internet connection"), "{m}");
        sb.assert_clean();
    }
}

#[test]
fn private_and_unavailable_videos_are_unavailable() {
    for (err, key) in [
        (
            "[youtube] dQw4w9WgXcQ: Private video. Sign in if you've been granted access to this video",
            "Private video",
        ),
        (
            "[youtube] dQw4w9WgXcQ: Video unavailable. This video is no longer available because the YouTube account associated with this video has been terminated.",
            "Video unavailable",
        ),
        ("[generic] Unable to download webpage: HTTP Error 404: Not Found", "404"),
    ] {
        let sb = Sandbox::new();
        sb.ytdlp(&failing(err));
        let e = sb.fetch(URL).unwrap_err();
        assert!(matches!(e, YoutubeError::Unavailable { .. }), "{err}: {e:?}");
        let m = message(&e);
        assert!(m.contains(URL) && m.contains("unavailable") && m.contains(key), "{m}");
        assert!(!m.contains("WARNING"), "{m}");
        sb.assert_clean();
    }
}

#[test]
fn a_download_that_is_not_audio_is_not_audio() {
    let sb = Sandbox::new();
    sb.ytdlp(
        r#"say_title 'A web page'
f=$(dest m4a)
printf '<!DOCTYPE html>\n<html><body>Consent required</body></html>\n' > "$f"
say_file "$f"
"#,
    );
    let e = sb.fetch(URL).unwrap_err();
    match &e {
        YoutubeError::NotAudio { url, file, .. } => {
            assert_eq!(url, URL);
            assert_eq!(file.file_name().unwrap(), "audio.m4a");
            assert!(!file.exists(), "the bad download was kept");
        }
        other => panic!("{other:?}"),
    }
    let m = message(&e);
    assert!(
        m.contains(URL) && m.contains("not audio musim can decode"),
        "{m}"
    );
    sb.assert_clean();
}

/// Whether `pid` is still running (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
    }
}

/// The pids a hanging fake wrote: its shell and its `sleep` child.
fn hung_pids(sb: &Sandbox) -> Vec<u32> {
    ["notes/sh.pid", "notes/sleep.pid"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(sb.path(f)).ok())
        .map(|s| s.trim().parse().unwrap())
        .collect()
}

/// A yt-dlp that hangs (in a grandchild, as when it runs ffmpeg) after
/// starting a partial download.
const HANG: &str = r#"
echo $$ > '@NOTES@/sh.pid'
f=$(dest m4a)
echo partial > "$f.part"
sleep 30 &
echo $! > '@NOTES@/sleep.pid'
wait
"#;

fn assert_all_killed(sb: &Sandbox) {
    let pids = hung_pids(sb);
    assert_eq!(pids.len(), 2, "the fake did not start properly");
    if !Path::new("/proc/self/stat").exists() {
        return;
    }
    let until = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    for p in pids {
        assert!(!alive(p), "process {p} survived");
    }
}

#[test]
fn a_hanging_download_times_out_and_is_killed() {
    let sb = Sandbox::new();
    sb.ytdlp(HANG);
    let opts = FetchOptions {
        timeout: Duration::from_millis(300),
        ..sb.opts()
    };
    let start = Instant::now();
    let e = fetch(URL, &opts).unwrap_err();
    let took = start.elapsed();
    assert!(matches!(e, YoutubeError::Timeout { .. }), "{e:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let m = message(&e);
    assert!(m.contains(URL) && m.contains("0.3 s"), "{m}");
    assert_all_killed(&sb);
    sb.assert_clean();
}

/// A cancel (the explorer's Esc) and an interrupt (Ctrl-C) both stop the
/// download; each says which it was.
#[test]
fn cancelling_or_interrupting_kills_the_download() {
    for interrupt in [false, true] {
        let sb = Sandbox::new();
        sb.ytdlp(HANG);
        let flag = Arc::new(AtomicBool::new(false));
        let set = Some(Arc::clone(&flag));
        let opts = if interrupt {
            FetchOptions {
                interrupt: set,
                ..sb.opts()
            }
        } else {
            FetchOptions {
                cancel: set,
                ..sb.opts()
            }
        };
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            flag.store(true, Ordering::Release);
        });
        let start = Instant::now();
        let e = fetch(URL, &opts).unwrap_err();
        setter.join().unwrap();
        match (&e, interrupt) {
            (YoutubeError::Cancelled { .. }, false) => {}
            (YoutubeError::Interrupted { .. }, true) => {
                assert!(message(&e).contains("interrupted"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(message(&e).contains(URL));
        assert_all_killed(&sb);
        sb.assert_clean();
    }
}

#[test]
fn an_already_cancelled_fetch_runs_nothing() {
    let sb = Sandbox::new();
    sb.ytdlp(GOOD);
    let opts = FetchOptions {
        cancel: Some(Arc::new(AtomicBool::new(true))),
        ..sb.opts()
    };
    let e = fetch(URL, &opts).unwrap_err();
    assert!(matches!(e, YoutubeError::Cancelled { .. }), "{e:?}");
    assert!(!sb.ran());
    sb.assert_clean();
}

#[test]
fn other_errors_are_failures_quoting_the_error_line() {
    let sb = Sandbox::new();
    sb.ytdlp(&format!(
        "f=$(dest m4a)\necho partial > \"$f.part\"\n{}",
        failing("[youtube] dQw4w9WgXcQ: Requested format is not available. Use --list-formats for a list of available formats")
    ));
    let e = sb.fetch(URL).unwrap_err();
    match &e {
        YoutubeError::Failed {
            url,
            status,
            detail,
        } => {
            assert_eq!(url, URL);
            assert_eq!(*status, Some(1));
            assert!(
                detail.starts_with("[youtube] dQw4w9WgXcQ: Requested format"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    let m = message(&e);
    assert!(
        m.contains("exit status 1") && m.contains("update yt-dlp"),
        "{m}"
    );
    sb.assert_clean();
}

#[test]
fn a_crash_without_error_line_quotes_the_last_line() {
    let sb = Sandbox::new();
    sb.ytdlp(
        "echo 'Traceback (most recent call last):' >&2\necho \"KeyError: 'formats'\" >&2\nexit 3",
    );
    match sb.fetch(URL).unwrap_err() {
        YoutubeError::Failed { status, detail, .. } => {
            assert_eq!(status, Some(3));
            assert_eq!(detail, "KeyError: 'formats'");
        }
        other => panic!("{other:?}"),
    }
    sb.assert_clean();
}

#[test]
fn without_printed_lines_the_single_audio_file_is_used() {
    let sb = Sandbox::new();
    // An older or differently configured yt-dlp that prints nothing.
    sb.ytdlp("f=$(dest wav)\ncp '@WAV@' \"$f\"\ntouch \"$(dest webm).part\"\n");
    let dl = sb.fetch(URL).unwrap();
    assert_eq!(dl.audio.file_name().unwrap(), "audio.wav");
    assert_eq!(dl.title, None);
    drop(dl);
    sb.assert_clean();
}

#[test]
fn success_without_a_file_is_no_output() {
    let sb = Sandbox::new();
    sb.ytdlp("say_title 'Nothing'\nexit 0\n");
    let e = sb.fetch(URL).unwrap_err();
    assert!(matches!(e, YoutubeError::NoOutput { .. }), "{e:?}");
    let m = message(&e);
    assert!(m.contains(URL) && m.contains("no audio file"), "{m}");
    sb.assert_clean();
}

#[test]
fn a_chatty_ytdlp_does_not_deadlock() {
    let sb = Sandbox::new();
    // Far more than a pipe buffer (64 KiB) on both streams before finishing.
    sb.ytdlp(&format!(
        "i=0\nwhile [ $i -lt 4000 ]; do\n  echo \"WARNING: chatter $i ......................................\" >&2\n  echo \"[info] noise $i ........................................\"\n  i=$((i+1))\ndone\n{GOOD}"
    ));
    let dl = sb.fetch(URL).unwrap();
    assert_eq!(dl.title.as_deref(), Some("Fake Song – live"));
}

#[test]
fn unknown_options_are_refused_by_the_fake() {
    // Guards the fakes themselves: they must reject what yt-dlp rejects, or
    // the tests above would prove nothing about the arguments.
    let sb = Sandbox::new();
    let fake = sb.ytdlp(GOOD);
    let out = std::process::Command::new(&fake)
        .args(["--bogus", "--", URL])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such option"));
}

/// A planted file must not be read: a copy of the WAV outside every fetch
/// folder, which would pass the audio check if it were followed.
fn plant_secret(sb: &Sandbox) -> PathBuf {
    let secret = sb.path("secret.wav");
    std::fs::copy(sb.path("song.wav"), &secret).unwrap();
    secret
}

#[test]
fn links_and_hard_links_out_of_the_folder_are_refused() {
    for (case, body) in [
        // Printed: a symlink in the folder leading out.
        (
            "printed link",
            "f=$(dest wav)\nln -s '@NOTES@/../secret.wav' \"$f\"\nsay_file \"$f\"",
        ),
        // Not printed: found by the scan of the folder.
        (
            "found link",
            "ln -s '@NOTES@/../secret.wav' \"$(dest wav)\"",
        ),
        // A printed path outside the folder altogether.
        ("printed outside", "say_file '@NOTES@/../secret.wav'"),
        // A hard link is the outside file itself.
        (
            "hard link",
            "f=$(dest wav)\nln '@NOTES@/../secret.wav' \"$f\"\nsay_file \"$f\"",
        ),
    ] {
        let sb = Sandbox::new();
        let secret = plant_secret(&sb);
        sb.ytdlp(&format!("say_title 'Stolen'\n{body}\n"));
        let e = sb.fetch(URL).unwrap_err();
        let m = message(&e);
        match &e {
            YoutubeError::Outside { file, .. } => {
                let name = file.file_name().unwrap();
                assert!(name == "audio.wav" || name == "secret.wav", "{case}: {m}");
                assert!(m.contains(&file.display().to_string()), "{case}: {m}");
            }
            other => panic!("{case}: {other:?}"),
        }
        assert!(m.contains(URL) && m.contains("refused"), "{case}: {m}");
        assert!(secret.is_file(), "{case}: the outside file was touched");
        sb.assert_clean();
    }
}

#[test]
fn a_link_inside_the_folder_is_followed_to_the_real_file() {
    let sb = Sandbox::new();
    sb.ytdlp("f=$(dest wav)\ncp '@WAV@' \"$f.real\"\nln -s \"$f.real\" \"$f\"\nsay_file \"$f\"\n");
    let dl = sb.fetch(URL).unwrap();
    assert_eq!(dl.audio.file_name().unwrap(), "audio.wav.real");
    assert!(dl.audio.starts_with(dl.dir().canonicalize().unwrap()));
}

/// The pid of a process that has ended (a reaped child).
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_fetch_removes_the_folders_of_dead_runs_only() {
    let sb = Sandbox::new();
    sb.ytdlp(GOOD);
    let dead = sb.path(&format!("tmp/{TEMP_PREFIX}{}-AbC123", dead_pid()));
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("audio.m4a.part"), b"partial").unwrap();
    let keep = [
        // A live process's (this test's).
        sb.path(&format!("tmp/{TEMP_PREFIX}{}-XyZ789", std::process::id())),
        // Not named like ours.
        sb.path(&format!("tmp/{TEMP_PREFIX}AbC123")),
        sb.path("tmp/other-folder"),
    ];
    for k in &keep {
        std::fs::create_dir(k).unwrap();
    }
    let dl = sb.fetch(URL).unwrap();
    assert!(!dead.exists(), "a dead run's folder was kept");
    for k in &keep {
        assert!(k.is_dir(), "{} was removed", k.display());
    }
    let name = dl.dir().file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with(&format!("{TEMP_PREFIX}{}-", std::process::id())),
        "{name}"
    );
}

#[test]
fn what_ytdlp_leaves_running_is_killed_after_success() {
    let sb = Sandbox::new();
    sb.ytdlp(&format!(
        "echo $$ > '@NOTES@/sh.pid'\nsleep 30 &\necho $! > '@NOTES@/sleep.pid'\n{GOOD}"
    ));
    let dl = sb.fetch(URL).unwrap();
    assert!(dl.audio.is_file());
    assert_all_killed(&sb);
}

/// Raw control characters (ESC, BEL, CR, DEL, C1) in `text`, a terminal's
/// output; newlines are the output's own.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect()
}

/// A title and an error line that would retitle the window, clear the
/// screen and overwrite the line if printed raw.
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\rgone \u{9b}31m";
const HOSTILE_SHOWN: &str = "\\e]0;owned\\a\\e[2J\\rgone \\x9b31m";

#[test]
fn escape_codes_in_error_text_are_shown_not_obeyed() {
    let sb = Sandbox::new();
    sb.ytdlp(&failing(&format!("[youtube] x: {HOSTILE}")));
    let m = message(&sb.fetch(URL).unwrap_err());
    assert!(m.contains(HOSTILE_SHOWN), "{m:?}");
    assert_eq!(raw_controls(&m), Vec::<char>::new(), "{m:?}");
}

// ---- musim-tui itself, killed and interrupted mid-download ----

use cli_support::Env;

/// A trained two-genre library in `env`, and its path.
fn trained(env: &Env) -> PathBuf {
    let lib = env.path("lib");
    for (i, f) in [180.0, 220.0].into_iter().enumerate() {
        cli_support::wav(&lib.join(format!("low/low{i}.wav")), f, 2.0);
        cli_support::wav(&lib.join(format!("high/high{i}.wav")), f * 15.0, 2.0);
    }
    let r = env.run(&["train", "--library", lib.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    lib
}

/// `musim-tui args…` in `env`, with `sb`'s fake first on PATH and `sb`'s
/// `tmp/` as the temporary folder; output captured.
fn musim(env: &Env, sb: &Sandbox, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(cli_support::BIN);
    let path = format!("{}:/usr/bin:/bin", sb.path("bin").display());
    cmd.args(args)
        .env("HOME", &env.home)
        .env("XDG_CONFIG_HOME", env.home.join(".config"))
        .env("XDG_DATA_HOME", env.home.join(".local/share"))
        .env("PATH", path)
        .env("TMPDIR", sb.path("tmp"))
        .env_remove(musim::youtube::YTDLP_ENV)
        .current_dir(&env.cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cmd
}

/// Start `query URL` with the hanging fake and wait (boundedly) until the
/// fake and its `sleep` run.
fn start_hanging_query(env: &Env, sb: &Sandbox, lib: &Path) -> std::process::Child {
    sb.ytdlp(HANG);
    let child = musim(env, sb, &["query", "--library", lib.to_str().unwrap(), URL])
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(30);
    while hung_pids(sb).len() < 2 {
        assert!(Instant::now() < until, "the fake yt-dlp never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn signal(child: &std::process::Child, sig: &str) {
    let st = std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

/// The exit of `child`, waited for at most 20 s.
fn exit_of(mut child: std::process::Child) -> (std::process::ExitStatus, String) {
    let until = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("musim-tui did not end after the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status, err)
}

/// SIGKILL of musim, which no handler sees, still ends yt-dlp and the
/// `sleep` it started (the watchdog); the folder it leaves goes with the
/// next fetch.
#[test]
fn sigkill_of_musim_kills_ytdlp_and_all_it_started() {
    use std::os::unix::process::ExitStatusExt;
    let env = Env::new();
    let lib = trained(&env);
    let sb = Sandbox::new();
    let child = start_hanging_query(&env, &sb, &lib);
    signal(&child, "-KILL");
    let (status, _) = exit_of(child);
    assert_eq!(status.signal(), Some(9), "{status:?}");
    assert_all_killed(&sb);
    assert_eq!(sb.leftovers().len(), 1, "{:?}", sb.leftovers());
    sb.ytdlp(GOOD);
    drop(sb.fetch(URL).unwrap());
    sb.assert_clean();
}

/// Ctrl-C, SIGTERM and SIGHUP during a fetch: yt-dlp and its children are
/// killed, the folder is removed, and musim exits with 128 + the signal.
#[test]
fn an_interrupted_fetch_exits_128_plus_signal_and_leaves_nothing() {
    let env = Env::new();
    let lib = trained(&env);
    for (sig, code) in [("-INT", 130), ("-TERM", 143), ("-HUP", 129)] {
        let sb = Sandbox::new();
        let child = start_hanging_query(&env, &sb, &lib);
        signal(&child, sig);
        let (status, stderr) = exit_of(child);
        assert_eq!(status.code(), Some(code), "{sig}: {stderr}");
        assert!(stderr.contains("download interrupted"), "{sig}: {stderr}");
        assert!(!stderr.contains("error"), "{sig}: {stderr}");
        assert_all_killed(&sb);
        sb.assert_clean();
    }
}

/// The library's top-level files (what `--add` may have copied in).
fn top_files(lib: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(lib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

/// `musim-tui query --library LIB URL extra…` to its end: exit code,
/// stdout, stderr.
fn query_url(env: &Env, sb: &Sandbox, lib: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["query", "--library", lib.to_str().unwrap(), URL];
    args.extend_from_slice(extra);
    let out = musim(env, sb, &args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn add_never_copies_a_file_from_outside_the_temp_folder() {
    let env = Env::new();
    let lib = trained(&env);
    let sb = Sandbox::new();
    plant_secret(&sb);
    sb.ytdlp("say_title 'Stolen'\nf=$(dest wav)\nln -s '@NOTES@/../secret.wav' \"$f\"\nsay_file \"$f\"\n");
    let (code, _, stderr) = query_url(&env, &sb, &lib, &["--add"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("refused") && stderr.contains("audio.wav"),
        "{stderr}"
    );
    assert!(stderr.contains("secret.wav"), "{stderr}");
    assert_eq!(
        top_files(&lib),
        Vec::<PathBuf>::new(),
        "something was added"
    );
    sb.assert_clean();
}

#[test]
fn hostile_and_long_titles_are_shown_escaped_and_added_within_the_name_limit() {
    let env = Env::new();
    let lib = trained(&env);
    let long = format!("{}{}", "é".repeat(100), "♪".repeat(50));
    for (title, shown) in [(HOSTILE, HOSTILE_SHOWN), (long.as_str(), long.as_str())] {
        let sb = Sandbox::new();
        let body = GOOD.replace("'Fake Song – live'", &format!("'{title}'"));
        sb.ytdlp(&body);
        let (code, stdout, stderr) = query_url(&env, &sb, &lib, &["--add"]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains(shown), "{stdout}");
        assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{stdout:?}");
        assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{stderr:?}");
        sb.assert_clean();
    }
    let added = top_files(&lib);
    assert_eq!(added.len(), 2, "{added:?}");
    for f in &added {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name.len() <= 255 && name.ends_with(".wav"), "{name}");
        assert_eq!(raw_controls(name), Vec::<char>::new(), "{name:?}");
    }
    assert!(added.iter().any(|f| f.file_name().unwrap().len() > 240));
}

/// yt-dlp's title in `--json` and its error text on stderr: data kept
/// exact, nothing raw on the terminal.
#[test]
fn hostile_ytdlp_text_reaches_json_and_stderr_escaped() {
    let env = Env::new();
    let lib = trained(&env);
    let sb = Sandbox::new();
    sb.ytdlp(&GOOD.replace("'Fake Song – live'", &format!("'{HOSTILE}'")));
    let (code, stdout, stderr) = query_url(&env, &sb, &lib, &["--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(raw_controls(&stdout), Vec::<char>::new(), "{stdout:?}");
    let j: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(j["title"], HOSTILE);

    sb.ytdlp(&failing(&format!("[youtube] x: {HOSTILE}")));
    let (code, _, stderr) = query_url(&env, &sb, &lib, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(HOSTILE_SHOWN), "{stderr:?}");
    assert_eq!(raw_controls(&stderr), Vec::<char>::new(), "{stderr:?}");
    sb.assert_clean();
}
