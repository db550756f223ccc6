#!/usr/bin/env bash
# run_mpi_dp.sh BIN MAKE_FIXTURE TMP - data-parallel candidates under real
# mpirun: a portfolio (archrepair and block-weights, distillation, resampled
# corruptions, the best epoch within the bound, interpolation) with
# repair.micro_batch set, at -np 2, 3 and 5 (1, 2 and 4 workers). The
# candidates then train on 1, 1-2 and 2-4 workers at once
# (/repair/candidates/workers says how many), and every result file must
# hold the same candidates, metrics, history and weights - whether the
# workers add their gradients along the reduction tree ([run] reduce =
# "tree", the default) or through the coordinator (reduce = "coordinator",
# -np 5 again); and the same again when a worker is lost in the middle of a
# shared task, or killed while idle before one.
set -euo pipefail
bin=$1 mk=$2
tmp=$3/repair-dp
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
"$mk" "$tmp"
outs=()
for np in 2 3 5; do
  cat > "$tmp/np$np.toml" <<TOML
[job]
kind = "repair"
seed = 5
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
methods = ["archrepair", "block-weights"]
pool = 150
val = 60
failing = 40
sample = 30
augment = 0.5
corruptions = ["noise", "contrast"]
severities = [1, 3]
top_k = 1
nodes = [2]
ops = ["none", "skip_connect", "sep_conv_3x3", "conv_3x3", "max_pool_3x3"]
rungs = 2
search_epochs = 2
finetune_epochs = 1
batch = 25
micro_batch = 5
partial_channels = 2
distill = 0.3
keep_best = true
resample = true
interpolate = true
[run]
threads = 1
shard_size = 60
TOML
  ar_mpi_job "$bin" $np 300 "$tmp/np$np.toml" "$tmp/np$np"
  outs+=("$tmp/np$np.h5")
done
sed -e "s#np5.h5#np5c.h5#" -e 's/^\[run\]/[run]\nreduce = "coordinator"/' "$tmp/np5.toml" > "$tmp/np5c.toml"
ar_mpi_job "$bin" 5 300 "$tmp/np5c.toml" "$tmp/np5c"
grep -q "exchanges" "$tmp/np5c.err" || { echo "FAIL: the coordinator does not report its exchanges"; exit 1; }
grep -q "exchanges" "$tmp/np5.err" && { echo "FAIL: exchanges through the coordinator with reduce = tree"; exit 1; }
grep -q "reduction tree [0-9.]* MB in" "$tmp/np5.err" || { echo "FAIL: no worker reports its tree links"; exit 1; }
/usr/bin/python3 "$here/check_repair.py" --parts-vary "$tmp/np5.h5" "$tmp/np5c.h5"
/usr/bin/python3 "$here/check_repair.py" --parts-vary "${outs[@]}"
/usr/bin/python3 - "${outs[@]}" <<'PY'
import sys, h5py
w = [list(h5py.File(p, "r")["/repair/candidates/workers"][()]) for p in sys.argv[1:]]
print("workers per candidate at -np 2, 3, 5:", w)
# one worker: never shared; 2 workers: the last rung's single candidate on
# both; 4 workers: each first-rung candidate on 2, the last one on 4
assert w[0] == [1, 1], w
assert max(w[1]) == 2 and max(w[2]) == 4, w
PY
# A worker lost in the middle of a shared task (SIGSTOP before its 4th
# exchange, heartbeat timeout 3 s): the task goes back to the queue, its
# other parts stop (REDUCED failed), it starts again on the workers free
# then, and the job completes with the same result as -np 5 without a
# fault. The lost rank cannot take part in MPI_Finalize: mpirun exits
# non-zero after the result is written.
sed -e "s#np5.h5#lost.h5#" -e 's/^\[run\]/[run]\nheartbeat_s = 0.3\nheartbeat_timeout_s = 3/' \
  "$tmp/np5.toml" > "$tmp/lost.toml"
AR_FAULT=3:3:stop-exchange timeout 300 mpirun -np 5 --oversubscribe "$bin" "$tmp/lost.toml" \
  > "$tmp/lost.out" 2> "$tmp/lost.err" && { echo "FAIL: a lost rank, yet exit 0"; exit 1; }
for want in "worker r3 .* silent while running a part of task [0-9]*: the task goes back to the queue" \
            "stopped its part of task" "the job completed (.*lost.h5 written) but a worker was lost"; do
  grep -q "$want" "$tmp/lost.err" || { echo "FAIL: no '$want'"; cat "$tmp/lost.err"; exit 1; }
done
/usr/bin/python3 "$here/check_repair.py" --parts-vary "$tmp/np5.h5" "$tmp/lost.h5"
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; case "$st" in Z*) return 1 ;; esac; }
# every worker process the log names (joined: ... pid N) has ended
all_ended() {
  for pid in $(sed -n 's/.*joined: host .* pid \([0-9]*\),.*/\1/p' "$1"); do
    for i in $(seq 50); do alive "$pid" || break; sleep 0.1; done  # mpirun reaps them as it ends
    if alive "$pid"; then echo "FAIL: pid $pid still alive"; kill -9 "$pid"; exit 1; fi
  done
}
all_ended "$tmp/lost.err"
# A worker killed while idle (SIGKILL once it has waited 0.3 s for a task,
# after its first; under `mpirun --enable-recovery`, which lets the other
# ranks live on): round 0's tasks are dealt as fast as workers ask, so it
# dies waiting for round 1, which the coordinator is slow to plan
# (AR_COORD_STALL_S); the part of round 1's shared task dealt to it fails to
# send ("not connected"), the other parts start, the dead worker is declared
# lost after the heartbeat timeout, the task is taken back and run again:
# the same result. (Before, that failed send ended the job.)
# mpirun --enable-recovery does not end after MPI_Abort: `timeout` ends it.
sed -e "s#lost.h5#idle.h5#" "$tmp/lost.toml" > "$tmp/idle.toml"
AR_COORD_STALL_S=1 AR_FAULT=3:1:kill-idle timeout 30 mpirun --enable-recovery -np 5 --oversubscribe \
  "$bin" "$tmp/idle.toml" > "$tmp/idle.out" 2> "$tmp/idle.err" || true
for want in "worker r3 .* declared lost" "the job completed (.*idle.h5 written) but a worker was lost"; do
  grep -q "$want" "$tmp/idle.err" || { echo "FAIL: killed idle: no '$want'"; cat "$tmp/idle.err"; exit 1; }
done
/usr/bin/python3 "$here/check_repair.py" --parts-vary "$tmp/np5.h5" "$tmp/idle.h5"
grep -q "part [0-9]* of [0-9]* of task [0-9]* not sent (send to worker r3: not connected)" "$tmp/idle.err" ||
  { echo "FAIL: killed idle: no shared part failed to send to r3"; cat "$tmp/idle.err"; exit 1; }
all_ended "$tmp/idle.err"
ls "$tmp"/*cand* 2>/dev/null && { echo "FAIL: candidate files left"; exit 1; }
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
