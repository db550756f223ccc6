#!/usr/bin/env bash
# test_cli_info.sh - `archrepair` end to end: --help on every command, `info`
# on good datasets of every kind, and non-zero exit with a one-line cause
# naming the file on bad ones; `config check` and `config --doc`.
# Usage: test_cli_info.sh ARCHREPAIR SOURCE_DIR TMP_DIR
set -u
bin=$1 src=$2 tmp=$3/cli_info
rm -rf "$tmp" && mkdir -p "$tmp"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_ok NAME WORD... -- CMD...: exit 0 and stdout holds every WORD
expect_ok() {
  local name=$1; shift
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  local out rc
  out=$("$@" 2>"$tmp/err"); rc=$?
  if [ $rc -ne 0 ]; then bad "$name: exit $rc: $(cat "$tmp/err")"; return; fi
  for w in "${words[@]}"; do
    if ! grep -qF -- "$w" <<<"$out"; then bad "$name: output lacks '$w'"; return; fi
  done
  ok
}

# expect_fail NAME WORD... -- CMD...: non-zero exit, stderr is one line holding every WORD
expect_fail() {
  local name=$1; shift
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  "$@" >/dev/null 2>"$tmp/err"; local rc=$?
  if [ $rc -eq 0 ]; then bad "$name: exit 0, expected failure"; return; fi
  if [ $rc -ge 128 ]; then bad "$name: crashed (exit $rc)"; return; fi
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$lines" -ne 1 ]; then bad "$name: stderr has $lines lines: $(cat "$tmp/err")"; return; fi
  for w in "${words[@]}"; do
    if ! grep -qF -- "$w" "$tmp/err"; then bad "$name: message lacks '$w': $(cat "$tmp/err")"; return; fi
  done
  ok
}

# ---- help on every command ----------------------------------------------
expect_ok "--help" "Usage: archrepair" "info" "config" -- "$bin" --help
cmds=$("$bin" --help | awk '/^Commands:/{on=1; next} on && /^  [a-z]/{print $1}')
[ -n "$cmds" ] && ok || bad "no commands listed"
for c in $cmds; do
  expect_ok "$c --help" "Usage: archrepair $c" -- "$bin" "$c" --help
  expect_ok "$c -h" "Usage: archrepair $c" -- "$bin" "$c" -h
done
expect_ok "--version" "archrepair 0." -- "$bin" --version
expect_fail "unknown command" "unknown command 'frobnicate'" -- "$bin" frobnicate
expect_fail "no command" "no command given" -- "$bin"
expect_fail "info without path" "archrepair info: no PATH" -- "$bin" info
expect_fail "info bad option" "archrepair info: unknown option '--bogus'" -- "$bin" info --bogus x

# ---- small IDX dataset (3 images of 4x4, labels 0 1 1) ------------------
d=$tmp/idx; mkdir -p "$d"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x04'; head -c 48 /dev/zero; } >"$d/t10k-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x00\x01\x01' >"$d/t10k-labels-idx1-ubyte"
expect_ok "info idx" "format:       idx" "images:       3" "4 x 4 x 1" "classes:      2" -- "$bin" info "$d"
gzip -c "$d/t10k-images-idx3-ubyte" >"$d/g-images-idx3-ubyte.gz"
gzip -c "$d/t10k-labels-idx1-ubyte" >"$d/g-labels-idx1-ubyte.gz"
expect_ok "info idx gz file" "images:       3" -- "$bin" info "$d/g-images-idx3-ubyte.gz"

# bad IDX files
head -c 40 "$d/t10k-images-idx3-ubyte" >"$d/cut-images-idx3-ubyte"; cp "$d/t10k-labels-idx1-ubyte" "$d/cut-labels-idx1-ubyte"
expect_fail "truncated idx" "cut-images-idx3-ubyte" "promises 48" -- "$bin" info "$d/cut-images-idx3-ubyte"
head -c 20 "$d/g-images-idx3-ubyte.gz" >"$d/half-images-idx3-ubyte.gz"; cp "$d/g-labels-idx1-ubyte.gz" "$d/half-labels-idx1-ubyte.gz"
expect_fail "half gzip" "half-images-idx3-ubyte.gz" -- "$bin" info "$d/half-images-idx3-ubyte.gz"
printf '\x00\x00\x08\x03\x7f\xff\xff\xff\x7f\xff\xff\xff\x7f\xff\xff\xff' >"$d/huge-images-idx3-ubyte"; cp "$d/t10k-labels-idx1-ubyte" "$d/huge-labels-idx1-ubyte"
expect_fail "absurd idx" "huge-images-idx3-ubyte" "absurd" -- "$bin" info "$d/huge-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\x00\x03\x00\x01\xff' >"$d/t10k-labels-idx1-ubyte"
expect_ok "labels up to 255 without a declared class list" "classes:      256" -- "$bin" info "$d"
mkdir -p "$tmp/fashion"; cp "$d/t10k-images-idx3-ubyte" "$d/t10k-labels-idx1-ubyte" "$tmp/fashion/"
expect_fail "fashion label out of range" "label 255 of image 2" "0..9" -- "$bin" info "$tmp/fashion"
expect_fail "missing file" "$tmp/nope.h5" "no such file" -- "$bin" info "$tmp/nope.h5"
printf 'hello' >"$tmp/junk.dat"
expect_fail "junk file" "junk.dat" "unrecognised" -- "$bin" info "$tmp/junk.dat"

# ---- CIFAR-10 bin ---------------------------------------------------------
c=$tmp/cifar-10-batches-bin; mkdir -p "$c"
for i in 1 2 3 4 5; do { printf "\\x0$((i - 1))"; head -c 3072 /dev/zero; } >"$c/data_batch_$i.bin"; done
{ printf '\x07'; head -c 3072 /dev/zero; printf '\x03'; head -c 3072 /dev/zero; } >"$c/test_batch.bin"
expect_ok "info cifar dir" "cifar10-bin" "split:        train" "images:       5" "split:        test" "images:       2" "horse" "32 x 32 x 3" -- "$bin" info "$c"
expect_ok "info cifar split" "images:       2" -- "$bin" info "$c" --split test
head -c 4000 "$c/test_batch.bin" >"$tmp/cut.bin"
expect_fail "truncated cifar" "cut.bin" "3073" -- "$bin" info "$tmp/cut.bin"
expect_fail "bad split" "--split must be train, test or val" -- "$bin" info "$c" --split valid

# ---- .npy collection (hand-written v1 headers) ----------------------------
n=$tmp/npydir; mkdir -p "$n"
npy() { # npy FILE DESCR SHAPE DATA_BYTES
  local dict="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
  local hl=$(( ( (10 + ${#dict} + 1 + 63) / 64 ) * 64 - 10 ))
  { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))";
    printf '%s' "$dict"; printf '%*s' $((hl - ${#dict} - 1)) ''; printf '\n'; head -c "$4" /dev/zero; } >"$1"
}
npy "$n/fog.npy" '|u1' '(10, 4, 4, 3)' 480
npy "$n/snow.npy" '|u1' '(10, 4, 4, 3)' 480
npy "$n/labels.npy" '|u1' '(10,)' 10
expect_ok "info npy collection" "npy-dir" "fog" "snow" "severities:   1..5" "images:       2 per corruption" -- "$bin" info "$n"
expect_ok "info npy set" "name:         snow/3" "images:       2" -- "$bin" info "$n" --corruption snow --severity 3
npy "$n/frost.npy" '|u1' '(10, 4, 4, 3)' 100
expect_fail "truncated npy" "frost.npy" "promises 480" -- "$bin" info "$n"
npy "$n/frost.npy" '<f4' '(10, 4, 4, 3)' 1920
expect_fail "float npy" "frost.npy" "uint8" -- "$bin" info "$n" --corruption frost
npy "$n/frost.npy" '|u1' '(10, 4, 4, 3)' 480
printf '\x93NUMPY\x01\x00\x76\x00' | cat - <(head -c 200 /dev/zero) >"$n/frost.npy"
expect_fail "garbage npy header" "frost.npy" "header" -- "$bin" info "$n" --corruption frost

# ---- HDF5: damaged ---------------------------------------------------------
printf '\x89HDF\r\n\x1a\n' | cat - <(head -c 100 /dev/zero) >"$tmp/damaged.h5"
expect_fail "damaged hdf5" "damaged.h5" -- "$bin" info "$tmp/damaged.h5"
# hostile shapes: 2 KB HDF5 files whose /images declare 2^32 or 2^31+5
# rows; each dimension is checked before any cast or allocation (they
# crashed `corrupt` and showed a height of 0 / -2147483643 before)
if /usr/bin/python3 -c "import h5py" 2>/dev/null; then
  /usr/bin/python3 - "$tmp" <<'PY'
import sys, h5py, numpy as np
d = sys.argv[1]
for name, shape in (("tall.h5", (1, 2**32, 1)), ("wide.h5", (2, 2**31 + 5, 1, 1))):
    with h5py.File(f"{d}/{name}", "w") as f:
        f.create_dataset("images", shape=shape, dtype="u1", chunks=(1, 1, 1)[:len(shape)] + (1,) * (len(shape) - 3))
        f.create_dataset("labels", data=np.zeros(shape[0], dtype="i8"))
# 2^31 images of 1 pixel and as many labels, declared with nothing written:
# the labels are read whole, so they were allocated (16 GiB) and filled
with h5py.File(f"{d}/many.h5", "w") as f:
    f.create_dataset("images", shape=(2**31, 1, 1), dtype="u1", chunks=(1024, 1, 1))
    f.create_dataset("labels", shape=(2**31,), dtype="i8", chunks=(1024,))
PY
  for f in tall wide many; do
    why="out of range"
    [[ $f != many ]] || why="stores 0 bytes"
    expect_fail "hostile $f.h5 info" "$f.h5" "$why" -- "$bin" info "$tmp/$f.h5"
    expect_fail "hostile $f.h5 corrupt" "$f.h5" "$why" -- "$bin" corrupt "$tmp/$f.h5" "$tmp/$f-c" --names fog
  done
  # a model whose conv weight declares 2^31 floats with nothing written
  # (8 GiB allocated and filled before it was checked)
  cp "$src/tests/fuzz/corpus/h5_model/tiny-conv-pool-fc" "$tmp/bomb.h5"
  /usr/bin/python3 - "$tmp/bomb.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["graph/0000/weight"]
    f.create_dataset("graph/0000/weight", shape=(2**31,), dtype="f4", chunks=(4096,))
PY
  expect_fail "hostile model info" "bomb.h5" "weight" "stores 0 bytes" -- "$bin" info "$tmp/bomb.h5"
fi

# ---- real Fashion-MNIST ---------------------------------------------------
fm=/usr/share/datasets/fashion-mnist
if [ -d "$fm" ]; then
  expect_ok "fashion-mnist" "images:       60000" "images:       10000" "Ankle boot" "6000" "1000" -- "$bin" info "$fm"
else
  echo "note: $fm absent, skipping"
fi

# ---- config ---------------------------------------------------------------
# every shipped job file is valid as text (their models and out/ belong to
# the machine that runs them: --no-files); the demo's, whose model is
# committed, passes the full check from the repository root
expect_ok "config check demo" "valid evaluate job" "batch_size = 256" -- "$bin" config check --no-files "$src/configs/fashion-mnist.toml"
expect_ok "config check cifar10c" "valid evaluate job" -- "$bin" config check --no-files "$src/configs/cifar10c.toml"
for f in "$src"/configs/*.toml; do
  expect_ok "config check $(basename "$f")" "valid" -- "$bin" config check --no-files "$f"
done
if [ -d /usr/share/datasets/fashion-mnist ]; then
  mkdir -p "$tmp/root/out" && cp -r "$src/configs" "$src/reference-models" "$tmp/root/"
  expect_ok "config check repair demo" "valid repair job" "skip = 50000" -- \
    bash -c "cd '$tmp/root' && '$bin' config check configs/fashion-mnist-repair.toml"
  # fail fast: a missing model, an unknown corruption, a missing output directory
  sed 's#^path = "reference-models/.*#path = "reference-models/nope.h5"#' "$tmp/root/configs/fashion-mnist-repair.toml" >"$tmp/root/nomodel.toml"
  ln=$(grep -n '^path = "reference-models/' "$tmp/root/nomodel.toml" | cut -d: -f1)
  expect_fail "config check missing model" "nomodel.toml:$ln: key 'model.path'" "nope.h5" -- \
    bash -c "cd '$tmp/root' && '$bin' config check nomodel.toml"
  sed 's#"fog", "contrast"#"fogg", "contrast"#' "$tmp/root/configs/fashion-mnist-repair.toml" >"$tmp/root/fogg.toml"
  expect_fail "config check fogg" "fogg.toml" "key 'data.corrupted'" "unknown corruption 'fogg'" -- \
    bash -c "cd '$tmp/root' && '$bin' config check fogg.toml"
  sed 's#^output = .*#output = "nodir/r.h5"#' "$tmp/root/configs/fashion-mnist-repair.toml" >"$tmp/root/nodir.toml"
  ln=$(grep -n '^output = ' "$tmp/root/nodir.toml" | cut -d: -f1)
  expect_fail "config check missing output directory" "nodir.toml:$ln: key 'job.output'" "directory nodir does not exist" -- \
    bash -c "cd '$tmp/root' && '$bin' config check nodir.toml"
fi
printf '[job]\nkind = "evaluate"\noutput = "o"\n[model]\npath = "m"\n[data]\npath = "d"\nbath_size = 3\n' >"$tmp/typo.toml"
expect_fail "config typo" "typo.toml:8: unknown key 'data.bath_size' (did you mean 'data.batch_size'?)" -- "$bin" config check "$tmp/typo.toml"
expect_fail "config usage" "expected 'check [--no-files] JOB.toml'" -- "$bin" config
"$bin" config --doc >"$tmp/config.md" && cmp -s "$tmp/config.md" "$src/docs/config.md" && ok || bad "config --doc differs from docs/config.md"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
