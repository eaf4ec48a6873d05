#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every symbol libvigil exports starts with vg_ (docs/STYLE.md: one prefix).
# Usage: test_symbols.sh VIGIL_BINARY TESTDATA_DIR (the library is beside it)
set -u
HERE=$(cd "$(dirname "$0")" && pwd); . "$HERE/lib.sh"
LIB=$(dirname "$1")/libvigil.a
check "libvigil.a exists" test -f "$LIB"
bad=$(nm -g --defined-only "$LIB" 2>/dev/null | awk 'NF==3 {print $3}' \
      | grep -v '^vg_' | grep -v '^__\(asan\|ubsan\|odr_asan\|sancov\)' || true)
check "all exported symbols start with vg_${bad:+ (not: $bad)}" test -z "$bad"
check "the public API is there" bash -c "nm -g --defined-only '$LIB' | grep -q ' T vg_imagehash_file$'"
finish
