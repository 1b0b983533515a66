#!/usr/bin/env bash
# Build a small LABELLED corpus of legally redistributable recorded music from
# Debian packages (free game soundtracks, GPL / CC BY-SA / MIT-style licences),
# for evaluating music similarity: one folder per source package, the folder
# name being the label.  Modelled on tools/fetch_real_music.sh.
#
# Usage: fetch_labelled_music.sh [DEST]   (default: ~/.cache/musim/labelled-music)
#        CORPUS=second fetch_labelled_music.sh [DEST]   (or tools/fetch_second_corpus.sh)
#        CORPUS=third  fetch_labelled_music.sh [DEST]   (or tools/fetch_third_corpus.sh)
#        CORPUS=fourth fetch_labelled_music.sh [DEST]   (or tools/fetch_fourth_corpus.sh)
#
# Result:
#   DEST/<label>/*.{ogg,mp3,flac,opus}   complete songs only, >= MIN_SECONDS long
#   DEST/COPYRIGHT-<package>             the package's debian copyright file
#   DEST/MANIFEST.tsv                    label, file, seconds, package, origin, note
# Environment:
#   MIN_TRACKS  (6)   labels with fewer tracks are dropped
#   MIN_SECONDS (20)  shorter files (sound effects, jingles) are skipped
#   DEB_CACHE   (unset) folder in which to keep/reuse the downloaded .deb files
#   ONLY        (unset) space-separated package names: process only these
#   CORPUS      (first) which table of packages: 'first' (the development
#               corpus), 'second' (a disjoint set of packages, for checking
#               that a choice tuned on one corpus holds on the other) or
#               'third' (disjoint from both, kept for confirming a choice
#               made on the first two) or 'fourth' (disjoint from all three,
#               more sources, scored once against pre-registered hypotheses)
#
# What is done to the audio (everything else is copied byte for byte):
#   * Frets on Fire song folders hold stems, not a mix: song.ogg is the band
#     WITHOUT the lead guitar, guitar.ogg (and rhythm.ogg / drums.ogg where
#     present) the missing parts; the two are nearly uncorrelated.  The full
#     song is rebuilt as  sox -m <stems> gain -n -1  (mean of the stems, then
#     peak-normalised to -1 dBFS, so no clipping), written as FLAC.
#   * A file that ffprobe/ffmpeg cannot open but sox can decode (three of
#     hyperrogue's Ogg Vorbis files have headers ffmpeg rejects) is decoded by
#     sox and stored as FLAC: lossless with respect to the decoded signal.
#   * Files with identical content are kept once (drascula ships the same 31
#     tracks in six language folders).
# Audio must stay out of git repositories: DEST inside a git work tree is refused.
set -euo pipefail

CORPUS="${CORPUS:-first}"
case "$CORPUS" in
  first) dest="${1:-$HOME/.cache/musim/labelled-music}" ;;
  second) dest="${1:-$HOME/.cache/musim/labelled-music-2}" ;;
  third) dest="${1:-$HOME/.cache/musim/labelled-music-3}" ;;
  fourth) dest="${1:-$HOME/.cache/musim/labelled-music-4}" ;;
  *) echo "CORPUS must be 'first', 'second', 'third' or 'fourth', not '$CORPUS'" >&2; exit 1 ;;
esac
MIN_TRACKS="${MIN_TRACKS:-6}"
MIN_SECONDS="${MIN_SECONDS:-20}"

for tool in apt-get dpkg-deb ffprobe sox python3 md5sum; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 1; }
done

dest=$(realpath -m -- "$dest")
d="$dest"
while :; do
  if [ -e "$d/.git" ]; then
    echo "refusing: $dest is inside the git work tree $d (audio must stay outside git)" >&2
    exit 1
  fi
  [ "$d" = / ] && break
  d=$(dirname "$d")
done
mkdir -p "$dest"

# package | label | mode | path regex of the music files | exclude regex
#   mode: plain = copy audio files; fof = Frets on Fire song folders (mix stems);
#   plain:N = keep at most N of the matching files, evenly spaced in path
#   order, so that one large soundtrack does not dominate the corpus (some
#   may still fall under MIN_SECONDS afterwards)
# Packages known to hold no usable recording are listed too, so that the run
# reports why they contribute nothing (pingus-data and fb-music-high: tracker
# modules only; asc-music and lincity-ng-data: only 3 songs each).
table_first='
wesnoth-1.16-music         |wesnoth      |plain|/data/core/music/|
fretsonfire-songs-muldjord |fof-muldjord |fof  |/songs/muldjord/|
fretsonfire-songs-sectoid  |fof-sectoid  |fof  |/songs/sectoid/|
hyperrogue-music           |hyperrogue   |plain|/hyperrogue/music/|
drascula-music             |drascula     |plain|/scummvm/drascula/|
asc-music                  |asc          |plain|/asc/music/|
xmoto-data                 |xmoto        |plain|/Textures/Musics/|
pingus-data                |pingus       |plain|/pingus/data/music/|
lincity-ng-data            |lincity      |plain|/lincity-ng/music/|
fb-music-high              |frozen-bubble|plain|/frozen-bubble/|
nexuiz-music               |nexuiz       |plain|/sound/cdtracks/|/thunder\.ogg$
singularity-music          |singularity  |plain|/singularity/music/|
warzone2100-music          |warzone2100  |plain|/warzone2100/music/|_enhanced\.opus$
colobot-common-sounds      |colobot      |plain|/colobot/music/|
pushover-data              |pushover     |plain|/pushover/themes/|
extremetuxracer-data       |etr          |plain|/etr/music/|
'
# Exclusions: nexuiz thunder.ogg is an ambience of thunder, not a song;
# warzone2100 *_enhanced.opus are remastered duplicates of menu.opus/track3.opus.

# The second corpus: no package in common with the first (all in Debian main).
table_second='
flare-game                 |flare        |plain|/flare/mods/fantasycore/music/|/wind_ambient\.ogg$
freedroidrpg-data          |freedroidrpg |plain|/freedroidrpg/data/sound/music/|
hedgewars-data             |hedgewars    |plain|/hedgewars/Data/Music/|(_sd|sdmusic)\.ogg$
megaglest-data             |megaglest    |plain|/megaglest/.*/music/|
openclonk-data             |openclonk    |plain|/openclonk/Music\.ocg/|
starfighter-data           |starfighter  |plain|/starfighter/music/|
supertux-data              |supertux     |plain|/supertux2/music/|(_old|_remix)\.ogg$
supertuxkart-data          |supertuxkart |plain|/supertuxkart/data/music/|(_fast|farm_f)\.ogg$
warmux-data                |warmux       |plain|/warmux/music/|Apnee2\.ogg$
widelands-data             |widelands    |plain|/widelands/data/music/|
'
# Exclusions: flare's wind_ambient is wind, not a song; the others are
# variants of a song kept in the same folder (hedgewars' sudden-death
# versions, supertux's old and remixed versions, supertuxkart's sped-up
# last-lap versions, warmux's second Apnee), which would make retrieval of
# the same source trivially easy.

# The third corpus: no package in common with the first two (all in Debian
# main), measured once to confirm a choice made on the first two.
table_third='
naev-data                  |naev         |plain:20|/naev/dat/snd/music/|
unknown-horizons           |unknown-horizons|plain|/unknown-horizons/content/audio/music/|
ardentryst                 |ardentryst   |plain|/ardentryst/Music/|(2|_raw)\.ogg$
trackballs-data            |trackballs   |plain|/trackballs/music/|
enigma-data                |enigma       |plain|/enigma/music/|
freecol                    |freecol      |plain|/freecol/default/resources/music/|
ufoai-music                |ufoai        |plain:20|/0music\.unpacked/music/|dynamictest
fillets-ng-data            |fillets-ng   |plain|/fillets-ng/music/|
amoebax-data               |amoebax      |plain|/amoebax/music/|
'
# Caps: naev ships 54 songs and UFO: AI 64; 20 of each are kept.
# Exclusions: ardentryst's *2.ogg and theme1_raw.ogg are variants of songs in
# the same folder; UFO: AI's dynamictest-* are test cuts of its battle music.
# The fourth corpus: no package in common with the first three (all in Debian
# main), as many sources with >= MIN_TRACKS songs as could be found, scored
# once against hypotheses written down before it was scored.
table_fourth='
0ad-data                   |0ad          |plain:20|/public\.unpacked/audio/music/|/0_8Bit_Bonus_Track\.ogg$
planetblupi-music-ogg      |planetblupi  |plain|/planetblupi/music/|
wizznic-data               |wizznic      |plain|/wizznic/packs/000_wizznic/music/|
btanks-data                |btanks       |plain|/btanks/data/tunes/|
openarena-088-data         |openarena    |plain|/pak6-patch088\.unpacked/music/|
lordsawar-data             |lordsawar    |plain|/lordsawar/music/|
tumiki-fighters-data       |tumiki-fighters|plain|/tumiki-fighters/sounds/|
mrrescue                   |mrrescue     |plain|/mrrescue\.unpacked/data/sfx/|
freedink-data              |freedink     |plain|/dink/dink/Sound/|
seahorse-adventures        |seahorse-adventures|plain|/seahorse-adventures/data/music/|
wordwarvi-sound            |wordwarvi    |plain|/wordwarvi/sounds/|
glob2-data                 |glob2        |plain|/glob2/data/zik/|
lugaru-data                |lugaru       |plain|/lugaru/Sounds/Music|/Music1[GS][a-z]*\.ogg$
zaz-data                   |zaz          |plain|/games/zaz/|
gigalomania-data           |gigalomania  |plain|/gigalomania/music/|
caveexpress-data           |caveexpress  |plain|/caveexpress/sounds/music|
'
# Cap: 0 A.D. ships 61 songs; 20 are kept.
# Exclusions: 0 A.D.'s 0_8Bit_Bonus_Track is a chiptune joke track, not its
# soundtrack; lugaru's Music1Grass/Music1Snow are arrangements of
# Music1Desert.  Packages listed that fall under MIN_TRACKS (glob2, lugaru,
# zaz, gigalomania, caveexpress and others) are kept in the table so that the
# run says why they contribute nothing.
case "$CORPUS" in
  second) table="$table_second" ;;
  third) table="$table_third" ;;
  fourth) table="$table_fourth" ;;
  *) table="$table_first" ;;
esac

audio_re='\.(ogg|oga|mp3|flac|opus)$'

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
manifest="$work/manifest.tsv"
: >"$manifest"
report="$work/report.txt"
: >"$report"
note() { echo "$*" | tee -a "$report" >&2; }

duration() {  # seconds, or empty if ffprobe cannot read the file
  ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null | head -n1 | grep -E '^[0-9.]+$' || true
}
long_enough() { awk -v a="$1" -v b="$MIN_SECONDS" 'BEGIN{exit !(a+0 >= b+0)}'; }
safe_name() { printf '%s' "$1" | tr -s ' \t' '__' | tr -cd 'A-Za-z0-9._+-'; }

# add_track LABEL SRC NAME PACKAGE ORIGIN [NOTE]: copy (or repair) one file into the label folder
add_track() {
  local label="$1" src="$2" name="$3" pkg="$4" origin="$5" note="${6:-}" sec repair="" out
  sec=$(duration "$src")
  if [ -z "$sec" ]; then
    if sec=$(soxi -D "$src" 2>/dev/null) && [ -n "$sec" ]; then
      name="${name%.*}.flac"; repair=1; note="re-encoded to FLAC by sox (ffmpeg cannot open the original)"
    else
      note "  $pkg: unreadable, skipped: $origin"; return 0
    fi
  fi
  if ! long_enough "$sec"; then
    printf '  %s: %.1f s < %s s, skipped: %s\n' "$pkg" "$sec" "$MIN_SECONDS" "$origin" >>"$report"
    return 0
  fi
  out="$dest/$label/$name"
  if [ -e "$out" ]; then  # name clash: prefix the parent folder's name
    out="$dest/$label/$(safe_name "$(basename "$(dirname "$src")")")-$name"
  fi
  if [ -n "$repair" ]; then sox -q "$src" "$out"; else cp "$src" "$out"; fi
  printf '%s\t%s\t%.1f\t%s\t%s\t%s\n' "$label" "$(basename "$out")" "$sec" "$pkg" "$origin" "$note" >>"$manifest"
}

while IFS='|' read -r pkg label mode incl excl; do
  pkg=$(echo "$pkg" | xargs); label=$(echo "$label" | xargs); mode=$(echo "$mode" | xargs)
  max=""
  if [[ "$mode" == *:* ]]; then max=${mode#*:}; mode=${mode%%:*}; fi
  [ -z "$pkg" ] && continue
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $pkg "* ]]; then continue; fi
  echo "== $pkg -> $label" >&2
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    note "  $pkg: not in the apt lists (run apt-get update?), skipped"; continue
  fi
  deb=""
  if [ -n "${DEB_CACHE:-}" ]; then
    mkdir -p "$DEB_CACHE"
    deb=$(ls "$DEB_CACHE/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
  fi
  if [ -z "$deb" ]; then
    (cd "$work" && apt-get download "$pkg" >/dev/null 2>"$work/apt.err") || {
      note "  $pkg: apt-get download failed: $(tail -n1 "$work/apt.err")"; continue; }
    deb=$(ls "$work/${pkg}"_*.deb | head -n1)
    if [ -n "${DEB_CACHE:-}" ]; then mv "$deb" "$DEB_CACHE/" && deb="$DEB_CACHE/$(basename "$deb")"; fi
  fi
  x="$work/x-$pkg"
  rm -rf "$x"; dpkg-deb -x "$deb" "$x"
  # Quake-style .pk3 archives (nexuiz, openarena), 0 A.D.'s mod .zip and
  # LOVE's .love are zip files: unpack their audio files beside them.
  while IFS= read -r -d '' zip; do
    python3 -c 'import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for m in z.namelist():
    if re.search(sys.argv[3], m, re.I):
        z.extract(m, sys.argv[2])' "$zip" "${zip%.*}.unpacked" "$audio_re"
  done < <(find "$x" -type f \( -name '*.pk3' -o -name '*.zip' -o -name '*.love' \) -print0)

  cp "$x/usr/share/doc/$pkg/copyright" "$dest/COPYRIGHT-$pkg" 2>/dev/null ||
    find "$x" -path '*/doc/*' -name copyright -exec cp {} "$dest/COPYRIGHT-$pkg" \; -quit

  rm -rf "${dest:?}/$label"; mkdir -p "$dest/$label"
  declare -A seen=()
  if [ "$mode" = fof ]; then
    while IFS= read -r -d '' songogg; do
      sd=$(dirname "$songogg"); song=$(safe_name "$(basename "$sd")")
      stems=("$songogg")
      for s in guitar rhythm drums; do [ -f "$sd/$s.ogg" ] && stems+=("$sd/$s.ogg"); done
      origin="${sd#"$x"}/{$(cd "$sd" && ls -- *.ogg | tr '\n' ' ' | sed 's/ $//;s/ /,/g')}"
      if [ "${#stems[@]}" -eq 1 ]; then
        add_track "$label" "$songogg" "$song.ogg" "$pkg" "$origin"
      else
        mixed="$work/$song.flac"
        sox -q -m "${stems[@]}" "$mixed" gain -n -1
        add_track "$label" "$mixed" "$song.flac" "$pkg" "$origin" \
          "full mix rebuilt from stems: sox -m ${stems[*]##*/} gain -n -1"
      fi
    done < <(find "$x" -type f -name song.ogg -path "*${incl}*" -print0 | sort -z)
  else
    files=()
    while IFS= read -r -d '' f; do
      rel="${f#"$x"}"
      echo "$rel" | grep -Eq "$incl" || continue
      if [ -n "$excl" ] && echo "$rel" | grep -Eq "$excl"; then
        echo "  $pkg: excluded by rule: $rel" >>"$report"; continue
      fi
      sum=$(md5sum <"$f" | cut -d' ' -f1)
      if [ -n "${seen[$sum]:-}" ]; then continue; fi
      seen[$sum]=1
      files+=("$f")
    done < <(find "$x" -type f -print0 | sort -z | grep -zEi "$audio_re" || true)
    total=${#files[@]}
    keep=$total
    if [ -n "$max" ] && [ "$total" -gt "$max" ]; then
      keep=$max
      note "  $pkg: $max of $total songs kept (evenly spaced in path order)"
    fi
    for ((i = 0; i < keep; i++)); do
      f=${files[$((i * total / keep))]}
      add_track "$label" "$f" "$(safe_name "$(basename "$f")")" "$pkg" "${f#"$x"}"
    done
    others=$(find "$x" -type f | grep -Ei '\.(it|xm|mod|s3m|mid|midi)$' | grep -E "$incl" | wc -l || true)
    [ "$others" -gt 0 ] && note "  $pkg: $others tracker-module/MIDI files ignored (not recorded audio)"
  fi
  unset seen
  n=$(find "$dest/$label" -type f | wc -l)
  if [ "$n" -lt "$MIN_TRACKS" ]; then
    note "  $pkg: label '$label' dropped: $n track(s) < $MIN_TRACKS"
    rm -rf "${dest:?}/$label" "$dest/COPYRIGHT-$pkg"
    sed -i "/^$label\t/d" "$manifest"
  fi
  rm -rf "$x"
done <<<"$table"

{ printf 'label\tfile\tseconds\tpackage\torigin\tnote\n'; sort "$manifest"; } >"$dest/MANIFEST.tsv"

echo
echo "Notes:"; sed 's/^/ /' "$report"
echo
echo "Corpus in $dest"
printf "%-14s %6s %9s %9s\n" label tracks total_min median_s
awk -F'\t' 'NR>1 { n[$1]++; t[$1]+=$3; d[$1]=d[$1] " " $3 }
  END {
    for (l in n) {
      k = split(substr(d[l], 2), a, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
      med = (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
      printf "%-14s %6d %9.1f %9.1f\n", l, n[l], t[l] / 60, med
    }
  }' "$dest/MANIFEST.tsv" | sort
awk -F'\t' 'NR>1 { n++; t+=$3 } END { printf "%-14s %6d %9.1f\n", "TOTAL", n, t/60 }' "$dest/MANIFEST.tsv"
