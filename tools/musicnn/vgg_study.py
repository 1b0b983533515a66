#!/usr/bin/env python3
"""Run a musicnn checkpoint in TensorFlow on musim's own log-mel patches and
write its per-patch outputs as a `deep_study` cache (issue 22 item 3).

Run in the venv that `tools/musicnn/convert.sh` builds (Python 3.11,
tensorflow-cpu 2.15), e.g.

    /tmp/musicnn-venv/bin/python tools/musicnn/vgg_study.py run \\
        --model MSD_vgg --mels MELS_DIR --out CACHE_DIR
    /tmp/musicnn-venv/bin/python tools/musicnn/vgg_study.py check \\
        --mels MELS_DIR --cache MSD_CACHE_DIR --tracks 3

MELS_DIR is what `MUSIM_STUDY_DUMP=MELS_DIR cargo run --release --example
deep_study -- IDX CACHE` writes: per track `<hash>.mels`, the piece count
(u32 LE), then per piece its patch count (u32) and its patches (187 × 96
f32 LE each). `run` writes `<hash>.patches` into CACHE_DIR (existing files
are kept) in the cache format `deep_study` reads, with a header of widths:
u32::MAX, the four per-patch widths (u32), the piece count, then per piece
its patch count and four arrays. What goes in the four arrays:

  network          max_pool        mean_pool        penultimate        taggram
  MSD_vgg/MTT_vgg  pool4 max over  pool4 mean over  pool5 flattened    50 tag
                   its 11 × 6      its 11 × 6       (2 × 1 × 128)      scores
                   positions (128) positions (128)  (256)              (sigmoid)
  MSD_musicnn/MTT_musicnn  the ONNX model's outputs (753, 753, 200, 50)

so `deep_study`'s layer `pool` is pool4's mean and max (256 values) and
`penultimate` is pool5 flattened (256). `check` runs MSD_musicnn on the
first tracks' patches and compares with a cache musim's own network wrote
(same patches, same pieces): agreement proves that the patches and this
script's TensorFlow path agree. TensorFlow runs on one thread (the machine
is shared); both report its CPU time per patch and the
network's multiply-adds per patch counted from the graph.

Only the musicnn wheel is downloaded (by convert.py's `fetch_wheel`).
"""
import argparse
import os
import pathlib
import struct
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from convert import N_FRAMES, N_MELS, fetch_wheel  # noqa: E402

PATCH = N_FRAMES * N_MELS
MODELS = ["MSD_vgg", "MTT_vgg", "MSD_musicnn", "MTT_musicnn"]


def build(wheel_dir: pathlib.Path, name: str):
    """The inference graph of checkpoint `name`, restored, on one thread.

    Returns (session, input tensor, [max_pool, mean_pool, penultimate,
    taggram] tensors)."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    from musicnn import models  # the wheel's own model definition

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS])
        # training=False: batch norm with moving statistics, dropout off.
        out = models.define_model(x, False, name, 50)
        if "vgg" in name:
            logits, _p1, _p2, _p3, pool4, pool5 = out
            outputs = [
                tf.reduce_max(pool4, axis=[1, 2]),
                tf.reduce_mean(pool4, axis=[1, 2]),
                tf.compat.v1.layers.flatten(pool5),
            ]
        else:
            logits, *_rest, mean_pool, max_pool, penultimate = out
            outputs = [max_pool, mean_pool, penultimate]
        outputs.append(tf.nn.sigmoid(logits))
        config = tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=1, inter_op_parallelism_threads=1
        )
        sess = tf.compat.v1.Session(graph=graph, config=config)
        # The wheel stores each checkpoint with an empty file prefix.
        tf.compat.v1.train.Saver().restore(sess, str(wheel_dir / "musicnn" / name) + "/")
    return sess, x, outputs


def multiply_adds(sess) -> int:
    """Multiply-adds per patch of the graph's convolutions and dense layers,
    from their static shapes."""
    total = 0
    for op in sess.graph.get_operations():
        if op.type == "Conv2D":
            out = op.outputs[0].shape.as_list()  # [N, H, W, Cout]
            kh, kw, cin, _cout = op.inputs[1].shape.as_list()
            total += out[1] * out[2] * out[3] * kh * kw * cin
        elif op.type == "MatMul":
            k, n = op.inputs[1].shape.as_list()
            total += k * n
    return total


def read_pieces(path: pathlib.Path, widths) -> list:
    """A file of pieces without a header of widths: the piece count (u32),
    then per piece its patch count and one array per width, patches ×
    width. Returns per piece the list of its arrays."""
    data = path.read_bytes()
    (n,) = struct.unpack_from("<I", data, 0)
    at = 4
    pieces = []
    for _ in range(n):
        (k,) = struct.unpack_from("<I", data, at)
        at += 4
        arrays = []
        for w in widths:
            arrays.append(np.frombuffer(data, dtype="<f4", count=k * w, offset=at).reshape(k, w))
            at += 4 * k * w
        pieces.append(arrays)
    if at != len(data):
        sys.exit(f"{path}: {len(data) - at} bytes after the last piece")
    return pieces


def read_mels(path: pathlib.Path) -> list:
    """The pieces of a `.mels` file: one array patches × 187 × 96 each."""
    return [a.reshape(-1, N_FRAMES, N_MELS) for (a,) in read_pieces(path, [PATCH])]


def read_cache(path: pathlib.Path) -> list:
    """A cache musim's own network wrote: per piece its four arrays."""
    return read_pieces(path, [753, 753, 200, 50])


def run_pieces(sess, x, outputs, pieces) -> tuple:
    """Every piece's four arrays, and the CPU seconds TensorFlow took."""
    results = []
    cpu = 0.0
    for p in pieces:
        if len(p) == 0:
            results.append(None)
            continue
        t = time.process_time()
        vals = sess.run(outputs, feed_dict={x: p})
        cpu += time.process_time() - t
        results.append([np.asarray(v, dtype="<f4").reshape(len(p), -1) for v in vals])
    return results, cpu


def write_cache(path: pathlib.Path, results: list, widths: list) -> None:
    out = [struct.pack("<I", 0xFFFFFFFF), struct.pack("<4I", *widths), struct.pack("<I", len(results))]
    for r in results:
        if r is None:
            out.append(struct.pack("<I", 0))
            continue
        out.append(struct.pack("<I", r[0].shape[0]))
        out.extend(np.ascontiguousarray(a, dtype="<f4").tobytes() for a in r)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(b"".join(out))
    tmp.replace(path)


def cmd_run(sess, x, outputs, opts) -> None:
    opts.out.mkdir(parents=True, exist_ok=True)
    widths = [int(t.shape[-1]) for t in outputs]
    files = sorted(opts.mels.glob("*.mels"))
    done = patches = 0
    cpu = 0.0
    for f in files:
        target = opts.out / (f.stem + ".patches")
        if target.exists():
            continue
        pieces = read_mels(f)
        results, seconds = run_pieces(sess, x, outputs, pieces)
        write_cache(target, results, widths)
        done += 1
        patches += sum(len(p) for p in pieces)
        cpu += seconds
        if done % 20 == 0:
            print(f"{done} tracks, {patches} patches, {1000 * cpu / patches:.1f} ms CPU a patch", flush=True)
    print(f"{opts.model}: {done} tracks written ({len(files) - done} already there), "
          f"{patches} patches, TensorFlow {cpu:.1f} s CPU = "
          f"{1000 * cpu / max(patches, 1):.1f} ms a patch (one thread); widths {widths}")


def cmd_check(sess, x, outputs, opts) -> None:
    names = ["max_pool", "mean_pool", "penultimate", "taggram"]
    checked = patches = 0
    cpu = 0.0
    worst = dict.fromkeys(names, 0.0)
    for f in sorted(opts.mels.glob("*.mels")):
        cached = opts.cache / (f.stem + ".patches")
        if not cached.exists():
            continue
        pieces = read_mels(f)
        want = read_cache(cached)
        if [len(p) for p in pieces] != [w[0].shape[0] for w in want]:
            sys.exit(f"{f.name}: pieces/patches differ from {cached}")
        got, seconds = run_pieces(sess, x, outputs, pieces)
        cpu += seconds
        patches += sum(len(p) for p in pieces)
        for g, w in zip(got, want):
            if g is None:
                continue
            for n, a, b in zip(names, g, w):
                scale = max(float(np.max(np.abs(b))), 1e-6)
                worst[n] = max(worst[n], float(np.max(np.abs(a - b))) / scale)
        checked += 1
        print(f"{f.stem}: {sum(len(p) for p in pieces)} patches", flush=True)
        if checked == opts.tracks:
            break
    if checked == 0:
        sys.exit(f"no track of {opts.mels} is in {opts.cache}")
    print(f"TensorFlow {1000 * cpu / patches:.1f} ms CPU a patch (one thread)")
    for n in names:
        print(f"{n}: max abs difference / max abs value {worst[n]:.2e}")
    if max(worst.values()) > 1e-3:
        sys.exit("TensorFlow on these patches disagrees with the cache")


def main() -> None:
    args = argparse.ArgumentParser(description="musicnn checkpoints on musim's patches")
    sub = args.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="write a deep_study cache")
    run.add_argument("--model", choices=MODELS, required=True)
    run.add_argument("--mels", type=pathlib.Path, required=True)
    run.add_argument("--out", type=pathlib.Path, required=True)
    check = sub.add_parser("check", help="MSD_musicnn here against musim's cache")
    check.add_argument("--mels", type=pathlib.Path, required=True)
    check.add_argument("--cache", type=pathlib.Path, required=True)
    check.add_argument("--tracks", type=int, default=3)
    opts = args.parse_args()
    if opts.cmd == "check":
        opts.model = "MSD_musicnn"
    with tempfile.TemporaryDirectory(prefix="musicnn-") as tmp:
        wheel_dir = fetch_wheel(pathlib.Path(tmp))
        sys.path.insert(0, str(wheel_dir))
        sess, x, outputs = build(wheel_dir, opts.model)
    print(f"{opts.model}: {multiply_adds(sess) / 1e9:.3f} G multiply-adds a patch", flush=True)
    (cmd_check if opts.cmd == "check" else cmd_run)(sess, x, outputs, opts)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
