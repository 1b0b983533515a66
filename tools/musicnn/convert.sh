#!/usr/bin/env bash
# Regenerate musim's musicnn model asset and its test fixtures.
#
#   tools/musicnn/convert.sh
#
# Creates a throwaway venv outside the repository (default /tmp/musicnn-venv,
# override with MUSICNN_VENV), installs the pinned tools of requirements.txt
# from PyPI, then runs convert.py, which downloads only the musicnn 0.1.0
# wheel (pip download --no-deps, checked against its SHA-256) and writes
#   assets/models/musicnn-msd.onnx        the model (opset 13)
#   assets/models/musicnn-msd.tags.txt    its 50 tag names
#   tests/fixtures/musicnn/*              reference log-mels and outputs
#
#   tools/musicnn/convert.sh --model MTT_musicnn --out DIR
#
# converts the package's MagnaTagATune network instead, into
# DIR/musicnn-mtt.onnx (its tag names also in the file's metadata) and
# DIR/musicnn-mtt.tags.txt, for MUSIM_DEEP_MODEL; no fixtures are written.
# Needs python3.11 (tensorflow-cpu 2.15 has no wheels for newer Pythons) and
# access to PyPI; nothing else is downloaded.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${MUSICNN_VENV:-/tmp/musicnn-venv}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q -r "$here/requirements.txt"
exec "$venv/bin/python" "$here/convert.py" "$@"
