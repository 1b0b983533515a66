#!/usr/bin/env python3
"""Generate librosa reference values for musim's feature parity tests.

Synthesises a set of test signals, writes each as a 16-bit mono 22050 Hz WAV
under tests/fixtures/librosa/, and writes librosa 0.11's frame-level features
and fingerprint summaries to tests/fixtures/librosa/reference.json.

The script installs its own pinned librosa in a throwaway venv when run as
`python3 tools/librosa_reference.py --bootstrap`; the Rust tests only read the
committed outputs, so nobody needs Python to run `cargo test`.
"""
import json
import os
import subprocess
import sys
import venv

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "librosa")
PINS = ["librosa==0.11.0", "numpy==2.4.6", "scipy==1.17.1", "soundfile==0.14.0"]
SR = 22050


def bootstrap():
    env = os.path.join(os.environ.get("TMPDIR", "/tmp"), "musim-librosa-venv")
    if not os.path.exists(os.path.join(env, "bin", "python")):
        venv.create(env, with_pip=True)
        subprocess.check_call([os.path.join(env, "bin", "pip"), "install", "-q", *PINS])
    os.execv(os.path.join(env, "bin", "python"), [os.path.join(env, "bin", "python"), __file__])


def signals():
    import numpy as np
    import librosa

    rng = np.random.default_rng(20261125)
    t3 = np.arange(3 * SR) / SR
    sig = {}
    sig["sine440"] = 0.5 * np.sin(2 * np.pi * 440.0 * t3)
    # C major chord tuned +0.23 semitone sharp: exercises tuning estimation.
    detune = 2 ** (0.23 / 12)
    chord = sum(np.sin(2 * np.pi * f * detune * t3) for f in (261.63, 329.63, 392.0))
    sig["chord_sharp"] = 0.25 * chord
    sig["noise"] = 0.3 * rng.standard_normal(3 * SR)
    sig["clicks120"] = librosa.clicks(times=np.arange(0, 10, 0.5), sr=SR, length=10 * SR)
    sig["clicks93"] = librosa.clicks(times=np.arange(0, 12, 60 / 93), sr=SR, length=12 * SR,
                                     click_freq=1500.0)
    sig["chirp"] = 0.4 * librosa.chirp(fmin=100, fmax=8000, sr=SR, duration=4.0)
    sig["silence"] = np.zeros(SR)
    sig["dc"] = np.full(SR, 0.5)
    sig["short"] = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(1000) / SR)
    # A little "song": minor chord progression, a bass line, hats and kicks.
    t = np.arange(10 * SR) / SR
    song = np.zeros_like(t)
    bpm, beat = 104.0, 60 / 104.0
    prog = [(220.0, 261.63, 329.63), (174.61, 220.0, 261.63), (196.0, 246.94, 293.66),
            (164.81, 207.65, 246.94)]
    for i, chord in enumerate(prog * 3):
        seg = (t >= i * 4 * beat) & (t < (i + 1) * 4 * beat)
        for f in chord:
            song[seg] += 0.12 * np.sin(2 * np.pi * f * t[seg]) * np.exp(-((t[seg] - i * 4 * beat) % beat))
        song[seg] += 0.2 * np.sin(2 * np.pi * chord[0] / 2 * t[seg])
    kick_times = np.arange(0, 10, beat)
    song += librosa.clicks(times=kick_times, sr=SR, length=len(t), click_freq=80.0, click_duration=0.08)
    hats = rng.standard_normal(len(t)) * 0.05
    env = np.zeros_like(t)
    for h in np.arange(beat / 2, 10, beat):
        i0 = int(h * SR)
        env[i0:i0 + 1500] = np.exp(-np.arange(min(1500, len(t) - i0)) / 300)
    song += hats * env
    sig["song"] = 0.8 * song / np.max(np.abs(song))
    return sig


def quantise(y):
    """What a 16-bit WAV stores, as librosa reads it back."""
    import numpy as np

    q = np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)
    return q, (q.astype(np.float32) / 32768.0)


def summarise(name, m, out):
    import numpy as np

    m = np.atleast_2d(m)
    for stat, f in (("mean", np.mean), ("std", np.std)):
        v = f(m, axis=1)
        if m.shape[0] == 1:
            out[f"{name}_{stat}"] = float(v[0])
        else:
            for i, x in enumerate(v):
                out[f"{name}_{stat}[{i}]"] = float(x)


def features(y):
    import numpy as np
    import librosa

    S = np.abs(librosa.stft(y)) ** 2
    f = {
        "tuning": float(librosa.estimate_tuning(S=S, sr=SR, bins_per_octave=12)),
        "chroma_stft": librosa.feature.chroma_stft(y=y, sr=SR),
        "spectral_centroid": librosa.feature.spectral_centroid(y=y, sr=SR),
        "spectral_bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=SR),
        "spectral_rolloff": librosa.feature.spectral_rolloff(y=y, sr=SR),
        "spectral_contrast": librosa.feature.spectral_contrast(y=y, sr=SR),
        "mfcc": librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20),
        "zero_crossing_rate": librosa.feature.zero_crossing_rate(y),
        "rms": librosa.feature.rms(y=y),
        "spectral_flatness": librosa.feature.spectral_flatness(y=y),
        "onset_strength": librosa.onset.onset_strength(y=y, sr=SR),
        "tempo": float(librosa.feature.tempo(y=y, sr=SR)[0]),
        "mel_db": librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR)),
    }
    summary = {}
    for name in ("chroma_stft", "spectral_centroid", "spectral_bandwidth", "spectral_rolloff",
                 "spectral_contrast", "mfcc"):
        summarise(name, f[name], summary)
    summary["tempo"] = f["tempo"]
    for name in ("zero_crossing_rate", "rms", "spectral_flatness"):
        summarise(name, f[name], summary)
    return f, summary


def main():
    try:
        import librosa
        import numpy as np
        import soundfile as sf
    except ImportError:
        bootstrap()
        return
    os.makedirs(OUT, exist_ok=True)
    ref = {"librosa": librosa.__version__, "numpy": np.__version__, "sr": SR, "n_fft": 2048,
           "hop_length": 512, "signals": {}}
    for name, y in signals().items():
        q, yq = quantise(y)
        sf.write(os.path.join(OUT, f"{name}.wav"), q, SR, subtype="PCM_16")
        frames, summary = features(yq)
        entry = {"n_samples": int(len(yq)), "tuning": frames.pop("tuning"),
                 "tempo": frames.pop("tempo"), "summary": summary, "frames": {}}
        for k, v in frames.items():
            v = np.atleast_2d(v)
            # The mel dB matrix is large; keep a band subset that still covers low/mid/high.
            if k == "mel_db":
                v = v[::16]
            entry["frames"][k] = [[float(f"{x:.7g}") for x in row] for row in v]
        ref["signals"][name] = entry
        print(f"{name}: {len(yq)} samples, tempo {entry['tempo']:.2f}, tuning {entry['tuning']:.2f}")
    with open(os.path.join(OUT, "reference.json"), "w") as fh:
        json.dump(ref, fh, separators=(",", ":"))


if __name__ == "__main__":
    if "--bootstrap" in sys.argv:
        bootstrap()
    main()
