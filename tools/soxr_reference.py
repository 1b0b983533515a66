#!/usr/bin/env python3
"""Reference fixtures for musim's resampler: what librosa's resampler
(python-soxr, quality 'HQ', i.e. librosa.load(sr=22050)'s `soxr_hq`) makes of
a deterministic test signal.

For each source rate (44100, 48000: downsampling; 8000: upsampling) it writes
  tests/fixtures/resample/in_<rate>.wav    1 s, 16-bit mono: the test signal
  tests/fixtures/resample/soxr_<rate>.wav  soxr HQ's 22050 Hz output, 32-bit float
The signal is white noise (σ = 0.1, fixed seed) plus sines of amplitude 0.1
spread over the passband, the transition band just below the lower Nyquist
and (when downsampling) above the output Nyquist, so a sample-by-sample
comparison exercises the whole response. soxr is fed exactly the 16-bit
values musim decodes (int16 / 32768).

Also prints soxr HQ's magnitude response at fractions of the lower Nyquist
(sine fits), the numbers the Rust tests and the filter design quote.

Usage: python tools/soxr_reference.py   (needs numpy, soxr, scipy)
The outputs are committed; rerun only to change them.
"""
import pathlib

import numpy as np
import soxr
from scipy.io import wavfile

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "resample"
TARGET = 22050


def signal(rate: int) -> np.ndarray:
    rng = np.random.default_rng(rate)
    t = np.arange(rate) / rate
    x = 0.1 * rng.standard_normal(rate)
    nyq = min(rate, TARGET) / 2
    freqs = [440.0, 3000.0, 0.9 * nyq, 0.95 * nyq, 0.97 * nyq]
    if rate > TARGET:
        freqs.append(15000.0)  # above the output Nyquist: must vanish
    for f in freqs:
        x += 0.1 * np.sin(2 * np.pi * f * t + f / 1000)
    q = np.clip(np.round(x * 32768), -32768, 32767).astype(np.int16)
    return q


def gain_db(rate: int, frac: float) -> float:
    """soxr HQ's gain for a sine at `frac` of the lower Nyquist (least-squares fit)."""
    f = frac * min(rate, TARGET) / 2
    x = np.cos(2 * np.pi * f * np.arange(2 * rate) / rate)
    y = soxr.resample(x, rate, TARGET, quality="HQ")
    m = np.arange(len(y)) / TARGET
    sl = slice(len(y) // 4, 3 * len(y) // 4)
    a = np.stack([np.cos(2 * np.pi * f * m[sl]), np.sin(2 * np.pi * f * m[sl])], 1)
    c, *_ = np.linalg.lstsq(a, y[sl], rcond=None)
    return 20 * np.log10(np.hypot(*c))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for rate in (44100, 48000, 8000):
        q = signal(rate)
        wavfile.write(OUT / f"in_{rate}.wav", rate, q)
        y = soxr.resample(q.astype(np.float64) / 32768, rate, TARGET, quality="HQ")
        assert len(y) == -(-len(q) * TARGET // rate), "soxr length != ceil(n·22050/sr)"
        wavfile.write(OUT / f"soxr_{rate}.wav", TARGET, y.astype(np.float32))
        fr = (0.5, 0.85, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995)
        print(rate, " ".join(f"{f}:{gain_db(rate, f):.2f}" for f in fr))


if __name__ == "__main__":
    main()
