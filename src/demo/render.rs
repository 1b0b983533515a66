//! Mixing and mastering: buses, reverb and echo, then DC removal,
//! normalisation, fades and 16-bit WAV encoding.

use super::synth::{OnePole, SR};

/// Target peak after mastering: −1.5 dBFS leaves room for 16-bit rounding
/// under the −1 dBFS ceiling.
pub const PEAK: f32 = 0.84;
/// Fade-in length, seconds (10 ms in, the gain is still < 0.1).
pub const FADE_IN: f32 = 0.05;
/// Fade-out length, seconds.
pub const FADE_OUT: f32 = 1.5;

/// Schroeder reverb (4 combs, 2 all-passes): cheap, deterministic space
/// for pads, strings and piano. Returns only the wet signal.
pub fn reverb(dry: &[f32], size: f32, damp: f32) -> Vec<f32> {
    const COMBS: [usize; 4] = [1116, 1188, 1277, 1356];
    const APS: [usize; 2] = [556, 341];
    let scale = 0.5 * size.clamp(0.3, 2.0); // tunings are for 44.1 kHz
    let mut out = vec![0.0f32; dry.len()];
    for &c in &COMBS {
        let len = ((c as f32 * scale) as usize).max(8);
        let mut line = vec![0.0f32; len];
        let mut lp = 0.0f32;
        let fb = 0.84;
        let mut j = 0;
        for (&x, o) in dry.iter().zip(out.iter_mut()) {
            let y = line[j];
            lp = y * (1.0 - damp) + lp * damp;
            line[j] = x + lp * fb;
            *o += y * 0.25;
            // A wrapping counter, not `i % len`: the division dominated.
            j += 1;
            if j == len {
                j = 0;
            }
        }
    }
    for &a in &APS {
        let len = ((a as f32 * scale) as usize).max(4);
        let mut line = vec![0.0f32; len];
        let mut j = 0;
        for o in out.iter_mut() {
            let b = line[j];
            let x = *o;
            line[j] = x + b * 0.5;
            *o = b - x * 0.5;
            j += 1;
            if j == len {
                j = 0;
            }
        }
    }
    out
}

/// Feedback echo (dub delays, ambient trails); returns the wet signal.
pub fn echo(dry: &[f32], delay_s: f32, feedback: f32, tone_hz: f32) -> Vec<f32> {
    let d = ((delay_s * SR) as usize).max(1);
    let mut out = vec![0.0f32; dry.len()];
    let mut lp = OnePole::new(tone_hz);
    for i in d..dry.len() {
        let fb = lp.low(dry[i - d] + out[i - d] * feedback);
        out[i] = fb;
    }
    out
}

/// Add `src × gain` into `dst`.
pub fn add(dst: &mut [f32], src: &[f32], gain: f32) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s * gain;
    }
}

/// Master a mix in place: remove DC (a 20 Hz high-pass and the residual
/// mean), scale the peak to `PEAK × level`, fade in and out.
pub fn master(mix: &mut [f32], level: f32) {
    if mix.is_empty() {
        return;
    }
    let mut hp = OnePole::new(20.0);
    for v in mix.iter_mut() {
        *v = hp.high(*v);
    }
    fades(mix);
    let mean = mix.iter().map(|&v| f64::from(v)).sum::<f64>() / mix.len() as f64;
    let peak = mix
        .iter()
        .fold(0.0f32, |m, &v| m.max((v - mean as f32).abs()));
    let gain = if peak > 1e-9 {
        PEAK * level.clamp(0.05, 1.0) / peak
    } else {
        0.0
    };
    for v in mix.iter_mut() {
        *v = (*v - mean as f32) * gain;
    }
    // Subtracting the mean moved the faded ends off zero; fade again.
    fades(mix);
}

fn fades(mix: &mut [f32]) {
    let n = mix.len();
    let fin = ((FADE_IN * SR) as usize).min(n / 4);
    let fout = ((FADE_OUT * SR) as usize).min(n / 4);
    for (i, v) in mix.iter_mut().take(fin).enumerate() {
        *v *= raised_cos(i as f32 / fin as f32);
    }
    for (i, v) in mix.iter_mut().rev().take(fout).enumerate() {
        *v *= raised_cos(i as f32 / fout as f32);
    }
}

/// 0 → 1 S-curve: no click at the ends of the fade.
fn raised_cos(x: f32) -> f32 {
    0.5 - 0.5 * super::synth::cos_turns(x * 0.5)
}

/// 16-bit mono PCM WAV bytes at the demo rate: the canonical 44-byte
/// header, the samples, then a `LIST`/`INFO` chunk holding `info` (RIFF
/// INFO tags; none when empty). Written here rather than with lofty's
/// writer, which edits an existing file in place: the chunk is a few
/// lines of a fixed layout, and the readers (lofty, symphonia, musim's
/// own WAV reader) all skip or parse chunks after `data`.
pub fn wav_bytes(samples: &[f32], info: &[([u8; 4], String)]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let list = info_chunk(info);
    let mut out = Vec::with_capacity(44 + samples.len() * 2 + list.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len + list.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&(SR as u32).to_le_bytes());
    out.extend_from_slice(&(SR as u32 * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for &v in samples {
        let q = (v.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        out.extend_from_slice(&q.to_le_bytes());
    }
    // 16-bit mono data has an even length: the list needs no pad byte.
    out.extend_from_slice(&list);
    out
}

/// A `LIST` chunk of type `INFO`: each item a NUL-terminated UTF-8 text,
/// padded to an even length (empty input: no chunk at all).
pub fn info_chunk(info: &[([u8; 4], String)]) -> Vec<u8> {
    if info.is_empty() {
        return Vec::new();
    }
    let mut body = b"INFO".to_vec();
    for (key, text) in info {
        let len = text.len() + 1;
        body.extend_from_slice(key);
        body.extend_from_slice(&(len as u32).to_le_bytes());
        body.extend_from_slice(text.as_bytes());
        body.push(0);
        if len % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"LIST".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_sets_peak_removes_dc_and_fades() {
        let mut x: Vec<f32> = (0..22050)
            .map(|i| 0.3 + super::super::synth::sin_turns(i as f32 * 0.01))
            .collect();
        master(&mut x, 1.0);
        let peak = x.iter().fold(0.0f32, |m, &v| m.max(v.abs()));
        assert!(peak <= PEAK + 1e-6 && peak > 0.5, "{peak}");
        let mean = x.iter().sum::<f32>() / x.len() as f32;
        assert!(mean.abs() < 1e-3, "{mean}");
        assert!(x[..220].iter().all(|v| v.abs() < 0.1));
        let w = wav_bytes(&x, &[]);
        assert_eq!(w.len(), 44 + 2 * x.len());
        assert_eq!(&w[..4], b"RIFF");
        let tags = [(*b"INAM", "Song".to_string()), (*b"ITRK", "12".to_string())];
        let t = wav_bytes(&x, &tags);
        // LIST size INFO, INAM 5 "Song\0" + pad, ITRK 3 "12\0" + pad.
        assert_eq!(t.len(), w.len() + 8 + 4 + (8 + 6) + (8 + 4));
        assert_eq!(
            u32::from_le_bytes([t[4], t[5], t[6], t[7]]) as usize,
            t.len() - 8
        );
    }
}
