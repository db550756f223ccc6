#!/usr/bin/env bash
# dist_overhead.sh BUILD_DIR [IMAGES] [REPEATS] - the distributed evaluate
# path against the single-process `archrepair eval`, and 1 -> 2 workers.
# Model tests/data/fmnist_resnet20_w025.h5 on the first IMAGES (default
# 10000) Fashion-MNIST test images: clean + gaussian_noise/3, contrast/3,
# impulse_noise/3 generated on the fly. One conv/BLAS thread everywhere.
#   A  `archrepair eval` once per set (sum of process wall times)
#   B  mpirun -np 2 (coordinator + 1 worker) evaluate job over the same sets
#   C  mpirun -np 3 (coordinator + 2 workers)
# Each is run REPEATS times (default 2), interleaved; the best time counts.
# Reports B/A (overhead: end to end with mpirun, and the job's own
# wall_seconds from its JSON summary), images/s of B and C and C/B. Checks
# that B, C and A agree on every set's correct count.
#   tests/bench/dist_overhead.sh build-dist2 10000 3
set -euo pipefail
build=$(cd "${1:?usage: dist_overhead.sh BUILD_DIR [IMAGES] [REPEATS]}" && pwd)
n=${2:-10000} reps=${3:-2}
src=$(cd "$(dirname "$0")/../.." && pwd)
model=$src/tests/data/fmnist_resnet20_w025.h5
data=${AR_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
[ -e "$data/t10k-images-idx3-ubyte.gz" ] || [ -e "$data/t10k-images-idx3-ubyte" ] \
  || { echo "no Fashion-MNIST in $data (set AR_FMNIST_DIR)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
corr=(gaussian_noise contrast impulse_noise) sev=3 seed=1 batch=256
now() { date +%s.%N; }
cat > "$tmp/job.toml" <<TOML
[job]
kind = "evaluate"
name = "overhead"
seed = $seed
output = "$tmp/out.h5"
[model]
path = "$model"
[data]
path = "$data"
limit = $n
batch_size = $batch
[[data.corrupted]]
kind = "generated"
corruptions = [$(printf '"%s", ' "${corr[@]}" | sed 's/, $//')]
severities = [$sev]
[run]
blas_threads = 1
shard_size = 1000
TOML
best_a=1e9 best_b=1e9 best_bj=1e9 best_c=1e9 best_cj=1e9
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (a < b) ? a : b}'; }
for r in $(seq "$reps"); do
  # A: single process, one set at a time
  t0=$(now)
  : > "$tmp/cli.txt"
  for set in clean "${corr[@]}"; do
    opt=(); [ "$set" = clean ] || opt=(--corruption "$set" --severity $sev)
    line=$("$build/archrepair" eval "$model" "$data" --limit "$n" --batch $batch --threads 1 \
           --seed $seed "${opt[@]}" 2>/dev/null)
    [[ $line =~ \(([0-9]+)/([0-9]+)\) ]] && echo "${BASH_REMATCH[1]}" >> "$tmp/cli.txt"
  done
  best_a=$(min "$best_a" "$(awk "BEGIN{print $(now) - $t0}")")
  for np in 2 3; do
    t0=$(now)
    mpirun -np $np --oversubscribe --bind-to none "$build/archrepair-coord" "$tmp/job.toml" \
      > "$tmp/log$np" 2>&1 || { cat "$tmp/log$np"; exit 1; }
    wall=$(awk "BEGIN{print $(now) - $t0}")
    jw=$(sed -n 's/.*"wall_seconds": \([0-9.]*\).*/\1/p' "$tmp/out.json")
    sed -n 's/.*"correct": \([0-9]*\).*/\1/p' "$tmp/out.json" > "$tmp/job$np.txt"
    cmp -s "$tmp/job$np.txt" "$tmp/cli.txt" \
      || { echo "correct counts differ: -np $np $(tr '\n' ' ' < "$tmp/job$np.txt") vs eval $(tr '\n' ' ' < "$tmp/cli.txt")"; exit 1; }
    if [ $np = 2 ]; then best_b=$(min "$best_b" "$wall"); best_bj=$(min "$best_bj" "$jw")
    else best_c=$(min "$best_c" "$wall"); best_cj=$(min "$best_cj" "$jw"); fi
  done
done
imgs=$((4 * n))
echo "images: $imgs forward passes ($n x 4 sets); best of $reps; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v a="$best_a" -v b="$best_b" -v bj="$best_bj" -v c="$best_c" -v cj="$best_cj" -v n="$imgs" 'BEGIN{
  printf "%-44s %8s %10s\n", "", "wall_s", "images/s"
  printf "%-44s %8.2f %10.0f\n", "A archrepair eval, 4 processes (sum)", a, n / a
  printf "%-44s %8.2f %10.0f\n", "B -np 2 (1 worker), mpirun end to end", b, n / b
  printf "%-44s %8.2f %10.0f\n", "B -np 2 (1 worker), job wall_seconds", bj, n / bj
  printf "%-44s %8.2f %10.0f\n", "C -np 3 (2 workers), mpirun end to end", c, n / c
  printf "%-44s %8.2f %10.0f\n", "C -np 3 (2 workers), job wall_seconds", cj, n / cj
  printf "overhead B/A: %.3f end to end, %.3f job only (target <= 1.05)\n", b / a, bj / a
  printf "speedup 1 -> 2 workers (B/C): %.2f end to end, %.2f job only\n", b / c, bj / cj
}'
echo "correct counts identical in A, B and C"
