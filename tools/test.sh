#!/usr/bin/env bash
# Builds archrepair and runs the whole test suite with ctest.
#   tools/test.sh              Release build in build/
#   tools/test.sh --sanitize   AddressSanitizer + UBSan build in build-asan/
# Extra arguments after -- go to ctest (e.g. -- -R test_h5).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=release
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) mode=asan ;;
    --) shift; ctest_args=("$@"); break ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

jobs=$(nproc)
# Tests run as root in CI and containers: Open MPI refuses root without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One BLAS thread per process unless a test says otherwise.
export OPENBLAS_NUM_THREADS=1

if [ "$mode" = asan ]; then
  dir=build-asan
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DAR_SANITIZE=ON >/dev/null
  # Open MPI's own allocations are reported as leaks; ours are checked by the
  # single-process tests, so leak detection stays on except under mpirun
  # (tests/integration sets detect_leaks=0 there).
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  dir=build
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$dir" -j "$jobs"
cd "$dir"
ctest --output-on-failure -j "$jobs" ${ctest_args[@]+"${ctest_args[@]}"}
