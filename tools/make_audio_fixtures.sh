#!/usr/bin/env bash
# Regenerate the tiny audio fixtures in tests/fixtures/audio/ used by
# tests/audio_decode.rs. Needs ffmpeg (with libmp3lame, libvorbis, libopus)
# and sox. The files are committed; running this is only needed to change them.
#
# Every tone is a 440 Hz sine at amplitude 0.5, 0.5 s long, so the tests can
# check length, pitch and level after decoding and resampling.
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/audio"
mkdir -p "$out"
cd "$out"
rm -f ./*.wav ./*.flac ./*.mp3 ./*.ogg ./*.m4a ./*.aiff ./*.caf ./*.mkv ./*.webm ./*.opus ./*.wma ./*.au ./*.txt ./*.png

# Bit-exact output (no random stream serials or encoder tags) so reruns give identical files.
ff() {
    local out="${*: -1}"
    ffmpeg -nostdin -hide_banner -loglevel error -y "${@:1:$#-1}" \
        -fflags +bitexact -flags:a +bitexact "$out"
}

# tone RATE CHANNELS [DURATION]: lavfi source of the sine on every channel.
tone() {
    local rate=$1 ch=$2 dur=${3:-0.5} expr='0.5*sin(2*PI*440*t)' exprs
    exprs=$expr
    for ((i = 1; i < ch; i++)); do exprs="$exprs|$expr"; done
    echo "aevalsrc=${exprs}:s=${rate}:d=${dur}"
}

# --- formats symphonia decodes -------------------------------------------
ff -f lavfi -i "$(tone 44100 2)" -c:a pcm_s16le sine_44100_2ch_s16.wav
ff -f lavfi -i "$(tone 22050 1)" -c:a pcm_f32le sine_22050_1ch_f32.wav
ff -f lavfi -i "$(tone 8000 1)" -c:a pcm_s16le sine_8000_1ch_s16.wav
ff -f lavfi -i "$(tone 192000 1)" -c:a flac sine_192000_1ch.flac
ff -f lavfi -i "$(tone 48000 6 0.25)" -channel_layout 5.1 -c:a flac sine_48000_6ch.flac
ff -f lavfi -i "$(tone 44100 2)" -c:a libmp3lame -b:a 128k sine_44100_2ch.mp3
ff -f lavfi -i "$(tone 44100 2)" -c:a libvorbis -q:a 3 sine_44100_2ch.ogg
ff -f lavfi -i "$(tone 48000 2)" -c:a aac -b:a 96k sine_48000_2ch_aac.m4a
ff -f lavfi -i "$(tone 44100 1)" -c:a alac sine_44100_1ch_alac.m4a
ff -f lavfi -i "$(tone 22050 1)" -c:a pcm_s16be sine_22050_1ch.aiff
ff -f lavfi -i "$(tone 48000 1 0.25)" -c:a pcm_s16le sine_48000_1ch.caf
ff -f lavfi -i "$(tone 44100 2)" -c:a flac sine_44100_2ch_flac.mkv
ff -f lavfi -i "$(tone 48000 2)" -c:a libvorbis -q:a 3 sine_48000_2ch_vorbis.webm

# Stereo with R = -L: the channel mean is silence.
ff -f lavfi -i "aevalsrc=0.5*sin(2*PI*440*t)|-0.5*sin(2*PI*440*t):s=44100:d=0.25" \
    -c:a pcm_s16le antiphase_44100_2ch.wav

# --- Opus: symphonia has no decoder, the ffmpeg fallback handles it ----------
ff -f lavfi -i "$(tone 48000 2)" -c:a libopus -b:a 48k sine_48000_2ch.opus
ff -f lavfi -i "$(tone 48000 1)" -c:a libopus -b:a 32k sine_48000_1ch_opus.webm
# WMA in ASF: a container symphonia does not even recognise.
ff -f lavfi -i "$(tone 22050 1)" -c:a wmav2 -b:a 32k sine_22050_1ch.wma

# --- Sun .au (GTZAN's format), written by sox (-R: repeatable dither). Its
# header is 44 bytes (annotation "Processed by SoX"), so the data offset matters.
sox -R -n -r 8000 -c 1 -e mu-law -b 8 sine_8000_1ch_mulaw.au synth 0.5 sine 440 vol 0.5
sox -R -n -r 22050 -c 2 -e signed-integer -b 16 sine_22050_2ch_s16.au synth 0.5 sine 440 vol 0.5

# --- bad inputs -------------------------------------------------------------------
: > empty.wav
printf 'This is not music, just a text file renamed to .mp3.\n' > text_renamed.mp3
ff -f lavfi -i color=c=red:s=8x8 -frames:v 1 -f image2 -c:v png image_renamed.wav
# A valid 44-byte WAV header (PCM s16 mono 22050 Hz) with 0 samples.
printf 'RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00\x44\xac\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00' \
    > header_only.wav
# Cut files: the first 60 % of the bytes (the header still claims the full length).
cut_file() { head -c $(($(stat -c %s "$1") * 6 / 10)) "$1" > "$2"; }
cut_file sine_44100_2ch_s16.wav truncated.wav
ff -f lavfi -i "$(tone 44100 1 2)" -c:a libmp3lame -b:a 64k long_44100_1ch.mp3
cut_file long_44100_1ch.mp3 truncated.mp3
ff -f lavfi -i "$(tone 44100 1 2)" -c:a flac long_44100_1ch.flac
cut_file long_44100_1ch.flac truncated.flac
rm long_44100_1ch.flac
# Damaged in the middle: 600 bytes of (reproducible) garbage over the MP3 frames at 40 %.
cp long_44100_1ch.mp3 damaged_middle.mp3
head -c 600 /dev/zero | tr '\0' 'U' | dd of=damaged_middle.mp3 bs=1 seek=$(($(stat -c %s long_44100_1ch.mp3) * 4 / 10)) conv=notrunc status=none
rm long_44100_1ch.mp3

ls -l "$out"
du -sh "$out"
