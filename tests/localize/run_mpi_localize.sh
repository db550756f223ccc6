#!/usr/bin/env bash
# run_mpi_localize.sh BIN INPROC SRC TMP - the localize job under real mpirun
# at -np 1, 2 and 4 on the trained Fashion-MNIST model with one block damaged
# (one BN channel of layer3.2 x10), on clean and generated noisy images, with
# PGD and the passing-mean threshold (three rounds of tasks): every run must
# write bit-identical /localization arrays, equal to the in-process library
# call's, and rank the damaged block first, with JSON summaries that say
# the same; a bad [localize] key fails.
set -euo pipefail
bin=$1 inproc=$2 src=$3
tmp=$4/localize-mpi
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
py=/usr/bin/python3
$py "$here/check_localize.py" damage "$src/tests/data/fmnist_resnet20_w025.h5" "$tmp/model.h5" layer3.2.bn1 10 5
outs=()
for np in 1 2 4; do
  cat > "$tmp/np$np.toml" <<TOML
[job]
kind = "localize"
seed = 3
output = "$tmp/np$np.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "/usr/share/datasets/fashion-mnist"
split = "test"
limit = 200
batch_size = 25
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise"]
severities = [2]
[localize]
count = 60
adversarial = "pgd"
eps = 6
steps = 2
step_size = 3
[run]
shard_size = 50
TOML
  ar_mpi_job "$bin" $np 200 "$tmp/np$np.toml" "$tmp/np$np"
  grep -q "^block ranking" "$tmp/np$np.out" || { echo "FAIL: no ranking printed"; cat "$tmp/np$np.out"; exit 1; }
  [ -s "$tmp/np$np.json" ] || { echo "FAIL: no JSON summary"; exit 1; }
  outs+=("$tmp/np$np.h5")
done
cat "$tmp/np4.out"
# a source matching no set is a one-line error naming the key, and no output
sed -e 's/^count = 60/count = 60\nsource = "fog"/' -e "s#np1.h5#bad.h5#" "$tmp/np1.toml" > "$tmp/bad.toml"
if timeout 60 mpirun -np 2 --oversubscribe "$bin" "$tmp/bad.toml" >"$tmp/bad.out" 2>"$tmp/bad.err"; then
  echo "FAIL: a source matching no set was accepted"; exit 1
fi
grep -q "localize.source" "$tmp/bad.err" || { echo "FAIL: error does not name the key"; cat "$tmp/bad.err"; exit 1; }
[ ! -e "$tmp/bad.h5" ] || { echo "FAIL: output written by a failed job"; exit 1; }
timeout 200 "$inproc" "$tmp/np1.toml" "$tmp/inproc.h5" > /dev/null
$py "$here/check_localize.py" same layer3.2 "${outs[@]}" "$tmp/inproc.h5"
ls "$tmp"/*.tmp.* 2>/dev/null && { echo "FAIL: temporary files left"; exit 1; }
rm -rf "$tmp"
echo PASS
