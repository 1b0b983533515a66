//! How long each phase of a model build took, and the process's peak
//! memory after it (to find which phase sets the peak at 100 000 tracks).

/// One phase of a build.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    /// Its name ("K-Means").
    pub name: &'static str,
    /// Seconds it took.
    pub seconds: f64,
    /// The process's peak resident memory so far when it ended, bytes
    /// (Linux's VmHWM; `None` elsewhere).
    pub peak: Option<u64>,
}

/// Each phase of a build, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings(pub Vec<Phase>);

impl Timings {
    /// Time `f` as phase `name`.
    pub fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = std::time::Instant::now();
        let out = f();
        self.push(name, t.elapsed().as_secs_f64());
        out
    }

    /// Record phase `name` that took `seconds` and just ended.
    pub fn push(&mut self, name: &'static str, seconds: f64) {
        self.0.push(Phase {
            name,
            seconds,
            peak: peak_rss(),
        });
    }

    /// Total of the phases.
    pub fn total(&self) -> f64 {
        self.0.iter().map(|p| p.seconds).sum()
    }

    /// True when no phase ran (the stored model was current).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "peak memory after: space 1.21 GB · K-Means 1.30 GB · …", when known.
    pub fn peaks(&self) -> Option<String> {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| Some(format!("{} {:.2} GB", p.name, p.peak? as f64 / 1e9)))
            .collect::<Option<_>>()?;
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

impl std::fmt::Display for Timings {
    /// "space 1.20 s · K-Means 0.31 s · …".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" · ")?;
            }
            write!(f, "{} {:.2} s", p.name, p.seconds)?;
        }
        Ok(())
    }
}

pub use super::memory::peak_rss;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_listed_in_order_with_their_peaks() {
        let mut t = Timings::default();
        assert!(t.is_empty() && t.peaks().is_none());
        let v = t.time("first", || vec![1u8; 1 << 20]);
        t.push("second", 0.25);
        assert_eq!(v.len(), 1 << 20);
        assert_eq!(t.0[0].name, "first");
        assert!((t.total() - t.0[0].seconds - 0.25).abs() < 1e-12);
        assert!(t.to_string().starts_with("first ") && t.to_string().ends_with(" · second 0.25 s"));
        if cfg!(target_os = "linux") {
            // The peak never falls, and a 1 MiB buffer was resident.
            let (a, b) = (t.0[0].peak.unwrap(), t.0[1].peak.unwrap());
            assert!(a >= 1 << 20 && b >= a, "{a} {b}");
            assert!(t.peaks().unwrap().contains("first ") && t.peaks().unwrap().contains(" GB"));
        }
    }
}
