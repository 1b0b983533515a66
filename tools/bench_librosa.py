#!/usr/bin/env python3
"""Time librosa 0.11 computing musim's feature set on the given WAV clips, one thread.

Used by `cargo bench --bench analysis` when MUSIM_LIBROSA_PYTHON is set.
"""
import sys
import time

import librosa
import numpy as np


def analyse(path):
    y, sr = librosa.load(path, sr=22050)
    librosa.feature.chroma_stft(y=y, sr=sr)
    librosa.feature.spectral_centroid(y=y, sr=sr)
    librosa.feature.spectral_bandwidth(y=y, sr=sr)
    librosa.feature.spectral_rolloff(y=y, sr=sr)
    librosa.feature.spectral_contrast(y=y, sr=sr)
    librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
    librosa.feature.tempo(y=y, sr=sr)
    librosa.feature.zero_crossing_rate(y)
    librosa.feature.rms(y=y)
    librosa.feature.spectral_flatness(y=y)


paths = sys.argv[1:]
analyse(paths[0])  # warm-up: imports, numba JIT, caches
times = []
for p in paths:
    t = time.perf_counter()
    analyse(p)
    times.append((time.perf_counter() - t) * 1e3)
print(f"librosa 0.11 same features (decode included, 1 thread): mean {np.mean(times):.1f} ms, "
      f"median {np.median(times):.1f} ms over {len(times)} clips")
