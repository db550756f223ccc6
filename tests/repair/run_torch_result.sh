#!/usr/bin/env bash
# run_torch_result.sh COORD ARCHREPAIR MAKE_FIXTURE MAKE_CELL_MODEL TMP - a
# repair result file loads into PyTorch (tools/torch_import.py) and computes
# what archrepair computes: a 1-rank repair job on make_fixture's tiny case
# (result = model file + /repair), and a model whose repaired block holds
# every op a discretised cell can contain (make_cell_model); for each,
# `archrepair predict` and torch_import on the same 600 images must give
# the same logits (max |diff| <= 1e-4 x max(1, |logit|)) and predictions.
# Exit 77 (ctest: skipped) when /usr/bin/python3 (or $AR_TORCH_PYTHON) has no
# torch or h5py. KEEP=1 keeps TMP/repair-torch.
set -euo pipefail
coord=$1 cli=$2 mk=$3 mkcell=$4
tmp=$5/repair-torch
here=$(cd "$(dirname "$0")" && pwd)
py=${AR_TORCH_PYTHON:-/usr/bin/python3}  # the python with torch (tests may point elsewhere)
if ! "$py" -c "import torch, h5py" 2>/dev/null; then
  echo "SKIP: $py cannot import torch and h5py (Debian: python3-torch python3-h5py)"
  exit 77
fi
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
. "$here/tiny_job.sh"
"$mk" "$tmp"
ar_tiny_repair_toml "$tmp/job.toml" "$tmp" "$tmp/result.h5" '["gaussian_noise"]' '[2]' \
  "$(printf '%s\n' 'top_k = 1' 'nodes = [2]' 'rungs = 1' 'search_epochs = 2' 'finetune_epochs = 1' 'max_clean_drop = 1.0')"
ar_mpi_job "$coord" 1 200 "$tmp/job.toml" "$tmp/job"
"$mkcell" "$tmp/model.h5" "$tmp/cell.h5"
cell_ops=add,avgpool2d,batchnorm2d,concat,conv2d,identity,maxpool2d,relu,shift
for m in result cell; do
  "$cli" predict "$tmp/$m.h5" "$tmp/data.h5" "$tmp/$m-logits.h5" --batch 64
  "$py" "$here/check_torch_result.py" "$here/../../tools" "$tmp/$m.h5" "$tmp/data.h5" \
    "$tmp/$m-logits.h5" $([ $m = cell ] && echo $cell_ops)
done
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
