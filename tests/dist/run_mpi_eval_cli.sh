#!/usr/bin/env bash
# run_mpi_eval_cli.sh COORD CLI MODEL DATA_DIR TMP - the evaluate job agrees
# with the single-process `archrepair eval`, set by set: a trained model
# (tests/data/fmnist_resnet20_w025.h5, about 74% on Fashion-MNIST) on the
# first 600 test images, clean and 3 corruptions x 2 severities generated on
# the fly, under real mpirun at -np 1, 2, 3 and 4 (oversubscribed). Every
# run's /evaluation must be identical, and each set's correct count must
# equal what `archrepair eval MODEL DATA --corruption C --severity S --seed
# SEED --limit 600` prints (a different batch size there, and shards that do
# not line up with batches, so predictions must not depend on either).
# Exits 77 (ctest: skipped) when the Fashion-MNIST directory is absent.
set -euo pipefail
coord=$1 cli=$2 model=$3 data=$4
tmp=$5/dist-eval-cli
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../support/mpi_job.sh"
if [ ! -e "$data/t10k-images-idx3-ubyte.gz" ] && [ ! -e "$data/t10k-images-idx3-ubyte" ]; then
  echo "SKIP: no Fashion-MNIST test split in $data"; exit 77
fi
rm -rf "$tmp" && mkdir -p "$tmp"
export OPENBLAS_NUM_THREADS=1
py=/usr/bin/python3
limit=600 seed=7
corruptions=(gaussian_noise contrast impulse_noise) severities=(2 5)
corr_toml=$(printf '"%s", ' "${corruptions[@]}") sev_toml=$(printf '%s, ' "${severities[@]}")
outs=()
for np in 1 2 3 4; do
  cat > "$tmp/np$np.toml" <<TOML
[job]
kind = "evaluate"
name = "evaluate vs archrepair eval"
seed = $seed
output = "$tmp/np$np.h5"
[model]
path = "$model"
[data]
path = "$data"
split = "test"
limit = $limit
batch_size = 32
[[data.corrupted]]
kind = "generated"
corruptions = [${corr_toml%, }]
severities = [${sev_toml%, }]
[run]
shard_size = 70
blas_threads = 1
TOML
  ar_mpi_job "$coord" $np 120 "$tmp/np$np.toml" "$tmp/np$np" --bind-to none
  outs+=("$tmp/np$np.h5")
done
# The single-process reference, one line per set: "<label> <correct> <count>".
run_cli() { # label, then eval options
  local label=$1; shift
  local line
  line=$("$cli" eval "$model" "$data" --split test --limit $limit --batch 64 --seed $seed "$@" 2>/dev/null) \
    || { echo "FAIL: archrepair eval $* exited non-zero" >&2; exit 1; }
  [[ $line =~ accuracy\ [0-9.]+\ \(([0-9]+)/([0-9]+)\) ]] \
    || { echo "FAIL: cannot parse archrepair eval output: $line" >&2; exit 1; }
  echo "$label ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}
{
  run_cli clean
  for c in "${corruptions[@]}"; do
    for s in "${severities[@]}"; do run_cli "$c/$s" --corruption "$c" --severity "$s"; done
  done
} > "$tmp/cli.txt"
cat "$tmp/cli.txt"
$py "$here/check_eval_cli.py" $limit "$tmp/cli.txt" "${outs[@]}"
ls "$tmp"/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
rm -rf "$tmp"
echo PASS
