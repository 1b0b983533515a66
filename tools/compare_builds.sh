#!/usr/bin/env bash
# Prove that two builds of musim give the same results: index, model,
# report (PNGs, report.md, metrics.json), query JSON and CSV export on the
# built-in demo library and on a real corpus (tools/fetch_labelled_music.sh),
# compared byte for byte. Only the output folder printed in text and the
# timing fields (`seconds` in metrics.json, the seconds column of report.md's
# comparison table) may differ.
#
# Usage: tools/compare_builds.sh OLD_BINARY NEW_BINARY CORPUS_DIR [WORK_DIR]
#   e.g. git worktree add /tmp/old <commit> && (cd /tmp/old && cargo build --release)
#        tools/compare_builds.sh /tmp/old/target/release/musim-tui target/release/musim-tui ~/.cache/musim/labelled-music
# Exit status 0 when everything is identical.
set -u
old=$1 new=$2 corpus=$3 work=${4:-$(mktemp -d)}
demo="$work/demo-lib"

run() { # BIN OUT
  local bin=$1 out=$2
  rm -rf "$out"; mkdir -p "$out/home"
  export HOME=$out/home XDG_CONFIG_HOME=$out/home/.config XDG_DATA_HOME=$out/home/.local/share
  [ -d "$demo" ] || "$bin" demo --out "$demo" > /dev/null
  for lib in "demo:$demo" "corpus:$corpus"; do
    local name=${lib%%:*} dir=${lib#*:}
    local a=(--library "$dir" --index "$out/$name.idx")
    "$bin" index "${a[@]}" --deep > "$out/$name.index.txt" 2>/dev/null
    "$bin" train "${a[@]}" > "$out/$name.train.txt" 2>/dev/null
    "$bin" report "${a[@]}" -o "$out/$name-report" --compare seed,deep,fused > "$out/$name.report.txt" 2>/dev/null
    local f; f=$(find "$dir" -name '*.wav' -o -name '*.ogg' | sort | head -1)
    "$bin" query --index "$out/$name.idx" "$f" --json > "$out/$name.query.json" 2>/dev/null
    "$bin" export --index "$out/$name.idx" --format csv -o "$out/$name.csv" 2>/dev/null
  done
}

strip_seconds='
import json, sys
def s(o):
    if isinstance(o, dict): return {k: s(v) for k, v in o.items() if k != "seconds"}
    if isinstance(o, list): return [s(v) for v in o]
    return o
print(json.dumps(s(json.load(open(sys.argv[1]))), sort_keys=True))'

normalise() { # DIR FILE
  case $2 in
    *metrics.json) python3 -c "$strip_seconds" "$1/$2" ;;
    *report.md) sed -E '/^\| (musim|seed|deep|fused) \|/s/\| [0-9.]+ \|$/| (seconds) |/' "$1/$2" ;;
    *.txt) sed "s#$1#OUT#g" "$1/$2" ;;
    *) sha256sum < "$1/$2" ;;
  esac
}

run "$old" "$work/old"
run "$new" "$work/new"
bad=0 same=0
for f in $(cd "$work/old" && find . -type f -not -path './home/*' | sort); do
  if [ "$(normalise "$work/old" "$f")" == "$(normalise "$work/new" "$f")" ]; then
    same=$((same + 1))
  else
    echo "DIFFERENT: $f"; bad=1
  fi
done
echo "$same files identical in $work/old and $work/new"
exit $bad
