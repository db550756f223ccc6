#!/usr/bin/env bash
# run_mpi_resume.sh BIN MAKE_FIXTURE TMP [KILLS] - checkpoint and resume of a
# small repair job (localization, 2 rungs of successive halving, the final
# evaluation) under real mpirun -np 3:
#   kill -9 of rank 0 at a random moment, KILLS times (default 2), then
#     --resume (or a fresh start when no checkpoint was written yet): the
#     result equals the uninterrupted run's in every dataset
#     (tools/compare_results.py);
#   SIGTERM to mpirun: exit non-zero within 10 s with a checkpoint and no
#     temporary file, and the resumed result is the same again;
#   --resume refuses, with one line, a changed input file (mtime, then
#     contents) and a changed job file; a missing checkpoint too.
# `KILLS=5 bash run_mpi_resume.sh ...` is the longer record.
set -uo pipefail
bin=$1 mk=$2
tmp=$3/repair-resume
kills=${4:-${KILLS:-2}}
here=$(cd "$(dirname "$0")" && pwd)
cmp=$here/../../tools/compare_results.py
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
"$mk" "$tmp" >/dev/null || exit 1
fail() { echo "FAIL: $*"; exit 1; }
now() { date +%s.%N; }

# Every run has its own directory with the same job.toml writing out.h5 there
# (the result records the job text, so it must be the same text).
job() { # job NAME
  mkdir -p "$tmp/$1"
  cat > "$tmp/$1/job.toml" <<TOML
[job]
kind = "repair"
seed = 5
output = "out.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 60
batch_size = 30
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise"]
severities = [2]
[repair]
pool = 100
val = 40
failing = 30
sample = 20
top_k = 2
nodes = [1, 2]
ops = ["none", "skip_connect", "conv_3x3"]
rungs = 2
search_epochs = 2
finetune_epochs = 1
batch = 25
[run]
blas_threads = 1
shard_size = 30
checkpoint_s = 0.3
heartbeat_s = 0.2
heartbeat_timeout_s = 5
TOML
}

run() { # run NAME [--resume]: runs to the end, else fails the test
  local name=$1; shift
  (cd "$tmp/$name" && timeout 120 mpirun -np 3 --oversubscribe "$bin" "$@" job.toml \
    >>log.out 2>>log.err) || { cat "$tmp/$name/log.err"; fail "$name $* exited non-zero"; }
}

start() { # start NAME: runs it in the background; the pid of timeout(1) in $mp
  (cd "$tmp/$1" && exec timeout 120 mpirun -np 3 --oversubscribe "$bin" job.toml >log.out 2>log.err) &
  mp=$!
}

mpirun_of() { # the mpirun under timeout $1
  pgrep -P "$1" | head -1
}

rank0() { # the pid of rank 0 under mpirun $1
  local p
  for p in $(pgrep -P "$1"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=0 && { echo "$p"; return; }
  done
}

no_tmp() { # no temporary file left beside an output
  ls "$tmp"/*/*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls "$tmp"/*/*.tmp.*)"
  return 0
}

job ref
t0=$(now)
run ref
total=$(awk "BEGIN{print $(now) - $t0}")
echo "uninterrupted: $total s"
ls "$tmp"/ref/out.h5.* >/dev/null 2>&1 && fail "files left by a complete job: $(ls "$tmp"/ref/out.h5.*)"

# kill -9 of rank 0 at random moments: after a random number of the
# coordinator's progress lines (rounds, candidate results, checkpoints; the
# uninterrupted run printed $events), plus a random 0-0.2 s
events_re='r0 INFO \] (round|checkpoint|repair: cand)'
events=$(grep -Ec "$events_re" "$tmp/ref/log.err")
for k in $(seq 1 "$kills"); do
  name=kill$k
  d=$tmp/$name
  job $name
  after=$(( 2 + RANDOM % (events - 3) ))
  extra=$(awk -v s=$RANDOM 'BEGIN{srand(s); printf "%.2f", rand() * 0.2}')
  start $name
  t0=$(now)
  while [ "$(grep -Ec "$events_re" "$d/log.err" 2>/dev/null)" -lt "$after" ] && kill -0 $mp 2>/dev/null; do
    sleep 0.02
  done
  sleep "$extra"
  at=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}")
  pid=$(rank0 "$(mpirun_of $mp)")
  if [ -n "$pid" ]; then kill -9 "$pid"; fi
  wait $mp
  rc=$?
  if [ -f "$d/out.h5.ckpt" ]; then
    how=resumed
    run $name --resume
  elif [ -f "$d/out.h5" ]; then
    how="finished before the kill"
  else
    how="no checkpoint yet, started afresh"
    run $name
  fi
  before=$(sed -n 's/.*resuming from .*: \([0-9]*\) tasks done before.*/\1/p' "$d/log.err")
  /usr/bin/python3 "$cmp" "$tmp/ref/out.h5" "$d/out.h5" >"$d/cmp" 2>&1 ||
    { cat "$d/cmp" "$d/log.err"; fail "kill -9 at $at s: the resumed result differs"; }
  [ -e "$d/out.h5.ckpt" ] && fail "checkpoint left after the resumed job completed"
  ls "$d"/out.h5.cand* >/dev/null 2>&1 && fail "candidate files left"
  no_tmp
  echo "ok   kill -9 of rank 0 after event $after/$events + ${extra} s ($at s; mpirun exit $rc): $how${before:+ ($before tasks from the checkpoint)}, same result"
done

# SIGTERM to mpirun while both workers are in a long task (AR_FAULT "long":
# their 5th task runs until cancelled), after checkpoints were written
job term
d=$tmp/term
AR_FAULT="*:4:long" start term
for _ in $(seq 1 300); do grep -q "checkpoint (" "$d/log.err" && break; sleep 0.05; done
grep -q "checkpoint (" "$d/log.err" || fail "no checkpoint was written"
sleep 0.5
t0=$(now)
kill -TERM "$(mpirun_of $mp)"
wait $mp
rc=$?
secs=$(awk "BEGIN{printf \"%.2f\", $(now) - $t0}")
[ $rc -ne 0 ] || fail "SIGTERM: exit status 0"
awk "BEGIN{exit !($secs <= 10)}" || fail "SIGTERM: took $secs s to exit"
[ -f "$d/out.h5.ckpt" ] || { cat "$d/log.err"; fail "SIGTERM: no checkpoint"; }
[ -f "$d/out.h5" ] && fail "SIGTERM: an output was written"
no_tmp
grep -q "interrupted by SIGTERM" "$d/log.err" || { cat "$d/log.err"; fail "SIGTERM: the cause is not reported"; }
echo "ok   SIGTERM to mpirun: exit $rc after $secs s, checkpoint $(stat -c %s "$d/out.h5.ckpt") bytes"

# --resume refuses changed inputs and a changed job, with one line
refuse() { # refuse WHAT PATTERN
  if (cd "$d" && timeout 60 mpirun -np 2 --oversubscribe "$bin" --resume job.toml >refuse.out 2>refuse.err); then
    fail "--resume accepted $1"
  fi
  grep -Eq "$2" "$d/refuse.err" || { cat "$d/refuse.err"; fail "--resume with $1: no clear message"; }
  [ "$(grep -c "archrepair-coord:" "$d/refuse.err")" = 1 ] || { cat "$d/refuse.err"; fail "not one line"; }
  echo "ok   --resume refuses $1: $(grep "archrepair-coord:" "$d/refuse.err")"
}
cp -p "$tmp/data.h5" "$tmp/data.keep"
touch "$tmp/data.h5"
refuse "a touched data file" "cannot resume from out.h5.ckpt: input .*data.h5 changed since the checkpoint \(other modification time\)"
cp "$tmp/data.keep" "$tmp/data.h5"
printf '\x01' | dd of="$tmp/data.h5" bs=1 seek=3000 conv=notrunc status=none
touch -r "$tmp/data.keep" "$tmp/data.h5"
refuse "a data file with other contents" "input .*data.h5 changed since the checkpoint \(other contents\)"
cp -p "$tmp/data.keep" "$tmp/data.h5"
cp -p "$d/job.toml" "$d/job.keep"
sed -i 's/^seed = 5/seed = 6/' "$d/job.toml"
refuse "a changed job file" "cannot resume: job.toml is not the job file checkpoint out.h5.ckpt was written for"
cp -p "$d/job.keep" "$d/job.toml"
run term --resume
/usr/bin/python3 "$cmp" "$tmp/ref/out.h5" "$d/out.h5" >"$d/cmp" 2>&1 ||
  { cat "$d/cmp"; fail "after SIGTERM: the resumed result differs"; }
echo "ok   resumed after SIGTERM: same result"
refuse "a job without a checkpoint" "cannot resume: no checkpoint out.h5.ckpt"
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
