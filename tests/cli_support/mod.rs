//! Helpers for the CLI tests: an isolated home (config and data folders),
//! running `musim-tui`, and generated WAV clips.

#![allow(dead_code)] // each test crate uses a different subset

pub mod tmux;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_musim-tui");

/// An isolated environment: `$HOME`, XDG config/data folders and a working
/// folder, all inside one temp dir, so tests never see the user's config.
pub struct Env {
    pub tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub cwd: PathBuf,
    pub config: PathBuf,
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Env {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let cwd = tmp.path().join("work");
        for d in [&home, &cwd] {
            std::fs::create_dir_all(d).unwrap();
        }
        let config = home.join(".config/musim/config.toml");
        Env {
            tmp,
            home,
            cwd,
            config,
        }
    }

    /// The start of a shell command line that runs in this environment, as
    /// [`Env::run`] does (for tests that drive the explorer through tmux):
    /// `cd CWD && HOME=… XDG_CONFIG_HOME=… XDG_DATA_HOME=…`, to be followed
    /// by the command.
    pub fn shell_prefix(&self) -> String {
        let h = self.home.display();
        format!(
            "cd '{}' && HOME='{h}' XDG_CONFIG_HOME='{h}/.config' XDG_DATA_HOME='{h}/.local/share'",
            self.cwd.display()
        )
    }

    /// A folder path inside the environment.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn prepare(&self, mut cmd: Command) -> Command {
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env_remove("RUST_BACKTRACE")
            .current_dir(&self.cwd);
        cmd
    }

    /// Run `musim-tui args…`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args);
        finish(cmd)
    }

    /// [`Env::run`], which must exit 0 (else the test fails showing the run).
    pub fn run_ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
        r
    }

    /// Run `musim-tui args…` with extra environment variables.
    pub fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        finish(cmd)
    }

    /// Start `musim-tui args…` with its stdout and stderr piped, and return
    /// the running process.
    pub fn spawn_piped(&self, args: &[&str]) -> std::process::Child {
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().unwrap()
    }

    /// Start `musim-tui args…` with extra environment variables, its
    /// output discarded, and return the running process.
    pub fn spawn_env(&self, args: &[&str], vars: &[(&str, &str)]) -> std::process::Child {
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    }

    /// Run `musim-tui args…`, killed (and the test failed) if it has not
    /// ended within `secs` seconds: for what must not block (a FIFO).
    pub fn run_within(&self, secs: u64, args: &[&str]) -> Run {
        use std::io::Read;
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("musim-tui {args:?} still running after {secs} s (blocked?)");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let (mut stdout, mut stderr) = (String::new(), String::new());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }

    /// Run with OS paths as arguments.
    pub fn run_os(&self, args: &[&std::ffi::OsStr]) -> Run {
        let mut cmd = self.prepare(Command::new(BIN));
        cmd.args(args);
        finish(cmd)
    }

    /// Run as an unprivileged user so file permissions apply: as root
    /// (where `chmod 000` blocks nothing) drop to `nobody` with `setpriv`,
    /// after opening the environment to that user. Fails loudly rather than
    /// skipping when that is impossible.
    pub fn run_unprivileged(&self, args: &[&std::ffi::OsStr]) -> Run {
        let mut cmd = if running_as_root() {
            open_to_everyone(self.tmp.path());
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
                BIN,
            ]);
            c
        } else {
            Command::new(BIN)
        };
        cmd.args(args);
        let r = finish(self.prepare(cmd));
        assert!(
            !r.stderr.contains("setpriv:"),
            "cannot drop privileges to test permissions: {}",
            r.stderr
        );
        r
    }
}

fn finish(mut cmd: Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether this process runs as root (permission bits do not bind it).
pub fn running_as_root() -> bool {
    let d = tempfile::tempdir().unwrap();
    std::fs::metadata(d.path()).unwrap().uid() == 0
}

/// Give group and others the owner's permissions on everything under
/// `dir`, so `nobody` gets what the owner would: a folder made read-only or
/// a file made unreadable for the test stays so.
fn open_to_everyone(dir: &Path) {
    fn walk(p: &Path) {
        let Ok(m) = std::fs::symlink_metadata(p) else {
            return;
        };
        if m.file_type().is_symlink() {
            return;
        }
        let owner = m.mode() & 0o700;
        let mode = owner | owner >> 3 | owner >> 6;
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        if m.is_dir() && owner & 0o500 == 0o500 {
            for e in std::fs::read_dir(p).unwrap() {
                walk(&e.unwrap().path());
            }
        }
    }
    walk(dir);
}

/// Write a 16-bit mono 22050 Hz WAV: `secs` of a sine at `freq` Hz, or of
/// deterministic white noise when `freq` is 0.
pub fn wav(path: &Path, freq: f32, secs: f32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (secs * 22050.0) as usize;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in 0..n {
        let v = if freq > 0.0 {
            (2.0 * std::f32::consts::PI * freq * i as f32 / 22050.0).sin() * 0.5
        } else {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        w.write_sample((v * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

/// The index files in the default index folder.
pub fn default_indexes(env: &Env) -> Vec<PathBuf> {
    let dir = env.home.join(".local/share/musim/indexes");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Run `ffmpeg -v error -y ARGS…`; a failure fails the test with
/// ffmpeg's message.
pub fn ffmpeg<I, S>(args: I)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// True when ffmpeg runs. Missing ffmpeg fails the calling test under
/// `CI=true`; elsewhere it notes that `what` is skipped.
pub fn have_ffmpeg(what: &str) -> bool {
    let ok = Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var("CI").as_deref() != Ok("true"),
        "ffmpeg is required on CI but was not found"
    );
    if !ok {
        eprintln!("NOTE: {what} skipped: ffmpeg is not installed");
    }
    ok
}
