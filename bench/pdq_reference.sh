#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vigil's `vigil hash` against Meta's reference PDQ hasher, on the same
# files, in one alternating run (the noise of a shared machine hits both).
#
# The reference is built here from its published source, a checkout of
# github.com/facebook/ThreatExchange given as the first argument (Vigil does
# not ship it), in two builds of `pdq/cpp/bin/pdq-photo-hasher.cpp`:
#   stock    as its Makefile builds it (g++ -O3; CImg hands JPEG and PNG
#            files to ImageMagick's `convert`, as the published build does)
#   libjpeg  the same with CImg reading JPEG and PNG itself through libjpeg
#            and libpng (-Dcimg_use_jpeg -Dcimg_use_png): the reference at
#            its fastest
# Both print the C++ command-line convention (images over 512 px resized to
# 512x512 first); Vigil's `--prescale-512` prints the same lines, checked
# byte for byte before timing.  Vigil's default (full resolution, what HMA
# and vPDQ use) is timed beside them.
#
# Usage: bench/pdq_reference.sh THREATEXCHANGE_DIR [RUNS] [FILES...]
#   (default files: every JPEG in tests/data/photos; RUNS default 3)
# Needs g++, libjpeg-dev, libpng-dev, imagemagick, GNU time, and
# build/release/vigil.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(realpath "${1:?usage: bench/pdq_reference.sh THREATEXCHANGE_DIR [RUNS] [FILES...]}")
RUNS=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
VIGIL=${VIGIL:-build/release/vigil}
OUT=build/pdq-reference
CPP="$SRC/pdq/cpp"
[ -f "$CPP/bin/pdq-photo-hasher.cpp" ] || { echo "no pdq/cpp in $SRC" >&2; exit 2; }
[ -x "$VIGIL" ] || { echo "build $VIGIL first (cmake --preset release)" >&2; exit 2; }
mkdir -p "$OUT"
if [ $# -gt 0 ]; then printf '%s\n' "$@"; else ls tests/data/photos/*.jpg; fi >"$OUT/files"
N=$(wc -l <"$OUT/files")

LIB="common/pdqhashtypes.cpp io/hashio.cpp common/pdqhamming.cpp
     hashing/pdqhashing.cpp downscaling/downscaling.cpp io/pdqio.cpp
     hashing/torben.cpp common/pdqutils.cpp bin/pdq-photo-hasher.cpp"
build() { # build NAME EXTRA_FLAGS...
  local name=$1; shift
  [ -x "$OUT/$name" ] && return
  (cd "$CPP" && g++ -std=c++11 -O3 -w -I"$SRC" -I. $LIB -o "$(realpath -m "$OLDPWD/$OUT/$name")" \
     "$@" -lm -lpthread)
}
build stock -Dcimg_display=0
build libjpeg -Dcimg_display=0 -Dcimg_use_jpeg -Dcimg_use_png -ljpeg -lpng

# the same lines, byte for byte, before any timing
xargs -d '\n' -a "$OUT/files" "$OUT/libjpeg" >"$OUT/ref.out"
xargs -d '\n' -a "$OUT/files" "$OUT/stock" >"$OUT/stock.out"
xargs -d '\n' -a "$OUT/files" "$VIGIL" hash -j 1 --prescale-512 >"$OUT/vigil.out"
same() { cmp -s "$1" "$2" && echo identical || echo "DIFFERENT ($(diff "$1" "$2" | grep -c '^<') lines)"; }
echo "outputs on $N files: libjpeg vs vigil --prescale-512: $(same "$OUT/ref.out" "$OUT/vigil.out");" \
     "stock vs vigil: $(same "$OUT/stock.out" "$OUT/vigil.out")"

cpu() { # cpu CMD...: user+system CPU seconds of CMD over the files
  /usr/bin/time -f '%U %S' -o "$OUT/time" xargs -d '\n' -a "$OUT/files" "$@" >/dev/null 2>&1
  awk '{print $1 + $2}' "$OUT/time"
}
declare -A T
names="stock libjpeg vigil512 vigil"
for r in $(seq "$RUNS"); do
  T[stock]+="$(cpu "$OUT/stock") "
  T[libjpeg]+="$(cpu "$OUT/libjpeg") "
  T[vigil512]+="$(cpu "$VIGIL" hash -j 1 --prescale-512) "
  T[vigil]+="$(cpu "$VIGIL" hash -j 1) "
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
declare -A M
for n in $names; do M[$n]=$(median "${T[$n]}"); done
echo
echo "CPU seconds for $N files, median of $RUNS alternating runs, one thread:"
echo
echo "| hasher | CPU | vs the reference (libjpeg build) |"
echo "|---|---:|---:|"
row() { echo "| $1 | ${M[$2]} s | $(echo "${M[$2]} ${M[libjpeg]}" | awk '{printf "%.2f", $1 / $2}')× |"; }
row "reference pdq-photo-hasher, stock build (CImg + ImageMagick)" stock
row "reference pdq-photo-hasher, CImg with libjpeg/libpng" libjpeg
row "vigil hash --prescale-512 (the same output)" vigil512
row "vigil hash (full resolution, HMA/vPDQ convention)" vigil
