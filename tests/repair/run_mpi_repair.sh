#!/usr/bin/env bash
# run_mpi_repair.sh BIN MAKE_FIXTURE TMP - the repair job under real mpirun
# at -np 1, 2 (2 threads per rank) and 4 on a tiny synthetic case (2 blocks x 2 variants, 2 rungs of
# successive halving, augmentation on the fly with a category, "noise"): all
# runs must choose the same candidate and write identical candidates, metrics
# and weights; fog, which the pool never saw, is reported held-out.
set -euo pipefail
bin=$1 mk=$2 cli=${4:-}
tmp=$3/repair-mpi
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
"$mk" "$tmp"
outs=()
for np in 1 2 4; do
  cat > "$tmp/np$np.toml" <<TOML
[job]
kind = "repair"
seed = 3
output = "$tmp/np$np.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 120
batch_size = 40
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "fog"]
severities = [2]
[repair]
pool = 150
val = 60
failing = 40
sample = 30
augment = 0.5
corruptions = ["noise", "contrast"]
severities = [1, 3]
top_k = 2
nodes = [1, 2]
ops = ["none", "skip_connect", "sep_conv_3x3", "conv_3x3", "max_pool_3x3"]
rungs = 2
search_epochs = 2
finetune_epochs = 1
batch = 25
[run]
threads = $([ $np = 2 ] && echo 2 || echo 1)
shard_size = 60
TOML
  ar_mpi_job "$bin" $np 200 "$tmp/np$np.toml" "$tmp/np$np"
  grep -q "^clean" "$tmp/np$np.out" || { echo "FAIL: no table"; cat "$tmp/np$np.out"; exit 1; }
  grep -q "^held-out mean" "$tmp/np$np.out" || { echo "FAIL: no held-out mean"; cat "$tmp/np$np.out"; exit 1; }
  outs+=("$tmp/np$np.h5")
done
# a portfolio: every method in one population, at -np 2 and 3, with the
# options that keep clean accuracy (distillation, the best epoch within the
# bound, interpolation), corruptions redrawn every epoch and a budget of
# image-passes instead of epochs
for np in 2 3; do
  sed -e "s#np1.h5#port$np.h5#" -e 's#^\[repair\]#[repair]\nmethods = ["archrepair", "block-weights", "finetune", "bn-adapt"]\ninterpolate = true\nmax_clean_drop = 0.0\ndistill = 0.3\nkeep_best = true\nresample = true\nbudget = 200#' \
      "$tmp/np1.toml" > "$tmp/port$np.toml"
  ar_mpi_job "$bin" $np 300 "$tmp/port$np.toml" "$tmp/port$np"
done
/usr/bin/python3 "$here/check_repair.py" "$tmp/port2.h5" "$tmp/port3.h5"
/usr/bin/python3 - "$tmp/port2.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
m = [x.decode() for x in f["/repair/candidates/method"][()]]
assert set(m) == {"archrepair", "block-weights", "finetune", "bn-adapt"}, m
# archrepair: 2 blocks x 2 node counts; block-weights: 2 blocks; one each of the others
assert [m.count(k) for k in ("archrepair", "block-weights", "finetune", "bn-adapt")] == [4, 2, 1, 1], m
# interpolation to the bound: every method (archrepair's cell sits beside
# the original branch) keeps the largest a in 1, 7/8 .. 1/8 meeting it (the
# last one tried when none does)
a = f["/repair/candidates/interp"][()]
vc = f["/repair/candidates/val_clean"][()]
floor = f["/repair"].attrs["val_clean_before"] - f["/repair"].attrs["max_clean_drop"]
for i, k in enumerate(m):
    assert a[i] in [j / 8 for j in range(1, 9)], (k, a[i])
    assert vc[i] >= floor - 1e-12 or a[i] == 1 / 8, (k, a[i], vc[i], floor)
print("interp:", list(zip(m, a)))
# repair.budget: a training candidate's backward passes stay within the
# budgets of the rungs it ran (200 at the last rung, 100 at the first)
bwd = f["/repair/candidates/cost_passes"][()][:, 1]
rung = f["/repair/candidates/rung"][()]
kept = f["/repair/candidates/kept_epoch"][()]
for i, k in enumerate(m):
    budget = 100 + (200 if rung[i] == 1 else 0)
    if k == "bn-adapt":
        assert bwd[i] == 0 and kept[i] == -1, (k, bwd[i], kept[i])
    else:
        assert 0 < bwd[i] <= 1.1 * budget, (k, bwd[i], budget)
        assert -1 <= kept[i] < 4, (k, kept[i])
print("budget: backward passes", list(zip(m, bwd)), "kept epochs", list(kept))
PY

# a worker failing its 9th task (a candidate, after one finished and wrote
# its model): the job fails, names the cause, and leaves no result but its
# checkpoint and the candidate files it names; --resume then completes it
# with the same numbers as np2 (only the job text, which names the output,
# differs) and removes both
sed "s#np1.h5#fail.h5#" "$tmp/np1.toml" > "$tmp/fail.toml"
if AR_FAULT="1:8:error" timeout 200 mpirun -np 2 --oversubscribe "$bin" "$tmp/fail.toml" >"$tmp/fail.out" 2>"$tmp/fail.err"; then
  echo "FAIL: a failing worker did not fail the job"; exit 1
fi
grep -q "(repair_candidate): injected" "$tmp/fail.err" || { echo "FAIL: the cause is not reported"; cat "$tmp/fail.err"; exit 1; }
[ -e "$tmp/fail.h5" ] && { echo "FAIL: a result written by the failed job"; exit 1; }
ls "$tmp"/fail.h5*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left by the failed job"; exit 1; }
[ -e "$tmp/fail.h5.ckpt" ] || { echo "FAIL: no checkpoint"; cat "$tmp/fail.err"; exit 1; }
timeout 200 mpirun -np 2 --oversubscribe "$bin" --resume "$tmp/fail.toml" >"$tmp/resume.out" 2>"$tmp/resume.err" ||
  { echo "FAIL: --resume after the failure"; cat "$tmp/resume.err"; exit 1; }
diffs=$(/usr/bin/python3 "$here/../../tools/compare_results.py" "$tmp/np2.h5" "$tmp/fail.h5" 2>&1 | grep '^differs: ' || true)
[ "$diffs" = "differs: attribute repair@job" ] || { echo "FAIL: the resumed result differs: $diffs"; exit 1; }
ls "$tmp"/fail.h5.* 2>/dev/null && { echo "FAIL: files left by the resumed job"; exit 1; }
cat "$tmp/np2.out"
/usr/bin/python3 "$here/check_repair.py" "${outs[@]}"
# `archrepair info` on a result shows the outcome and the before / after table
if [ -n "$cli" ]; then
  "$cli" info "$tmp/np2.h5" >"$tmp/info.out" || { echo "FAIL: info on a result"; exit 1; }
  for w in "outcome repaired" "fog/2" "held-out" "held-out mean" "in-pool mean"; do
    grep -q -- "$w" "$tmp/info.out" || { echo "FAIL: info lacks '$w'"; cat "$tmp/info.out"; exit 1; }
  done
fi
ls "$tmp"/*cand* 2>/dev/null && { echo "FAIL: candidate files left"; exit 1; }
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
