//! Streaming sample-rate conversion of a mono signal to [`TARGET_RATE`].
//!
//! rubato's synchronous FFT resampler: an FFT block, a spectral
//! anti-aliasing filter (Blackman–Harris² windowed sinc) and an inverse FFT of
//! the other size. It costs a few FFTs per block, far cheaper than a
//! sinc-interpolating resampler of the same quality, which matters because the
//! full-track bar (≤ 0.15 s per audio minute, features included) leaves little
//! room for resampling.
//!
//! The FFT resampler delays its output by half an output block. We drop that
//! many samples at the start and, at the end, pump zeros through it until the
//! tail has come out, then cut to `ceil(n_in · 22050 / sr)` samples — the length
//! librosa's `resample` gives — so the output is time-aligned with the input
//! and neither loses its tail nor gains a zero tail.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _, WindowFunction};

/// The analysis sample rate (librosa's default).
pub const TARGET_RATE: u32 = 22050;

/// Wanted FFT block length on the output side, in samples. Larger blocks give
/// a sharper anti-aliasing filter (cutoff ≈ 0.99 of the output Nyquist at
/// 2048) at the price of a longer delay, which we compensate anyway.
const OUTPUT_BLOCK: usize = 2048;

/// Highest source rate accepted (well above 768 kHz studio formats).
pub const MAX_RATE: u32 = 1_536_000;

/// Converts a mono stream at some rate to mono [`TARGET_RATE`], chunk by chunk.
pub struct MonoResampler {
    inner: Option<FftState>,
    /// Input samples seen so far.
    total_in: u64,
    /// Output samples handed out so far.
    total_out: u64,
    /// Source rate.
    rate_in: u32,
}

/// The rubato resampler and its buffers (absent when no conversion is needed).
struct FftState {
    fft: Fft<f32>,
    /// Input not yet processed (less than one block after each `push`).
    pending: Vec<f32>,
    /// Scratch output of one block.
    out_block: Vec<f32>,
    /// Samples still to drop from the start (the resampler's delay).
    to_trim: usize,
}

impl MonoResampler {
    /// A resampler from `rate_in` Hz to [`TARGET_RATE`]; a pass-through when the
    /// source is already at the target rate.
    pub fn new(rate_in: u32) -> Result<Self, String> {
        if rate_in == 0 || rate_in > MAX_RATE {
            // A damaged header could claim 4 GHz; the FFT blocks would not fit in memory.
            return Err(format!("implausible sample rate {rate_in} Hz"));
        }
        let inner = if rate_in == TARGET_RATE {
            None
        } else {
            Some(FftState::new(rate_in)?)
        };
        Ok(Self {
            inner,
            total_in: 0,
            total_out: 0,
            rate_in,
        })
    }

    /// Feed `input` (mono, source rate) and append what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), String> {
        self.total_in += input.len() as u64;
        let before = out.len();
        match &mut self.inner {
            None => out.extend_from_slice(input),
            Some(st) => {
                st.pending.extend_from_slice(input);
                st.process_full_blocks(out)?;
            }
        }
        self.total_out += (out.len() - before) as u64;
        Ok(())
    }

    /// Flush the tail at the end of the stream and append it to `out`.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), String> {
        let expected = self.expected_len();
        if let Some(st) = &mut self.inner {
            let before = out.len();
            st.flush(expected.saturating_sub(self.total_out), out)?;
            self.total_out += (out.len() - before) as u64;
        }
        Ok(())
    }

    /// Output length for the input seen so far: `ceil(n · 22050 / sr)`.
    fn expected_len(&self) -> u64 {
        let num = self.total_in as u128 * TARGET_RATE as u128;
        num.div_ceil(self.rate_in as u128) as u64
    }
}

/// Input block length for rubato: a whole number of minimal blocks
/// (`rate / gcd(rates)` on each side) giving ≈ [`OUTPUT_BLOCK`] output samples.
///
/// Both block lengths must be even: the resampler's delay is half a block on
/// either side, and an odd block would leave a half-sample delay we cannot
/// drop, shifting the output by half a sample.
fn block_len_in(rate_in: u32) -> usize {
    let g = gcd(rate_in as usize, TARGET_RATE as usize);
    let min_in = rate_in as usize / g;
    let min_out = TARGET_RATE as usize / g;
    let mut blocks = (OUTPUT_BLOCK.div_ceil(min_out)).max(1);
    if (min_in % 2 == 1 || min_out % 2 == 1) && blocks % 2 == 1 {
        blocks += 1;
    }
    blocks * min_in
}

/// Greatest common divisor (Euclid).
fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl FftState {
    fn new(rate_in: u32) -> Result<Self, String> {
        let fft = Fft::<f32>::new_custom(
            rate_in as usize,
            TARGET_RATE as usize,
            block_len_in(rate_in),
            1,
            1,
            WindowFunction::BlackmanHarris2,
            FixedSync::Both,
        )
        .map_err(|e| format!("cannot resample from {rate_in} Hz: {e}"))?;
        let to_trim = fft.output_delay();
        let out_block = vec![0.0; fft.output_frames_max()];
        Ok(Self {
            fft,
            pending: Vec::new(),
            out_block,
            to_trim,
        })
    }

    /// Resample every whole block in `pending`, keeping the remainder.
    fn process_full_blocks(&mut self, out: &mut Vec<f32>) -> Result<(), String> {
        let block = self.fft.input_frames_next();
        let mut start = 0;
        while self.pending.len() - start >= block {
            let n = self.process_one(start, None)?;
            self.emit(n, out, usize::MAX);
            start += block;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Push the partial last block, then zeros, until `wanted` more samples
    /// have come out after the delay.
    fn flush(&mut self, wanted: u64, out: &mut Vec<f32>) -> Result<(), String> {
        let mut remaining = usize::try_from(wanted).unwrap_or(usize::MAX);
        let mut partial = self.pending.len();
        // Bounded: each round yields a full output block; the delay is at
        // most one block, so a few rounds always suffice.
        let max_rounds = 4 + remaining / self.out_block.len().max(1);
        for _ in 0..max_rounds {
            if remaining == 0 {
                break;
            }
            let n = self.process_one(0, Some(partial))?;
            remaining -= self.emit(n, out, remaining);
            partial = 0;
        }
        self.pending.clear();
        Ok(())
    }

    /// Run one block starting at `pending[start..]`; `partial` = number of real
    /// samples when fewer than a block remain (rubato pads with zeros).
    fn process_one(&mut self, start: usize, partial: Option<usize>) -> Result<usize, String> {
        let avail = self.pending.len() - start;
        let input = InterleavedSlice::new(&self.pending[start..], 1, avail)
            .map_err(|e| format!("resampler input: {e}"))?;
        let cap = self.out_block.len();
        let mut output = InterleavedSlice::new_mut(&mut self.out_block, 1, cap)
            .map_err(|e| format!("resampler output: {e}"))?;
        let mut indexing = Indexing::new();
        indexing.partial_len = partial;
        let (_, written) = self
            .fft
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(|e| format!("resampler: {e}"))?;
        Ok(written)
    }

    /// Append the first `n` samples of the block to `out`, after dropping what
    /// is left of the start-up delay and keeping at most `limit`. Returns the
    /// number appended.
    fn emit(&mut self, n: usize, out: &mut Vec<f32>, limit: usize) -> usize {
        let n = n.min(self.out_block.len());
        let skip = self.to_trim.min(n);
        self.to_trim -= skip;
        let take = (n - skip).min(limit);
        out.extend_from_slice(&self.out_block[skip..skip + take]);
        take
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    fn run(rate: u32, input: &[f32], chunk: usize) -> Vec<f32> {
        let mut r = MonoResampler::new(rate).unwrap();
        let mut out = Vec::new();
        for c in input.chunks(chunk) {
            r.push(c, &mut out).unwrap();
        }
        r.finish(&mut out).unwrap();
        out
    }

    #[test]
    fn length_and_alignment() {
        for &rate in &[8000u32, 11025, 44100, 48000, 96000, 192000, 44101] {
            let n = rate as usize * 3 / 4 + 17;
            let input = sine(rate, 440.0, n);
            let out = run(rate, &input, 1000);
            let expect = (n as u64 * 22050).div_ceil(rate as u64) as usize;
            assert_eq!(out.len(), expect, "rate {rate}");
            // Time-aligned: compare against the ideal resampled sine in the middle.
            let ideal = sine(22050, 440.0, expect);
            let mid = expect / 2;
            for i in mid..mid + 200 {
                assert!((out[i] - ideal[i]).abs() < 0.01, "rate {rate} i {i}");
            }
            // The tail is not lost (the last 10 ms still carry the sine).
            let tail = &out[expect - 220..expect - 20];
            let peak = tail.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak > 0.8, "rate {rate}: tail peak {peak}");
        }
    }

    #[test]
    fn passthrough_at_target_rate() {
        let input = sine(22050, 440.0, 5000);
        assert_eq!(run(22050, &input, 333), input);
    }

    #[test]
    fn aliasing_is_suppressed() {
        // 15 kHz at 44.1 kHz is above the new Nyquist: it must vanish, not fold.
        let input = sine(44100, 15000.0, 44100);
        let out = run(44100, &input, 4096);
        let rms = (out[2000..20000].iter().map(|v| v * v).sum::<f32>() / 18000.0).sqrt();
        assert!(rms < 1e-3, "alias rms {rms}");
    }

    #[test]
    fn short_input() {
        let out = run(44100, &sine(44100, 440.0, 10), 10);
        assert_eq!(out.len(), 5);
        assert!(run(44100, &[], 10).is_empty());
    }
}
