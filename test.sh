#!/usr/bin/env bash
# The whole test suite: installs what the tests need (when run as root), then runs every test.
#   ./test.sh
# Prerequisites: the .NET 10 SDK (NativeAOT publishing included). PyTorch, ONNX, torchvision and
# PIL (Debian's python3-torch, python3-onnx, python3-torchvision, python3-pil: the reference) and
# the ARM64 cross toolchain with qemu-user are
# installed with apt when missing and this runs as root; otherwise the tests that need it skip
# loudly (or fail, with MICRONET_REQUIRE_ALL=1, as CI sets).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
/usr/bin/python3 -c "import torch" 2>/dev/null || need_apt+=(python3-torch)
/usr/bin/python3 -c "import onnx" 2>/dev/null || need_apt+=(python3-onnx)
/usr/bin/python3 -c "import torchvision, PIL" 2>/dev/null || need_apt+=(python3-torchvision python3-pil)
# ARM64: cross-publishing with NativeAOT and running under emulation (tools/arm64/publish.sh)
# and fuzzing (libFuzzer's runtime: libclang-rt-dev)
for p in clang lld libclang-rt-dev binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
# NativeAOT (x64) links with clang (above) and zlib
[ -e /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${need_apt[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "WARNING: missing ${need_apt[*]} and not root: the tests that need them will skip (or fail under MICRONET_REQUIRE_ALL=1)" >&2
  fi
fi

echo "== dotnet test (Release)"
set +e
dotnet test MicroNet.Aot.sln -c Release --nologo 2>&1 | tee /tmp/micronet-test.log | grep -vE '^\s+at '
status=${PIPESTATUS[0]}
# the kernels again at every lower SIMD level, against the reference kernels: without AVX-512 (the
# AVX2 paths AVX-512 machines skip), without AVX2 (the Vector128 paths: what ARM64's AdvSimd runs)
# and without any hardware intrinsics (the scalar paths)
for level in DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0 DOTNET_EnableHWIntrinsic=0; do
  echo "== kernel tests with $level"
  env "$level" dotnet test tests/MicroNet.Aot.Tests -c Release --nologo --no-build --filter "FullyQualifiedName~KernelTests" 2>&1 | tee -a /tmp/micronet-test.log | grep -vE '^\s+at '
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
done
# fuzzing: every reader of untrusted input, 45 s per harness (libFuzzer + SharpFuzz); fails on any
# crash, hang or out-of-memory. The long run: tests/MicroNet.Aot.Fuzz/fuzz.sh --runs 1000000
echo "== fuzzing (tests/MicroNet.Aot.Fuzz/fuzz.sh)"
if clang -fsanitize=fuzzer -x c - -o /dev/null <<<'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' 2>/dev/null; then
  tests/MicroNet.Aot.Fuzz/fuzz.sh --seconds "${MICRONET_FUZZ_SECONDS:-45}" 2>&1 | tee /tmp/micronet-fuzz.log
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
elif [ "${MICRONET_REQUIRE_ALL:-}" = 1 ]; then
  echo "FAILED: fuzzing needs clang with libFuzzer (Debian: clang, libclang-rt-dev) and MICRONET_REQUIRE_ALL=1 is set" | tee /tmp/micronet-fuzz.log
  status=1
else
  echo "SKIPPED (loudly): fuzzing needs clang with libFuzzer (Debian: clang, libclang-rt-dev); install them or run as root" | tee /tmp/micronet-fuzz.log
fi
set -e
echo "== summary"
grep -E '^(Passed!|Failed!)' /tmp/micronet-test.log || echo "no test summary found"
if grep -q '^== fuzzing summary' /tmp/micronet-fuzz.log; then sed -n '/^== fuzzing summary/,$p' /tmp/micronet-fuzz.log | tail -n +2; else tail -1 /tmp/micronet-fuzz.log; fi
exit "$status"
