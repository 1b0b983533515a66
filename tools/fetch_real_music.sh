#!/usr/bin/env bash
# Fetch legally redistributable recorded music (Debian packages of free game
# soundtracks, GPL/CC licensed) into a folder OUTSIDE the repository, for
# checking musim on real music (parity with librosa, benchmarks).
# Usage: tools/fetch_real_music.sh [DEST]   (default: ~/.cache/musim/real-music)
set -euo pipefail
dest="${1:-$HOME/.cache/musim/real-music}"
pkgs=(wesnoth-1.16-music)
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for p in "${pkgs[@]}"; do
  apt-get download "$p" >/dev/null
  dpkg-deb -x "$p"_*.deb "x-$p"
  find "x-$p" -type f \( -name '*.ogg' -o -name '*.mp3' -o -name '*.flac' \) -exec cp -n {} "$dest/" \;
  find "x-$p" -iname 'copyright' -exec cp {} "$dest/COPYRIGHT-$p" \;
done
echo "$(find "$dest" -type f -name '*.ogg' | wc -l) tracks in $dest"
