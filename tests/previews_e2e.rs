//! Previews in the real explorer with no sound device (servers, CI, SSH):
//! on the demo library, `p` shows one "no audio device" message, ALSA
//! prints nothing over the screen, and the explorer keeps working. Runs in
//! tmux (`.ci/run` installs it). ALSA is pointed at an empty configuration,
//! so there is no device even on a machine that has one.

mod cli_support;

use cli_support::tmux::{self, Tmux};
use cli_support::{Env, BIN};

#[test]
fn p_without_a_sound_device_says_so_and_the_explorer_carries_on() {
    if !tmux::available() {
        return;
    }
    let env = Env::new();
    let alsa = env.path("alsa-empty.conf");
    std::fs::write(&alsa, "").unwrap();
    let shell = format!(
        "{} ALSA_CONFIG_PATH='{}' MUSIM_DEMO_TRACKS=2 MUSIM_DEMO_SECONDS=4 '{}'; echo EXITED:$?; sleep 60",
        env.shell_prefix(),
        alsa.display(),
        BIN,
    );
    let t = Tmux::start("previews", 150, 30, &shell);
    // The demo library (10 styles × 2 tracks) is generated, indexed, modelled.
    // (A capture can catch a frame half drawn: wait for the status bar's
    // count, drawn last, rather than for the cluster list.)
    t.wait_for("clusters (10)", 180);
    let s = t.wait_for("20 tracks", 30);
    assert!(s.contains("clusters (10)"), "{s}");
    assert!(s.contains("♪ p: preview"), "{s}");

    t.keys(&["p"]);
    let (gist, badge) = if cfg!(feature = "playback") {
        ("no audio device: previews off", "♪ off")
    } else {
        ("audio previews are not in this build", "♪ off")
    };
    let s = t.wait_for(gist, 20);
    assert!(s.contains(badge), "{s}");
    assert_eq!(s.matches(gist).count(), 1, "said once:\n{s}");
    assert!(
        !s.contains("ALSA lib"),
        "ALSA wrote over the explorer:\n{s}"
    );
    assert!(!s.contains("audio stream error"), "{s}");

    // Still alive: player keys explain, panes and help work, p retries.
    t.keys(&["n"]);
    t.wait_for("nothing is playing", 10);
    t.keys(&["Tab", "Enter"]);
    t.wait_for("Esc back", 10);
    t.keys(&["?"]);
    t.wait_for("pause / resume the preview", 10);
    t.keys(&["x"]);
    t.keys(&["p"]);
    let s = t.wait_for(gist, 20);
    assert!(!s.contains("ALSA lib"), "{s}");
    t.keys(&["q"]);
    let s = t.wait_for("EXITED:", 20);
    assert!(s.contains("EXITED:0"), "{s}");
    assert!(!s.contains("ALSA lib"), "ALSA wrote to the terminal:\n{s}");
}
