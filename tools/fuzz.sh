#!/usr/bin/env bash
# Builds the protocol decoder's libFuzzer target with clang (build-fuzz/) and
# runs it for a bounded time from a corpus of one valid message per type.
#   tools/fuzz.sh [SECONDS]     default 60
# Exit status non-zero when the fuzzer finds a crash, leak, hang or
# sanitizer report (the reproducer is left in build-fuzz/fuzz-artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
dir=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DAR_FUZZ=ON -DAR_NATIVE=OFF >/dev/null
cmake --build "$dir" --target fuzz_decode fuzz_make_seeds -j "$(nproc)"
corpus=$dir/fuzz-corpus
mkdir -p "$corpus" "$dir/fuzz-artifacts"
"$dir/tests/fuzz/fuzz_make_seeds" "$corpus"
"$dir/tests/fuzz/fuzz_decode" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/" "$corpus"
