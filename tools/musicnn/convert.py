#!/usr/bin/env python3
"""Convert a musicnn model to ONNX for musim, and write reference fixtures.

Run through `tools/musicnn/convert.sh`, which installs the pinned tools of
requirements.txt in a throwaway venv outside the repository.

    convert.sh                                   # MSD_musicnn: the product's model
    convert.sh --model MTT_musicnn --out DIR     # another network, for studies

`--model` picks the wheel's checkpoint (`MSD_musicnn`, default, or
`MTT_musicnn`: the same architecture, trained on MagnaTagATune); `--out`
writes `musicnn-<msd|mtt>.onnx` and its `.tags.txt` there instead of
assets/models/ (the test fixtures are written only for the product's model,
MSD_musicnn into assets/models/). The tag names are also stored in the ONNX
file's metadata (`musicnn.tags`, one per line) so musim names another
network's tags by its own labels. This script

1. downloads the `musicnn==0.1.0` wheel from PyPI with `pip download --no-deps`
   (nothing else: musicnn's own dependencies are not installed, its code is
   only read) and checks its SHA-256;
2. rebuilds the inference graph of the chosen model with the wheel's own
   `models.define_model`, `training=False` (batch norm uses the moving
   statistics, dropout is the identity), restores the wheel's checkpoint,
   freezes it and exports ONNX opset 13 with tf2onnx:
     input   `melspec:0`    [N, 187, 96]  log-mel patches (musicnn's front end)
     outputs `max_pool`     [N, 753]      max over time of the mid-end features
             `mean_pool`    [N, 753]      mean over time of the same
             `penultimate`  [N, 200]      the dense layer before the tags
             `taggram`      [N, 50]       sigmoid tag scores (the model's tags)
   and checks onnxruntime's outputs against TensorFlow's;
3. writes the 50 tag names (the wheel's `configuration.MSD_LABELS` or
   `MTT_LABELS`);
4. writes reference fixtures for musim's tests from audio already committed
   under tests/fixtures/librosa/ (synthesised, 16-bit mono 22050 Hz): the
   musicnn front end's log-mel and TensorFlow's outputs per patch.

The front end is musicnn's `extractor.batch_data` (librosa at 16 kHz,
n_fft 512, hop 256, 96 Slaney mel bands, power, float16 storage,
log10(10000·S + 1), non-overlapping 187-frame patches with the tail dropped)
with two choices written out where the wheel leaves them to library defaults:

* resampling 22050 → 16000 Hz with soxr HQ (what `librosa.load(sr=16000)`
  does since librosa 0.10; the model was trained with resampy's kaiser_best,
  whose response differs only in the top 5 % of the band);
* `pad_mode='reflect'` for the centred STFT: the default of the librosa
  (0.6/0.7) the model was trained with; librosa ≥ 0.10 pads with zeros.

A clip shorter than one patch (musicnn itself fails on it) is repeat-padded:
its log-mel frames are tiled until there are 187, which is how the model was
trained on short clips (`"pad_short": "repeat-pad"` in the checkpoint's
config.json).
"""
import argparse
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "assets" / "models"
# The product's model (MSD_musicnn into assets/models/); main() repoints
# these for another checkpoint or output directory.
MODEL_PATH = MODEL_DIR / "musicnn-msd.onnx"
TAGS_PATH = MODEL_DIR / "musicnn-msd.tags.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "musicnn"
AUDIO = ROOT / "tests" / "fixtures" / "librosa"

WHEEL = "musicnn==0.1.0"
WHEEL_SHA256 = "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa"
# Checkpoints of the wheel with musicnn's architecture, and their tag lists
# (`configuration.<name>`). The wheel's VGG checkpoints (MSD_vgg, MTT_vgg)
# have another architecture, which musim does not implement.
CHECKPOINTS = {"MSD_musicnn": "MSD_LABELS", "MTT_musicnn": "MTT_LABELS"}
CHECKPOINT = "MSD_musicnn"

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
N_FRAMES = 187
INPUT = "melspec"
OUTPUTS = ["max_pool", "mean_pool", "penultimate", "taggram"]


def fetch_wheel(workdir: pathlib.Path) -> pathlib.Path:
    """Download the musicnn wheel (no dependencies), check it, unpack it."""
    subprocess.check_call(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(workdir), WHEEL]
    )
    wheel = next(workdir.glob("musicnn-0.1.0-*.whl"))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel.name}: SHA-256 {digest}, expected {WHEEL_SHA256}")
    out = workdir / "wheel"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(out)
    return out


def build_graph(wheel_dir: pathlib.Path):
    """The CHECKPOINT inference graph, restored from the wheel's checkpoint.

    Returns (graph, session)."""
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    sys.path.insert(0, str(wheel_dir))
    from musicnn import models  # the wheel's own model definition

    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, N_MELS], name=INPUT)
        # training=False: batch norm with moving statistics, dropout off.
        (logits, _timbral, _temporal, _c1, _c2, _c3, mean_pool, max_pool,
         penultimate) = models.define_model(x, False, CHECKPOINT, 50)
        tf.identity(max_pool, name="max_pool")
        tf.identity(mean_pool, name="mean_pool")
        tf.identity(penultimate, name="penultimate")
        tf.nn.sigmoid(logits, name="taggram")
        sess = tf.compat.v1.Session(graph=graph)
        saver = tf.compat.v1.train.Saver()
        # The wheel stores the checkpoint with an empty file prefix.
        saver.restore(sess, str(wheel_dir / "musicnn" / CHECKPOINT) + "/")
    return graph, sess


def tf_run(graph, sess, patches: np.ndarray) -> dict:
    outs = [graph.get_tensor_by_name(f"{n}:0") for n in OUTPUTS]
    vals = sess.run(outs, feed_dict={graph.get_tensor_by_name(f"{INPUT}:0"): patches})
    return dict(zip(OUTPUTS, vals))


def export_onnx(graph, sess, labels) -> "onnx.ModelProto":
    import onnx
    import tensorflow as tf
    import tf2onnx

    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
        sess, graph.as_graph_def(), OUTPUTS
    )
    model, _ = tf2onnx.convert.from_graph_def(
        frozen,
        input_names=[f"{INPUT}:0"],
        output_names=[f"{n}:0" for n in OUTPUTS],
        opset=13,
    )
    # Plain output names (`taggram`, not `taggram:0`).
    renames = {f"{n}:0": n for n in OUTPUTS}
    for node in model.graph.node:
        node.output[:] = [renames.get(o, o) for o in node.output]
        node.input[:] = [renames.get(i, i) for i in node.input]
    for out in model.graph.output:
        out.name = renames.get(out.name, out.name)
    data = {"MSD_musicnn": "Million Song Dataset previews", "MTT_musicnn": "MagnaTagATune"}
    model.doc_string = (
        f"musicnn {CHECKPOINT} (Pons & Serra 2019, ISC licence), trained on "
        f"{data[CHECKPOINT]}; converted by musim tools/musicnn/convert.py"
    )
    if CHECKPOINT != "MSD_musicnn":
        # The product's MSD file stays byte for byte as it was (its hash is
        # the embeddings' identity); musim knows its tags.
        entry = model.metadata_props.add()
        entry.key = "musicnn.tags"
        entry.value = "".join(f"{t}\n" for t in labels)
    onnx.checker.check_model(model)
    return model


def check_onnx(model_path: pathlib.Path, graph, sess, patches: np.ndarray) -> None:
    import onnxruntime as ort

    rt = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    got = dict(zip(OUTPUTS, rt.run(OUTPUTS, {f"{INPUT}:0": patches})))
    want = tf_run(graph, sess, patches)
    for n in OUTPUTS:
        diff = float(np.max(np.abs(got[n] - want[n])))
        print(f"onnxruntime vs tensorflow, {n}: max abs diff {diff:.2e}")
        if diff > 1e-3:
            sys.exit(f"ONNX export disagrees with TensorFlow on {n}")


# ---------------------------------------------------------------- front end


def load_fixture(name: str) -> np.ndarray:
    """A committed 16-bit WAV as librosa reads it: int16 / 32768, float32."""
    import soundfile as sf

    y, sr = sf.read(AUDIO / f"{name}.wav", dtype="int16")
    assert sr == 22050 and y.ndim == 1, name
    return y.astype(np.float32) / 32768.0


def to_16k(y22: np.ndarray) -> np.ndarray:
    import librosa

    return librosa.resample(y22, orig_sr=22050, target_sr=SR, res_type="soxr_hq").astype(np.float32)


def log_mel(y16: np.ndarray) -> np.ndarray:
    """musicnn's `batch_data` front end: frames × 96."""
    import librosa

    S = librosa.feature.melspectrogram(
        y=y16, sr=SR, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS, pad_mode="reflect"
    ).T
    S = S.astype(np.float16)
    # musicnn writes `np.log10(10000 * S + 1)`; under numpy 1.x's value-based
    # casting `10000 * float16` is computed in float32 (10000 does not fit the
    # float16 kind's rules), so the float16 step only rounds S. Written out
    # here so the result does not depend on the numpy version.
    out = np.log10(10000 * S.astype(np.float32) + 1)
    assert out.dtype == np.float32
    return out


def patches_of(mel: np.ndarray) -> np.ndarray:
    """Non-overlapping 187-frame patches, tail dropped; a clip shorter than one
    patch is repeat-padded (frames tiled) to exactly one."""
    n = mel.shape[0]
    if n >= N_FRAMES:
        k = n // N_FRAMES
        return mel[: k * N_FRAMES].reshape(k, N_FRAMES, N_MELS)
    reps = -(-N_FRAMES // n)
    return np.tile(mel, (reps, 1))[:N_FRAMES][None]


def write_f32(name: str, a: np.ndarray) -> dict:
    path = FIXTURES / f"{name}.f32"
    a = np.ascontiguousarray(a, dtype="<f4")
    path.write_bytes(a.tobytes())
    return {"file": path.name, "shape": list(a.shape)}


def write_fixtures(graph, sess) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.glob("*.f32"):
        old.unlink()
    ref = {
        "about": "made by tools/musicnn/convert.py; arrays are little-endian f32, row-major",
        "model": {
            "file": str(MODEL_PATH.relative_to(ROOT)),
            "sha256": hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest(),
        },
        "front_end": {"sr": SR, "n_fft": N_FFT, "hop": HOP, "n_mels": N_MELS, "n_frames": N_FRAMES},
        "direct": {},
        "tracks": {},
    }

    # 1. The front end alone: a committed 22050 Hz signal's samples taken as
    #    a 16 kHz signal (no resampling), so STFT, mel, float16 step and log
    #    are compared exactly. `tiny` (100 samples) pads past both ends.
    chirp = load_fixture("chirp")
    song = load_fixture("song")
    for name, y in (("chirp", chirp), ("tiny", song[:100]), ("small", song[:300])):
        ref["direct"][name] = {
            "source": "chirp.wav" if name == "chirp" else "song.wav",
            "samples": int(len(y)),
            "log_mel": write_f32(f"direct_{name}.log_mel", log_mel(y)),
        }

    # 2. Whole pipeline on committed 22050 Hz clips: resample, log-mel,
    #    patches, model.
    keep_mel = {"chirp", "short"}
    for name in ("song", "chirp", "chord_sharp", "noise", "clicks120", "short", "silence"):
        y22 = load_fixture(name)
        mel = log_mel(to_16k(y22))
        patches = patches_of(mel)
        out = tf_run(graph, sess, patches)
        entry = {
            "source": f"{name}.wav",
            "samples_22050": int(len(y22)),
            "frames": int(mel.shape[0]),
            "patches": int(patches.shape[0]),
            "repeat_padded": bool(mel.shape[0] < N_FRAMES),
        }
        if name in keep_mel:
            entry["log_mel"] = write_f32(f"{name}.log_mel", mel)
        for n in OUTPUTS:
            entry[n] = write_f32(f"{name}.{n}", out[n])
        emb = np.concatenate([out["mean_pool"], out["max_pool"]], axis=1).mean(axis=0)
        entry["embedding"] = write_f32(f"{name}.embedding", emb)
        entry["tags"] = write_f32(f"{name}.tags", out["taggram"].mean(axis=0))
        ref["tracks"][name] = entry
        print(f"{name}: {mel.shape[0]} frames, {patches.shape[0]} patch(es)")

    (FIXTURES / "reference.json").write_text(json.dumps(ref, indent=1) + "\n")


def main() -> None:
    global CHECKPOINT, MODEL_DIR, MODEL_PATH, TAGS_PATH
    import onnx

    args = argparse.ArgumentParser(description="musicnn checkpoint → ONNX for musim")
    args.add_argument("--model", choices=sorted(CHECKPOINTS), default="MSD_musicnn")
    args.add_argument("--out", type=pathlib.Path, help="output directory (default assets/models)")
    opts = args.parse_args()
    CHECKPOINT = opts.model
    short = CHECKPOINT.split("_")[0].lower()
    MODEL_DIR = (opts.out or MODEL_DIR).resolve()
    MODEL_PATH = MODEL_DIR / f"musicnn-{short}.onnx"
    TAGS_PATH = MODEL_DIR / f"musicnn-{short}.tags.txt"
    product = CHECKPOINT == "MSD_musicnn" and MODEL_DIR == ROOT / "assets" / "models"

    with tempfile.TemporaryDirectory(prefix="musicnn-") as tmp:
        wheel_dir = fetch_wheel(pathlib.Path(tmp))
        sys.path.insert(0, str(wheel_dir))
        from musicnn import configuration

        labels = getattr(configuration, CHECKPOINTS[CHECKPOINT])
        assert len(labels) == 50
        licence = (wheel_dir / "musicnn-0.1.0.dist-info" / "LICENSE.md").read_text()

        graph, sess = build_graph(wheel_dir)
        model = export_onnx(graph, sess, labels)
        MODEL_DIR.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(MODEL_PATH))
        TAGS_PATH.write_text("".join(f"{t}\n" for t in labels))
        (MODEL_DIR / "LICENSE-musicnn.txt").write_text(licence.strip() + "\n")
        shown = MODEL_PATH.relative_to(ROOT) if MODEL_PATH.is_relative_to(ROOT) else MODEL_PATH
        print(f"wrote {shown}: {MODEL_PATH.stat().st_size} bytes, "
              f"sha256 {hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest()}")

        rng = np.random.default_rng(10)
        check = rng.uniform(0.0, 4.0, size=(3, N_FRAMES, N_MELS)).astype(np.float32)
        check_onnx(MODEL_PATH, graph, sess, check)
        if product:
            write_fixtures(graph, sess)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
