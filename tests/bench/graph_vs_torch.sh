#!/bin/bash
# graph_vs_torch.sh - the engine's whole-network rows against PyTorch 1.13, one
# run: training-step and inference images/s and peak memory, for resnet20
# (3x32x32 and 1x28x28) and resnet18 (3x32x32), batch 128, at 1 and 2
# threads. Every row is one process of ours and one of PyTorch, back to back,
# so each peak-memory figure belongs to that row only.
#
#   tests/bench/graph_vs_torch.sh [--build DIR] [--threads "1 2"] [--reps N] [--rounds K] [--cpu-time]
#
# --rounds K runs each row K times, ours and PyTorch alternating, and prints
# the median rate of each side, the ratio of the medians and the range of
# the K per-round ratios: on a shared machine one slow minute moves a single
# round by 20% (either side), the median of 3 far less.
#
# Default clock: wall (the only honest one for 2 threads; needs an idle
# machine - the script prints the load average before and after). --cpu-time
# uses process CPU time instead (loaded machine, 1 thread only: with several
# threads it sums them). Ratio = ours / torch images/s (> 1: ours faster);
# memory = peak resident set minus the resident set before the model was built
# (PyTorch's ~300 MB of libraries are not counted), and the raw peak.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build threads="1 2" reps=3 rounds=1 clock=--wall
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --cpu-time) clock=""; shift ;;
    *) echo "usage: $0 [--build DIR] [--threads \"1 2\"] [--reps N] [--rounds K] [--cpu-time]" >&2; exit 2 ;;
    esac
done
ours=$build/tests/bench/bench_graph
[ -x "$ours" ] || { echo "graph_vs_torch: $ours not built (cmake --build $build --target bench_graph)" >&2; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "graph_vs_torch: /usr/bin/python3 has no torch (apt-get install python3-torch)" >&2; exit 1; }

# row: label, model, phase, input
rows=(
    "resnet20 3x32x32 train|resnet20|train|3,32,32"
    "resnet20 1x28x28 train|resnet20|train|1,28,28"
    "resnet20 3x32x32 infer|resnet20|eval|3,32,32"
    "resnet20 1x28x28 infer|resnet20|eval|1,28,28"
    "resnet18 3x32x32 infer|resnet18|eval|3,32,32"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), clock ${clock:---cpu-time}, batch 128, best of $reps, $rounds round(s)"
if [ "$rounds" -gt 1 ]; then
    echo "| row | threads | ours img/s (median) | torch img/s (median) | ours/torch (medians) | round ratios | ours peak MB (raw) | torch peak MB (raw) |"
    echo "|---|---|---|---|---|---|---|---|"
else
    echo "| row | threads | ours img/s | torch img/s | ours/torch | ours peak MB (raw) | torch peak MB (raw) |"
    echo "|---|---|---|---|---|---|---|"
fi
for t in $threads; do
    for row in "${rows[@]}"; do
        IFS='|' read -r label model phase input <<<"$row"
        only=--eval-only
        [ "$phase" = train ] && only=--train-only
        args=(--models "$model" --batch 128 --input "$input" --threads "$t" --reps "$reps" $only $clock)
        for r in $(seq 1 "$rounds"); do
            OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$ours" "${args[@]}" >"$tmp/ours.$r"
            OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t /usr/bin/python3 tests/bench/bench_graph_torch.py \
                "${args[@]}" --json >"$tmp/torch.$r"
        done
        /usr/bin/python3 - "$label" "$t" "$rounds" "$tmp" <<'EOF2'
import json, statistics, sys
label, t, rounds, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def get(f):
    for line in open(f):
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    sys.exit("graph_vs_torch: no BENCH line in " + f)
o = [get("%s/ours.%d" % (tmp, r)) for r in range(1, rounds + 1)]
p = [get("%s/torch.%d" % (tmp, r)) for r in range(1, rounds + 1)]
def mem(ds):  # the largest peak of the rounds
    d = max(ds, key=lambda d: d["rss_peak_mb"] - d["rss_start_mb"])
    return "%.0f (%.0f)" % (d["rss_peak_mb"] - d["rss_start_mb"], d["rss_peak_mb"])
mo = statistics.median(d["img_s"] for d in o)
mp = statistics.median(d["img_s"] for d in p)
if rounds == 1:
    print("| %s | %s | %.1f | %.1f | %.2f | %s | %s |" % (label, t, mo, mp, mo / mp, mem(o), mem(p)),
          flush=True)
else:
    rr = [a["img_s"] / b["img_s"] for a, b in zip(o, p)]
    print("| %s | %s | %.1f | %.1f | %.2f | %.2f-%.2f | %s | %s |" % (label, t, mo, mp, mo / mp,
          min(rr), max(rr), mem(o), mem(p)), flush=True)
EOF2
    done
done
echo "# end $(date -u '+%T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
