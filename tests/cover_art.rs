//! A 50 MB embedded picture costs nothing when decoding: an Ogg Vorbis,
//! an Ogg FLAC, an m4a and an Opus file made by ffmpeg with such a picture
//! decode to the same fingerprint as without it, with no warning, and the
//! peak memory hardly grows while they are analysed (for Opus, decoded by
//! an ffmpeg child process, the child's peak too).

mod cli_support;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use musim::analysis::{analyze_file, TrackAnalysis};

/// Bytes of the picture (a multiple of 3, so its base64 is all `A`s).
const PICTURE: usize = 50 * 1024 * 1024 + 1;

/// Base64 of `bytes` (length a multiple of 3).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bytes
        .chunks(3)
        .flat_map(|c| {
            let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
            [18, 12, 6, 0].map(|s| char::from(ABC[((n >> s) & 63) as usize]))
        })
        .collect()
}

/// An ffmetadata file whose `METADATA_BLOCK_PICTURE` holds a picture of
/// [`PICTURE`] zero bytes, written in pieces.
fn picture_metadata(path: &Path) {
    let mime = b"image/jpeg";
    let mut head = Vec::new();
    head.extend(3u32.to_be_bytes());
    head.extend((mime.len() as u32).to_be_bytes());
    head.extend(mime);
    head.extend(0u32.to_be_bytes());
    for v in [16u32, 16, 24, 0] {
        head.extend(v.to_be_bytes());
    }
    head.extend((PICTURE as u32).to_be_bytes());
    assert_eq!(head.len() % 3, 0);
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        f,
        ";FFMETADATA1\ntitle=Big\nMETADATA_BLOCK_PICTURE={}",
        base64(&head)
    )
    .unwrap();
    let zeros = [b'A'; 4096];
    let mut left = PICTURE / 3 * 4;
    while left > 0 {
        let n = left.min(zeros.len());
        f.write_all(&zeros[..n]).unwrap();
        left -= n;
    }
    f.write_all(b"\n").unwrap();
}

/// Run ffmpeg with `args`.
fn ffmpeg(args: &[&str]) {
    cli_support::ffmpeg(args);
}

/// The process's peak resident memory so far, bytes (Linux).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Analyse `path`, and how much the peak memory grew meanwhile.
fn analyse(path: &Path) -> (TrackAnalysis, u64) {
    let before = peak_rss();
    let got = analyze_file(path).unwrap_or_else(|e| panic!("{e}"));
    (got, peak_rss().saturating_sub(before))
}

/// `name` in `dir`, as a string for ffmpeg's arguments.
fn at(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

/// The peak resident memory of `cmd`'s process and of every process it
/// waited for (ffmpeg), bytes: `wait4`'s usage of that one child, so the
/// ffmpeg runs that made the test files do not count.
fn peak_rss_with_children(mut cmd: Command) -> u64 {
    // Reaped by the wait4 below, not by `Child::wait`.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    let mut status = 0;
    // SAFETY: plain C structs, zeroed, filled in by wait4(2).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unreaped child; the pointers are to locals.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status}"
    );
    u64::try_from(usage.ru_maxrss).unwrap() * 1024
}

/// Peak memory of `musim-tui index` on `dir` and of its ffmpeg children.
fn index_peak(env: &cli_support::Env, dir: &Path, index: &Path) -> u64 {
    let mut cmd = Command::new(cli_support::BIN);
    cmd.args(["--similarity", "musim", "index", "--library"])
        .arg(dir)
        .arg("--index")
        .arg(index)
        .env("HOME", &env.home)
        .env("XDG_CONFIG_HOME", env.home.join(".config"))
        .env("XDG_DATA_HOME", env.home.join(".local/share"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    peak_rss_with_children(cmd)
}

/// The ffmetadata file with the 50 MB picture, written in `dir`.
fn metadata_in(dir: &Path) -> String {
    let meta = at(dir, "meta.txt");
    picture_metadata(Path::new(&meta));
    meta
}

/// Put the ffmetadata `meta` (the picture) into a copy of the Ogg file `plain`.
fn with_picture(plain: &str, meta: &str, big: &str) {
    ffmpeg(&[
        "-i",
        plain,
        "-i",
        meta,
        "-map",
        "0:a",
        "-map_metadata",
        "1",
        "-c",
        "copy",
        "-f",
        "ogg",
        big,
    ]);
}

#[test]
fn an_opus_file_with_a_50_mb_picture_reaches_ffmpeg_without_it() {
    if !cli_support::have_ffmpeg("the Opus cover art test") {
        return;
    }
    let env = cli_support::Env::new();
    let dir = env.path("files");
    let (plain_dir, big_dir) = (dir.join("plain"), dir.join("big"));
    for d in [&plain_dir, &big_dir] {
        std::fs::create_dir_all(d).unwrap();
    }
    let meta = metadata_in(&dir);
    let plain = at(&plain_dir, "a.opus");
    let big = at(&big_dir, "a.opus");
    // Noise, so that the pages after the headers fill far more than a pipe.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=duration=4:seed=3",
        "-c:a",
        "libopus",
        "-b:a",
        "256k",
        "-f",
        "ogg",
        &plain,
    ]);
    with_picture(&plain, &meta, &big);
    let size = std::fs::metadata(&big).unwrap().len();
    assert!(size > PICTURE as u64, "{big}: {size} bytes");

    let codec = musim::audio::open(Path::new(&big))
        .unwrap()
        .info()
        .codec
        .clone();
    assert!(codec.contains("ffmpeg"), "{codec}");
    let (want, _) = analyse(Path::new(&plain));
    let (got, _) = analyse(Path::new(&big));
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    assert!((got.duration_s - want.duration_s).abs() < 1e-9);
    assert_eq!(got.fingerprint.values, want.fingerprint.values);

    // ffmpeg reading the picture's 67 MB packet peaked at about 300 MB.
    let without = index_peak(&env, &plain_dir, &env.path("plain.idx"));
    let with = index_peak(&env, &big_dir, &env.path("big.idx"));
    assert!(
        with < without + (24 << 20),
        "peak {with} bytes with the picture, {without} without"
    );

    // ffmpeg failing on the stream it is fed fails the file with a message
    // naming it, and the thread feeding it ends (the pipe it writes, which
    // far more than fills, breaks): `false` reads nothing, exits with 1.
    let opts = musim::audio::DecodeOptions {
        ffmpeg: Some("false".into()),
    };
    let e = musim::audio::open_with(Path::new(&big), &opts)
        .err()
        .expect("fails");
    let msg = e.to_string();
    assert!(msg.starts_with(&big), "{msg}");
    assert!(msg.contains("ffmpeg failed (exit status Some(1))"), "{msg}");
}

#[test]
fn a_50_mb_picture_is_never_read_when_decoding() {
    if !cli_support::have_ffmpeg("the cover art test") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let meta = metadata_in(dir);
    let sine = "sine=frequency=440:duration=2";
    let jpg = at(dir, "small.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=size=16x16",
        "-frames:v",
        "1",
        &jpg,
    ]);
    let mut picture = std::fs::read(&jpg).unwrap();
    picture.resize(picture.len() + PICTURE, 0);
    let big_jpg = at(dir, "big.jpg");
    std::fs::write(&big_jpg, picture).unwrap();

    // (plain file, the same audio with the picture).
    let mut pairs = Vec::new();
    for (ext, codec) in [("ogg", "libvorbis"), ("oga", "flac")] {
        let plain = at(dir, &format!("plain.{ext}"));
        let big = at(dir, &format!("big.{ext}"));
        ffmpeg(&[
            "-f", "lavfi", "-i", sine, "-c:a", codec, "-f", "ogg", &plain,
        ]);
        with_picture(&plain, &meta, &big);
        pairs.push((plain, big));
    }
    let plain = at(dir, "plain.m4a");
    let big = at(dir, "big.m4a");
    ffmpeg(&["-f", "lavfi", "-i", sine, "-c:a", "aac", &plain]);
    ffmpeg(&[
        "-i",
        &plain,
        "-i",
        &big_jpg,
        "-map",
        "0:a",
        "-map",
        "1",
        "-c",
        "copy",
        "-disposition:v",
        "attached_pic",
        &big,
    ]);
    pairs.push((plain, big));

    for (plain, big) in &pairs {
        let size = std::fs::metadata(big).unwrap().len();
        assert!(size > PICTURE as u64, "{big}: {size} bytes");
        let (want, _) = analyse(Path::new(plain));
        let (got, grew) = analyse(Path::new(big));
        let name = big;
        assert!(got.warnings.is_empty(), "{name}: {:?}", got.warnings);
        assert!((got.duration_s - want.duration_s).abs() < 1e-9, "{name}");
        assert_eq!(got.fingerprint.values, want.fingerprint.values, "{name}");
        // Reading the picture would take at least its 50 MB.
        assert!(grew < 16 << 20, "{name}: peak memory grew by {grew} bytes");
    }
}
