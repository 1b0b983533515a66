//! Fetching a track's audio from a web address with yt-dlp.
//!
//! yt-dlp runs as a subprocess without a shell (arguments as a vector, the
//! URL after `--`, so no address can be read as shell syntax or as an
//! option), with stdin closed, in a fresh temporary folder. It is asked for
//! an m4a/AAC stream first, because symphonia decodes that without ffmpeg,
//! and to print the final file path and the title behind marker prefixes, so
//! the answer can be picked out of stdout whatever else ends up there. If it
//! prints nothing usable, the single `audio.*` file in the folder is taken.
//! Either way the file must resolve to a regular file inside the folder:
//! a link leading out of it (or a file with other hard links) is refused,
//! so nothing outside the folder is ever read or copied.
//!
//! stdout and stderr are read on helper threads, so a chatty child can never
//! block on a full pipe; the calling thread polls for exit, timeout, cancel
//! and interrupt every [`POLL`]. On Unix yt-dlp runs in a process group of
//! its own whose leader is a watchdog ([`group`]): the whole group (ffmpeg,
//! a `sleep` in a test script) is killed when the fetch ends for any reason,
//! and by the watchdog when musim itself dies, even by SIGKILL. The
//! temporary folder ([`scratch`]) is owned by a [`tempfile::TempDir`] from
//! the start, so it is removed on every error path and, on success, when
//! the [`Download`] is dropped; folders of runs that were killed are removed
//! by the next fetch.

use std::ffi::{OsStr, OsString};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::store::paths::show;
use crate::store::text::safe;

#[cfg(unix)]
mod group;
mod scratch;

pub use scratch::PREFIX as TEMP_PREFIX;

/// Environment variable naming the yt-dlp program (default: `yt-dlp` on PATH).
pub const YTDLP_ENV: &str = "MUSIM_YTDLP";

/// How long a fetch may take before yt-dlp is killed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// yt-dlp's format choice: an m4a/AAC audio stream first (symphonia decodes
/// it natively), then any audio-only stream, then whatever is best.
pub const FORMAT: &str = "bestaudio[ext=m4a]/bestaudio[acodec^=mp4a]/bestaudio/best";

/// `--print` template for the title. The `video` stage is before the
/// download; the marker keeps it apart from any other stdout line.
pub const PRINT_TITLE: &str = "video:musim-title:%(title)s";

/// `--print` template for the final path, printed once the file is in place.
pub const PRINT_FILE: &str = "after_move:musim-file:%(filepath)s";

const TITLE_MARK: &[u8] = b"musim-title:";
const FILE_MARK: &[u8] = b"musim-file:";

/// How often the child is checked for exit, timeout and cancel.
const POLL: Duration = Duration::from_millis(50);

/// Most bytes kept of each output stream (the tail: the answer and the final
/// error come last).
const OUTPUT_KEEP: usize = 256 * 1024;

/// How long to wait, after yt-dlp exits, for its pipes to close. A leftover
/// grandchild could hold them open forever; we must not hang on it.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// Longest error detail quoted in a message.
const DETAIL_MAX: usize = 400;

/// Why a fetch failed. Every message names the URL, says what is wrong and
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum YoutubeError {
    /// Not an http:// or https:// address.
    #[error("not an http(s) URL: {url:?}; give a web address starting with http:// or https://")]
    NotHttp {
        /// The string as given.
        url: String,
    },
    /// Neither yt-dlp nor `python3 -m yt_dlp` could be run.
    #[error(
        "cannot fetch {url}: yt-dlp is not installed ({detail}); install it with \
         `pipx install yt-dlp`, `python3 -m pip install --user yt-dlp` or your \
         distribution's yt-dlp package, or set {env} to the yt-dlp program",
        env = YTDLP_ENV
    )]
    NotInstalled {
        /// The URL.
        url: String,
        /// What was looked for and not found.
        detail: String,
    },
    /// The network or the site's server failed.
    #[error(
        "cannot fetch {url}: network problem ({detail}); check the internet \
         connection and try again"
    )]
    Network {
        /// The URL.
        url: String,
        /// yt-dlp's error.
        detail: String,
    },
    /// The site says there is nothing to download here.
    #[error(
        "cannot fetch {url}: the video is unavailable ({detail}); check the \
         address, and that the video is public and not age-restricted"
    )]
    Unavailable {
        /// The URL.
        url: String,
        /// yt-dlp's error.
        detail: String,
    },
    /// The download is not audio musim can decode.
    #[error(
        "{url}: the download {} is not audio musim can decode ({detail}); try \
         another address, or install ffmpeg so more formats can be read",
        show(file)
    )]
    NotAudio {
        /// The URL.
        url: String,
        /// The downloaded file (already removed when this is seen).
        file: PathBuf,
        /// The decoder's error.
        detail: String,
    },
    /// yt-dlp reported success but left no audio file to use.
    #[error("{url}: yt-dlp produced no audio file ({detail}); try again, or update yt-dlp")]
    NoOutput {
        /// The URL.
        url: String,
        /// What was found instead.
        detail: String,
    },
    /// yt-dlp took longer than the timeout and was killed.
    #[error(
        "{url}: yt-dlp did not finish within {seconds:.1} s and was stopped; \
         try again later or allow more time"
    )]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout, in seconds.
        seconds: f64,
    },
    /// The caller cancelled the fetch ([`FetchOptions::cancel`]).
    #[error("{url}: download cancelled")]
    Cancelled {
        /// The URL.
        url: String,
    },
    /// The user interrupted musim ([`FetchOptions::interrupt`], e.g.
    /// Ctrl-C); the command should end with the interrupt's exit code.
    #[error("{url}: download interrupted; nothing was kept")]
    Interrupted {
        /// The URL.
        url: String,
    },
    /// The file yt-dlp gave is not a regular file of its own inside its
    /// temporary folder (a link leading out, a hard link, a dangling link);
    /// it was not read.
    #[error(
        "{url}: refused yt-dlp's output {}: {why}; only a file inside its \
         temporary folder is used",
        show(file)
    )]
    Outside {
        /// The URL.
        url: String,
        /// The file as yt-dlp named it (or as found in the folder).
        file: PathBuf,
        /// What is wrong, e.g. "it leads to /etc/passwd".
        why: String,
    },
    /// yt-dlp failed for a reason not recognised above.
    #[error(
        "{url}: yt-dlp failed ({}): {detail}; if this persists, update yt-dlp \
         (`pipx upgrade yt-dlp` or `yt-dlp -U`)",
        status_text(*status)
    )]
    Failed {
        /// The URL.
        url: String,
        /// Exit code; `None` if it was killed by a signal.
        status: Option<i32>,
        /// The last `ERROR:` line of its stderr, else its last line.
        detail: String,
    },
    /// A local file-system or process problem (temporary folder, spawning).
    #[error("{url}: cannot {action} {}: {source}", show(path))]
    Io {
        /// The URL.
        url: String,
        /// What was being done, e.g. "create a temporary folder in".
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// "exit status 1", or "killed by a signal" when there is no code.
fn status_text(status: Option<i32>) -> String {
    match status {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_string(),
    }
}

/// Options for a fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The yt-dlp program to run. When `None`: `$MUSIM_YTDLP`, else `yt-dlp`
    /// on the search path, else `python3 -m yt_dlp` with `python3` from it.
    pub program: Option<PathBuf>,
    /// A PATH value to search instead of the process environment's. When
    /// set, `$MUSIM_YTDLP` is ignored too, so the lookup depends on nothing
    /// but the options (tests rely on this rather than mutating the
    /// environment).
    pub search_path: Option<OsString>,
    /// Where the temporary folder is made (default [`std::env::temp_dir`]).
    pub temp_parent: Option<PathBuf>,
    /// yt-dlp is killed after this long (default [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// Polled while yt-dlp runs; once true, yt-dlp is killed and
    /// [`YoutubeError::Cancelled`] returned.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Like [`FetchOptions::cancel`], for a user's interrupt (Ctrl-C):
    /// [`YoutubeError::Interrupted`] is returned instead, so the command can
    /// exit with the interrupt's code.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            program: None,
            search_path: None,
            temp_parent: None,
            timeout: DEFAULT_TIMEOUT,
            cancel: None,
            interrupt: None,
        }
    }
}

/// A downloaded audio file in a temporary folder that is removed when this
/// is dropped.
#[derive(Debug)]
pub struct Download {
    /// Owns the folder: dropping it deletes the folder and the audio.
    scratch: scratch::Scratch,
    /// The audio file, inside [`Download::dir`], with no link in its path.
    pub audio: PathBuf,
    /// The title yt-dlp reported, if any.
    pub title: Option<String>,
    /// The URL it came from (trimmed).
    pub url: String,
}

impl Download {
    /// The temporary folder holding [`Download::audio`].
    pub fn dir(&self) -> &Path {
        self.scratch.dir.path()
    }
}

/// True if `s` looks like a URL (has a `scheme://`), so callers route it here
/// rather than to a file path.
///
/// The scheme must be at least two characters so a Windows drive path such
/// as `C://music` is not mistaken for one.
pub fn looks_like_url(s: &str) -> bool {
    let s = s.trim();
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    starts_with_letter
        && scheme.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The trimmed URL if it is an http(s) address with a host, else
/// [`YoutubeError::NotHttp`]. Any host is allowed: yt-dlp knows many sites.
///
/// The scheme and host are lower-cased (both are case-insensitive) because
/// yt-dlp matches sites with case-sensitive patterns: `HTTPS://YOUTU.BE/x`
/// would otherwise miss the YouTube extractor. Path and query are kept as
/// given (video ids are case-sensitive).
pub fn check_url(url: &str) -> Result<String, YoutubeError> {
    let trimmed = url.trim();
    let not_http = || YoutubeError::NotHttp {
        url: url.to_string(),
    };
    let rest = strip_prefix_ignore_case(trimmed, "https://")
        .or_else(|| strip_prefix_ignore_case(trimmed, "http://"))
        .ok_or_else(not_http)?;
    // A host is needed, and whitespace or control characters inside mean the
    // string is not one address (yt-dlp would only fail later, less clearly).
    let host_missing = rest.is_empty() || rest.starts_with(['/', '?', '#']);
    if host_missing || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(not_http());
    }
    Ok(normalise(trimmed, rest))
}

/// `url` with scheme and host lower-cased; `rest` is `url` after `://`.
fn normalise(url: &str, rest: &str) -> String {
    let scheme = url
        .get(..url.len().saturating_sub(rest.len()))
        .unwrap_or_default();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // user:password@ is case-sensitive; only what follows the last '@' is the host.
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => authority.split_at(at),
        None => ("", authority),
    };
    format!(
        "{}{userinfo}{}{tail}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    )
}

/// `s` without `prefix`, compared ASCII case-insensitively (`HTTPS://` is valid).
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// Download the audio of `url` with yt-dlp into a temporary folder.
///
/// The result is checked to be decodable audio (its first chunk is decoded)
/// before it is returned, so callers can analyse it straight away.
pub fn fetch(url: &str, opts: &FetchOptions) -> Result<Download, YoutubeError> {
    let url = check_url(url)?;
    stopped(&url, opts)?;
    let (env_program, path) = match &opts.search_path {
        Some(p) => (None, Some(p.clone())),
        None => (std::env::var_os(YTDLP_ENV), std::env::var_os("PATH")),
    };
    let program = resolve_program(opts.program.as_deref(), env_program, path.as_deref());
    if let Program::Missing(detail) = program {
        return Err(YoutubeError::NotInstalled { url, detail });
    }
    let scratch = make_temp_dir(&url, opts)?;
    let dir = scratch.dir.path();
    let stdout = run_ytdlp(&url, &program, dir, opts)?;
    let (printed, title) = parse_stdout(&stdout);
    let audio = locate_output(&url, dir, printed)?;
    verify_audio(&url, &audio)?;
    // An interrupt while the audio was checked still ends the command.
    stopped(&url, opts)?;
    Ok(Download {
        scratch,
        audio,
        title,
        url,
    })
}

/// The error to end with if the caller interrupted or cancelled.
fn stopped(url: &str, opts: &FetchOptions) -> Result<(), YoutubeError> {
    let set = |f: &Option<Arc<AtomicBool>>| f.as_ref().is_some_and(|c| c.load(Ordering::Acquire));
    let url = url.to_string();
    if set(&opts.interrupt) {
        Err(YoutubeError::Interrupted { url })
    } else if set(&opts.cancel) {
        Err(YoutubeError::Cancelled { url })
    } else {
        Ok(())
    }
}

/// Where a program came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// [`FetchOptions::program`].
    Option,
    /// `$MUSIM_YTDLP`.
    Env,
    /// Found on the search path.
    SearchPath,
}

/// The command that will run yt-dlp.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Program {
    /// Run this program directly.
    Exe(PathBuf, Origin),
    /// Run `<python3> -m yt_dlp`.
    PythonModule(PathBuf),
    /// Nothing to run; why.
    Missing(String),
}

impl Program {
    /// How the program is named in messages.
    fn describe(&self) -> String {
        match self {
            Program::Exe(p, Origin::Option) => format!("the yt-dlp program {}", show(p)),
            Program::Exe(p, Origin::Env) => format!("{YTDLP_ENV}={}", show(p)),
            Program::Exe(p, Origin::SearchPath) => show(p),
            Program::PythonModule(py) => format!("{} -m yt_dlp", show(py)),
            Program::Missing(why) => why.clone(),
        }
    }
}

/// Choose the program: explicit > `env_program` (if non-empty) > `yt-dlp` on
/// `path` > `python3 -m yt_dlp` with `python3` on `path`.
fn resolve_program(
    explicit: Option<&Path>,
    env_program: Option<OsString>,
    path: Option<&OsStr>,
) -> Program {
    if let Some(p) = explicit {
        return Program::Exe(p.to_path_buf(), Origin::Option);
    }
    if let Some(p) = env_program.filter(|p| !p.is_empty()) {
        return Program::Exe(PathBuf::from(p), Origin::Env);
    }
    let path = path.unwrap_or_default();
    if let Some(p) = find_in_path("yt-dlp", path) {
        return Program::Exe(p, Origin::SearchPath);
    }
    if let Some(py) = find_in_path("python3", path) {
        return Program::PythonModule(py);
    }
    Program::Missing("neither `yt-dlp` nor `python3` was found on PATH".to_string())
}

/// The first executable `name` in the folders of `path`. Empty entries
/// (which a shell reads as the current folder) are skipped on purpose.
fn find_in_path(name: &str, path: &OsStr) -> Option<PathBuf> {
    let names: Vec<String> = if cfg!(windows) {
        vec![format!("{name}.exe"), name.to_string()]
    } else {
        vec![name.to_string()]
    };
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// A fresh fetch folder in the temp parent, after removing those of dead
/// runs there.
fn make_temp_dir(url: &str, opts: &FetchOptions) -> Result<scratch::Scratch, YoutubeError> {
    let parent = opts.temp_parent.clone().unwrap_or_else(std::env::temp_dir);
    // Absolute, so the output template and the printed path are too.
    let parent = std::path::absolute(&parent).unwrap_or(parent);
    scratch::sweep(&parent);
    scratch::create(&parent).map_err(|source| YoutubeError::Io {
        url: url.to_string(),
        action: "create a temporary folder in",
        path: parent,
        source,
    })
}

/// yt-dlp's `-o` value: `<dir>/audio.%(ext)s`, with any `%` in the folder
/// doubled so yt-dlp does not read it as a template field.
fn output_template(dir: &Path) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let mut bytes = Vec::new();
        for &b in dir.as_os_str().as_bytes() {
            if b == b'%' {
                bytes.push(b'%');
            }
            bytes.push(b);
        }
        bytes.extend_from_slice(b"/audio.%(ext)s");
        OsString::from_vec(bytes)
    }
    #[cfg(not(unix))]
    {
        let escaped = dir.to_string_lossy().replace('%', "%%");
        OsString::from(format!(
            "{escaped}{}audio.%(ext)s",
            std::path::MAIN_SEPARATOR
        ))
    }
}

/// The arguments after the program (and after `-m yt_dlp`).
///
/// `--print` implies `--quiet` and, for the `video` stage, `--simulate`;
/// `--no-simulate` makes sure the download still happens. Warnings are kept:
/// they go to stderr and help explain failures.
pub fn ytdlp_args(url: &str, dir: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--no-playlist",
        "--no-progress",
        "--no-simulate",
        "-f",
        FORMAT,
        "-o",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(output_template(dir));
    for a in ["--print", PRINT_TITLE, "--print", PRINT_FILE, "--", url] {
        args.push(OsString::from(a));
    }
    args
}

/// Run yt-dlp to completion (or timeout / cancel) and map a failure to its
/// error. Returns its stdout.
fn run_ytdlp(
    url: &str,
    program: &Program,
    dir: &Path,
    opts: &FetchOptions,
) -> Result<Vec<u8>, YoutubeError> {
    let mut cmd = match program {
        Program::Exe(p, _) => Command::new(p),
        Program::PythonModule(py) => {
            let mut c = Command::new(py);
            c.args(["-m", "yt_dlp"]);
            c
        }
        Program::Missing(detail) => {
            return Err(YoutubeError::NotInstalled {
                url: url.to_string(),
                detail: detail.clone(),
            })
        }
    };
    cmd.args(ytdlp_args(url, dir))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running::start(&mut cmd).map_err(|e| spawn_error(url, program, e))?;
    let stdout = Collector::start(running.child.stdout.take());
    let stderr = Collector::start(running.child.stderr.take());

    let start = Instant::now();
    let status = loop {
        match running.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(source) => {
                return Err(YoutubeError::Io {
                    url: url.to_string(),
                    action: "wait for",
                    path: PathBuf::from(program.describe()),
                    source,
                });
            }
        }
        stopped(url, opts)?;
        let elapsed = start.elapsed();
        if elapsed >= opts.timeout {
            return Err(YoutubeError::Timeout {
                url: url.to_string(),
                seconds: opts.timeout.as_secs_f64(),
            });
        }
        std::thread::sleep(POLL.min(opts.timeout.saturating_sub(elapsed)));
    };
    // Whatever yt-dlp left running goes now, and with it the last holders
    // of its pipes.
    drop(running);

    let until = Instant::now() + DRAIN_WAIT;
    let out = stdout.finish(until);
    let err = String::from_utf8_lossy(&stderr.finish(until)).into_owned();
    if status.success() {
        return Ok(out);
    }
    let detail = error_detail(&err);
    let url = url.to_string();
    Err(match classify_stderr(&err) {
        Some(StderrClass::NotInstalled) => YoutubeError::NotInstalled {
            url,
            detail: format!("`{}` says: {detail}", program.describe()),
        },
        Some(StderrClass::Network) => YoutubeError::Network { url, detail },
        Some(StderrClass::Unavailable) => YoutubeError::Unavailable { url, detail },
        None => YoutubeError::Failed {
            url,
            status: status.code(),
            detail: if detail.is_empty() {
                "no error message".to_string()
            } else {
                detail
            },
        },
    })
}

/// Spawn, retrying briefly on "text file busy": a script written a moment ago
/// can still be open for writing in a child forked by another thread.
fn spawn(cmd: &mut Command) -> std::io::Result<Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

fn spawn_error(url: &str, program: &Program, e: std::io::Error) -> YoutubeError {
    let url = url.to_string();
    let who = program.describe();
    match e.kind() {
        ErrorKind::NotFound => YoutubeError::NotInstalled {
            url,
            detail: format!("{who} does not exist"),
        },
        ErrorKind::PermissionDenied => YoutubeError::NotInstalled {
            url,
            detail: format!("{who} cannot be run: permission denied"),
        },
        _ => YoutubeError::Io {
            url,
            action: "start",
            path: PathBuf::from(who),
            source: e,
        },
    }
}

/// yt-dlp while it runs. Dropping it, on every path out of [`run_ytdlp`],
/// kills yt-dlp and (on Unix) everything in its process group, and reaps it.
struct Running {
    child: Child,
    /// The group yt-dlp runs in; killed when dropped.
    #[cfg(unix)]
    group: group::Group,
}

impl Running {
    /// Start `cmd` (on Unix, in a new group led by a watchdog).
    fn start(cmd: &mut Command) -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            let group = group::Group::start().map_err(|e| {
                std::io::Error::other(format!("its watchdog /bin/sh did not start: {e}"))
            })?;
            group.add(cmd);
            let child = spawn(cmd)?;
            Ok(Self { child, group })
        }
        #[cfg(not(unix))]
        {
            Ok(Self { child: spawn(cmd)? })
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        #[cfg(unix)]
        self.group.kill();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one output stream on a thread, keeping the last [`OUTPUT_KEEP`]
/// bytes where the caller can take them even if the pipe never closes.
struct Collector {
    buf: Arc<Mutex<Vec<u8>>>,
    handle: Option<JoinHandle<()>>,
}

impl Collector {
    fn start<R: Read + Send + 'static>(reader: Option<R>) -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let handle = reader.and_then(|mut r| {
            let buf = Arc::clone(&buf);
            std::thread::Builder::new()
                .name("musim-ytdlp-output".into())
                .spawn(move || {
                    let mut chunk = [0u8; 8192];
                    loop {
                        match r.read(&mut chunk) {
                            Ok(0) => break,
                            Ok(n) => {
                                let mut kept = buf.lock().unwrap_or_else(PoisonError::into_inner);
                                kept.extend_from_slice(chunk.get(..n).unwrap_or_default());
                                let excess = kept.len().saturating_sub(OUTPUT_KEEP);
                                kept.drain(..excess);
                            }
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(_) => break,
                        }
                    }
                })
                // Without a thread the pipe is dropped: the child then gets
                // EPIPE instead of blocking on a full pipe.
                .ok()
        });
        Self { buf, handle }
    }

    /// The bytes read, after waiting until `until` at most for the stream
    /// to end.
    fn finish(self, until: Instant) -> Vec<u8> {
        if let Some(h) = self.handle {
            while !h.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
        let kept = self.buf.lock().unwrap_or_else(PoisonError::into_inner);
        kept.clone()
    }
}

/// The printed final path and title from yt-dlp's stdout (last of each).
/// A title of `NA` is yt-dlp's "no such field".
fn parse_stdout(stdout: &[u8]) -> (Option<PathBuf>, Option<String>) {
    let mut file = None;
    let mut title = None;
    for line in stdout.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(p) = line.strip_prefix(FILE_MARK) {
            if !p.is_empty() {
                file = Some(path_from_bytes(p));
            }
        } else if let Some(t) = line.strip_prefix(TITLE_MARK) {
            let t = String::from_utf8_lossy(t).trim().to_string();
            title = (!t.is_empty() && t != "NA").then_some(t);
        }
    }
    (file, title)
}

/// A path from raw output bytes (kept exact on Unix, where names are bytes).
fn path_from_bytes(b: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(OsStr::from_bytes(b))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(b).into_owned())
    }
}

/// The audio file: the printed path if it exists, else the single finished
/// `audio.*` entry in `dir`; in both cases checked by [`confine`].
fn locate_output(url: &str, dir: &Path, printed: Option<PathBuf>) -> Result<PathBuf, YoutubeError> {
    let io = |action, path: &Path| {
        let (url, path) = (url.to_string(), path.to_path_buf());
        move |source| YoutubeError::Io {
            url,
            action,
            path,
            source,
        }
    };
    let real_dir = dir
        .canonicalize()
        .map_err(io("resolve the temporary folder", dir))?;
    if let Some(p) = printed {
        let p = if p.is_relative() { dir.join(p) } else { p };
        if p.symlink_metadata().is_ok() {
            return confine(url, &real_dir, &p);
        }
    }
    let entries = std::fs::read_dir(dir).map_err(io("read the temporary folder", dir))?;
    // Links are candidates too: one leading out is refused, not skipped.
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_finished_audio_name(p) && !p.symlink_metadata().is_ok_and(|m| m.is_dir()))
        .collect();
    match found.len() {
        1 => confine(url, &real_dir, &found.remove(0)),
        0 => Err(YoutubeError::NoOutput {
            url: url.to_string(),
            detail: "it exited successfully but wrote no audio.* file".to_string(),
        }),
        n => Err(YoutubeError::NoOutput {
            url: url.to_string(),
            detail: format!("{n} candidate files and no final path printed"),
        }),
    }
}

/// `file` resolved (no link left in its path) if it is a regular file
/// inside `real_dir` (itself resolved) with no other hard link, so reading
/// it reads nothing from outside the folder; else [`YoutubeError::Outside`].
fn confine(url: &str, real_dir: &Path, file: &Path) -> Result<PathBuf, YoutubeError> {
    let refuse = |why: String| YoutubeError::Outside {
        url: url.to_string(),
        file: file.to_path_buf(),
        why,
    };
    let real = file
        .canonicalize()
        .map_err(|e| refuse(format!("it cannot be resolved ({e})")))?;
    if !real.starts_with(real_dir) {
        return Err(refuse(format!("it leads to {}", show(&real))));
    }
    let meta = std::fs::metadata(&real).map_err(|e| refuse(format!("it cannot be read ({e})")))?;
    if !meta.is_file() {
        return Err(refuse("it is not a regular file".to_string()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // A hard link is the same file as one elsewhere: a download has one name.
        if meta.nlink() > 1 {
            return Err(refuse(format!(
                "it has {} hard links, so it may be a file from outside",
                meta.nlink()
            )));
        }
    }
    Ok(real)
}

/// `audio.<ext>`, not a partial or temporary download.
fn is_finished_audio_name(p: &Path) -> bool {
    let Some(name) = p.file_name().and_then(OsStr::to_str) else {
        return false;
    };
    name.starts_with("audio.")
        && ![".part", ".ytdl", ".temp", ".tmp"]
            .iter()
            .any(|s| name.ends_with(s))
        && !name.contains(".part-")
}

/// Decode the first chunk, so a web page or an undecodable codec is caught
/// here, with the URL, rather than later in the analysis.
fn verify_audio(url: &str, audio: &Path) -> Result<(), YoutubeError> {
    let not_audio = |detail: String| YoutubeError::NotAudio {
        url: url.to_string(),
        file: audio.to_path_buf(),
        detail,
    };
    let mut stream = crate::audio::open(audio).map_err(|e| not_audio(e.to_string()))?;
    match stream.next_chunk() {
        Ok(Some(chunk)) if !chunk.is_empty() => Ok(()),
        Ok(_) => Err(not_audio("it contains no audio samples".to_string())),
        Err(e) => Err(not_audio(e.to_string())),
    }
}

/// What a failed run's stderr says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StderrClass {
    /// `python3 -m yt_dlp` without the module.
    NotInstalled,
    /// Name resolution, connection, timeouts, server errors.
    Network,
    /// The video is private, removed, restricted, or the URL is not one.
    Unavailable,
}

const NOT_INSTALLED_SIGNS: &[&str] = &["no module named yt_dlp", "no module named 'yt_dlp'"];

/// Checked before the network signs: "Unable to download webpage: HTTP Error
/// 404" is a missing video, not a network problem.
const UNAVAILABLE_SIGNS: &[&str] = &[
    "video unavailable",
    "private video",
    "this video has been removed",
    "this video is not available",
    "sign in to confirm your age",
    "http error 404",
    "http error 410",
    "unsupported url",
    "is not a valid url",
];

const NETWORK_SIGNS: &[&str] = &[
    "name resolution",
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "failed to resolve",
    "could not resolve",
    "connection refused",
    "connection reset",
    "connection aborted",
    "connection error",
    "network is unreachable",
    "no route to host",
    "timed out",
    "unable to download webpage",
    "unable to download api page",
    "remote end closed connection",
];

/// Classify stderr. When there are `ERROR:` lines only they count: earlier
/// warnings can mention retried hiccups that are not why the run failed.
fn classify_stderr(stderr: &str) -> Option<StderrClass> {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("ERROR:")).collect();
    if errors.is_empty() {
        classify_text(stderr)
    } else {
        classify_text(&errors.join("\n"))
    }
}

fn classify_text(text: &str) -> Option<StderrClass> {
    let lower = text.to_lowercase();
    let has = |signs: &[&str]| signs.iter().any(|s| lower.contains(s));
    if has(NOT_INSTALLED_SIGNS) {
        Some(StderrClass::NotInstalled)
    } else if has(UNAVAILABLE_SIGNS) {
        Some(StderrClass::Unavailable)
    } else if has(NETWORK_SIGNS) || has_http_5xx(&lower) {
        Some(StderrClass::Network)
    } else {
        None
    }
}

/// "http error 5xx" anywhere in (lower-cased) `text`: a server-side failure.
fn has_http_5xx(text: &str) -> bool {
    const SIGN: &str = "http error 5";
    text.match_indices(SIGN).any(|(i, _)| {
        let after = i + SIGN.len();
        text.get(after..after + 2)
            .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The message to quote: the last `ERROR:` line without its prefix, else the
/// last non-empty line; at most [`DETAIL_MAX`] characters, controls shown
/// escaped ([`safe`]: the line comes from yt-dlp and ends up on a terminal).
fn error_detail(stderr: &str) -> String {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let line = lines()
        .filter_map(|l| l.split_once("ERROR:").map(|(_, rest)| rest.trim()))
        .next_back()
        .or_else(|| lines().next_back())
        .unwrap_or("");
    match line.char_indices().nth(DETAIL_MAX) {
        Some((cut, _)) => format!("{}…", safe(line.get(..cut).unwrap_or(line))),
        None => safe(line).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_url_needs_a_scheme_and_slashes() {
        for s in [
            "https://www.youtube.com/watch?v=abc",
            "http://youtu.be/abc",
            "HTTPS://music.youtube.com/watch?v=x",
            "ftp://x",
            "file:///home/me/song.mp3",
            "  https://example.com/a  ",
            "svn+ssh://host/repo",
        ] {
            assert!(looks_like_url(s), "{s}");
        }
        for s in [
            "",
            "   ",
            "song.mp3",
            "/home/me/song.mp3",
            "music/https://x",
            "C:\\music\\song.mp3",
            "C://music/song.mp3",
            "javascript:alert(1)",
            "youtube.com/watch?v=abc",
            "://x",
            "1http://x",
            "ht tp://x",
        ] {
            assert!(!looks_like_url(s), "{s:?}");
        }
    }

    #[test]
    fn check_url_accepts_http_and_https_with_a_host() {
        for s in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtu.be/dQw4w9WgXcQ",
            "https://music.youtube.com/watch?v=abc&list=x",
            "https://www.youtube.com/shorts/abc",
            "http://example.com/track.mp3",
            "https://User:PW@example.com:8080",
        ] {
            assert_eq!(check_url(s).ok().as_deref(), Some(s), "{s}");
        }
        for (given, expected) in [
            ("\t https://youtu.be/x \n", "https://youtu.be/x"),
            (
                "HTTPS://WWW.YouTube.COM/watch?v=AbC",
                "https://www.youtube.com/watch?v=AbC",
            ),
            ("Http://Ab@CD.com?Q=X#Y", "http://Ab@cd.com?Q=X#Y"),
            ("HTTP://HOST", "http://host"),
        ] {
            assert_eq!(check_url(given).ok().as_deref(), Some(expected), "{given}");
        }
    }

    #[test]
    fn check_url_rejects_everything_else() {
        for s in [
            "",
            "   ",
            "ftp://x",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://",
            "https:///path",
            "http://?q",
            "https://exa mple.com/",
            "https://x\u{0}y",
            "youtube.com/watch?v=abc",
            "-f",
            "httpx://y",
        ] {
            match check_url(s) {
                Err(YoutubeError::NotHttp { url }) => assert_eq!(url, s),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        let msg = check_url("ftp://x").map(|_| ()).unwrap_err().to_string();
        assert!(msg.contains("not an http(s) URL"), "{msg}");
        assert!(msg.contains("ftp://x"), "{msg}");
    }

    #[test]
    fn classifier_spots_network_problems() {
        for e in [
            "ERROR: [youtube] abc: Unable to download webpage: <urlopen error [Errno -3] Temporary failure in name resolution> (caused by URLError(gaierror(-3, 'Temporary failure in name resolution')))",
            "ERROR: Unable to download webpage: <urlopen error [Errno 111] Connection refused>",
            "ERROR: [download] Got error: The read operation timed out",
            "ERROR: unable to download video data: HTTP Error 503: Service Unavailable",
            "ERROR: [youtube] x: Unable to download API page: HTTP Error 500: Internal Server Error",
            "ERROR: [Errno 101] Network is unreachable",
        ] {
            assert_eq!(classify_stderr(e), Some(StderrClass::Network), "{e}");
        }
    }

    #[test]
    fn classifier_spots_unavailable_videos() {
        for e in [
            "ERROR: [youtube] abc: Video unavailable. This video is no longer available",
            "ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video",
            "ERROR: [youtube] abc: This video has been removed by the uploader",
            "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
            "ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found",
            "ERROR: Unsupported URL: https://example.com/",
            "ERROR: 'https:/x' is not a valid URL. Set --default-search \"ytsearch\" (or run  yt-dlp \"ytsearch:https:/x\" ) to search YouTube",
        ] {
            assert_eq!(classify_stderr(e), Some(StderrClass::Unavailable), "{e}");
        }
    }

    #[test]
    fn classifier_trusts_the_error_lines_over_warnings() {
        let stderr = "WARNING: [youtube] Unable to download webpage: HTTP Error 503; retrying\n\
                      ERROR: [youtube] abc: Requested format is not available";
        assert_eq!(classify_stderr(stderr), None);
        let stderr = "WARNING: connection reset, retrying\nERROR: [youtube] abc: Private video";
        assert_eq!(classify_stderr(stderr), Some(StderrClass::Unavailable));
        assert_eq!(
            classify_stderr("/usr/bin/python3: No module named yt_dlp"),
            Some(StderrClass::NotInstalled)
        );
        assert_eq!(classify_stderr("Traceback ...\nKeyError: 'x'"), None);
        assert!(!has_http_5xx("http error 5"));
        assert!(!has_http_5xx("http error 5x1"));
        assert!(has_http_5xx("http error 502: bad gateway"));
    }

    #[test]
    fn error_detail_takes_the_last_error_line() {
        let stderr = "WARNING: a\nERROR: first\nsome trace\nERROR: [youtube] x: second\n\n";
        assert_eq!(error_detail(stderr), "[youtube] x: second");
        assert_eq!(error_detail("a\nlast line\n  \n"), "last line");
        assert_eq!(error_detail(""), "");
        let long = format!("ERROR: {}", "é".repeat(DETAIL_MAX + 10));
        let d = error_detail(&long);
        assert_eq!(d.chars().count(), DETAIL_MAX + 1);
        assert!(d.ends_with('…'));
    }

    /// yt-dlp's text reaches the terminal in error messages: its control
    /// characters are shown, not obeyed.
    #[test]
    fn error_detail_shows_control_characters_escaped() {
        let stderr = "ERROR: [x] \u{1b}]0;owned\u{7}\u{1b}[2J\rgone \u{9b}31m\n";
        assert_eq!(
            error_detail(stderr),
            "[x] \\e]0;owned\\a\\e[2J\\rgone \\x9b31m"
        );
    }

    #[test]
    fn stdout_markers_give_path_and_title() {
        let out = b"[youtube] noise\nmusim-title:A Song: Live\r\nmusim-file:/tmp/x/audio.m4a\n";
        let (file, title) = parse_stdout(out);
        assert_eq!(file, Some(PathBuf::from("/tmp/x/audio.m4a")));
        assert_eq!(title.as_deref(), Some("A Song: Live"));
        assert_eq!(parse_stdout(b"musim-title:NA\nmusim-file:\n"), (None, None));
        assert_eq!(parse_stdout(b""), (None, None));
    }

    #[test]
    fn args_pass_the_url_last_after_a_double_dash() {
        let args = ytdlp_args("https://youtu.be/x", Path::new("/t/50%dir"));
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args.last().map(String::as_str), Some("https://youtu.be/x"));
        assert_eq!(args.get(args.len() - 2).map(String::as_str), Some("--"));
        for flag in [
            "--no-playlist",
            "--no-progress",
            "--no-simulate",
            FORMAT,
            PRINT_TITLE,
            PRINT_FILE,
        ] {
            assert!(args.iter().any(|a| a == flag), "{flag}");
        }
        #[cfg(unix)]
        assert!(
            args.iter().any(|a| a == "/t/50%%dir/audio.%(ext)s"),
            "{args:?}"
        );
    }

    #[cfg(unix)]
    fn executable(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[cfg(unix)]
    #[test]
    fn program_resolution_order() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let ytdlp = executable(b.path(), "yt-dlp");
        let py = executable(a.path(), "python3");
        // A non-executable yt-dlp earlier on the path is skipped.
        std::fs::write(a.path().join("yt-dlp"), "not a program").unwrap();
        let path = std::env::join_paths([a.path(), b.path()]).unwrap();

        let explicit = Path::new("/opt/yt-dlp");
        assert_eq!(
            resolve_program(Some(explicit), Some("/env/yt".into()), Some(&path)),
            Program::Exe(explicit.to_path_buf(), Origin::Option)
        );
        assert_eq!(
            resolve_program(None, Some("/env/yt".into()), Some(&path)),
            Program::Exe(PathBuf::from("/env/yt"), Origin::Env)
        );
        assert_eq!(
            resolve_program(None, Some(OsString::new()), Some(&path)),
            Program::Exe(ytdlp, Origin::SearchPath)
        );
        assert_eq!(
            resolve_program(None, None, Some(a.path().as_os_str())),
            Program::PythonModule(py)
        );
        assert!(matches!(
            resolve_program(None, None, Some(empty.path().as_os_str())),
            Program::Missing(_)
        ));
        assert!(matches!(
            resolve_program(None, None, None),
            Program::Missing(_)
        ));
    }

    #[test]
    fn only_finished_audio_files_count() {
        for name in ["audio.m4a", "audio.webm", "audio.wav"] {
            assert!(is_finished_audio_name(Path::new(name)), "{name}");
        }
        for name in [
            "audio.m4a.part",
            "audio.webm.ytdl",
            "audio.temp.m4a.part",
            "cover.jpg",
            "audio.f140.m4a.part-Frag3",
        ] {
            assert!(!is_finished_audio_name(Path::new(name)), "{name}");
        }
    }
}
