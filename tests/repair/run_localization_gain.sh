#!/usr/bin/env bash
# run_localization_gain.sh BIN MAKE_FIXTURE TMP - tools/localization_gain.py on
# an every-block repair job (the tiny fixture's 9 blocks, block-weights, one
# rung) and on files that are not such a result (check_localization_gain.py);
# tools/localization_sensitivity.py likewise (check_localization_sensitivity.py);
# a top_k = 1 job with a [localize] table gets other block scores; and
# repair.ranking = "probe" ranks the blocks by their probes.
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
ranking = "spectrum"
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
# repair.ranking = "probe": every block probed (block-weights, one epoch),
# the blocks ranked by the probes; 3 ranks, so the probes finish out of
# order; the candidates are the every-block job's, bit for bit.
sed -e 's/^ranking = "spectrum"/ranking = "probe"\nprobe_epochs = 1/' -e "s#/all.h5#/probe.h5#" "$tmp/all.toml" > "$tmp/probe.toml"
ar_mpi_job "$bin" 3 200 "$tmp/probe.toml" "$tmp/probe"
/usr/bin/python3 - "$tmp/all.h5" "$tmp/probe.h5" "$tmp/probe.json" <<'PY'
import json, sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert b["/repair"].attrs["ranking"] in (b"probe", "probe"), b["/repair"].attrs["ranking"]
names = [x.decode() for x in b["/repair/blocks/names"][()]]
sc = b["/repair/blocks/scores"][()]
pc, pk = b["/repair/blocks/probe_val_clean"][()], b["/repair/blocks/probe_val_corrupt"][()]
c0, k0 = b["/repair"].attrs["val_clean_before"], b["/repair"].attrs["val_corrupt_before"]
md = b["/repair"].attrs["max_clean_drop"]
assert pc.shape == pk.shape == sc.shape == (9,) and (b["/repair/blocks/probe_cost_cpu_s"][()] > 0).all()
assert (b["/repair/blocks/probe_cost_passes"][()][:, 1] > 0).all()
want = pk - k0 - np.where(pc >= c0 - md - 1e-9, 0, 1)
assert np.allclose(sc, want, atol=1e-12), (sc, want)
# candidates in ranking order: qualifying first, corrupted, clean, graph order
key = sorted(range(9), key=lambda i: (-int(pc[i] >= c0 - md - 1e-9), -pk[i], -pc[i], i))
cb = [x.decode() for x in b["/repair/candidates/block"][()]]
assert cb == [names[i] for i in key], (cb, key)
# the probes do not change a candidate: same block, same validation numbers
ab = [x.decode() for x in a["/repair/candidates/block"][()]]
for k in ("val_clean", "val_corrupt"):
    va, vb = a[f"/repair/candidates/{k}"][()], b[f"/repair/candidates/{k}"][()]
    for i, blk in enumerate(cb):
        assert va[ab.index(blk)] == vb[i], (k, blk)
j = json.load(open(sys.argv[3]))
assert j["ranking"] == "probe" and 0 < j["cost"]["probe_cpu_s"] < j["cost"]["cpu_s"], j["cost"]
print("repair.ranking = probe: ranking, scores and candidates as expected")
PY
# tools/ranking_vs_gain.py: the spectrum row's rho is localization_gain.py's, the
# probe's too (its file holds both the scores and the gains); bad input: one line
tool=$here/../../tools/ranking_vs_gain.py
/usr/bin/python3 "$tool" --gains bw:5="$tmp/all.h5" --scores spectrum:5="$tmp/all.h5" \
  --scores probe:5="$tmp/probe.h5" > "$tmp/rvg.txt"
cat "$tmp/rvg.txt"
for f in all probe; do
  want=$(/usr/bin/python3 "$here/../../tools/localization_gain.py" "$tmp/$f.h5" |
         sed -n 's/^Spearman rho(score, corrupted gain) = \([-+0-9.]*\) .*/\1/p')
  label=$([ $f = all ] && echo spectrum || echo probe)
  got=$(awk -v l="$label" '$1 == l && $2 == 5 {print $3}' "$tmp/rvg.txt")
  /usr/bin/python3 -c "import sys; a, b = map(float, sys.argv[1:]); assert abs(a - b) < 6e-4, (a, b)" "$want" "$got"
done
grep -q "^depth " "$tmp/rvg.txt" && grep -q "^shallow " "$tmp/rvg.txt"
# repeatability: the same gains file as two seeds agrees with itself (rho +1),
# and a ranking's rho against the other seed's gains is its same-seed rho
/usr/bin/python3 "$tool" --gains bw:5="$tmp/all.h5" --gains bw:6="$tmp/all.h5" --gains bw:7="$tmp/all.h5" \
  --scores spectrum:5="$tmp/all.h5" > "$tmp/rep.txt"
grep -q "rho seed vs seed 5-6 +1.00, 5-7 +1.00, 6-7 +1.00 (mean +1.000)" "$tmp/rep.txt"
same=$(awk '$1 == "spectrum" && $2 == 5 {printf "%+.3f", $3}' "$tmp/rep.txt")
grep -q "^spectrum .*rho vs the other seeds' gains: mean $same " "$tmp/rep.txt"
grep -q "^spectrum .*rho vs the mean gain of the other seeds: mean $same " "$tmp/rep.txt"
# width-normalised rows: with every width 1 they are the ranking itself
nb=$(/usr/bin/python3 -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['/repair/blocks/names']))" "$tmp/all.h5")
ones=$(printf '1,%.0s' $(seq "$nb")); ones=${ones%,}
/usr/bin/python3 "$tool" --widths "$ones" --gains bw:5="$tmp/all.h5" --scores spectrum:5="$tmp/all.h5" > "$tmp/wid.txt"
a=$(awk '$1 == "spectrum" && $2 == 5 {print $3}' "$tmp/wid.txt")
b=$(awk '$1 == "spectrum*width" && $2 == 5 {print $3}' "$tmp/wid.txt")
c=$(awk '$1 == "spectrum/width" && $2 == 5 {print $3}' "$tmp/wid.txt")
[ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" = "$c" ]
if /usr/bin/python3 "$tool" --widths 1,2 --gains bw:5="$tmp/all.h5" 2> "$tmp/err.txt"; then exit 1; fi
grep -q "one per block" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" = 1 ]
if /usr/bin/python3 "$tool" --gains bw5="$tmp/all.h5" 2> "$tmp/err.txt"; then exit 1; fi
grep -q "expected LABEL:SEED=PATH" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" = 1 ]
if /usr/bin/python3 "$tool" --gains bw:5="$tmp/model.h5" 2> "$tmp/err.txt"; then exit 1; fi
grep -q "no /repair group" "$tmp/err.txt" && [ "$(wc -l < "$tmp/err.txt")" = 1 ]
echo "ranking_vs_gain: ok"
[ -n "${KEEP:-}" ] || rm -rf "$tmp"
echo PASS
