#!/usr/bin/env bash
# test_cifar10c.sh - the CIFAR-10-C conventions end to end on a small
# generated tree: cifar-10-batches-bin (random images, 16 per batch file), a
# CIFAR-10-C style directory written by `archrepair corrupt` (all 19
# <corruption>.npy + labels.npy); the training commands quoted in
# configs/cifar10c-repair.toml run as written (shortened by options given
# after them: the last value of an option counts); that job file passes
# `config check --no-files`, and the full check with its files; an evaluate job with corruptions = ["all"]
# on the directory takes exactly the 15 benchmark corruptions, an extra is
# taken by name, and a directory missing one benchmark corruption is refused.
# Usage: test_cifar10c.sh ARCHREPAIR ARCHREPAIR_COORD SOURCE_DIR TMP_DIR
set -euo pipefail
bin=$1 coord=$2 src=$3 tmp=$4/cifar10c
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp/data/cifar-10-batches-bin" "$tmp/models" "$tmp/out" "$tmp/configs"
. "$here/../support/mpi_job.sh"
py=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }

# ---- cifar-10-batches-bin: 16 random records per file, labels 0..9 ---------
$py - "$tmp/data/cifar-10-batches-bin" <<'PY'
import sys, os, random
random.seed(7)
d = sys.argv[1]
for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
    with open(os.path.join(d, name), "wb") as f:
        for r in range(16):
            f.write(bytes([r % 10]) + bytes(random.getrandbits(8) for _ in range(3072)))
PY

# ---- the training commands of the job file, as written --------------------
cfg=$src/configs/cifar10c-repair.toml
cmds=$(sed -n '/^#   archrepair info data/,/^#$/p' "$cfg" | sed -e 's/^#   //' -e '/^#$/d' | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta')
[ "$(grep -c '^OPENBLAS_NUM_THREADS=1 archrepair train resnet18' <<<"$cmds")" = 1 ] || fail "no train command in $cfg: $cmds"
while IFS= read -r line; do
  line=${line//archrepair /\"$bin\" }
  case "$line" in
    *" train "*) line="$line --epochs 1 --limit 32 --width 0.125 --threads 1 --test-limit 16" ;;
  esac
  (cd "$tmp" && eval "$line") >"$tmp/cmd.out" 2>"$tmp/cmd.err" || { cat "$tmp/cmd.err"; fail "$line"; }
done <<<"$cmds"
[ -s "$tmp/models/cifar10-resnet18.h5" ] || fail "the train command wrote no model"
grep -q "accuracy" "$tmp/cmd.out" || fail "the eval command printed no accuracy"

# ---- a CIFAR-10-C directory of the test split: 19 .npy + labels.npy --------
"$bin" corrupt "$tmp/data/cifar-10-batches-bin" "$tmp/data/CIFAR-10-C" --split test --limit 4 --quiet
[ "$(ls "$tmp/data/CIFAR-10-C"/*.npy | wc -l)" = 20 ] || fail "expected 19 corruptions + labels.npy"

# the shipped job file: valid as text; with its files present (and the
# repair pool scaled to the 80 training images here) the full check passes
"$bin" config check --no-files "$cfg" | grep -q "valid repair job" || fail "config check --no-files $cfg"
sed -e 's/^skip = 45000 /skip = 32 /' -e 's/^pool = 4000$/pool = 32/' -e 's/^val = 1000$/val = 16/' \
    "$cfg" >"$tmp/configs/cifar10c-repair.toml"
(cd "$tmp" && "$bin" config check configs/cifar10c-repair.toml) >"$tmp/check.out" 2>&1 \
  || { cat "$tmp/check.out"; fail "config check configs/cifar10c-repair.toml"; }
grep -q "valid repair job" "$tmp/check.out" || fail "config check: $(head -3 "$tmp/check.out")"

# ---- "all" on a collection: the 15 benchmark corruptions ---------------------
job() { # job NAME CORRUPTIONS DIR
  cat >"$tmp/$1.toml" <<TOML
[job]
kind = "evaluate"
name = "$1"
output = "$tmp/out/$1.h5"
[model]
path = "$tmp/models/cifar10-resnet18.h5"
[data]
path = "$tmp/data/cifar-10-batches-bin"
split = "test"
limit = 4
[[data.corrupted]]
kind = "collection"
path = "$3"
corruptions = $2
severities = [1, 2, 3, 4, 5]
TOML
}
job all '["all"]' "$tmp/data/CIFAR-10-C"
ar_mpi_job "$coord" 1 120 "$tmp/all.toml" "$tmp/all"
$py - "$tmp/out/all.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
bench = ["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur",
         "zoom_blur", "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate",
         "jpeg_compression"]
corr = [s for s in j["sets"] if s["corruption"]]
names = list(dict.fromkeys(s["corruption"] for s in corr))
assert names == bench, names
assert len(corr) == 75 and all(s["count"] == 4 for s in corr), len(corr)
assert sorted(c["name"] for c in j["corruptions"]) == sorted(bench)
print("all = 15 benchmark corruptions x 5 severities: ok")
PY
job extra '["spatter", "noise"]' "$tmp/data/CIFAR-10-C"
ar_mpi_job "$coord" 1 120 "$tmp/extra.toml" "$tmp/extra"
$py - "$tmp/out/extra.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
names = list(dict.fromkeys(s["corruption"] for s in j["sets"] if s["corruption"]))
assert names == ["spatter", "gaussian_noise", "shot_noise", "impulse_noise"], names
print("an extra by name, a category: ok")
PY
mkdir -p "$tmp/partial" && cp "$tmp/data/CIFAR-10-C"/*.npy "$tmp/partial/" && rm "$tmp/partial/fog.npy"
job partial '["all"]' "$tmp/partial"
if "$bin" config check "$tmp/partial.toml" >/dev/null 2>"$tmp/partial.err"; then fail "a collection without fog passed"; fi
grep -q "\"all\" means the 15 benchmark corruptions, but $tmp/partial has no 'fog'" "$tmp/partial.err" \
  || fail "partial: $(cat "$tmp/partial.err")"
rm -rf "$tmp"
echo PASS
