//! `ffmpeg` fallback for what symphonia cannot decode (Opus, WMA, …).
//!
//! ffmpeg is spawned directly (no shell, arguments as a vector, so no quoting
//! or injection issues with odd file names) and asked for mono f32 at
//! 22050 Hz on stdout, which we read as a stream. Its stderr is collected on
//! a helper thread (so a chatty ffmpeg can never block on a full pipe) and
//! used for error messages. The child is always reaped; if the stream is
//! dropped early, ffmpeg is killed first.

use std::ffi::{OsStr, OsString};
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use super::{AudioError, AudioInfo, Opened, Source, TARGET_RATE};

/// Bytes of stdout read per block (1 s of f32 at 22050 Hz).
const BLOCK_BYTES: usize = TARGET_RATE as usize * 4;
/// Most stderr kept for messages (ffmpeg may print one line per bad packet).
const STDERR_KEEP: usize = 16 * 1024;

/// Why the ffmpeg fallback did not work.
pub(crate) enum Failure {
    /// The ffmpeg program could not be started (not installed).
    Missing,
    /// ffmpeg ran but the file could not be decoded.
    Error(AudioError),
}

/// The argument vector for decoding `path` to mono f32 at 22050 Hz.
///
/// The `file:` prefix makes ffmpeg treat the name as a local file even if it
/// looks like a URL or protocol (`http:…`, `concat:…`).
pub fn ffmpeg_args(path: &Path) -> Vec<OsString> {
    let mut input = OsString::from("file:");
    input.push(path.as_os_str());
    let mut args: Vec<OsString> = ["-nostdin", "-v", "error", "-i"]
        .iter()
        .map(OsString::from)
        .collect();
    args.push(input);
    let rate = TARGET_RATE.to_string();
    for a in [
        "-map",
        "0:a:0",
        "-vn",
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        rate.as_str(),
        "-",
    ] {
        args.push(OsString::from(a));
    }
    args
}

/// Start `program` on `path`. `known` is what symphonia learnt of the stream
/// (if anything); `codec` names the codec for `AudioInfo`.
pub(crate) fn open(
    path: &Path,
    program: &OsStr,
    known: Option<&AudioInfo>,
    codec: &str,
) -> Result<Opened, Failure> {
    let mut child = match Command::new(program)
        .args(ffmpeg_args(path))
        .stdin(Stdio::null())
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
    let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Failure::Error(AudioError::corrupt(
            path,
            "could not talk to ffmpeg",
        )));
    };
    let mut src = FfmpegSource {
        path: path.to_path_buf(),
        child: Some(child),
        stdout,
        stderr: Some(stderr),
        buf: vec![0; BLOCK_BYTES],
        carry: Vec::new(),
        samples: 0,
        first: None,
        warnings: Vec::new(),
        ended: false,
    };
    // Read the first block now so that a file ffmpeg rejects fails in `open`.
    let first = src.read_block().map_err(Failure::Error)?;
    if first.is_empty() {
        return Err(Failure::Error(AudioError::NoAudio {
            path: path.to_path_buf(),
        }));
    }
    src.first = Some(first);
    // ffmpeg hands us 22050 Hz mono; report the source's own figures if
    // symphonia could read them from the container.
    let info = match known {
        Some(k) => AudioInfo {
            codec: format!("{codec} (via ffmpeg)"),
            ..k.clone()
        },
        None => AudioInfo {
            sample_rate: TARGET_RATE,
            channels: 1,
            codec: format!("{codec} (via ffmpeg)"),
            duration_s: None,
        },
    };
    Ok(Opened {
        info,
        rate: TARGET_RATE,
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

/// Streaming reader of ffmpeg's output.
struct FfmpegSource {
    path: PathBuf,
    /// The running ffmpeg; `None` once reaped.
    child: Option<Child>,
    stdout: ChildStdout,
    stderr: Option<JoinHandle<Vec<u8>>>,
    buf: Vec<u8>,
    /// Bytes of an incomplete f32 left over from the last read.
    carry: Vec<u8>,
    /// Samples delivered so far.
    samples: u64,
    /// Block read during `open`.
    first: Option<Vec<f32>>,
    warnings: Vec<String>,
    ended: bool,
}

impl Source for FfmpegSource {
    fn next_block(&mut self) -> Result<Option<Vec<f32>>, AudioError> {
        if let Some(b) = self.first.take() {
            return Ok(Some(b));
        }
        let block = self.read_block()?;
        Ok((!block.is_empty()).then_some(block))
    }

    fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

impl FfmpegSource {
    /// Read up to one block of samples; at end of output, reap ffmpeg and
    /// turn a failure into an error (nothing decoded) or a warning.
    fn read_block(&mut self) -> Result<Vec<f32>, AudioError> {
        if self.ended {
            return Ok(Vec::new());
        }
        let mut filled = 0;
        while filled < self.buf.len() {
            let dst = self.buf.get_mut(filled..).unwrap_or_default();
            match self.stdout.read(dst) {
                Ok(0) => {
                    self.ended = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(AudioError::io(&self.path, e)),
            }
        }
        let out = self.decode_bytes(filled);
        self.samples += out.len() as u64;
        if self.ended {
            self.reap()?;
        }
        Ok(out)
    }

    /// Convert the first `n` bytes of `buf` (plus any carried bytes) to f32.
    fn decode_bytes(&mut self, n: usize) -> Vec<f32> {
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(self.buf.get(..n).unwrap_or_default());
        let whole = bytes.len() - bytes.len() % 4;
        let out = bytes
            .chunks_exact(4)
            .map(|c| match c {
                [a, b, c, d] => f32::from_le_bytes([*a, *b, *c, *d]),
                _ => 0.0,
            })
            .collect();
        self.carry = bytes.split_off(whole);
        out
    }

    /// Wait for ffmpeg to exit and judge its status and stderr.
    fn reap(&mut self) -> Result<(), AudioError> {
        let status = match self.child.take() {
            Some(mut c) => c.wait().map_err(|e| AudioError::io(&self.path, e))?,
            None => return Ok(()),
        };
        let stderr = self
            .stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&stderr);
        let first_line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        if !status.success() && self.samples == 0 {
            return Err(classify(&self.path, first_line, status.code()));
        }
        if !status.success() {
            self.warnings.push(format!(
                "truncated: ffmpeg stopped at {:.1} s: {first_line}",
                self.samples as f64 / f64::from(TARGET_RATE)
            ));
        } else if !first_line.is_empty() {
            self.warnings.push(format!("ffmpeg reported: {first_line}"));
        }
        Ok(())
    }
}

impl Drop for FfmpegSource {
    fn drop(&mut self) {
        // Dropped before the end: stop ffmpeg, then reap it (no zombies).
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(h) = self.stderr.take() {
            let _ = h.join();
        }
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
