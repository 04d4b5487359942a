#!/usr/bin/env bash
# Builds the instruction-counting QEMU plugin: tools/qemu/build.sh OUT_DIR -> OUT_DIR/libinsn_count.so
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
cc=$(command -v cc || command -v gcc || command -v clang)
"$cc" -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror -o "$out/libinsn_count.so" "$here/insn_count.c" -Wl,--allow-shlib-undefined
echo "$out/libinsn_count.so"
