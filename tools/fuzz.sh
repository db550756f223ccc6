#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs every one
# of them within a total time budget.
#   tools/fuzz.sh [SECONDS] [TARGET...]   default 60 s in all, every target
#   tools/fuzz.sh --seeds                 rewrites the generated seeds in
#                                         tests/fuzz/corpus/ (then commit them)
# Targets (tests/fuzz/): decode npy idx idx_gz h5_dataset h5_collection
# h5_model job_toml coord_state. Each gets an equal share of what is left of
# the budget, starts from its committed seeds (tests/fuzz/corpus/<target>/)
# plus what earlier runs found (build-fuzz/fuzz-corpus/<target>/) and ends
# with a line of its executions and coverage (libFuzzer's cov: and ft:).
#
# Exit status non-zero when a target finds a crash, leak, hang, OOM or
# sanitizer report in our code; the reproducer is left in
# build-fuzz/fuzz-artifacts/ and the log in build-fuzz/fuzz-logs/. A crash
# whose first frame outside the allocator and libc is in libhdf5 is a bug
# of the HDF5 library itself (Debian's 1.10, not instrumented; h5dump
# crashes on the same files): it is reported and kept under
# build-fuzz/fuzz-artifacts/libhdf5/, and the target resumes for its
# remaining time. Leaks allocated inside libhdf5 are suppressed
# (tests/fuzz/lsan.supp). docs/development.md "Fuzzing" has the details.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(decode npy idx idx_gz h5_dataset h5_collection h5_model job_toml coord_state)
dir=build-fuzz
seeds=0
if [[ ${1:-} == --seeds ]]; then
  seeds=1
  shift
fi
budget=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")

CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DAR_FUZZ=ON -DAR_NATIVE=OFF >/dev/null
build=(fuzz_make_corpus)
for t in "${targets[@]}"; do build+=("fuzz_$t"); done
cmake --build "$dir" --target "${build[@]}" -j "$(nproc)"

if ((seeds)); then
  "$dir/tests/fuzz/fuzz_make_corpus" tests/fuzz/corpus
  mkdir -p tests/fuzz/corpus/job_toml
  cp configs/*.toml tests/fuzz/corpus/job_toml/
  echo "seeds written under tests/fuzz/corpus/ (hostile files and reproducers there are kept)"
  exit 0
fi

mkdir -p "$dir/fuzz-artifacts/libhdf5" "$dir/fuzz-logs"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"

# The module of the first stack frame of the report in log $1 that is not
# the allocator, a sanitizer interceptor or libc: "libhdf5" or "ours". Our
# code is built with debug information, so its frames name a source file; a
# frame in the fuzz binary with only an offset ("in strdup (.../fuzz_x+0x..)")
# is a sanitizer interceptor (ASan's strdup, memcpy ...) standing for its caller.
culprit() {
  awk '/ERROR: |DEADLYSIGNAL|ALARM/ {on = 1} on && /^ *#[0-9]+ 0x/ {
         if ($0 ~ /in (malloc|calloc|realloc|free|operator new|__interceptor_|__asan|__sanitizer|__lsan|fuzzer::)/ ||
             $0 ~ /libc\.so|\/sysdeps\/|string\/\.\.\/|compiler-rt/ ||
             ($0 ~ /\/fuzz_[a-z0-9_]+\+0x[0-9a-f]+\)/ && $0 !~ /\.(c|h):[0-9]+/)) next
         print ($0 ~ /libhdf5/ ? "libhdf5" : "ours"); exit }' "$1"
}

start=$(date +%s)
failed=0
summary=()
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  left=$((budget - ($(date +%s) - start)))
  share=$((left / (${#targets[@]} - i)))
  ((share >= 5)) || share=5
  corpus=$dir/fuzz-corpus/$t
  mkdir -p "$corpus"
  log=$dir/fuzz-logs/$t.log
  : >"$log"
  t_end=$(($(date +%s) + share))
  runs=0 libhdf5=0 line=""
  echo "=== fuzz_$t: ${share} s"
  while :; do
    now=$(date +%s)
    ((t_end - now >= 2)) || break
    part=$dir/fuzz-logs/$t.part
    rc=0
    "$dir/tests/fuzz/fuzz_$t" -max_total_time=$((t_end - now)) -rss_limit_mb=2048 -timeout=5 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/" \
      "$corpus" "tests/fuzz/corpus/$t" >"$part" 2>&1 || rc=$?
    cat "$part" >>"$log"
    n=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$part")
    [[ -n $n ]] || n=$(awk '/^#[0-9]+/ {n = substr($1, 2)} END {print n + 0}' "$part")
    runs=$((runs + n))
    l=$(grep -E '^#[0-9]+.*cov: ' "$part" | tail -1 || true)
    [[ -z $l ]] || line=$l
    ((rc != 0)) || break
    art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$part" | tail -1)
    if [[ $(culprit "$part") == libhdf5 && -n $art ]]; then
      libhdf5=$((libhdf5 + 1))
      mv "$art" "$dir/fuzz-artifacts/libhdf5/"
      echo "    crash inside libhdf5 (not our code): $dir/fuzz-artifacts/libhdf5/$(basename "$art"); resuming"
      continue
    fi
    echo "FAILED: fuzz_$t found a bug in our code: ${art:-see $log}" >&2
    grep -E 'ERROR:|SUMMARY:|^ *#[0-9]+ 0x' "$part" | head -25 >&2
    failed=1
    break
  done
  rm -f "$dir/fuzz-logs/$t.part"
  cov=$(sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1, ft \2/p' <<<"$line")
  s="fuzz_$t: $runs runs in $share s, ${cov:-no coverage line}, corpus $(ls "$corpus" | wc -l) files"
  ((libhdf5 == 0)) || s+=", $libhdf5 crash(es) inside libhdf5"
  echo "$s"
  summary+=("$s")
done
echo "=== fuzzing summary ($(($(date +%s) - start)) s of $budget s)"
printf '%s\n' "${summary[@]}"
exit $failed
