//! `ffmpeg` fallback for what symphonia cannot decode (Opus, WMA, …).
//!
//! ffmpeg is spawned directly (no shell, arguments as a vector, so no quoting
//! or injection issues with odd file names) and writes the first audio stream
//! to stdout, which we read as a stream.
//!
//! We ask for a Sun .au stream of f32 samples at the native rate and channel
//! count rather than `-f f32le -ac 1 -ar 22050`: ffmpeg's `-ac 1` applies its
//! downmix matrix (a stereo sine comes out at √2 × the channel mean, LFE is
//! dropped), not the channel mean librosa uses. The .au header tells us the
//! rate and channels, our .au reader averages the channels, and the same
//! resampler as for every other format does the rate conversion, so
//! features do not depend on which backend decoded a file. Its stderr is collected on
//! a helper thread (so a chatty ffmpeg can never block on a full pipe) and
//! used for error messages. The child is always reaped; if the stream is
//! dropped early, ffmpeg is killed first.
//!
//! ffmpeg reads the file by its path, except an Ogg file with an oversized
//! comment packet (an embedded picture): it is given the stream without
//! that packet on its stdin ([`Input::Ogg`]), so that ffmpeg's own process
//! never reads the picture either (300 MB of memory for a 50 MB picture).

use std::ffi::{OsStr, OsString};
use std::io::{self, ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::au::{self, AuSource};
use super::feeder::Feeder;
use super::spliced::Spliced;
use super::{AudioError, AudioInfo, Opened, Source};

/// Most stderr kept for messages (ffmpeg may print one line per bad packet).
const STDERR_KEEP: usize = 16 * 1024;

/// Why the ffmpeg fallback did not work.
pub(crate) enum Failure {
    /// The ffmpeg program could not be started (not installed).
    Missing,
    /// ffmpeg ran but the file could not be decoded.
    Error(AudioError),
}

/// What ffmpeg reads.
pub(crate) enum Input {
    /// The file, by its path.
    File,
    /// An Ogg stream written to its stdin: the file without its oversized
    /// comment packet ([`super::ogg_slim`]).
    Ogg(Spliced),
}

/// The argument vector for decoding `path` to an f32 .au stream on stdout.
///
/// The `file:` prefix makes ffmpeg treat the name as a local file even if it
/// looks like a URL or protocol (`http:…`, `concat:…`).
pub fn ffmpeg_args(path: &Path) -> Vec<OsString> {
    let mut input = OsString::from("file:");
    input.push(path.as_os_str());
    args_for(None, input)
}

/// The argument vector for decoding a stream of `format` read from stdin.
pub fn ffmpeg_stdin_args(format: &str) -> Vec<OsString> {
    args_for(Some(format), OsString::from("pipe:0"))
}

/// ffmpeg's arguments for reading `input` (of `format`, else guessed).
fn args_for(format: Option<&str>, input: OsString) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-v", "error"]
        .iter()
        .map(OsString::from)
        .collect();
    if let Some(f) = format {
        args.extend([OsString::from("-f"), OsString::from(f)]);
    }
    args.push(OsString::from("-i"));
    args.push(input);
    for a in ["-map", "0:a:0", "-vn", "-c:a", "pcm_f32be", "-f", "au", "-"] {
        args.push(OsString::from(a));
    }
    args
}

/// Start `program` on `path`, read as `input` says. `known` is what
/// symphonia learnt of the stream (if anything); `codec` names the codec
/// for `AudioInfo`.
pub(crate) fn open(
    path: &Path,
    program: &OsStr,
    known: Option<&AudioInfo>,
    codec: &str,
    input: Input,
) -> Result<Opened, Failure> {
    let (args, stdin) = match &input {
        Input::File => (ffmpeg_args(path), Stdio::null()),
        Input::Ogg(_) => (ffmpeg_stdin_args("ogg"), Stdio::piped()),
    };
    let mut child = match Command::new(program)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => {
            return Err(Failure::Missing)
        }
        Err(e) => return Err(Failure::Error(AudioError::io(path, e))),
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take().map(spawn_stderr_reader);
    let feeder = match (input, child.stdin.take()) {
        (Input::Ogg(stream), Some(stdin)) => Some(Feeder::start(stream, stdin)),
        _ => None,
    };
    let mut guard = ChildGuard {
        path: path.to_path_buf(),
        child: Some(child),
        stderr,
        feeder,
    };
    let Some(stdout) = stdout else {
        return Err(Failure::Error(AudioError::corrupt(
            path,
            "could not read ffmpeg's output",
        )));
    };
    let (au_info, au) = match au::open_stream(path, stdout, None) {
        Ok(x) => x,
        // No header: ffmpeg failed before writing anything; its stderr says why.
        Err(_) => return Err(Failure::Error(guard.failure(0))),
    };
    let mut src = FfmpegSource {
        au,
        guard,
        samples: 0,
        first: None,
        warnings: Vec::new(),
    };
    // Read the first block now so that a file ffmpeg rejects fails in `open`.
    match src.next_block().map_err(Failure::Error)? {
        Some(b) => src.first = Some(b),
        None => {
            return Err(Failure::Error(AudioError::NoAudio {
                path: path.to_path_buf(),
            }))
        }
    }
    let info = AudioInfo {
        codec: format!("{codec} (via ffmpeg)"),
        duration_s: known.and_then(|k| k.duration_s),
        ..au_info
    };
    Ok(Opened {
        rate: info.sample_rate,
        info,
        source: Box::new(src),
    })
}

/// Collect stderr on a thread, keeping the first [`STDERR_KEEP`] bytes.
fn spawn_stderr_reader(mut stderr: std::process::ChildStderr) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match stderr.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = STDERR_KEEP.saturating_sub(kept.len());
                    kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        kept
    })
}

/// The running ffmpeg: reaped on `finish`, killed and reaped on drop.
struct ChildGuard {
    path: PathBuf,
    child: Option<Child>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    /// The thread writing its input, when it reads stdin.
    feeder: Option<Feeder>,
}

/// How ffmpeg ended.
struct Exit {
    /// It exited with status 0.
    ok: bool,
    /// Its exit code, if it exited.
    code: Option<i32>,
    /// Its first stderr line, made safe to show.
    line: String,
    /// Why its input could not be read to the end (stdin input only).
    input: Option<io::Error>,
}

impl ChildGuard {
    /// Wait for ffmpeg to exit, and for the thread feeding it.
    /// Returns `None` if it was already reaped.
    fn finish(&mut self) -> Result<Option<Exit>, AudioError> {
        let Some(mut c) = self.child.take() else {
            return Ok(None);
        };
        let status = c.wait().map_err(|e| AudioError::io(&self.path, e))?;
        let input = self.feeder.take().and_then(Feeder::finish);
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&stderr);
        // Quoted in messages: shown, not obeyed.
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(|l| crate::store::text::safe(l).into_owned())
            .unwrap_or_default();
        Ok(Some(Exit {
            ok: status.success(),
            code: status.code(),
            line,
            input,
        }))
    }

    /// The error for an ffmpeg run that produced `samples` samples and stopped.
    fn failure(&mut self, samples: u64) -> AudioError {
        match self.finish() {
            // The file could not be read: that, not ffmpeg's view of a
            // stream cut short, is the reason.
            Ok(Some(Exit { input: Some(e), .. })) => AudioError::io(&self.path, e),
            Ok(Some(exit)) if !exit.ok || samples == 0 => {
                if exit.ok {
                    AudioError::NoAudio {
                        path: self.path.clone(),
                    }
                } else {
                    classify(&self.path, &exit.line, exit.code)
                }
            }
            Ok(_) => AudioError::NoAudio {
                path: self.path.clone(),
            },
            Err(e) => e,
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Dropped before the end: stop ffmpeg, then reap it (no zombies).
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // ffmpeg is gone: the feeder's next write fails and it ends.
        if let Some(f) = self.feeder.take() {
            let _ = f.finish();
        }
        if let Some(h) = self.stderr.take() {
            let _ = h.join();
        }
    }
}

/// Streaming reader of ffmpeg's .au output.
struct FfmpegSource {
    au: AuSource<ChildStdout>,
    guard: ChildGuard,
    /// Samples (frames) delivered so far.
    samples: u64,
    /// Block read during `open`.
    first: Option<Vec<f32>>,
    warnings: Vec<String>,
}

impl Source for FfmpegSource {
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if let Some(b) = self.first.take() {
            return Ok(Some(b));
        }
        let block = self.au.next_block()?;
        self.warnings.extend(self.au.take_warnings());
        match block {
            Some(b) => {
                self.samples += b.len() as u64;
                Ok(Some(b))
            }
            None => {
                self.end()?;
                Ok(None)
            }
        }
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

impl FfmpegSource {
    /// ffmpeg's output ended: reap it; a failure after some audio is a
    /// warning (we keep what we have), before any audio an error.
    fn end(&mut self) -> Result<(), AudioError> {
        let Some(Exit {
            ok,
            code,
            line,
            input,
        }) = self.guard.finish()?
        else {
            return Ok(());
        };
        let at = self.samples as f64 / f64::from(self.au.rate());
        if let Some(e) = input {
            if self.samples == 0 {
                return Err(AudioError::io(&self.guard.path, e));
            }
            self.warnings.push(format!(
                "truncated: reading the file failed after {at:.1} s of audio: {e}"
            ));
            return Ok(());
        }
        if !ok && self.samples == 0 {
            return Err(classify(&self.guard.path, &line, code));
        }
        if !ok {
            self.warnings
                .push(format!("truncated: ffmpeg stopped at {at:.1} s: {line}"));
        } else if !line.is_empty() {
            self.warnings.push(format!("ffmpeg reported: {line}"));
        }
        Ok(())
    }
}

/// Turn ffmpeg's first error line into the matching error variant.
fn classify(path: &Path, line: &str, code: Option<i32>) -> AudioError {
    let lower = line.to_ascii_lowercase();
    let detail = if line.is_empty() {
        format!("ffmpeg failed (exit status {code:?})")
    } else {
        format!("ffmpeg: {line}")
    };
    if lower.contains("matches no streams") || lower.contains("does not contain any stream") {
        AudioError::NoAudio {
            path: path.to_path_buf(),
        }
    } else if lower.contains("invalid data found")
        || lower.contains("could not find codec parameters")
    {
        AudioError::not_audio(path, detail)
    } else if lower.contains("decoder") && lower.contains("not found")
        || lower.contains("unknown codec")
    {
        AudioError::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: "unknown".into(),
            hint: detail,
        }
    } else {
        AudioError::corrupt(path, detail)
    }
}
