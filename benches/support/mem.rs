//! Peak resident memory of this process, for the benchmarks. Included with
//! `#[path = "support/mem.rs"] mod mem;`.

/// Peak resident set size of this process so far, in bytes (`VmHWM` of
/// `/proc/self/status`); `None` where unavailable.
pub fn peak() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// "123 MB", or "? MB" where the peak cannot be read.
pub fn show_peak() -> String {
    peak().map_or_else(|| "? MB".into(), |b| format!("{} MB", b / 1_000_000))
}
