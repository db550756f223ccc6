#!/usr/bin/env bash
# run_report.sh MODE COORD ARCHREPAIR MAKE_FIXTURE TMP - `archrepair report`.
#   page:   a 1-rank repair job on make_fixture's tiny case (two corruptions x
#           two severities, fog held out), then the report at its default path
#           (RESULT.html beside RESULT.h5) and at --html, checked by
#           check_report.py (parses, one <svg> per chart, a bar per set, the
#           outcome, every set name, nothing external).
#   errors: a model file (HDF5, no /repair), a non-HDF5 file and a missing one
#           exit 1 with one line naming the file; no argument or an unknown
#           option exit 2; no page is left behind.
# Exit 77 (ctest: skipped) when /usr/bin/python3 has no h5py (page mode).
set -euo pipefail
mode=$1 coord=$2 cli=$3 mk=$4
tmp=$5/report-$mode
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
rm -rf "$tmp" && mkdir -p "$tmp"
"$mk" "$tmp" >/dev/null

if [ "$mode" = errors ]; then
  echo "not hdf5" > "$tmp/notes.h5"
  for f in "$tmp/model.h5" "$tmp/notes.h5" "$tmp/missing.h5"; do
    rc=0
    "$cli" report "$f" --html "$tmp/out.html" >"$tmp/o" 2>"$tmp/e" || rc=$?
    [ $rc -eq 1 ] || { echo "FAIL: report $f exited $rc, expected 1"; cat "$tmp/e"; exit 1; }
    [ "$(wc -l <"$tmp/e")" -eq 1 ] || { echo "FAIL: report $f: not one line"; cat "$tmp/e"; exit 1; }
    grep -qF "archrepair report: $f" "$tmp/e" || { echo "FAIL: error does not name $f"; cat "$tmp/e"; exit 1; }
    [ ! -e "$tmp/out.html" ] || { echo "FAIL: a page was written for $f"; exit 1; }
  done
  for args in "" "$tmp/model.h5 --bogus" "$tmp/model.h5 $tmp/data.h5"; do
    rc=0
    "$cli" report $args >/dev/null 2>"$tmp/e" || rc=$?
    [ $rc -eq 2 ] || { echo "FAIL: report $args exited $rc, expected 2"; cat "$tmp/e"; exit 1; }
  done
  "$cli" report --help | grep -q "Usage: archrepair report" || { echo "FAIL: --help"; exit 1; }
  ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; ls "$tmp"; exit 1; }
  echo "report errors: ok"
  exit 0
fi

if ! "$py" -c "import h5py" 2>/dev/null; then
  echo "SKIP: $py cannot import h5py (Debian: python3-h5py)"
  exit 77
fi
. "$here/../support/mpi_job.sh"
. "$here/tiny_job.sh"
ar_tiny_repair_toml "$tmp/job.toml" "$tmp" "$tmp/result.h5" '["gaussian_noise", "fog"]' '[1, 3]' \
  "$(printf '%s\n' 'top_k = 2' 'nodes = [2]' 'rungs = 2' 'search_epochs = 1' 'finetune_epochs = 1' 'max_clean_drop = 1.0')"
ar_mpi_job "$coord" 1 200 "$tmp/job.toml" "$tmp/job"
"$cli" report "$tmp/result.h5" | grep -qF "$tmp/result.html written" || { echo "FAIL: default path"; exit 1; }
"$cli" report --html="$tmp/page.html" "$tmp/result.h5" >/dev/null
cmp -s "$tmp/result.html" "$tmp/page.html" || { echo "FAIL: --html page differs from the default one"; exit 1; }
ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; ls "$tmp"; exit 1; }
"$py" "$here/check_report.py" "$tmp/result.h5" "$tmp/result.html"
