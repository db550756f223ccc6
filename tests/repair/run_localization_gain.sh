#!/usr/bin/env bash
# run_localization_gain.sh BIN MAKE_FIXTURE TMP - tools/localization_gain.py on
# an every-block repair job (the tiny fixture's 9 blocks, block-weights, one
# rung) and on files that are not such a result (check_localization_gain.py);
# tools/localization_sensitivity.py likewise (check_localization_sensitivity.py);
# and a top_k = 1 job with a [localize] table gets other block scores.
# Exit 77 (skipped) when /usr/bin/python3 has no h5py.
set -euo pipefail
bin=$1 mk=$2
tmp=$3/localization-gain
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c "import h5py, numpy" 2>/dev/null || { echo "SKIP: /usr/bin/python3 has no h5py"; exit 77; }
rm -rf "$tmp" && mkdir -p "$tmp"
. "$here/../support/mpi_job.sh"
"$mk" "$tmp"
cat > "$tmp/all.toml" <<TOML
[job]
kind = "repair"
seed = 5
output = "$tmp/all.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 60
batch_size = 60
[repair]
method = "block-weights"
pool = 150
val = 60
failing = 40
sample = 30
augment = 0.5
corruptions = ["gaussian_noise", "contrast"]
severities = [1, 3]
top_k = 9
rungs = 1
search_epochs = 1
finetune_epochs = 1
max_clean_drop = 1
batch = 25
[run]
blas_threads = 1
shard_size = 60
TOML
ar_mpi_job "$bin" 2 200 "$tmp/all.toml" "$tmp/all"
/usr/bin/python3 "$here/check_localization_gain.py" "$here/../../tools/localization_gain.py" \
  "$tmp/all.h5" "$tmp/model.h5" "$tmp"
/usr/bin/python3 "$here/check_localization_sensitivity.py" "$here/../../tools/localization_sensitivity.py" \
  "$here/../../tools/localization_gain.py" "$tmp/all.h5" "$tmp/model.h5" "$tmp"
# The repair job's localization honours the [localize] table: other block
# scores than the default's (same pool, same seed).
sed -e 's/^top_k = 9/top_k = 1/' -e "s#/all.h5#/loc.h5#" "$tmp/all.toml" > "$tmp/loc.toml"
printf '[localize]\naggregate = "mean"\nformula = "tarantula"\ngradient_norm = "none"\n' >> "$tmp/loc.toml"
ar_mpi_job "$bin" 2 200 "$tmp/loc.toml" "$tmp/loc"
/usr/bin/python3 - "$tmp/all.h5" "$tmp/loc.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (np.asarray(h5py.File(p, "r")["/repair/blocks/scores"][()]) for p in sys.argv[1:3])
assert a.shape == b.shape and np.isfinite(b).all(), (a, b)
assert np.abs(a - b).max() > 1e-6, ("[localize] ignored by the repair job", a, b)
print("repair job [localize]: scores differ from the default's")
PY
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
