#!/usr/bin/env bash
# Cross-publish a project to linux-arm64 with NativeAOT, from this x64 machine, with Debian's
# cross toolchain (clang + lld, the aarch64 binutils/gcc/libc for the target's sysroot).
#   tools/arm64/publish.sh [PROJECT_DIR] [OUT_DIR] [extra dotnet publish args...]
# Defaults: samples/ImageClassifier -> artifacts/arm64/ImageClassifier.
# Installs the Debian packages it needs when run as root; otherwise says which are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
project=${1:-$root/samples/ImageClassifier}
out=${2:-$root/artifacts/arm64/$(basename "$project")}
shift $(( $# > 2 ? 2 : $# ))

packages=(clang lld binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]} (apt)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# InvariantGlobalization: there is no ICU for arm64 here (the binary would abort at start).
# Do not set SysRoot: clang finds the aarch64 libc from libc6-dev-arm64-cross by itself.
dotnet publish "$project" -c Release -r linux-arm64 \
  -p:PublishAot=true -p:InvariantGlobalization=true \
  -p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy \
  -o "$out" --nologo "$@"
echo "published $(basename "$project") for linux-arm64 to $out"
echo "run it here with: qemu-aarch64 -L /usr/aarch64-linux-gnu $out/<binary> ..."
