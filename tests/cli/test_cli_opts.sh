#!/usr/bin/env bash
# test_cli_opts.sh - the option parsing of both binaries (core/cliopt.h):
# "--opt value" and "--opt=value" alike, options anywhere among the
# positionals, numbers parsed strictly, usage errors exit 2 with one line
# naming the option, runtime errors exit 1, --version with git describe.
# Usage: test_cli_opts.sh ARCHREPAIR ARCHREPAIR_COORD SOURCE_DIR TMP_DIR
set -u
bin=$1 coord=$2 src=$3 tmp=$4/cli_opts
rm -rf "$tmp" && mkdir -p "$tmp"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect RC NAME WORD... -- CMD...: exit status RC; with RC != 0 stderr is
# one line holding every WORD, with RC 0 stdout holds every WORD.
expect() {
  local want=$1 name=$2; shift 2
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ $rc -ne "$want" ]; then bad "$name: exit $rc, expected $want: $(head -c 300 "$tmp/err")"; return; fi
  local f=$tmp/out
  if [ "$want" -ne 0 ]; then
    f=$tmp/err
    local lines; lines=$(wc -l <"$tmp/err")
    if [ "$lines" -ne 1 ]; then bad "$name: stderr has $lines lines: $(cat "$tmp/err")"; return; fi
  fi
  for w in "${words[@]}"; do
    if ! grep -qF -- "$w" "$f"; then bad "$name: output lacks '$w': $(head -c 300 "$f")"; return; fi
  done
  ok
}

# ---- --version: the project version and git describe of the build -------
expect 0 "archrepair --version" "archrepair 0." -- "$bin" --version
expect 0 "archrepair-coord --version" "archrepair 0." -- "$coord" --version
if desc=$(git -C "$src" describe --always --tags 2>/dev/null); then
  expect 0 "--version has git describe" "($desc" -- "$bin" --version
  expect 0 "coord --version has git describe" "($desc" -- "$coord" --version
fi
expect 0 "coord --help" "usage: mpirun -np N archrepair-coord [--resume] JOB.toml" -- "$coord" --help
expect 2 "coord no job" "archrepair-coord: needs one JOB.toml" -- "$coord"
expect 2 "coord two jobs" "unexpected argument 'b.toml'" -- "$coord" a.toml b.toml
expect 2 "coord unknown option" "archrepair-coord: unknown option '--resumex'" -- "$coord" --resumex a.toml
expect 2 "coord flag with value" "option '--version' takes no value" -- "$coord" --version=1
# (this one starts MPI: Open MPI's own allocations are no leaks of ours)
expect 1 "coord missing job file: runtime error" "nope.toml" -- \
  env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$coord" "$tmp/nope.toml"

# ---- a tiny dataset and model (CIFAR-10 bin, 8 images) and a collection --
c=$tmp/cifar; mkdir -p "$c"
for i in 1 2 3 4 5; do head -c $((8 * 3073)) /dev/urandom >"$c/data_batch_$i.bin"; done
head -c $((8 * 3073)) /dev/urandom >"$c/test_batch.bin"
# labels must be 0..9: rewrite the first byte of every record
/usr/bin/python3 - "$c" <<'PY'
import sys, os
for f in os.listdir(sys.argv[1]):
    p = os.path.join(sys.argv[1], f); b = bytearray(open(p, "rb").read())
    for r in range(0, len(b), 3073): b[r] = (r // 3073) % 10
    open(p, "wb").write(bytes(b))
PY
m=$tmp/m.h5
expect 0 "train with = forms" "trained 1 epochs" -- \
  "$bin" train resnet20 "$c" --out="$m" --epochs=1 --batch=4 --width=0.25 --limit=8 --test-limit 8 --seed=3 --lr=0.01 --augment=off
expect 0 "eval, options before the positionals" "accuracy" -- "$bin" eval --batch=3 --limit 8 "$m" "$c"
expect 0 "eval on the fly, = forms" "accuracy" -- "$bin" eval "$m" "$c" --corruption=fog --severity=2 --seed=4 --limit=4 --threads=2
expect 0 "eval -- ends the options" "accuracy" -- "$bin" eval --limit 2 -- "$m" "$c"

# ---- strict numbers: rejected with exit 2 and the option named -----------
expect 2 "trailing junk" "archrepair train: --epochs: '3x' is not an integer" -- "$bin" train resnet20 "$c" --out "$m" --epochs 3x
expect 2 "empty" "--epochs: '' is not an integer" -- "$bin" train resnet20 "$c" --out "$m" --epochs ''
expect 2 "empty after =" "--epochs: '' is not an integer" -- "$bin" train resnet20 "$c" --out "$m" --epochs=
expect 2 "leading space" "--batch: ' 4' is not an integer" -- "$bin" eval "$m" "$c" --batch ' 4'
expect 2 "hex" "--limit: '0x10' is not an integer" -- "$bin" eval "$m" "$c" --limit 0x10
expect 2 "int overflow" "--epochs: 99999999999 is out of range" -- "$bin" train resnet20 "$c" --out "$m" --epochs 99999999999
expect 2 "long long overflow" "--seed: 99999999999999999999 is out of range" -- "$bin" eval "$m" "$c" --seed 99999999999999999999
expect 2 "negative epochs" "--epochs: -1 is out of range" -- "$bin" train resnet20 "$c" --out "$m" --epochs=-1
expect 2 "negative seed" "--seed: -5 is out of range" -- "$bin" corrupt "$c" "$tmp/x.h5" --seed -5
expect 2 "zero batch" "--batch: 0 is out of range" -- "$bin" predict "$m" a.h5 b.h5 --batch 0
expect 2 "threads beyond the pool" "--threads: 65 is out of range (1..64)" -- "$bin" eval "$m" "$c" --threads 65
expect 2 "severity 6" "--severity: 6 is out of range (1..5)" -- "$bin" eval "$m" "$c" --severity 6
expect 2 "float for an integer" "--limit: '2.5' is not an integer" -- "$bin" corrupt "$c" "$tmp/x.h5" --limit 2.5
expect 2 "negative lr" "--lr: -0.1 must be positive" -- "$bin" train resnet20 "$c" --out "$m" --lr -0.1
expect 2 "zero width" "--width: 0 must be positive" -- "$bin" train resnet20 "$c" --out "$m" --width=0
expect 2 "negative wd" "--wd: -1 must not be negative" -- "$bin" train resnet20 "$c" --out "$m" --wd -1
expect 2 "lr junk" "--lr: '0.1.2' is not a number" -- "$bin" train resnet20 "$c" --out "$m" --lr 0.1.2
expect 2 "lr nan" "--lr: 'nan' is not a number" -- "$bin" train resnet20 "$c" --out "$m" --lr nan
expect 2 "lr inf" "--lr: 'inf' is not a number" -- "$bin" train resnet20 "$c" --out "$m" --lr inf
expect 2 "lr overflow" "--lr: 1e999 is out of range" -- "$bin" train resnet20 "$c" --out "$m" --lr 1e999
expect 2 "info severity" "--severity: 'two' is not an integer" -- "$bin" info "$c" --severity two

# ---- option syntax ---------------------------------------------------------
expect 2 "unknown option" "archrepair eval: unknown option '--bogus'" -- "$bin" eval "$m" "$c" --bogus 1
expect 2 "unknown option with =" "unknown option '--bogus'" -- "$bin" eval "$m" "$c" --bogus=1
expect 2 "unknown short option" "unknown option '-x'" -- "$bin" eval "$m" "$c" -x
expect 2 "missing value" "option '--out' needs a value" -- "$bin" train resnet20 "$c" --out
expect 2 "flag with a value" "option '--nesterov' takes no value" -- "$bin" train resnet20 "$c" --out "$m" --nesterov=1
expect 2 "ambiguous prefix" "ambiguous option '--s'" -- "$bin" eval "$m" "$c" --s 3
expect 2 "too many positionals" "unexpected argument 'extra'" -- "$bin" eval "$m" "$c" extra
expect 2 "too few positionals" "needs MODEL and DATA" -- "$bin" eval "$m"
expect 2 "bad word value" "--optim must be sgd or adam" -- "$bin" train resnet20 "$c" --out "$m" --optim=rmsprop
expect 2 "config flags" "expected 'check [--no-files] JOB.toml'" -- "$bin" config --doc extra
expect 0 "config --no-files before check" "valid" -- "$bin" config --no-files check "$src/configs/cifar10c.toml"
expect 0 "corrupt = forms" -- "$bin" corrupt "$c" "$tmp/x.h5" --names=fog --severities=1 --limit=2 --seed=2 --threads=2 --quiet
expect 0 "info = forms" "fog/1" "images:       2" -- "$bin" info "$tmp/x.h5" --corruption=fog --severity=1

# ---- config plan: a repair job's schedule (docs/distributed.md) --------------
sed -e 's/^\[repair\]/[repair]\nmicro_batch = 8/' "$src/configs/fashion-mnist-repair.toml" >"$tmp/mb8.toml"
# 6 candidates (archrepair 2, finetune 1, block-weights 2, bn-adapt 1), batch 64 / 8: at most 8
# workers each; 16 ranks = 15 workers: rung 0 gives 3,3,3,2,2 and 1 (bn-adapt), rung 1's 3
# candidates 5 each; archrepair's 4 whole-network epochs (its default) count in its work
expect 0 "config plan 16 ranks" "15 workers" "up to 8 workers per candidate" "(6 candidates)" \
  "then the whole network (repair.finetune_all_epochs): archrepair 4 epochs at the last rung" \
  "0              6            3            1-3      1       1.67" "1              3            6              5      1" \
  -- "$bin" config plan "$tmp/mb8.toml" --ranks 16 --no-files
# an explicit repair.finetune_all_epochs applies to every method but finetune and bn-adapt; 0 = none
sed -e 's/^\[repair\]/[repair]\nfinetune_all_epochs = 2/' "$tmp/mb8.toml" >"$tmp/fa2.toml"
expect 0 "config plan, finetune_all_epochs = 2" \
  "then the whole network (repair.finetune_all_epochs): archrepair 2, block-weights 2 epochs at the last rung" \
  -- "$bin" config plan "$tmp/fa2.toml" --ranks 16 --no-files
sed -e 's/^\[repair\]/[repair]\nfinetune_all_epochs = 0/' "$tmp/mb8.toml" >"$tmp/fa0.toml"
if "$bin" config plan "$tmp/fa0.toml" --ranks 16 --no-files | grep -q "then the whole network"; then
  bad "config plan, finetune_all_epochs = 0: names whole-network epochs"
else ok; fi
# repair.ranking = "probe": a round of 9 block probes (the reference model's blocks) before rung 0,
# 15 workers over 9 tasks: 1-2 each; without the model the block count is not known
sed -e 's/^\[repair\]/[repair]\nranking = "probe"/' "$tmp/mb8.toml" >"$tmp/probe.toml"
expect 0 "config plan with probes" "probe          9            2            1-2      1" \
  "0              6            3            1-3      1" -- bash -c "cd \"$src\" && \"$bin\" config plan \"$tmp/probe.toml\" --ranks 16"
expect 0 "config plan with probes, no files" "one block-weights task of 2 epochs per block: the model was not read" \
  -- "$bin" config plan "$tmp/probe.toml" --ranks 16 --no-files
expect 0 "config plan 2 ranks: one worker" "1 workers" "100%" -- "$bin" config plan "$tmp/mb8.toml" --ranks=2 --no-files
expect 2 "config plan without ranks" "plan needs --ranks N" -- "$bin" config plan "$tmp/mb8.toml"
expect 1 "config plan of an evaluate job" "plan is for repair jobs" -- "$bin" config plan "$src/configs/cifar10c.toml" --ranks 4 --no-files

# ---- runtime errors keep status 1 -----------------------------------------
expect 1 "missing model: runtime error" "archrepair eval:" "nope.h5" -- "$bin" eval "$tmp/nope.h5" "$c"
expect 1 "missing data: runtime error" "archrepair info:" "no such file" -- "$bin" info "$tmp/nope"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
