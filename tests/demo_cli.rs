//! First start with nothing configured: musim generates the demo library
//! once into the data folder, indexes it, and reuses it on the next run.
//! The library is shrunk through `MUSIM_DEMO_TRACKS`/`MUSIM_DEMO_SECONDS`.

mod cli_support;

use cli_support::Env;

const SMALL: &[(&str, &str)] = &[("MUSIM_DEMO_TRACKS", "2"), ("MUSIM_DEMO_SECONDS", "4")];

#[test]
fn fresh_machine_gets_the_demo_library_once() {
    let env = Env::new();
    let r = env.run_env(&[], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    let demo = env.home.join(".local/share/musim/demo");
    assert!(
        r.stderr.contains(&format!(
            "no library configured: using the built-in demo library at {}",
            demo.display()
        )),
        "{r:?}"
    );
    assert!(r.stderr.contains("generating the demo library"), "{r:?}");
    assert!(r.stdout.contains("tracks:    20 analysed"), "{r:?}");
    // Folder labels (lowercase style folders), not the genre tags.
    assert!(r.stdout.contains("labels:    10: ambient (2)"), "{r:?}");
    assert!(
        r.stderr
            .contains("20 of 20 tracks have tags (title, artist or genre)"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("non-audio"), "{r:?}");
    let wav = demo.join("rock/rock.01.wav");
    let before = std::fs::metadata(&wav).unwrap().modified().unwrap();

    let r = env.run_env(&[], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("using the built-in demo library"),
        "{r:?}"
    );
    assert!(!r.stderr.contains("generating"), "{r:?}");
    assert!(
        r.stderr.contains("120 unchanged") || r.stderr.contains("20 unchanged"),
        "{r:?}"
    );
    assert_eq!(std::fs::metadata(&wav).unwrap().modified().unwrap(), before);
    // Nothing but the library and the indexes in the data folder.
    let mut names: Vec<String> = std::fs::read_dir(env.home.join(".local/share/musim"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["demo", "indexes"]);

    // A demo track is named by its made-up artist and title.
    let c = musim::demo::credits::credits(musim::demo::Style::Reggae, 1);
    let track = demo.join("reggae/reggae.01.wav");
    let r = env.run_env(&["query", track.to_str().unwrap()], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    let name = format!("{} — {}", c.artist, c.title);
    assert!(r.stdout.contains(&format!("track:   {name}")), "{r:?}");
    // Its neighbours are named the same way, the other reggae track first
    // among them or not: every line names an artist of the demo.
    let r = env.run_env(&["query", "--json", track.to_str().unwrap()], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["track"]["title"], c.title.as_str(), "{}", r.stdout);
    assert_eq!(v["track"]["artist"], c.artist, "{}", r.stdout);
    assert_eq!(v["track"]["album"], c.album, "{}", r.stdout);
    assert_eq!(v["track"]["genre"], "Reggae", "{}", r.stdout);
}

#[test]
fn demo_command_writes_to_out_and_refuses_user_folders() {
    let env = Env::new();
    let out = env.path("mydemo");
    let r = env.run_env(&["demo", "--out", out.to_str().unwrap()], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("20 tracks in 10 styles written to"),
        "{r:?}"
    );
    assert!(out.join("jazz/jazz.00.wav").is_file());
    let r = env.run_env(&["demo", "--out", out.to_str().unwrap()], SMALL);
    assert!(r.stdout.contains("is complete and current"), "{r:?}");
    // An outdated demo library holding the user's file is not regenerated.
    let manifest = out.join(".musim-demo");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replacen("library v", "library v0", 1)).unwrap();
    let mine = out.join("jazz/mine.wav");
    cli_support::wav(&mine, 440.0, 0.5);
    let r = env.run_env(&["demo", "--out", out.to_str().unwrap()], SMALL);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("mine.wav, which musim did not make"),
        "{r:?}"
    );
    assert!(mine.is_file());
    let music = env.path("music");
    cli_support::wav(&music.join("a.wav"), 440.0, 0.5);
    let r = env.run_env(&["demo", "--out", music.to_str().unwrap()], SMALL);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("is not a musim demo library"), "{r:?}");
}
