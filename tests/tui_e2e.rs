//! The real binary in a real pseudo-terminal (tmux): it opens on a library,
//! answers keys, runs a typed query, shows help, quits, and leaves the
//! terminal as it found it. Needs tmux (`.ci/run` installs it; under
//! `CI=true` a missing tmux fails the test).

mod cli_support;

use cli_support::tmux::{self, Tmux};
use cli_support::{wav, Env, BIN};

#[test]
fn explorer_in_a_pseudo_terminal() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
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
    assert!(s.contains("map · colour: genre"), "{s}");
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
