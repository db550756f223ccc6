#!/usr/bin/env bash
# The demo, in one command on a fresh Debian 12 machine (as root):
#   1. installs the Debian packages archrepair needs (tools/install-deps.sh);
#   2. builds archrepair in build/ (Release);
#   3. repairs the committed reference model
#      reference-models/fashion-mnist-resnet20-w05.h5 (resnet20 width 0.5
#      trained to convergence on the first 50000 Fashion-MNIST training
#      images, 92.7% test accuracy; reference-models/README.md) with the job
#      configs/fashion-mnist-repair.toml under mpirun on the local cores:
#      evaluate the model on the clean test set and on corrupted test sets
#      generated on the fly (corruptions the repair pool sees, and others it
#      never sees), localize the vulnerable block, train a population of
#      candidates of four methods (archrepair, block-weights, finetune,
#      bn-adapt) across the workers, keep the best within the clean-accuracy
#      bound, evaluate it, print the before/after table with the in-pool and
#      held-out means; the result file and its JSON summary land under out/.
#      (About 2 minutes on an idle 2-core machine.)
# Environment: DEMO_RANKS (default: cores + 1, rank 0 mostly waits),
#              DEMO_TRAIN=1 retrains the reference model first
#              (tools/train_reference.sh, about 15 minutes),
#              DEMO_JOB (default configs/fashion-mnist-repair.toml; the
#              evaluate-only job is configs/fashion-mnist.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target archrepair archrepair-coord

cores=$(nproc)
ranks=${DEMO_RANKS:-$((cores + 1))}
job=${DEMO_JOB:-configs/fashion-mnist-repair.toml}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p out
if [ -n "${DEMO_TRAIN:-}" ]; then
  echo "demo: retraining the reference model (tools/train_reference.sh)"
  tools/train_reference.sh
fi

echo "demo: mpirun -np $ranks build/archrepair-coord $job"
mpirun -np "$ranks" --oversubscribe --bind-to none build/archrepair-coord "$job"
