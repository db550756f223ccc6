#!/bin/bash
# PBS Pro / Torque batch script for an archrepair job.
#   qsub -v JOB=configs/cifar10c.toml cluster/pbs.sh
# 4 nodes x 8 ranks, 4 cores per rank (32-core nodes).
#PBS -N archrepair
#PBS -l select=4:ncpus=32:mpiprocs=8
#PBS -l walltime=04:00:00
#PBS -j oe
set -euo pipefail
cd "$PBS_O_WORKDIR"
job=${JOB:?set JOB=path/to/job.toml with qsub -v}
# archrepair-coord comes from PATH; AR_PREFIX names an install prefix
# (cmake --install build --prefix AR_PREFIX; cluster/README.md "Installing").
[ -n "${AR_PREFIX:-}" ] && export PATH="$AR_PREFIX/bin:$PATH"
ranks=$(wc -l < "$PBS_NODEFILE")          # one line per MPI process slot
export OPENBLAS_NUM_THREADS=4               # cores per node / ranks per node
export OMP_NUM_THREADS=1
# export AR_ZMQ_ADDRESS=ib0                 # interface of the data plane (see README)
mpirun --bind-to none -np "$ranks" --hostfile "$PBS_NODEFILE" archrepair-coord "$job"
