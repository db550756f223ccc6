#!/usr/bin/env bash
# Trains the reference model that the repair measurements start from
# (reference-models/README.md): resnet20 width 0.5 on the first 50000
# Fashion-MNIST training images, 15 epochs, SGD + cosine, to convergence,
# then records the command and the test accuracy in the file's root
# attributes (train_command, test_acc). The last 10000 training images
# stay unseen for the repair pool and validation (repair.skip = 50000).
#   tools/train_reference.sh [OUT]   (default reference-models/fashion-mnist-resnet20-w05.h5)
# About 15 minutes on an idle 2-core machine. Results are the same bits for
# any --threads.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-reference-models/fashion-mnist-resnet20-w05.h5}
bin=${ARCHREPAIR:-build/archrepair}
[ -x "$bin" ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build build -j "$(nproc)" --target archrepair; }
cmd=(train resnet20 /usr/share/datasets/fashion-mnist --width 0.5 --epochs 15 --batch 128 --lr 0.1
     --schedule cosine --momentum 0.9 --wd 5e-4 --augment off --seed 1 --limit 50000)
OPENBLAS_NUM_THREADS=1 "$bin" "${cmd[@]}" --threads "$(nproc)" --out "$out.tmp" | tee "$out.log"
acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$out.log" | tail -1)
/usr/bin/python3 - "$out.tmp" "archrepair ${cmd[*]}" "$acc" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    f.attrs["train_command"] = sys.argv[2]
    f.attrs["test_acc"] = float(sys.argv[3])
PY
mv "$out.tmp" "$out"
rm -f "$out.log"
echo "train_reference: $out (test accuracy $acc)"
