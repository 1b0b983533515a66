//! The process group yt-dlp runs in, and the watchdog that ends it when
//! musim ends, however musim ends.
//!
//! Killing yt-dlp alone is not enough: it runs ffmpeg, which would keep
//! running (and writing into the temporary folder) after its parent died.
//! So yt-dlp runs in a process group led by a watchdog, `/bin/sh` blocked
//! reading a pipe whose only writer is musim. When musim ends in any way,
//! even by SIGKILL, which no handler sees, the kernel closes that pipe, the
//! read returns and the watchdog kills its whole group: yt-dlp and all it
//! started. On musim's own exit paths (success, error, timeout, cancel,
//! interrupt, panic) dropping the [`Group`] kills the group at once.
//!
//! `PR_SET_PDEATHSIG` is not used: it reaches only the direct child (not
//! ffmpeg), fires when the spawning *thread* ends rather than the process,
//! and is Linux-only; the pipe works on every Unix and covers the group.

use std::io;
use std::process::{Child, Command, Stdio};

/// The watchdog: wait for the pipe to close (or for any line), then kill
/// every process of its own group (`0`), itself included.
const WATCHDOG: &str = "read -r line; kill -s KILL 0";

/// A process group led by a watchdog; killed when dropped.
pub(super) struct Group {
    /// The leader. Its stdin is the pipe only musim writes to.
    watchdog: Child,
    /// The group's id, the watchdog's pid. The watchdog is reaped only in
    /// [`Drop`], after the last kill, so this id cannot have been reused by
    /// another process when it is signalled.
    pgid: libc::pid_t,
}

impl Group {
    /// Start the watchdog in a new process group.
    pub(super) fn start() -> io::Result<Self> {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", WATCHDOG])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut watchdog = super::spawn(&mut cmd)?;
        let Ok(pgid) = libc::pid_t::try_from(watchdog.id()) else {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            return Err(io::Error::other("process id out of range"));
        };
        Ok(Self { watchdog, pgid })
    }

    /// Make `cmd` start inside this group.
    pub(super) fn add(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        cmd.process_group(self.pgid);
    }

    /// SIGKILL every process still in the group (the watchdog too).
    pub(super) fn kill(&self) {
        // SAFETY: kill(2) takes plain integers. `pgid` is the id of a group
        // whose leader is our unreaped child, so it names that group only.
        unsafe {
            libc::kill(-self.pgid, libc::SIGKILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
        let _ = self.watchdog.wait();
    }
}
