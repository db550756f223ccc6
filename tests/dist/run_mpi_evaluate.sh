#!/usr/bin/env bash
# run_mpi_evaluate.sh BIN MAKE_MODEL TMP - the evaluate job under real mpirun
# at -np 1, 2, 3 and 4: a probe model whose predictions numpy recomputes
# labels the data, so clean accuracy must be exactly 1; corrupted sets are
# generated on the fly; every run must write the same /evaluation, a JSON
# summary that agrees, and the accuracy table.
set -euo pipefail
bin=$1 mk=$2
tmp=$3/dist-evaluate
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
py=/usr/bin/python3
"$mk" "$tmp/model.h5" 3 16 16 10 1
$py "$here/check_evaluate.py" make "$tmp/data.h5" "$tmp/model.h5"
limit=500
outs=()
for np in 1 2 3 4; do
  cat > "$tmp/np$np.toml" <<TOML
[job]
kind = "evaluate"
name = "dist evaluate test"
seed = 5
output = "$tmp/np$np.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = $limit
batch_size = 32
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "contrast", "brightness"]
severities = [1, 3, 5]
[run]
shard_size = 60
TOML
  ar_mpi_job "$bin" $np 120 "$tmp/np$np.toml" "$tmp/np$np"
  grep -q "^relative robustness" "$tmp/np$np.out" || { echo "FAIL: no table"; cat "$tmp/np$np.out"; exit 1; }
  outs+=("$tmp/np$np.h5")
done
cat "$tmp/np4.out"
$py "$here/check_evaluate.py" check $limit "${outs[@]}"
ls "$tmp"/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
rm -rf "$tmp"
echo PASS
