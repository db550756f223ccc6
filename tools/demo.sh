#!/usr/bin/env bash
# The demo, in one command on a fresh Debian 12 machine (as root):
#   1. installs the Debian packages archrepair needs (tools/install-deps.sh);
#   2. builds archrepair in build/ (Release);
#   3. trains a small ResNet-20 on the first 50000 Fashion-MNIST training
#      images unless models/fashion-mnist.h5 exists (Debian's
#      dataset-fashion-mnist; nothing is downloaded); the last 10000 stay
#      unseen for the repair pool and the validation images (repair.skip),
#      so the clean-accuracy bound is checked on images the model never saw;
#   4. runs the repair job configs/fashion-mnist-repair.toml with mpirun on the
#      local cores: evaluate the model on clean and corrupted (generated) test
#      sets, localize the vulnerable block, search repaired blocks across the
#      workers, keep the best within the clean-accuracy bound, evaluate it,
#      print the before/after table; the result file lands under out/.
#      (About 6 minutes on an idle 2-core machine: ~3 to train, ~3 to repair.)
# Environment: DEMO_RANKS (default: cores + 1, rank 0 mostly waits),
#              DEMO_EPOCHS (default 3),
#              DEMO_JOB (default configs/fashion-mnist-repair.toml; the
#              evaluate-only job is configs/fashion-mnist.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target archrepair archrepair-coord

cores=$(nproc)
ranks=${DEMO_RANKS:-$((cores + 1))}
epochs=${DEMO_EPOCHS:-3}
job=${DEMO_JOB:-configs/fashion-mnist-repair.toml}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p models out

if [ ! -f models/fashion-mnist.h5 ]; then
  echo "demo: training resnet20 (width 0.5) on the first 50000 Fashion-MNIST training images for $epochs epochs -> models/fashion-mnist.h5"
  OPENBLAS_NUM_THREADS=1 build/archrepair train resnet20 /usr/share/datasets/fashion-mnist \
    --width 0.5 --epochs "$epochs" --batch 128 --lr 0.1 --augment off --seed 1 --threads "$cores" \
    --limit 50000 \
    --out models/fashion-mnist.h5
else
  echo "demo: reusing models/fashion-mnist.h5 (delete it to retrain)"
fi

echo "demo: mpirun -np $ranks build/archrepair-coord $job"
mpirun -np "$ranks" --oversubscribe --bind-to none build/archrepair-coord "$job"
