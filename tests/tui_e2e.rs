//! The real binary in a real pseudo-terminal (tmux): it opens on a library,
//! answers keys, runs a typed query, shows help, quits, and leaves the
//! terminal as it found it. Needs tmux (`.ci/run` installs it; under
//! `CI=true` a missing tmux fails the test).

mod cli_support;

use cli_support::tmux::{self, Tmux};
use cli_support::{wav, Env, BIN};

/// A library of two "genres", 4 low and 4 high sines of 2 s.
fn low_and_high(env: &Env) -> std::path::PathBuf {
    let lib = env.path("lib");
    for i in 0..4 {
        wav(
            &lib.join(format!("low/low{i}.wav")),
            150.0 + 40.0 * i as f32,
            2.0,
        );
        wav(
            &lib.join(format!("high/high{i}.wav")),
            3000.0 + 400.0 * i as f32,
            2.0,
        );
    }
    lib
}

#[test]
fn explorer_in_a_pseudo_terminal() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let lib = low_and_high(&env);
    let query = env.path("to query.wav");
    wav(&query, 3300.0, 2.0);
    let shell = format!(
        "{} '{}' --library '{}'; echo EXITED:$?; stty -a | tr ' ' '\\n' | grep -x -e -icanon -e icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 60",
        env.shell_prefix(),
        BIN,
        lib.display()
    );
    let t = Tmux::start("test", 100, 30, &shell);

    // It opens, indexes and trains in the background, then shows clusters.
    t.wait_for("clusters (2)", 120);
    // The status bar is drawn last: waiting for it avoids a half-drawn capture.
    let s = t.wait_for("8 tracks", 30);
    assert!(s.contains("colour: genre"), "{s}");
    refined(&t);
    assert!(s.contains("clusters (2)"), "{s}");

    // Browse: focus clusters, open one, move down.
    t.keys(&["Tab", "Enter", "Down"]);
    t.wait_for("Esc back", 10);
    t.keys(&["Escape"]);
    t.wait_for("Enter: tracks", 10);

    // Help from the active keymap.
    t.keys(&["?"]);
    t.wait_for("show / hide this help", 10);
    t.keys(&["x"]);

    // Type a path (with a space) and run it.
    t.keys(&["/"]);
    t.keys(&["-l", query.to_str().unwrap()]);
    t.keys(&["Enter"]);
    let s = t.wait_for("predicted high", 60);
    assert!(s.contains("to query.wav"), "{s}");

    // Quit: back to the shell, terminal restored (canonical mode, echo).
    t.keys(&["q"]);
    let s = t.wait_for("EXITED:0", 20);
    assert!(
        !s.contains("clusters (2)"),
        "the alternate screen was left:\n{s}"
    );
    let s = t.wait_for("icanon", 10);
    assert!(
        s.contains(" icanon") || s.starts_with("icanon") || s.contains("\nicanon"),
        "{s}"
    );
    assert!(
        !s.contains("-icanon") && !s.contains("-echo"),
        "raw mode left on:\n{s}"
    );
}

/// With the default profile (`fused`) the explorer first shows the fast
/// features' map, then swaps in the model with the deep embeddings: wait
/// for that swap, as the keys that follow (Esc cancels a running job, `t`
/// while one runs is ignored) assume an idle explorer.
fn refined(t: &Tmux) {
    if cfg!(feature = "embeddings") {
        t.wait_for("model rebuilt", 240);
    }
}

/// The screen once it stops changing for a moment (a capture can catch a
/// frame half drawn).
fn settled(t: &Tmux) -> String {
    let mut last = t.screen();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        let now = t.screen();
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// The bars at 80×24 on the demo library: the selected track is
/// named by its tags, a typed fragment finds a track, help shows how to close it,
/// `t` answers at once, a typed `~/new song.wav` (Tab-completed) is one
/// path, `q` exits 0.
#[test]
fn explorer_at_80x24_on_the_demo_library() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    wav(&env.home.join("new song.wav"), 3300.0, 2.0);
    let shell = format!(
        "{} MUSIM_DEMO_TRACKS=8 MUSIM_DEMO_SECONDS=4 '{}'; echo EXITED:$?; sleep 60",
        env.shell_prefix(),
        BIN,
    );
    let t = Tmux::start("small", 80, 24, &shell);
    t.wait_for("clusters (10)", 240);
    t.wait_for("80 tracks", 30);
    refined(&t);
    // Ten clusters do not fit: the pane says how many are hidden.
    let s = settled(&t);
    assert!(s.contains("more ╯"), "{s}");

    // One cursor move: the map title names the track by its tags.
    t.keys(&["l"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let s = settled(&t);
    let first = s.lines().next().unwrap_or_default();
    let name = first
        .trim_start_matches(['┏', '╭', ' '])
        .trim_start_matches("map · ")
        .split(" · ")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        name.contains(" — "),
        "no \"Artist — Title\" in the map title:\n{s}"
    );

    // Find as you type (the file name is searched too), Enter selects the
    // track; the map title and the details name it "Artist — Title".
    let c = musim::demo::credits::credits(musim::demo::Style::Reggae, 7);
    let name = format!("{} — {}", c.artist, c.title);
    t.keys(&["/"]);
    t.keys(&["-l", "regga07"]);
    t.wait_for(&c.title, 10);
    t.keys(&["Enter"]);
    let started = std::time::Instant::now();
    let s = loop {
        let s = t.screen();
        if s.lines().next().is_some_and(|l| l.contains(&name)) {
            break s;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the map title does not name {name}:\n{s}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(s.lines().skip(1).any(|l| l.contains(&name)), "{s}");

    // Help fits: its closing hint is on screen.
    t.keys(&["?"]);
    t.wait_for("any other key closes", 10);
    t.keys(&["x"]);

    // `t` on the unchanged library: the status line changes within 2 s.
    let before = t.screen();
    let before = before.lines().last().unwrap_or_default().to_string();
    t.keys(&["t"]);
    let started = std::time::Instant::now();
    loop {
        let s = t.screen();
        let now = s.lines().last().unwrap_or_default().to_string();
        if now != before {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "no feedback for t:\n{s}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    t.wait_for("up to date", 60);

    // ~/new song.wav, Tab-completed, is one path.
    t.keys(&["/"]);
    t.keys(&["C-u"]);
    t.keys(&["-l", "~/new so"]);
    t.keys(&["Tab"]);
    t.wait_for("new song.wav", 10);
    t.keys(&["Enter"]);
    let s = t.wait_for("query · new song", 60);
    assert!(s.contains("predicted"), "{s}");
    assert!(!s.contains("paths given"), "{s}");

    t.keys(&["q"]);
    let s = t.wait_for("EXITED:", 20);
    assert!(s.contains("EXITED:0"), "{s}");
}

/// Paths beyond one track at 80×24: two tracks found and marked (`m`),
/// `>` lists the path between them by name, `w` writes it as an M3U in the
/// current folder and says so.
#[test]
fn marks_a_path_and_writes_it_at_80x24() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let lib = low_and_high(&env);
    let shell = format!(
        "{} '{}' --library '{}'; echo EXITED:$?; sleep 60",
        env.shell_prefix(),
        BIN,
        lib.display()
    );
    let t = Tmux::start("marks", 80, 24, &shell);
    t.wait_for("clusters (2)", 120);
    t.wait_for("8 tracks", 30);
    // The refined (fused) model's "model rebuilt" would replace `w`'s notice.
    refined(&t);
    for name in ["low0", "high3"] {
        t.keys(&["/"]);
        t.keys(&["C-u"]);
        t.keys(&["-l", name]);
        t.wait_for("find · 1 match", 10);
        t.keys(&["Enter"]);
        t.wait_for(&format!("selected · {name}"), 10);
        t.keys(&["m"]);
        t.wait_for(&format!("marked {name}"), 10);
    }
    t.keys(&[">"]);
    let s = t.wait_for("path · ", 30);
    let listed: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("path · "))
        .skip(1)
        .take_while(|l| !l.contains('╰') && !l.contains('┗'))
        .collect();
    let text = listed.join("\n");
    assert!(text.contains("low0") && text.contains("high3"), "{s}");
    t.keys(&["w"]);
    let s = t.wait_for("wrote", 10);
    assert!(s.contains("musim-path.m3u"), "{s}");
    let m3u = std::fs::read_to_string(env.cwd.join("musim-path.m3u")).unwrap();
    assert!(m3u.starts_with("#EXTM3U\n#EXTINF:2,low0\n"), "{m3u}");
    assert!(m3u.trim_end().ends_with("high3.wav"), "{m3u}");
    t.keys(&["q"]);
    let s = t.wait_for("EXITED:", 20);
    assert!(s.contains("EXITED:0"), "{s}");
}
