//! Thread CPU time for the benchmarks (the machine is shared: wall time
//! counts other processes' time slices, CPU time much less so). Included by
//! each bench with `#[path = "support/cpu.rs"] mod cpu;`.

use std::time::{Duration, Instant};

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// CPU time consumed by this thread (Linux `CLOCK_THREAD_CPUTIME_ID`);
/// `None` where unavailable.
pub fn thread_cpu() -> Option<Duration> {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    (cfg!(target_os = "linux") && unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0)
        .then(|| Duration::new(ts.sec as u64, ts.nsec as u32))
}

/// [`thread_cpu`], or wall time since `wall` where it is unavailable.
#[allow(dead_code)] // not every bench that includes this file uses it
pub fn cpu_now(wall: Instant) -> Duration {
    thread_cpu().unwrap_or_else(|| wall.elapsed())
}
