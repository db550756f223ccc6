#!/usr/bin/env bash
# dist_scaling.sh BUILD_DIR [RANKS] [IMAGES] [THREADS] - strong scaling of
# the evaluate job: a random ResNet-20 (width 0.5) on IMAGES random 32x32 RGB
# images plus 3 corruptions generated on the fly (4 x IMAGES forward passes),
# run with each rank count in RANKS (default "1 2 3 5") and each thread
# count per rank in THREADS ([run] threads, default "1").
# Prints wall time (mpirun, start to end), images/s and speedup over the
# first run, the job's own wall_seconds (its JSON summary: from the
# coordinator's start, without launching and finalizing the processes) and
# the speedup by it, and checks
# every run's JSON summary reports the same accuracies.
# ROUNDS=K (default 1) runs the whole sweep K times, the configurations
# alternating within each round, and prints each one's median wall time:
# on a shared VM single 2-thread runs moved by 25% from one minute to the next.
#   tests/bench/dist_scaling.sh build "1 2 3 5 9 17" 8000
#   tests/bench/dist_scaling.sh build 2 4000 "1 2"    # one worker, 1 vs 2 threads
#   ROUNDS=5 tests/bench/dist_scaling.sh build 2 16000 "1 2"
set -euo pipefail
build=$(cd "${1:?usage: dist_scaling.sh BUILD_DIR [RANKS] [IMAGES]}" && pwd)
ranks=${2:-1 2 3 5}
n=${3:-2000}
threads=${4:-1}
rounds=${ROUNDS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
"$build/tests/dist/dist_make_data" "$tmp/data.h5" "$n" 32 32 3 1
"$build/tests/dist/dist_make_model" "$tmp/model.h5" 3 32 32 10 1 resnet20 0.5
for round in $(seq "$rounds"); do
for np in $ranks; do
for th in $threads; do
  cat > "$tmp/job$np.toml" <<TOML
[job]
kind = "evaluate"
name = "scaling"
seed = 1
output = "$tmp/out$np.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
batch_size = 64
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "contrast", "pixelate"]
severities = [3]
[run]
shard_size = 125
threads = $th
TOML
  start=$(date +%s.%N)
  mpirun -np "$np" --oversubscribe --bind-to none "$build/archrepair-coord" "$tmp/job$np.toml" \
    >"$tmp/log$np" 2>&1 || { cat "$tmp/log$np"; exit 1; }
  wall=$(awk "BEGIN{print $(date +%s.%N) - $start}")
  echo "$wall" >> "$tmp/walls-$np-$th"
  sed -n 's/.*"wall_seconds": *\([0-9.]*\).*/\1/p' "$tmp/out$np.json" >> "$tmp/jobs-$np-$th"
  [ "$rounds" -gt 1 ] && echo "# round $round: -np $np, $th threads: $wall s"
  grep -v -e wall_seconds -e '"ranks"' "$tmp/out$np.json" > "$tmp/sum$np-$th"
  [ -e "$tmp/sum0" ] || cp "$tmp/sum$np-$th" "$tmp/sum0"
  cmp -s "$tmp/sum$np-$th" "$tmp/sum0" || { echo "results differ at -np $np, $th threads"; exit 1; }
done
done
done
median() { sort -g "$1" | awk '{v[NR]=$1} END{print NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
printf "%6s %8s %10s %10s %8s %8s %8s\n" ranks threads wall_s img_per_s speedup job_s job_spd
first="" firstjob=""
for np in $ranks; do
for th in $threads; do
  wall=$(median "$tmp/walls-$np-$th")
  job=$(median "$tmp/jobs-$np-$th")
  [ -z "$first" ] && first=$wall firstjob=$job
  awk -v np="$np" -v th="$th" -v w="$wall" -v f="$first" -v n="$n" -v j="$job" -v fj="$firstjob" \
    'BEGIN{printf "%6d %8d %10.2f %10.0f %8.2f %8.2f %8.2f\n", np, th, w, 4 * n / w, f / w, j, fj / j}'
done
done
echo "all runs report identical accuracies"
