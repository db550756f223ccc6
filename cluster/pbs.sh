#!/bin/bash
# PBS Pro / Torque batch script for an archrepair job.
#   qsub -v JOB=configs/cifar10c.toml cluster/pbs.sh
# 4 nodes x 8 ranks, 4 cores per rank (32-core nodes).
#
# Time limit: PBS has no portable "signal me before the walltime", so
# timeout(1) sends SIGTERM to mpirun 120 s before WALL (keep the two equal).
# Rank 0 then checkpoints (<job.output>.ckpt) and the job ends; the script
# submits itself again, and that run continues with --resume. A job that
# completes deletes its checkpoint.
#PBS -N archrepair
#PBS -l select=4:ncpus=32:mpiprocs=8
#PBS -l walltime=04:00:00
#PBS -j oe
set -uo pipefail
WALL=$((4 * 3600))                          # = walltime above, in seconds
cd "$PBS_O_WORKDIR"
job=${JOB:?set JOB=path/to/job.toml with qsub -v}
# archrepair-coord comes from PATH; AR_PREFIX names an install prefix
# (cmake --install build --prefix AR_PREFIX; cluster/README.md "Installing").
[ -n "${AR_PREFIX:-}" ] && export PATH="$AR_PREFIX/bin:$PATH"
ranks=$(wc -l < "$PBS_NODEFILE")          # one line per MPI process slot
export OPENBLAS_NUM_THREADS=4               # cores per node / ranks per node
export OMP_NUM_THREADS=1
# export AR_ZMQ_ADDRESS=ib0                 # interface of the data plane (see README)

# Continue from the checkpoint when an earlier run of this job left one.
output=$(sed -n 's/^[[:space:]]*output[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p' "$job" | head -1)
resume=()
if [ -n "$output" ] && [ -f "$output.ckpt" ]; then resume=(--resume); fi

timeout --signal=TERM --kill-after=60 $((WALL - 120)) \
  mpirun --bind-to none -np "$ranks" --hostfile "$PBS_NODEFILE" archrepair-coord ${resume[@]+"${resume[@]}"} "$job"
rc=$?
if [ "$rc" = 124 ] && [ -n "$output" ] && [ -f "$output.ckpt" ]; then
  echo "walltime near: checkpoint $output.ckpt written; submitting the job again" >&2
  qsub -v JOB="$job" "$PBS_O_WORKDIR/cluster/pbs.sh"
fi
exit "$rc"
