#!/usr/bin/env bash
# Build the FOURTH labelled corpus: free game soundtracks from Debian packages
# that share no package with the first three corpora, with as many sources as
# could be found, scored once against hypotheses written down beforehand.
# Same code, same rules and same output layout as fetch_labelled_music.sh.
#
# Usage: fetch_fourth_corpus.sh [DEST]   (default: ~/.cache/musim/labelled-music-4)
set -euo pipefail
CORPUS=fourth exec "$(dirname "$0")/fetch_labelled_music.sh" "$@"
