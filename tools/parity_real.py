#!/usr/bin/env python3
"""Feature parity of musim against librosa 0.11 on real recorded music.

  parity_real.py clips SRC_DIR CLIP_DIR [--max N]   cut 30-s clips (librosa.load, sr=22050, mono) to 16-bit WAV
  parity_real.py librosa DIR OUT.csv                librosa fingerprint of every audio file under DIR
  parity_real.py compare LIBROSA.csv MUSIM.csv      Pearson r per dimension, tempo agreement

MUSIM.csv comes from `musim-tui export --library DIR --format csv -o MUSIM.csv`.
Run with the venv made by `tools/librosa_reference.py --bootstrap` (or any librosa 0.11).
"""
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
AUDIO = (".ogg", ".mp3", ".flac", ".wav", ".au", ".m4a")


def audio_files(d):
    for root, _, files in os.walk(d):
        for f in sorted(files):
            if f.lower().endswith(AUDIO):
                yield os.path.join(root, f)


def clips(src, dst, max_n=200):
    import librosa
    import soundfile as sf
    import numpy as np

    os.makedirs(dst, exist_ok=True)
    n = 0
    for path in sorted(audio_files(src)):
        y, sr = librosa.load(path, sr=22050, mono=True)
        step = 30 * sr
        base = os.path.splitext(os.path.basename(path))[0]
        # Up to two clips per track, from 30 s and 90 s in (skip intros).
        for k, start in enumerate((30 * sr, 90 * sr)):
            if start + step > len(y) or n >= max_n:
                continue
            q = np.clip(np.round(y[start:start + step] * 32767), -32768, 32767).astype(np.int16)
            sf.write(os.path.join(dst, f"{base}.{k}.wav"), q, sr, subtype="PCM_16")
            n += 1
    print(f"{n} clips in {dst}")


def librosa_csv(d, out):
    import librosa
    from librosa_reference import features

    rows, names = [], None
    for path in sorted(audio_files(d)):
        y, _ = librosa.load(path, sr=22050, mono=True)
        _, summary = features(y)
        names = names or list(summary)
        rows.append([os.path.abspath(path)] + [summary[k] for k in names])
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path"] + names)
        w.writerows(rows)
    print(f"{len(rows)} tracks → {out}")


def load(p):
    with open(p) as fh:
        r = csv.DictReader(fh)
        return {os.path.basename(row["path"]): row for row in r}, r.fieldnames


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sa = math.sqrt(sum((x - ma) ** 2 for x in a))
    sb = math.sqrt(sum((x - mb) ** 2 for x in b))
    if sa == 0 or sb == 0:
        return float("nan")
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / (sa * sb)


def compare(lib_csv, mus_csv):
    lib, names = load(lib_csv)
    mus, _ = load(mus_csv)
    common = sorted(set(lib) & set(mus))
    print(f"{len(common)} tracks in both")
    worst = []
    for name in names[1:]:
        a = [float(lib[k][name]) for k in common]
        b = [float(mus[k][name]) for k in common]
        if name == "tempo":
            ok = sum(1 for x, y in zip(a, b) if abs(x - y) <= 0.02 * x)
            print(f"tempo within 2%: {ok}/{len(a)} = {ok / len(a):.3f}")
            continue
        r = pearson(a, b)
        rel = max(abs(x - y) / (abs(x) + 1e-9) for x, y in zip(a, b))
        worst.append((r, name, rel))
    worst.sort()
    print("lowest Pearson r:")
    for r, name, rel in worst[:8]:
        print(f"  {name:32s} r={r:.6f}  max rel diff={rel:.2e}")
    print(f"min r over {len(worst)} dims: {worst[0][0]:.6f}; dims with r < 0.99: "
          f"{sum(1 for r, _, _ in worst if not r >= 0.99)}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "clips":
        clips(sys.argv[2], sys.argv[3], int(sys.argv[5]) if "--max" in sys.argv else 200)
    elif cmd == "librosa":
        librosa_csv(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
