#!/usr/bin/env bash
# run_mpi_stats.sh BIN TMP - the stats job under real mpirun at -np 1, 2, 3
# and 4 (ipc://) and at -np 3 over TCP: every run succeeds and writes the
# same /stats, and the clean set's numbers equal numpy's exact answer.
set -euo pipefail
bin=$1
tmp=$2/dist-stats
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
py=/usr/bin/python3
$py "$here/check_stats.py" make "$tmp/data.h5"
limit=600 shard=64

job() { # job NAME -> path of a job file writing $tmp/NAME.h5
  cat > "$tmp/$1.toml" <<TOML
[job]
kind = "stats"
name = "dist stats test"
seed = 11
output = "$tmp/$1.h5"
[data]
path = "$tmp/data.h5"
limit = $limit
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "contrast"]
severities = [1, 3]
[run]
shard_size = $shard
heartbeat_s = 0.2
heartbeat_timeout_s = 5.0
TOML
  echo "$tmp/$1.toml"
}

outs=()
for np in 1 2 3 4; do
  start=$(date +%s.%N)
  if ! timeout 120 mpirun -np $np --oversubscribe "$bin" "$(job np$np)" >"$tmp/np$np.out" 2>"$tmp/np$np.err"; then
    echo "FAIL: -np $np exited non-zero"; cat "$tmp/np$np.err"; exit 1
  fi
  echo "-np $np: $(awk "BEGIN{print $(date +%s.%N) - $start}") s"
  grep -q "progress: 50/50 tasks done" "$tmp/np$np.err" || { echo "FAIL: no final progress line"; cat "$tmp/np$np.err"; exit 1; }
  outs+=("$tmp/np$np.h5")
done
AR_ZMQ_TRANSPORT=tcp timeout 120 mpirun -np 3 --oversubscribe "$bin" "$(job tcp3)" >"$tmp/tcp3.out" 2>"$tmp/tcp3.err" \
  || { echo "FAIL: -np 3 over tcp"; cat "$tmp/tcp3.err"; exit 1; }
grep -q "endpoint tcp://127.0.0.1:" "$tmp/tcp3.err" || { echo "FAIL: tcp endpoint not used"; cat "$tmp/tcp3.err"; exit 1; }
grep -q "endpoint ipc://" "$tmp/np2.err" || { echo "FAIL: ipc endpoint not used"; exit 1; }
outs+=("$tmp/tcp3.h5")
$py "$here/check_stats.py" check "$tmp/data.h5" $limit $shard "${outs[@]}"
ls "$tmp"/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
rm -rf "$tmp"
echo "PASS"
