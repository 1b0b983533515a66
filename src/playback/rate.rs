//! Sample-rate conversion of a whole preview clip to the output's rate.
//!
//! musim decodes to mono 22050 Hz; sound cards run at 44.1 or 48 kHz. rodio
//! would convert each queued buffer on its own with linear interpolation,
//! restarting at every buffer boundary, so the player converts the clip once
//! here (windowed sinc, polyphase) and hands rodio samples at its own rate.

/// Taps on each side of the centre at unity cutoff.
const HALF_TAPS: usize = 16;

/// Most kernel phases kept; rarer ratios round to the nearest phase.
const MAX_PHASES: usize = 1024;

/// Pass band as a fraction of the lower Nyquist frequency.
const CUTOFF: f64 = 0.95;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `sin(πx)/(πx)`.
fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Blackman window at `x` in −1..=1 (0 outside).
fn blackman(x: f64) -> f64 {
    if x.abs() >= 1.0 {
        return 0.0;
    }
    let t = std::f64::consts::PI * (x + 1.0);
    0.42 - 0.5 * t.cos() + 0.08 * (2.0 * t).cos()
}

/// Convert mono `input` at `from` Hz to `to` Hz; output length
/// `ceil(len · to / from)`. Equal rates (or empty input) copy.
pub fn convert(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let g = gcd(u64::from(from), u64::from(to));
    // Output j sits at input position j·m/l.
    let (l, m) = (u64::from(to) / g, u64::from(from) / g);
    let phases = (l as usize).min(MAX_PHASES);
    // Cutoff relative to the input's Nyquist: lower when decimating.
    let cutoff = CUTOFF * (f64::from(to) / f64::from(from)).min(1.0);
    let half = (HALF_TAPS as f64 / cutoff).ceil() as usize;
    let taps = 2 * half;
    // Row p: weights for inputs base-half+1 ..= base+half at fraction p/phases.
    let mut table = vec![0f32; phases * taps];
    for (p, row) in table.chunks_exact_mut(taps).enumerate() {
        let frac = p as f64 / phases as f64;
        let mut w: Vec<f64> = (0..taps)
            .map(|k| {
                let d = k as f64 - (half as f64 - 1.0) - frac;
                cutoff * sinc(cutoff * d) * blackman(d / half as f64)
            })
            .collect();
        // Unity gain at DC for every phase.
        let sum: f64 = w.iter().sum();
        if sum.abs() > 1e-12 {
            w.iter_mut().for_each(|v| *v /= sum);
        }
        for (r, v) in row.iter_mut().zip(w) {
            *r = v as f32;
        }
    }
    let n = input.len() as u64;
    let out_len = (u128::from(n) * u128::from(to)).div_ceil(u128::from(from)) as usize;
    let mut out = Vec::with_capacity(out_len);
    for j in 0..out_len as u64 {
        let pos = j * m;
        let mut base = (pos / l) as usize;
        let mut p = (((pos % l) as f64 / l as f64) * phases as f64).round() as usize;
        if p == phases {
            p = 0;
            base += 1;
        }
        let row = &table[p * taps..(p + 1) * taps];
        let first = base as isize - (half as isize - 1);
        let mut acc = 0f32;
        for (k, w) in row.iter().enumerate() {
            let i = first + k as isize;
            if i >= 0 {
                if let Some(x) = input.get(i as usize) {
                    acc += x * w;
                }
            }
        }
        out.push(acc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(f: f64, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    /// Largest error against the ideal sine, away from the edges.
    fn error(out: &[f32], f: f64, rate: u32) -> f32 {
        let ideal = sine(f, rate, out.len());
        let edge = out.len() / 10;
        out.iter()
            .zip(&ideal)
            .skip(edge)
            .take(out.len() - 2 * edge)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn upsampling_keeps_a_sine_and_the_length() {
        let x = sine(1000.0, 22050, 22050);
        for to in [44100, 48000, 96000] {
            let y = convert(&x, 22050, to);
            assert_eq!(y.len(), to as usize, "{to}");
            let e = error(&y, 1000.0, to);
            assert!(e < 2e-3, "{to}: max error {e}");
        }
    }

    #[test]
    fn downsampling_removes_what_cannot_be_represented() {
        // 9 kHz cannot exist at 16 kHz: it must be filtered, not aliased to 7 kHz.
        let x = sine(9000.0, 22050, 22050);
        let y = convert(&x, 22050, 16000);
        assert_eq!(y.len(), 16000);
        let rms = (y[1600..14400].iter().map(|v| v * v).sum::<f32>() / 12800.0).sqrt();
        assert!(rms < 0.01, "aliased energy {rms}");
        let low = convert(&sine(500.0, 22050, 22050), 22050, 16000);
        assert!(error(&low, 500.0, 16000) < 2e-3);
    }

    #[test]
    fn equal_rates_and_empty_input_copy() {
        assert_eq!(convert(&[0.5, -0.5], 22050, 22050), vec![0.5, -0.5]);
        assert!(convert(&[], 22050, 48000).is_empty());
    }

    #[test]
    fn odd_ratios_use_rounded_phases() {
        // 22050 → 47999: l is huge, phases are capped; still accurate.
        let y = convert(&sine(440.0, 22050, 22050), 22050, 47999);
        assert_eq!(y.len(), 47999);
        assert!(error(&y, 440.0, 47999) < 3e-3);
    }
}
