#!/usr/bin/env bash
# run_torch_models.sh CASE ARCHREPAIR MAKE_CELL_MODEL TMP - one PyTorch model
# class as people write them (tests/torch/models) through the whole round
# trip, with trained-ish weights (torch_case.py make):
#   1. tools/torch_export.py --module ... --state-dict ... (the CLI);
#   2. `archrepair predict` on 64 images = PyTorch's logits (<= 1e-4 x
#      max(1, |logit|));
#   3. tools/torch_import.py --module ... -> a state_dict that the class
#      loads with strict=True and that gives the same logits;
#   4. weights-only repair: `archrepair train` (1 epoch: weights and BN
#      statistics change, the architecture does not) -> import -> the class
#      with those weights = `archrepair predict` on the trained file;
#   5. (resnet cases) architecture changed: block layer2.0 replaced by a
#      discrete cell (make_cell_model) -> import writes a generated module +
#      state_dict that load strictly and give `archrepair predict`'s logits;
#   6. (resnet20a, with COORD) a real 2-rank repair job on the exported model
#      (400 images; localize, search, fine-tune) -> import (a generated
#      module or your class's state_dict, whichever the result needs) =
#      `archrepair predict` of the result.
# CASE: resnet20a | vgg | mobilenet | resnet18 | splitnet. Exit 77 (ctest: skipped) when
# /usr/bin/python3 (or $AR_TORCH_PYTHON) cannot import torch and h5py.
# KEEP=1 keeps TMP/torch-CASE.
# Usage: run_torch_models.sh CASE ARCHREPAIR MAKE_CELL_MODEL TMP [COORD]
set -euo pipefail
case_=$1 cli=$2 mkcell=$3 coord=${5:-}
tmp=$4/torch-$case_
here=$(cd "$(dirname "$0")" && pwd)
tools=$here/../../tools
py=${AR_TORCH_PYTHON:-/usr/bin/python3}
if ! "$py" -c "import torch, h5py" 2>/dev/null; then
  echo "SKIP: $py cannot import torch and h5py (Debian: python3-torch python3-h5py;"
  echo "      tools/install-deps.sh --torch)"
  exit 77
fi
cell=0
case $case_ in
  resnet20a) spec=$here/models/cifar_resnet.py:resnet20 kw='{"num_classes": 10}' cell=1 ;;
  vgg) spec=$here/models/vgg_small.py:VGG kw='{"cfg": "S", "hidden": 64}' ;;
  mobilenet) spec=$here/models/mobilenet_small.py:MobileNet kw='{"width": 1.0}' ;;
  resnet18) spec=$here/models/resnet18_cifar.py:resnet18 kw='{"base": 32}' cell=1 ;;
  splitnet) spec=$here/models/split_net.py:SplitNet kw='{"num_classes": 10}' ;;
  *) echo "unknown case $case_" >&2; exit 2 ;;
esac
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
rm -rf "$tmp" && mkdir -p "$tmp"
norm=(--mean 0.4914,0.4822,0.4465 --std 0.2470,0.2435,0.2616)

echo "== $case_: $spec $kw"
"$py" "$here/torch_case.py" make "$spec" "$kw" "$tmp"
"$py" "$tools/torch_export.py" --module "$spec" --kwargs "$kw" --state-dict "$tmp/w.pth" \
  --input 3,32,32 "${norm[@]}" --out "$tmp/model.h5"
"$cli" predict "$tmp/model.h5" "$tmp/data.h5" "$tmp/logits.h5" --batch 32 --threads 1
"$py" "$here/torch_case.py" compare "$tmp/logits.h5" "$tmp/ref.npy"

echo "== import (unrepaired)"
"$py" "$tools/torch_import.py" "$tmp/model.h5" --module "$spec" --kwargs "$kw" --out "$tmp/back.pth"
"$py" "$here/torch_case.py" load "$spec" "$kw" "$tmp/back.pth" "$tmp/data.h5" "$tmp/ref.npy"

echo "== weights-only repair (archrepair train, 1 epoch)"
"$cli" train "$tmp/model.h5" "$tmp/data.h5" --out "$tmp/trained.h5" --epochs 1 --batch 16 \
  --lr 0.01 --wd 0 --augment off --test-split none --threads 1 2>&1 | tail -1
"$cli" predict "$tmp/trained.h5" "$tmp/data.h5" "$tmp/trained-logits.h5" --batch 32 --threads 1
"$py" "$tools/torch_import.py" "$tmp/trained.h5" --module "$spec" --kwargs "$kw" \
  --out "$tmp/trained.pth"
"$py" "$here/torch_case.py" differ "$tmp/back.pth" "$tmp/trained.pth"
"$py" "$here/torch_case.py" load "$spec" "$kw" "$tmp/trained.pth" "$tmp/data.h5" \
  "$tmp/trained-logits.h5"

if [ $cell = 1 ]; then
  echo "== architecture changed (layer2.0 -> a discrete cell)"
  "$mkcell" "$tmp/model.h5" "$tmp/cell.h5"
  "$cli" predict "$tmp/cell.h5" "$tmp/data.h5" "$tmp/cell-logits.h5" --batch 32 --threads 1
  "$py" "$tools/torch_import.py" "$tmp/cell.h5" --module "$spec" --kwargs "$kw" \
    --out "$tmp/repaired.pth"
  "$py" "$here/torch_case.py" generated "$tmp/repaired.py" "$tmp/repaired.pth" "$tmp/data.h5" \
    "$tmp/cell-logits.h5"
fi
if [ $case_ = resnet20a ] && [ -n "$coord" ]; then
  echo "== a repair job on the exported model"
  . "$here/../support/mpi_job.sh"
  . "$here/../repair/tiny_job.sh"
  mkdir -p "$tmp/job"
  cp "$tmp/model.h5" "$tmp/job/model.h5"
  "$py" "$here/torch_case.py" data 400 3 "$tmp/job/data.h5"
  ar_tiny_repair_toml "$tmp/job/job.toml" "$tmp/job" "$tmp/job/result.h5" '["gaussian_noise"]' '[2]' \
    "$(printf '%s\n' 'top_k = 1' 'nodes = [2]' 'rungs = 1' 'search_epochs = 1' 'finetune_epochs = 1' 'max_clean_drop = 1.0')"
  ar_mpi_job "$coord" 2 300 "$tmp/job/job.toml" "$tmp/job/run"
  grep "repair: chose" "$tmp/job/run.err" | sed 's/^.*repair: //'
  "$cli" predict "$tmp/job/result.h5" "$tmp/job/data.h5" "$tmp/job/logits.h5" --batch 50 --threads 1
  "$py" "$tools/torch_import.py" "$tmp/job/result.h5" --module "$spec" --kwargs "$kw" \
    --out "$tmp/job/repaired.pth"
  if [ -f "$tmp/job/repaired.py" ]; then
    "$py" "$here/torch_case.py" generated "$tmp/job/repaired.py" "$tmp/job/repaired.pth" \
      "$tmp/job/data.h5" "$tmp/job/logits.h5"
  else
    "$py" "$here/torch_case.py" load "$spec" "$kw" "$tmp/job/repaired.pth" "$tmp/job/data.h5" \
      "$tmp/job/logits.h5"
  fi
fi
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
