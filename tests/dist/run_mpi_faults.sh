#!/usr/bin/env bash
# run_mpi_faults.sh BIN TMP - how jobs end when things go wrong, under real
# mpirun. Every case must exit non-zero within its bound, name the rank
# (and host) at fault, and leave no output file (nor a temporary one; the checkpoint of what
# finished stays, for --resume):
#   a worker's task fails (ERROR)           -> its rank, host and message
#   a worker stops (SIGSTOP: no heartbeats) -> declared lost after heartbeat_timeout,
#                                              its tasks re-run elsewhere: same result
#   a worker is killed (SIGKILL)            -> named, job ends
#   a worker is stuck in a task (heartbeats
#   go on; run.task_timeout_s = 2)          -> task, rank, host named
#   the in-process worker of -np 1 fails    -> named r0
#   an invalid job file                     -> the key and line
#   a missing model (coordinator fails)     -> the file, clean and quick end
# Faults are injected with AR_FAULT=<rank>:<after tasks>:<error|stop|kill|hang>.
set -uo pipefail
bin=$1
tmp=$2/dist-faults
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
/usr/bin/python3 "$here/check_stats.py" make "$tmp/data.h5" || exit 1
fail=0
cat > "$tmp/job.toml" <<TOML
[job]
kind = "stats"
seed = 3
output = "$tmp/out.h5"
[data]
path = "$tmp/data.h5"
limit = 600
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "contrast"]
severities = [1, 3]
[run]
shard_size = 8
heartbeat_s = 0.2
heartbeat_timeout_s = 3.0
TOML

alive() { # a process that exists and is not a zombie
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case "$st" in Z*) return 1 ;; esac
  return 0
}

# expect NAME NP FAULT BOUND_S PATTERN... : runs, checks rc, time, messages, no output
expect() {
  local name=$1 np=$2 fault=$3 bound=$4; shift 4
  local start end rc
  start=$(date +%s.%N)
  AR_FAULT=$fault timeout 120 mpirun -np "$np" --oversubscribe "$bin" "${JOB:-$tmp/job.toml}" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
  end=$(date +%s.%N)
  local secs
  secs=$(awk "BEGIN{printf \"%.1f\", $end - $start}")
  local ok=1
  [ $rc -ne 0 ] || { echo "FAIL $name: exit status 0"; ok=0; }
  [ $rc -ne 124 ] || { echo "FAIL $name: hung (killed by timeout)"; ok=0; }
  awk "BEGIN{exit !($secs <= $bound)}" || { echo "FAIL $name: took $secs s (bound $bound s)"; ok=0; }
  for pat in "$@"; do
    grep -Eq "$pat" "$tmp/$name.err" || { echo "FAIL $name: stderr lacks /$pat/"; ok=0; }
  done
  # the checkpoint of the tasks done (out.h5.ckpt) stays for --resume
  local left
  left=$(ls "$tmp"/out.h5* 2>/dev/null | grep -v '/out\.h5\.ckpt$')
  if [ -n "$left" ]; then echo "FAIL $name: output left: $left"; ok=0; fi
  # no worker may outlive the job
  # no worker may outlive the job (allow a few seconds for mpirun's cleanup)
  for pid in $(sed -n 's/.*joined: host .* pid \([0-9]*\),.*/\1/p' "$tmp/$name.err"); do
    local waited=0
    while alive "$pid" && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    if alive "$pid"; then echo "FAIL $name: pid $pid still alive"; kill -9 "$pid"; ok=0; fi
  done
  if [ $ok = 1 ]; then echo "ok   $name: exit $rc after $secs s"; else fail=1; sed 's/^/    /' "$tmp/$name.err" | head -30; fi
}

host=$(hostname)
expect error 3 2:3:error 30 "archrepair-coord: error: worker r2 on [^ ]+ failed: task [0-9]+ \(stats\): injected fault"
expect kill 3 1:2:kill 30 "rank 1|worker r1"
sed 's/^shard_size = 8/shard_size = 8\ntask_timeout_s = 2.0/' "$tmp/job.toml" > "$tmp/hang.toml"
JOB=$tmp/hang.toml expect hang 3 2:3:hang 15 \
  "task [0-9]+ \(stats\) on worker r2 \([^,]+, pid [0-9]+\): no result for [0-9.]+ s \(limit 2.0 s\)" "MPI_ABORT|aborting the job"
expect inproc 1 0:2:error 30 "worker r0 on [^ ]+ failed: task [0-9]+ \(stats\): injected fault"

# a worker that stops (SIGSTOP: alive but silent) is declared lost after the
# heartbeat timeout and its tasks go back to the queue: the other worker
# completes the job with the same numbers; a lost rank cannot take part in
# MPI_Finalize, so the job still ends with MPI_Abort (non-zero)
timeout 60 mpirun -np 2 --oversubscribe "$bin" "$tmp/job.toml" >"$tmp/ref.out" 2>"$tmp/ref.err" && mv "$tmp/out.h5" "$tmp/ref.h5"
start=$(date +%s)
AR_FAULT=2:3:stop timeout 60 mpirun -np 3 --oversubscribe "$bin" "$tmp/job.toml" >"$tmp/stop.out" 2>"$tmp/stop.err"
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $secs -le 20 ] &&
   grep -Eq "worker r2 \([^,]+, pid [0-9]+\) silent for [0-9.]+ s \(limit 3.0 s\): declared lost; its [0-9]+ task\(s\) go back to the queue" "$tmp/stop.err" &&
   grep -q "the job completed (.*out.h5 written) but a worker was lost" "$tmp/stop.err" &&
   [ -f "$tmp/ref.h5" ] && /usr/bin/python3 "$here/../../tools/compare_results.py" "$tmp/ref.h5" "$tmp/out.h5" >/dev/null &&
   cmp -s "$tmp/ref.out" "$tmp/stop.out"; then
  echo "ok   stop: worker r2 lost, its tasks re-run, same result; exit $rc after $secs s"
else
  echo "FAIL stop: rc $rc after $secs s"; cat "$tmp/stop.err"; fail=1
fi
for pid in $(sed -n 's/.*joined: host .* pid \([0-9]*\),.*/\1/p' "$tmp/stop.err"); do
  alive "$pid" && { echo "FAIL stop: pid $pid still alive"; kill -9 "$pid"; fail=1; }
done
rm -f "$tmp/out.h5"

# a worker killed under `mpirun --enable-recovery` (Open MPI 4.1 then lets
# the other ranks live on): the same as a stopped one, the job completes
AR_FAULT=2:3:kill timeout 60 mpirun --enable-recovery -np 3 --oversubscribe "$bin" "$tmp/job.toml" >"$tmp/recovery.out" 2>"$tmp/recovery.err"
rc=$?
if grep -q "declared lost; its [0-9]* task(s) go back to the queue" "$tmp/recovery.err" &&
   /usr/bin/python3 "$here/../../tools/compare_results.py" "$tmp/ref.h5" "$tmp/out.h5" >/dev/null &&
   cmp -s "$tmp/ref.out" "$tmp/recovery.out"; then
  echo "ok   kill under --enable-recovery: worker r2 lost, its tasks re-run, same result; mpirun exit $rc"
else
  echo "FAIL kill under --enable-recovery: rc $rc"; cat "$tmp/recovery.err"; fail=1
fi
rm -f "$tmp/out.h5" "$tmp/ref.h5"

# an invalid job: one line naming the key, non-zero exit, no hang
sed 's/^shard_size = 8/shard_sise = 8/' "$tmp/job.toml" > "$tmp/bad.toml"
timeout 60 mpirun -np 2 --oversubscribe "$bin" "$tmp/bad.toml" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "bad.toml:[0-9]*:.*shard_sise" "$tmp/bad.err"; then
  echo "ok   bad-job: exit $rc"
else
  echo "FAIL bad-job: rc $rc"; cat "$tmp/bad.err"; fail=1
fi

# a job that fails on the coordinator before any task (missing model): the
# workers that are joining are still told to stop, so it ends quickly and
# cleanly (no MPI_Abort), naming the file
sed -e 's/^kind = "stats"/kind = "evaluate"/' -e "s|^\[data\]|[model]\npath = \"$tmp/no-such-model.h5\"\n[data]|" \
  "$tmp/job.toml" > "$tmp/nomodel.toml"
start=$(date +%s)
timeout 60 mpirun -np 3 --oversubscribe "$bin" "$tmp/nomodel.toml" >"$tmp/nomodel.out" 2>"$tmp/nomodel.err"
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -ne 0 ] && [ $secs -le 15 ] && grep -q "no-such-model.h5" "$tmp/nomodel.err" && ! grep -q MPI_ABORT "$tmp/nomodel.err"; then
  echo "ok   no-model: exit $rc after $secs s"
else
  echo "FAIL no-model: rc $rc after $secs s"; cat "$tmp/nomodel.err"; fail=1
fi

# the coordinator busy for 5 s (AR_COORD_STALL_S: planning round 1) with
# heartbeat_timeout_s = 3: its heartbeat thread answers meanwhile, so no
# worker gives up and the job completes
start=$(date +%s)
AR_COORD_STALL_S=5 timeout 60 mpirun -np 3 --oversubscribe "$bin" "$tmp/job.toml" >"$tmp/stall.out" 2>"$tmp/stall.err"
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ] && [ $secs -ge 5 ] && [ -f "$tmp/out.h5" ]; then
  echo "ok   coordinator busy 5 s, heartbeat timeout 3 s: completed after $secs s"
else
  echo "FAIL coordinator-stall: rc $rc after $secs s"; cat "$tmp/stall.err"; fail=1
fi

[ $fail = 0 ] && rm -rf "$tmp" && echo PASS
exit $fail
