#!/usr/bin/env bash
# run_mpi_stats.sh BIN TMP STRANGER - the stats job under real mpirun at
# -np 1, 2, 3 and 4 (ipc://) and at -np 3 over TCP (bound by interface name
# "lo"): every run succeeds and writes the same /stats, and the clean set's
# numbers equal numpy's exact answer. Then a TCP run is attacked while it
# runs by STRANGER (peers without the job's keys sending forged messages):
# they must be refused and the output must still be exact.
set -euo pipefail
bin=$1
stranger=$3
tmp=$2/dist-stats
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
py=/usr/bin/python3
$py "$here/check_stats.py" make "$tmp/data.h5"
limit=600 shard=64

job() { # job NAME [LIMIT SHARD LOGLEVEL] -> path of a job file writing $tmp/NAME.h5
  cat > "$tmp/$1.toml" <<TOML
[job]
kind = "stats"
name = "dist stats test"
seed = 11
output = "$tmp/$1.h5"
[data]
path = "$tmp/data.h5"
limit = ${2:-$limit}
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "contrast"]
severities = [1, 3]
[run]
shard_size = ${3:-$shard}
log_level = "${4:-info}"
heartbeat_s = 0.2
heartbeat_timeout_s = 5.0
TOML
  echo "$tmp/$1.toml"
}

outs=()
for np in 1 2 3 4; do
  ar_mpi_job "$bin" $np 120 "$(job np$np)" "$tmp/np$np"
  grep -q "progress: 50/50 tasks done" "$tmp/np$np.err" || { echo "FAIL: no final progress line"; cat "$tmp/np$np.err"; exit 1; }
  outs+=("$tmp/np$np.h5")
done
AR_ZMQ_TRANSPORT=tcp AR_ZMQ_ADDRESS=lo timeout 120 mpirun -np 3 --oversubscribe "$bin" "$(job tcp3)" >"$tmp/tcp3.out" 2>"$tmp/tcp3.err" \
  || { echo "FAIL: -np 3 over tcp"; cat "$tmp/tcp3.err"; exit 1; }
grep -q "endpoint tcp://127.0.0.1:" "$tmp/tcp3.err" || { echo "FAIL: tcp endpoint not used"; cat "$tmp/tcp3.err"; exit 1; }
grep -q "endpoint ipc://" "$tmp/np2.err" || { echo "FAIL: ipc endpoint not used"; exit 1; }
outs+=("$tmp/tcp3.h5")

# dynamic load balancing: with worker r2 a straggler (50 ms per task), the
# credit scheme gives r1 more tasks (round-robin would split 25/25); the
# result is still the same
AR_FAULT=2:0:slow timeout 120 mpirun -np 3 --oversubscribe "$bin" "$(job straggler)" >"$tmp/straggler.out" 2>"$tmp/straggler.err" \
  || { echo "FAIL: straggler run"; cat "$tmp/straggler.err"; exit 1; }
t1=$(sed -n 's/.*worker r1 ([^)]*): \([0-9]*\) tasks.*/\1/p' "$tmp/straggler.err")
t2=$(sed -n 's/.*worker r2 ([^)]*): \([0-9]*\) tasks.*/\1/p' "$tmp/straggler.err")
echo "straggler run: r1 $t1 tasks, r2 (50 ms/task) $t2 tasks"
[ -n "$t1" ] && [ -n "$t2" ] && [ "$t1" -ge $((t2 + 10)) ] && [ $((t1 + t2)) -eq 50 ] \
  || { echo "FAIL: tasks not balanced by credit"; cat "$tmp/straggler.err"; exit 1; }
outs+=("$tmp/straggler.h5")
$py "$here/check_stats.py" check "$tmp/data.h5" $limit $shard "${outs[@]}"

# the attack: a TCP run paced to last ~2.5 s (100 tasks, every worker
# sleeping 50 ms per task), strangers hammering its task and heartbeat
# endpoints meanwhile
AR_FAULT='*:0:slow' AR_ZMQ_TRANSPORT=tcp timeout 120 mpirun -np 3 --oversubscribe "$bin" "$(job attacked 1000 50 debug)" \
  >"$tmp/attacked.out" 2>"$tmp/attacked.err" &
job_pid=$!
for _ in $(seq 100); do grep -q "coordinator public key" "$tmp/attacked.err" && break; sleep 0.1; done
ep=$(sed -n 's/.*endpoint \(tcp:[^ ,]*\) .*/\1/p' "$tmp/attacked.err")
hb=$(sed -n 's/.*(heartbeats \(tcp:[^ ,)]*\)).*/\1/p' "$tmp/attacked.err")
key=$(sed -n 's/.*coordinator public key \(.*\)$/\1/p' "$tmp/attacked.err")
[ -n "$ep" ] && [ -n "$hb" ] && [ -n "$key" ] || { echo "FAIL: no endpoints/key in the log"; cat "$tmp/attacked.err"; exit 1; }
"$stranger" "$hb" "$key" 1.0 & hb_pid=$!
"$stranger" "$ep" "$key" 1.5 || { echo "FAIL: a stranger got an answer"; exit 1; }
wait $hb_pid || { echo "FAIL: a stranger got an answer on the heartbeat endpoint"; exit 1; }
wait $job_pid || { echo "FAIL: attacked run failed"; cat "$tmp/attacked.err"; exit 1; }
grep -q "progress: 100/100 tasks done" "$tmp/attacked.err" || { echo "FAIL: attacked run incomplete"; exit 1; }
grep -Eq "refused|rejected|unexpected|claiming" "$tmp/attacked.err" && { echo "FAIL: a stranger's message reached the coordinator"; exit 1; }
$py "$here/check_stats.py" check "$tmp/data.h5" 1000 50 "$tmp/attacked.h5"
ls "$tmp"/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
rm -rf "$tmp"
echo "PASS"
