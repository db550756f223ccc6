# mpi_job.sh - sourced by the mpirun integration tests (tests/*/run_mpi_*.sh).
# Sets what Open MPI needs to run as root and oversubscribed, turns leak
# detection off under mpirun (Open MPI's own allocations), and gives
#   ar_mpi_job BIN NP TIMEOUT_S JOB.toml OUT_PREFIX [mpirun options...]
# which runs `mpirun -np NP BIN JOB.toml` under a timeout with stdout and
# stderr in OUT_PREFIX.out / OUT_PREFIX.err, prints the wall time, and on a
# non-zero exit prints the stderr and exits the test with status 1.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

ar_mpi_job() {
  local bin=$1 np=$2 limit=$3 job=$4 out=$5 start
  shift 5
  start=$(date +%s.%N)
  if ! timeout "$limit" mpirun -np "$np" --oversubscribe "$@" "$bin" "$job" >"$out.out" 2>"$out.err"; then
    echo "FAIL: -np $np exited non-zero"; cat "$out.err"; exit 1
  fi
  echo "-np $np: $(awk "BEGIN{print $(date +%s.%N) - $start}") s"
}
