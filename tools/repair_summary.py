#!/usr/bin/python3
"""repair_summary.py RESULT.json ... - one table from repair results' JSON
summaries (<output>.json): results are grouped by variant (the file name
without its trailing "-s<seed>.json"), and each group gives its number of
seeds, the clean test accuracy change and the in-pool and held-out corrupted
means after the repair as mean +- sd over seeds, the original's numbers
beside them, how often the job returned a repaired model, the methods it
chose, the mean wall time and the mean cost (image passes forward + backward
and CPU seconds of all candidates, where the results carry them). Run with
/usr/bin/python3."""
import collections
import json
import os
import re
import statistics
import sys


def ms(v, scale=1.0, fmt="%.3f"):
    v = [x * scale for x in v]
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    return (fmt % statistics.mean(v)) + " +- " + ((fmt.replace("+", "")) % sd)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    groups = collections.OrderedDict()
    for p in sys.argv[1:]:
        name = re.sub(r"-s\d+\.json$", "", os.path.basename(p))
        groups.setdefault(name, []).append(json.load(open(p)))
    first = next(iter(groups.values()))[0]["summary"]
    print("original (first file): clean %.4f, in-pool mean %.4f (%d sets), held-out mean %.4f (%d sets);"
          " the corrupted test sets are drawn with the job seed, so each seed has its own 'before'" % (
              first["clean"]["before"], first["in_pool"]["before"], first["in_pool"]["sets"],
              first["held_out"]["before"], first["held_out"]["sets"]))
    print("| variant | seeds | clean change (points) | in-pool mean after (change) | held-out mean after (change) "
          "| repaired | chosen | wall s | cost: M passes, CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, rs in groups.items():
        sm = [r["summary"] for r in rs]
        dclean = [s["clean"]["after"] - s["clean"]["before"] for s in sm]
        chosen = collections.Counter(r["method"] + (":" + r["block"] if r["block"] else "")
                                     for r in rs if r["outcome"] == "repaired")
        cost = [r["cost"] for r in rs if "cost" in r]
        cs = ("%.2f, %.0f" % (statistics.mean((c["passes_fwd"] + c["passes_bwd"]) / 1e6 for c in cost),
                              statistics.mean(c["cpu_s"] for c in cost))) if cost else "-"
        print("| %s | %d | %s | %s | %s | %d/%d | %s | %.0f | %s |" % (
            name, len(rs), ms(dclean, 100, "%+.2f"),
            "%s (%s)" % (ms([s["in_pool"]["after"] for s in sm]),
                         ms([s["in_pool"]["after"] - s["in_pool"]["before"] for s in sm], 100, "%+.1f")),
            "%s (%s)" % (ms([s["held_out"]["after"] for s in sm]),
                         ms([s["held_out"]["after"] - s["held_out"]["before"] for s in sm], 100, "%+.1f")),
            sum(r["outcome"] == "repaired" for r in rs), len(rs),
            ", ".join("%s x%d" % kv for kv in chosen.items()) or "-",
            statistics.mean(r["wall_seconds"] for r in rs), cs))


main()
