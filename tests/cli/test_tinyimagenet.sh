#!/usr/bin/env bash
# test_tinyimagenet.sh - image-folder datasets end to end on generated trees
# (make_image_tree: 64x64 JPEG files of known content): `archrepair info` on
# a Tiny-ImageNet directory (both splits, class names), a Tiny-ImageNet-C
# tree (a collection) and one of its sets (an ImageFolder); a small model
# trained on train/ by `archrepair train`, then `archrepair eval` on val, on
# a stored Tiny-ImageNet-C set and on a set corrupted on the fly (the same
# accuracy at 1 and 2 threads); the refusals (test split, a damaged image,
# an image of another size) as one line naming the file; and an evaluate
# job (2 ranks) whose [data] reads the val split and whose corrupted sets
# come from the Tiny-ImageNet-C tree and from generation.
# Usage: test_tinyimagenet.sh ARCHREPAIR ARCHREPAIR_COORD MAKE_IMAGE_TREE TMP_DIR
set -euo pipefail
bin=$1 coord=$2 mk=$3 tmp=$4/tinyimagenet
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp/out"
. "$here/../support/mpi_job.sh"
fail() { echo "FAIL: $*"; exit 1; }
# has FILE WORD...: FILE holds every WORD
has() { local f=$1; shift; for w in "$@"; do grep -qF -- "$w" "$f" || fail "$f lacks '$w': $(head -c 2000 "$f")"; done; }
# refused NAME WORD... -- CMD...: non-zero exit (not a crash), one line on stderr holding every WORD
refused() {
  local name=$1; shift
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  local rc=0
  "$@" >/dev/null 2>"$tmp/err" || rc=$?
  [ $rc -ne 0 ] || fail "$name: exit 0"
  [ $rc -lt 128 ] || fail "$name: crashed ($rc)"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "$name: stderr is not one line: $(cat "$tmp/err")"
  has "$tmp/err" "${words[@]}"
}

tiny=$tmp/tiny-imagenet-200 tinyc=$tmp/Tiny-ImageNet-C
"$mk" tiny "$tiny" 4 8 12 64 || fail "make_image_tree tiny"
"$mk" tiny-c "$tinyc" 4 2 5 64 fog gaussian_noise || fail "make_image_tree tiny-c"

# ---- info ---------------------------------------------------------------
"$bin" info "$tiny" >"$tmp/info.out"
has "$tmp/info.out" "format:       tiny-imagenet" "split:        train" "images:       32" "split:        val" \
    "images:       12" "64 x 64 x 3" "classes:      4" "n00001011 thing 1"
"$bin" info "$tiny" --split val >"$tmp/info_val.out"
has "$tmp/info_val.out" "images:       12"
refused "info test split" "unlabelled" "'val'" -- "$bin" info "$tiny" --split test
"$bin" info "$tinyc" >"$tmp/info_c.out"
has "$tmp/info_c.out" "tiny-imagenet-c (corruption collection)" "images:       8 per corruption" "severities:   1..5" \
    "  fog" "  gaussian_noise" "classes:      4"
"$bin" info "$tinyc" --corruption gaussian_noise --severity 4 >"$tmp/info_c4.out"
has "$tmp/info_c4.out" "name:         gaussian_noise/4" "images:       8"
"$bin" info "$tinyc/fog/2" >"$tmp/info_f.out"
has "$tmp/info_f.out" "format:       imagefolder" "images:       8" "  0  n00001011"
echo "info: ok"

# ---- a small model on train/, evaluated on val, stored and generated sets --
OPENBLAS_NUM_THREADS=1 "$bin" train resnet20 "$tiny" --out "$tmp/m.h5" --epochs 1 --width 0.125 --batch 8 \
  --threads 1 >"$tmp/train.out" 2>&1 || { cat "$tmp/train.out"; fail "train"; }
[ -s "$tmp/m.h5" ] || fail "train wrote no model"
"$bin" eval "$tmp/m.h5" "$tiny" --threads 1 >"$tmp/eval.out"
has "$tmp/eval.out" "tiny-imagenet val: accuracy" "/12)"
"$bin" eval "$tmp/m.h5" "$tiny" --split train --threads 1 >"$tmp/eval_tr.out"
has "$tmp/eval_tr.out" "tiny-imagenet train: accuracy" "/32)"
"$bin" eval "$tmp/m.h5" "$tinyc" --corruption fog --severity 2 --threads 1 >"$tmp/eval_c.out"
has "$tmp/eval_c.out" "fog/2: accuracy" "/8)"
for t in 1 2; do
  "$bin" eval "$tmp/m.h5" "$tiny" --corruption contrast --severity 5 --threads $t >"$tmp/eval_g$t.out"
  has "$tmp/eval_g$t.out" "contrast/5: accuracy" "/12)"
done
[ "$(sed 's/, [0-9.]* s,.*//' "$tmp/eval_g1.out")" = "$(sed 's/, [0-9.]* s,.*//' "$tmp/eval_g2.out")" ] \
  || fail "1 and 2 threads differ: $(cat "$tmp/eval_g1.out" "$tmp/eval_g2.out")"
refused "eval test split" "unlabelled" -- "$bin" eval "$tmp/m.h5" "$tiny" --split test
# a damaged image and one of another size: the read names the file
cp -r "$tiny" "$tmp/bad"
head -c 300 "$tiny/val/images/val_3.JPEG" >"$tmp/bad/val/images/val_3.JPEG"
refused "eval damaged image" "val_3.JPEG" "JPEG" -- "$bin" eval "$tmp/m.h5" "$tmp/bad" --threads 2
cp "$tiny/val/images/val_3.JPEG" "$tmp/bad/val/images/val_3.JPEG"
"$mk" tiny "$tmp/small" 4 1 12 32 || fail "make_image_tree small"
cp "$tmp/small/val/images/val_5.JPEG" "$tmp/bad/val/images/val_5.JPEG"
refused "eval other size" "val_5.JPEG" "32 x 32" "expected 64 x 64" -- "$bin" eval "$tmp/m.h5" "$tmp/bad"
echo "train and eval: ok"

# ---- an evaluate job: [data] on val, a stored and a generated group ------------
cat >"$tmp/job.toml" <<TOML
[job]
kind = "evaluate"
name = "tiny"
output = "$tmp/out/tiny.h5"
[model]
path = "$tmp/m.h5"
[data]
path = "$tiny"
split = "val"
batch_size = 5
[[data.corrupted]]
kind = "collection"
name = "stored"
path = "$tinyc"
corruptions = ["fog", "gaussian_noise"]
severities = [1, 5]
[[data.corrupted]]
kind = "generated"
name = "gen"
split = "val"
corruptions = ["fog"]
severities = [2]
[run]
threads = 2
TOML
"$bin" config check "$tmp/job.toml" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out"; fail "config check"; }
# the generated group's split defaults to "test": refused, naming the set
awk '/^split = "val"$/ && ++n == 2 {next} {print}' "$tmp/job.toml" >"$tmp/job_test.toml"
refused "job on the test split" "set 'gen/fog/2'" "unlabelled" -- "$bin" config check "$tmp/job_test.toml"
ar_mpi_job "$coord" 2 240 "$tmp/job.toml" "$tmp/job"
/usr/bin/python3 - "$tmp/out/tiny.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
sets = j["sets"]
clean = [s for s in sets if not s["corruption"]]
corr = [(s["corruption"], s["severity"], s["count"]) for s in sets if s["corruption"]]
assert len(clean) == 1 and clean[0]["count"] == 12, clean
assert corr == [("fog", 1, 8), ("fog", 5, 8), ("gaussian_noise", 1, 8), ("gaussian_noise", 5, 8), ("fog", 2, 12)], corr
print("evaluate job: ok")
PY
rm -rf "$tmp"
echo PASS
