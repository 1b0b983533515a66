#!/usr/bin/env bash
# Build the SECOND labelled corpus: free game soundtracks from Debian packages
# that share no package with tools/fetch_labelled_music.sh's first corpus, so
# that a weight or threshold chosen on one corpus can be checked on the other.
# Same code, same rules and same output layout as fetch_labelled_music.sh.
#
# Usage: fetch_second_corpus.sh [DEST]   (default: ~/.cache/musim/labelled-music-2)
set -euo pipefail
CORPUS=second exec "$(dirname "$0")/fetch_labelled_music.sh" "$@"
