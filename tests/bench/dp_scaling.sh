#!/usr/bin/env bash
# dp_scaling.sh BUILD_DIR [WORKERS] [WIDTH] [POOL] - one candidate trained
# data-parallel (repair.micro_batch) on 1, 2, 4 ... workers: a repair job
# whose whole population is one block-weights candidate on layer3.0 of a
# random ResNet-20 (width WIDTH, default 1) on random 32x32 RGB images
# (POOL repair images, default 2000; 500 validation), batch 64 in
# micro-batches of 8, 2 epochs, run at -np WORKERS+1 for each count in
# WORKERS (default "1 2 4"). Prints per run: wall time, the candidate's CPU
# seconds (all its workers: /repair/candidates/cost_cpu_s), the CPU-time
# efficiency against one worker (CPU(1) / CPU(k)), the wall speedup, the
# coordinator's exchange volume and the busiest worker's reduction-tree
# volume (in + out); checks every run trained the same weights.
# REDUCE=tree (default) or coordinator sets [run] reduce.
# On a machine with fewer cores than ranks only the CPU columns mean
# anything; on a 16-core node run WORKERS="1 2 4 8 15" for strong scaling.
#   tests/bench/dp_scaling.sh build "1 2 4"
#   tests/bench/dp_scaling.sh build "1 2 4 8 15" 1 8000     # a 16-core node
set -euo pipefail
build=$(cd "${1:?usage: dp_scaling.sh BUILD_DIR [WORKERS] [WIDTH] [POOL]}" && pwd)
workers=${2:-1 2 4}
width=${3:-1}
pool=${4:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
"$build/tests/dist/dist_make_data" "$tmp/data.h5" $((pool + 600)) 32 32 3 1
"$build/tests/dist/dist_make_model" "$tmp/model.h5" 3 32 32 10 1 resnet20 "$width"
reduce=${REDUCE:-tree}
echo "[run] reduce = \"$reduce\""
printf "%7s %8s %8s %10s %8s %12s %12s %14s\n" workers wall_s cpu_s cpu_eff speedup MB_coord_in \
  MB_coord_out MB_tree_max_w
first_cpu="" first_wall=""
for k in $workers; do
  np=$((k + 1))
  cat > "$tmp/job$k.toml" <<TOML
[job]
kind = "repair"
seed = 1
output = "$tmp/out$k.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 200
[repair]
method = "block-weights"
blocks = ["layer3.0"]
pool = $pool
val = 500
failing = $((pool / 2))
sample = $((pool / 2))
augment = 0.5
corruptions = ["noise"]
severities = [2]
rungs = 1
search_epochs = 2
finetune_epochs = 0
batch = 64
micro_batch = 8
interpolate = false
[run]
threads = 1
shard_size = 200
reduce = "$reduce"
TOML
  start=$(date +%s.%N)
  timeout 3600 mpirun -np $np --oversubscribe "$build/archrepair-coord" "$tmp/job$k.toml" \
    >"$tmp/out$k.log" 2>"$tmp/err$k.log" || { cat "$tmp/err$k.log"; exit 1; }
  wall=$(awk "BEGIN{print $(date +%s.%N) - $start}")
  read -r cpu w < <(/usr/bin/python3 - "$tmp/out$k.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
print(f["/repair/candidates/cost_cpu_s"][0], f["/repair/candidates/workers"][0])
PY
)
  [ "$w" = "$k" ] || { echo "FAIL: the candidate ran on $w workers, not $k"; exit 1; }
  mb=$(grep -o "[0-9.]* MB received, [0-9.]* MB sent" "$tmp/err$k.log" | awk '{print $1, $4}' || true)
  [ -n "$mb" ] || mb="0 0"
  tree=$(sed -n 's/.*reduction tree \([0-9.]*\) MB in, \([0-9.]*\) MB out.*/\1 \2/p' "$tmp/err$k.log" |
         awk 'BEGIN{m=0} {if ($1 + $2 > m) m = $1 + $2} END{print m}')
  [ -n "$first_cpu" ] || first_cpu=$cpu first_wall=$wall
  printf "%7d %8.2f %8.2f %10.2f %8.2f %12s %12s %14s\n" "$k" "$wall" "$cpu" \
    "$(awk "BEGIN{print $first_cpu / $cpu}")" "$(awk "BEGIN{print $first_wall / $wall}")" $mb "$tree"
done
set -- $workers
for k in "$@"; do
  [ "$k" = "$1" ] && continue
  /usr/bin/python3 "$(dirname "$0")/../../tools/compare_results.py" "$tmp/out$1.h5" "$tmp/out$k.h5" 2>&1 |
    grep "^differs: " | grep -v "attribute repair@job\|cost_\|workers\|wall_seconds\|started\|finished\|ranks" |
    { if read -r line; then echo "FAIL: $k workers differ from $1: $line"; exit 1; fi; }
done
echo "same weights and metrics at every worker count"
