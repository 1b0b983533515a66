//! `train`, `query` and `path` from the command line, as a script would
//! use them: exit codes, text, JSON, M3U, URLs through a fake yt-dlp on
//! PATH, and one clear line for each kind of bad input.

mod cli_support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use cli_support::{wav, Env, Run};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
}

/// Three labelled "genres" of 4 short clips each: low sines, high sines, noise.
fn library(env: &Env) -> std::path::PathBuf {
    let lib = env.path("lib");
    for i in 0..4 {
        wav(
            &lib.join(format!("low/low{i}.wav")),
            150.0 + 40.0 * i as f32,
            3.0,
        );
        wav(
            &lib.join(format!("high/high{i}.wav")),
            3000.0 + 400.0 * i as f32,
            3.0,
        );
        wav(
            &lib.join(format!("noise/noise{i}.wav")),
            0.0,
            2.0 + i as f32 * 0.5,
        );
    }
    lib
}

#[test]
fn train_query_and_path_on_a_labelled_library() {
    let env = Env::new();
    let lib = library(&env);
    let r = env.run(&["train", "--library", s(&lib)]);
    ok(&r);
    assert!(
        r.stdout.contains(&format!(
            "model: 12 tracks, 3 clusters (one per genre (3 genres)), similarity {}",
            musim::similarity::Profile::default()
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("model built in") && r.stderr.contains("no model yet"),
        "{}",
        r.stderr
    );
    // Up to date: not rebuilt.
    let r = env.run(&["train", "--library", s(&lib)]);
    ok(&r);
    assert!(!r.stderr.contains("model built"), "{}", r.stderr);

    // A new file near the low sines, as text.
    let q = env.path("q/new low.wav");
    wav(&q, 170.0, 3.0);
    let r = env.run(&["query", "--library", s(&lib), s(&q), "-k", "3"]);
    ok(&r);
    assert!(
        r.stdout.contains("genre:   low (confidence"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("similar tracks:") && r.stdout.contains("why similar"),
        "{}",
        r.stdout
    );

    // JSON, with a playlist.
    let m3u = env.path("similar.m3u");
    let r = env.run(&[
        "query",
        "--library",
        s(&lib),
        s(&q),
        "-k",
        "4",
        "--json",
        "--m3u",
        s(&m3u),
    ]);
    ok(&r);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["genre"]["genre"], "low");
    assert_eq!(j["similar"].as_array().unwrap().len(), 4);
    assert_eq!(j["similar"][0]["label"], "low");
    assert!(j["map"].as_array().unwrap().len() == 2 && j["why"].as_array().unwrap().len() == 5);
    assert_eq!(j["cluster"]["majority"][0], "low");
    let playlist = std::fs::read_to_string(&m3u).unwrap();
    // Untagged tracks are named by their file stem.
    let lines: Vec<&str> = playlist.lines().collect();
    assert_eq!(lines[0], "#EXTM3U", "{playlist}");
    for pair in lines[1..].chunks(2) {
        let stem = Path::new(pair[1]).file_stem().unwrap().to_str().unwrap();
        assert_eq!(pair[0], format!("#EXTINF:3,{stem}"), "{playlist}");
    }
    assert_eq!(playlist.lines().filter(|l| l.ends_with(".wav")).count(), 4);

    // A library track is never its own neighbour; k beyond the library is fine.
    let own = lib.join("high/high0.wav");
    let r = env.run(&[
        "query",
        "--library",
        s(&lib),
        s(&own),
        "-k",
        "100",
        "--json",
    ]);
    ok(&r);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let similar = j["similar"].as_array().unwrap();
    assert_eq!(similar.len(), 11);
    assert!(similar
        .iter()
        .all(|x| !x["path"].as_str().unwrap().ends_with("high0.wav")));

    // --add copies an outside file into the library and indexes it.
    let r = env.run(&["query", "--library", s(&lib), s(&q), "--add"]);
    ok(&r);
    assert!(
        r.stderr.contains("added") && r.stderr.contains("13 tracks indexed"),
        "{}",
        r.stderr
    );
    assert!(lib.join("new low.wav").is_file());
    let r = env.run(&["query", "--library", s(&lib), s(&q), "--add"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("already exists in the library"),
        "{}",
        r.stderr
    );
    let r = env.run(&[
        "query",
        "--library",
        s(&lib),
        s(&lib.join("new low.wav")),
        "--json",
    ]);
    ok(&r);
    assert!(r.stdout.contains("\"library_track\": "), "{}", r.stdout);
    assert!(
        !r.stdout.contains("\"library_track\": null"),
        "the added file is a library track now"
    );
    std::fs::remove_file(lib.join("new low.wav")).unwrap();

    // A chain from a low sine to a high one.
    let r = env.run(&[
        "path",
        "--library",
        s(&lib),
        s(&lib.join("low/low0.wav")),
        s(&lib.join("high/high3.wav")),
    ]);
    ok(&r);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines.len() >= 2, "{}", r.stdout);
    assert!(
        // Untagged: named by the file stem.
        lines[0].ends_with(" low0") && lines[lines.len() - 1].ends_with(" high3"),
        "{}",
        r.stdout
    );
    // From an outside file.
    let r = env.run(&[
        "path",
        "--library",
        s(&lib),
        s(&q),
        s(&lib.join("low/low3.wav")),
        "--json",
    ]);
    ok(&r);
    let steps: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(steps[0]["path"].as_str().unwrap().ends_with("new low.wav"));
    assert_eq!(steps[0]["name"], "new low");
}

#[test]
fn bad_queries_get_one_clear_line() {
    let env = Env::new();
    let lib = library(&env);
    // Before any index.
    let q = env.path("q.wav");
    wav(&q, 440.0, 2.0);
    let r = env.run(&["query", "--library", s(&lib), s(&q)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("has not been indexed yet") && r.stderr.contains("musim-tui index"),
        "{}",
        r.stderr
    );
    ok(&env.run(&["index", "--library", s(&lib)]));

    let text = env.path("notes.mp3");
    std::fs::write(&text, "just some text, not audio\n").unwrap();
    for (target, want) in [
        (
            env.path("missing.wav").to_str().unwrap().to_string(),
            "does not exist",
        ),
        (s(&lib).to_string(), "is a folder, not an audio file"),
        (s(&text).to_string(), "not an audio file musim can read"),
        ("ftp://example.com/a.mp3".to_string(), "not an http(s) URL"),
    ] {
        let r = env.run(&["query", "--library", s(&lib), &target]);
        assert_eq!(r.code, 1, "{target}: {}", r.stderr);
        let last = r.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("musim-tui: error: ") && last.contains(want),
            "{target}: {}",
            r.stderr
        );
        assert_eq!(
            r.stderr.lines().filter(|l| l.contains("error")).count(),
            1,
            "{}",
            r.stderr
        );
    }
    // A damaged model file is rebuilt, not fatal.
    let idx = cli_support::default_indexes(&env);
    let model = idx
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".model"))
        .unwrap()
        .clone();
    std::fs::write(&model, b"garbage").unwrap();
    let r = env.run(&["query", "--library", s(&lib), s(&q)]);
    ok(&r);
    assert!(r.stderr.contains("is not a musim model"), "{}", r.stderr);
}

/// A fake yt-dlp: copies `wav` to the `-o` destination and prints what the
/// real one prints for musim's `--print` templates; or fails with `error`.
fn fake_ytdlp(dir: &Path, wav_file: &Path, error: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let body = match error {
        Some(e) => format!("echo \"ERROR: {e}\" >&2\nexit 1"),
        None => format!(
            "dest=$(printf '%s' \"$out\" | sed 's/%(ext)s/wav/')\ncp '{}' \"$dest\"\necho 'musim-title:A Fake Song'\necho \"musim-file:$dest\"",
            wav_file.display()
        ),
    };
    let script = format!(
        "#!/bin/sh\nout=\"\"\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in -o) shift; out=\"$1\" ;; esac\n  shift\ndone\n{body}\n"
    );
    let p = dir.join("yt-dlp");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn youtube_urls_go_through_yt_dlp_on_path() {
    let env = Env::new();
    let lib = library(&env);
    ok(&env.run(&["train", "--library", s(&lib)]));
    let song = env.path("song.wav");
    wav(&song, 3200.0, 3.0);
    let bin = env.path("bin");
    fake_ytdlp(&bin, &song, None);
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ";
    let r = env.run_env(
        &["query", "--library", s(&lib), url, "-k", "3", "--json"],
        &[("PATH", &path)],
    );
    ok(&r);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["source"], url);
    assert_eq!(j["title"], "A Fake Song");
    assert_eq!(j["genre"]["genre"], "high");

    let bin2 = env.path("bin2");
    fake_ytdlp(&bin2, &song, Some("[youtube] dQw4w9WgXcQ: Private video. Sign in if you've been granted access to this video"));
    let path = format!("{}:/usr/bin:/bin", bin2.display());
    let r = env.run_env(&["query", "--library", s(&lib), url], &[("PATH", &path)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("Private video") && r.stderr.contains(url),
        "{}",
        r.stderr
    );

    // Neither yt-dlp nor python3 on PATH.
    let empty = env.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = env.run_env(
        &["query", "--library", s(&lib), url],
        &[("PATH", s(&empty))],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("yt-dlp is not installed") && r.stderr.contains("pipx install yt-dlp"),
        "{}",
        r.stderr
    );
}

#[test]
fn train_updates_the_model_when_a_few_tracks_change() {
    updates_the_model("musim");
}

/// The fused profile (the default) updates as musim does: the model file
/// keeps the deep tag scores at half precision, and a track read back so
/// is still the same track.
#[test]
fn train_updates_the_fused_model_when_a_few_tracks_change() {
    updates_the_model("fused");
}

/// `train --similarity profile` updates the model of a labelled
/// 12-track library for one track added or removed, and rebuilds it for
/// more or with `--force`.
fn updates_the_model(profile: &str) {
    let env = Env::new();
    let lib = library(&env);
    env.run_ok(&["train", "--similarity", profile, "--library", s(&lib)]);
    // One new file among the low sines: the model is updated, not rebuilt,
    // and the new track is a library track with its genre's neighbours.
    let new = lib.join("low/low9.wav");
    wav(&new, 190.0, 3.0);
    let r = env.run_ok(&["train", "--similarity", profile, "--library", s(&lib)]);
    assert!(
        r.stderr
            .contains("model updated: 1 tracks added, 0 removed"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("model: 13 tracks"), "{}", r.stdout);
    let r = env.run_ok(&["query", "--library", s(&lib), s(&new), "-k", "3", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(!j["library_track"].is_null(), "{}", r.stdout);
    let similar = j["similar"].as_array().unwrap();
    assert!(similar.iter().all(|x| x["label"] == "low"), "{}", r.stdout);
    assert_eq!(j["cluster"]["majority"][0], "low");
    // The track is found from the others too.
    let r = env.run_ok(&[
        "query",
        "--library",
        s(&lib),
        s(&lib.join("low/low3.wav")),
        "-k",
        "4",
        "--json",
    ]);
    assert!(r.stdout.contains("low9.wav"), "{}", r.stdout);
    // One removed: updated again; unchanged: nothing to do.
    std::fs::remove_file(lib.join("high/high3.wav")).unwrap();
    let r = env.run_ok(&["train", "--similarity", profile, "--library", s(&lib)]);
    assert!(
        r.stderr
            .contains("model updated: 0 tracks added, 1 removed"),
        "{}",
        r.stderr
    );
    let r = env.run_ok(&["train", "--similarity", profile, "--library", s(&lib)]);
    assert!(
        !r.stderr.contains("model updated") && !r.stderr.contains("rebuilt"),
        "{}",
        r.stderr
    );
    // Many changes at once: rebuilt, saying why.
    for i in 0..3 {
        wav(&lib.join(format!("noise/more{i}.wav")), 0.0, 2.0);
    }
    let r = env.run_ok(&["train", "--similarity", profile, "--library", s(&lib)]);
    assert!(
        r.stderr.contains("model rebuilt in")
            && r.stderr
                .contains("not updated: 3 tracks added and 0 removed of 12"),
        "{}",
        r.stderr
    );
    // --force always rebuilds.
    let r = env.run_ok(&[
        "train",
        "--similarity",
        profile,
        "--library",
        s(&lib),
        "--force",
    ]);
    assert!(
        r.stderr.contains("model rebuilt in") && r.stderr.contains("(asked for with --force)"),
        "{}",
        r.stderr
    );
}
