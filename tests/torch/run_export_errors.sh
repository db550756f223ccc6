#!/usr/bin/env bash
# run_export_errors.sh TMP - check_export_errors.py: what tools/torch_export.py
# cannot hold fails with a message naming the op and its module; exit 77
# (ctest: skipped) when /usr/bin/python3 (or $AR_TORCH_PYTHON) has no torch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=${AR_TORCH_PYTHON:-/usr/bin/python3}
if ! "$py" -c "import torch, h5py" 2>/dev/null; then
  echo "SKIP: $py cannot import torch and h5py (tools/install-deps.sh --torch)"
  exit 77
fi
tmp=$1/torch-export-errors
rm -rf "$tmp" && mkdir -p "$tmp"
OMP_NUM_THREADS=1 "$py" "$here/check_export_errors.py" "$here/../../tools" "$tmp"
rm -rf "$tmp"
echo PASS
