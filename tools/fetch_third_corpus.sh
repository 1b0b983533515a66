#!/usr/bin/env bash
# Build the THIRD labelled corpus: free game soundtracks from Debian packages
# that share no package with the first two corpora, measured once to confirm
# (or not) a choice made on the first two.
# Same code, same rules and same output layout as fetch_labelled_music.sh.
#
# Usage: fetch_third_corpus.sh [DEST]   (default: ~/.cache/musim/labelled-music-3)
set -euo pipefail
CORPUS=third exec "$(dirname "$0")/fetch_labelled_music.sh" "$@"
