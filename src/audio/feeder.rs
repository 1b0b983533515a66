//! Writing a stream to a child process's stdin on a thread of its own.
//!
//! ffmpeg reads its input from the pipe while musim reads its output from
//! another: written from the reading thread, each side could wait on a
//! full pipe for the other (a deadlock). The thread ends when the stream
//! does, or when the child stops reading (a broken pipe: the child's
//! exit status and stderr say why, not this thread).

use std::io::{self, BufReader, ErrorKind, Read, Write};
use std::process::ChildStdin;
use std::thread::JoinHandle;

/// Bytes read from the stream at a time.
const CHUNK: usize = 64 * 1024;

/// The thread writing to the child's stdin.
pub(crate) struct Feeder {
    handle: JoinHandle<io::Result<u64>>,
}

impl Feeder {
    /// Start copying `stream` to `stdin`, which is closed at the end (so
    /// the child sees the end of its input).
    pub fn start(stream: impl Read + Send + 'static, mut stdin: ChildStdin) -> Self {
        let handle = std::thread::spawn(move || {
            let mut r = BufReader::with_capacity(CHUNK, stream);
            let n = io::copy(&mut r, &mut stdin)?;
            stdin.flush()?;
            Ok(n)
        });
        Feeder { handle }
    }

    /// Wait for the thread: the error that stopped it, if reading the
    /// stream failed (a child that stopped reading is not an error here).
    pub fn finish(self) -> Option<io::Error> {
        match self.handle.join() {
            Ok(Ok(_)) => None,
            Ok(Err(e)) if e.kind() == ErrorKind::BrokenPipe => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some(io::Error::other("the thread feeding ffmpeg panicked")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn a_child_reads_it_all_and_one_that_stops_reading_is_no_error() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
        let mut child = Command::new("wc")
            .arg("-c")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let feeder = Feeder::start(io::Cursor::new(data.clone()), child.stdin.take().unwrap());
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(child.wait().unwrap().success());
        assert!(feeder.finish().is_none());
        assert_eq!(out.trim(), "1000000");

        // `true` exits without reading: far more than a pipe holds is
        // offered, the write fails with a broken pipe, and that is not
        // reported as a read error.
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let feeder = Feeder::start(io::Cursor::new(data), child.stdin.take().unwrap());
        assert!(child.wait().unwrap().success());
        assert!(feeder.finish().is_none());

        // A stream that fails to read is reported.
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk gone"))
            }
        }
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let feeder = Feeder::start(Broken, child.stdin.take().unwrap());
        let e = feeder.finish().unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(e.to_string(), "disk gone");
    }
}
