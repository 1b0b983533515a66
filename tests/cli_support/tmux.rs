//! Driving the real binary in a tmux pseudo-terminal: type keys, read the
//! screen. The server is killed when the handle drops.

use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server with one session, `t`.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `shell` in a `cols`×`rows` session on a server named after `tag`.
    pub fn start(tag: &str, cols: u16, rows: u16, shell: &str) -> Tmux {
        let t = Tmux {
            socket: format!("musim-{tag}-{}", std::process::id()),
        };
        let (c, r) = (cols.to_string(), rows.to_string());
        let out = t.cmd(&["new-session", "-d", "-s", "t", "-x", &c, "-y", &r, shell]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    /// Run a tmux command on this server.
    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    /// The visible screen.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// Type keys (tmux key names, or `-l` then literal text).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Wait until the screen shows `what`; fail after `secs` with the screen.
    pub fn wait_for(&self, what: &str, secs: u64) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "waited for {what:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

/// True when tmux runs; under `CI=true` its absence fails the test.
pub fn available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tmux is required under CI=true (.ci/run installs it)"
        );
        eprintln!("SKIPPED: tmux not installed (install tmux to run this test)");
    }
    ok
}
