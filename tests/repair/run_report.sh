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
#   evaluate: a 2-rank evaluate job on the fixture (clean + five corruptions of
#           four categories x three severities), its page checked by
#           check_report.py (heatmap, category means, curves, classes, sets,
#           JSON summary); `info` shows the outcome and the job's table; a
#           stats job's result: `info` lists its sets, `report` refuses it
#           with one line; an evaluate result missing /evaluation/acc is
#           refused with one line naming the dataset, and no page is written.
#   localize: a 2-rank localize job (FGSM) on the fixture, its page checked
#           (block chart with the chosen block highlighted, per-block
#           statistics from the neurons, layers, JSON summary); `info`
#           shows the chosen block and the ranking.
# Exit 77 (ctest: skipped) when /usr/bin/python3 has no h5py (all but errors).
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

# expect_line FILE TEXT - FILE has a line containing TEXT
expect_line() {
  grep -qF -- "$2" "$1" || { echo "FAIL: '$2' not in $1:"; cat "$1"; exit 1; }
}

if [ "$mode" = evaluate ]; then
  cat > "$tmp/eval.toml" <<TOML
[job]
kind = "evaluate"
name = "report evaluate"
seed = 5
output = "$tmp/eval.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 120
batch_size = 40
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise", "shot_noise", "motion_blur", "fog", "contrast"]
severities = [1, 3, 5]
[run]
blas_threads = 1
shard_size = 60
TOML
  ar_mpi_job "$coord" 2 200 "$tmp/eval.toml" "$tmp/eval"
  "$cli" report "$tmp/eval.h5" | grep -qF "$tmp/eval.html written" || { echo "FAIL: default path"; exit 1; }
  "$py" "$here/check_report.py" "$tmp/eval.h5" "$tmp/eval.html"
  "$cli" info "$tmp/eval.h5" > "$tmp/info.txt"
  expect_line "$tmp/info.txt" "format:       evaluate result (/evaluation)"
  expect_line "$tmp/info.txt" "sets:         16 (1 clean, 15 corrupted), 1920 images, 3 classes"
  clean=$("$py" -c "import h5py; print('%.4f' % h5py.File('$tmp/eval.h5')['evaluation/acc'][0])")
  expect_line "$tmp/info.txt" "outcome:      clean $clean"
  # the job's own table, line for line (the same means module prints both)
  sed -n '/^accuracy (%)/,/^relative robustness/p' "$tmp/eval.out" > "$tmp/table.job"
  sed -n '/^accuracy (%)/,/^relative robustness/p' "$tmp/info.txt" > "$tmp/table.info"
  [ -s "$tmp/table.job" ] && cmp -s "$tmp/table.job" "$tmp/table.info" || { echo "FAIL: info's table differs from the job's"; diff "$tmp/table.job" "$tmp/table.info"; exit 1; }
  expect_line "$tmp/info.txt" "noise (category)"
  # a stats result: info lists the sets, report refuses it
  sed -e 's/kind = "evaluate"/kind = "stats"/' -e "s#$tmp/eval.h5#$tmp/stats.h5#" "$tmp/eval.toml" > "$tmp/stats.toml"
  ar_mpi_job "$coord" 1 120 "$tmp/stats.toml" "$tmp/stats"
  "$cli" info "$tmp/stats.h5" > "$tmp/info.txt"
  expect_line "$tmp/info.txt" "format:       stats result (/stats)"
  expect_line "$tmp/info.txt" "sets:         16"
  expect_line "$tmp/info.txt" "fog/5"
  rc=0
  "$cli" report "$tmp/stats.h5" >/dev/null 2>"$tmp/e" || rc=$?
  [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] || { echo "FAIL: report on a stats result: $rc"; cat "$tmp/e"; exit 1; }
  expect_line "$tmp/e" "archrepair report: $tmp/stats.h5: not a repair, evaluate or localize result"
  [ ! -e "$tmp/stats.html" ] || { echo "FAIL: a page was written for a stats result"; exit 1; }
  # a damaged evaluate result: named, one line, no page
  "$py" -c "import h5py, shutil; shutil.copy('$tmp/eval.h5', '$tmp/bad.h5'); del h5py.File('$tmp/bad.h5', 'a')['evaluation/acc']"
  for cmd in report info; do
    rc=0
    "$cli" $cmd "$tmp/bad.h5" >/dev/null 2>"$tmp/e" || rc=$?
    [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] || { echo "FAIL: $cmd on a damaged result: $rc"; cat "$tmp/e"; exit 1; }
    expect_line "$tmp/e" "$tmp/bad.h5: /evaluation/acc missing"
  done
  [ ! -e "$tmp/bad.html" ] || { echo "FAIL: a page was written for a damaged result"; exit 1; }
  ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; ls "$tmp"; exit 1; }
  echo "report evaluate: ok"
  exit 0
fi

if [ "$mode" = localize ]; then
  cat > "$tmp/lz.toml" <<TOML
[job]
kind = "localize"
name = "report localize"
seed = 3
output = "$tmp/lz.h5"
[model]
path = "$tmp/model.h5"
[data]
path = "$tmp/data.h5"
limit = 200
batch_size = 25
[[data.corrupted]]
kind = "generated"
corruptions = ["gaussian_noise"]
severities = [3]
[localize]
count = 40
adversarial = "fgsm"
[run]
blas_threads = 1
shard_size = 50
TOML
  ar_mpi_job "$coord" 2 200 "$tmp/lz.toml" "$tmp/lz"
  "$cli" report "$tmp/lz.h5" --html "$tmp/lz-page.html" >/dev/null
  "$py" "$here/check_report.py" "$tmp/lz.h5" "$tmp/lz-page.html"
  "$cli" info "$tmp/lz.h5" > "$tmp/info.txt"
  chosen=$("$py" -c "import h5py; print(h5py.File('$tmp/lz.h5')['localization'].attrs['chosen'])")
  expect_line "$tmp/info.txt" "format:       localize result (/localization)"
  expect_line "$tmp/info.txt" "outcome:      block $chosen most suspicious"
  # the ranking as the job printed it: same blocks in the same order
  diff <(sed -n '/^block ranking:/,/^layer ranking/p' "$tmp/lz.out" | awk 'NF == 3 {print $1, $2}') \
       <(sed -n '/^block ranking:/,/^layer ranking/p' "$tmp/info.txt" | awk 'NF == 9 && $1 ~ /^[0-9]+$/ {print $1, $2}') \
    || { echo "FAIL: info's block ranking differs from the job's"; exit 1; }
  ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; ls "$tmp"; exit 1; }
  echo "report localize: ok"
  exit 0
fi

ar_tiny_repair_toml "$tmp/job.toml" "$tmp" "$tmp/result.h5" '["gaussian_noise", "fog"]' '[1, 3]' \
  "$(printf '%s\n' 'top_k = 2' 'nodes = [2]' 'rungs = 2' 'search_epochs = 1' 'finetune_epochs = 1' 'max_clean_drop = 1.0')"
ar_mpi_job "$coord" 1 200 "$tmp/job.toml" "$tmp/job"
"$cli" report "$tmp/result.h5" | grep -qF "$tmp/result.html written" || { echo "FAIL: default path"; exit 1; }
"$cli" report --html="$tmp/page.html" "$tmp/result.h5" >/dev/null
cmp -s "$tmp/result.html" "$tmp/page.html" || { echo "FAIL: --html page differs from the default one"; exit 1; }
ls "$tmp" | grep -q '\.tmp\.' && { echo "FAIL: temporary file left"; ls "$tmp"; exit 1; }
"$py" "$here/check_report.py" "$tmp/result.h5" "$tmp/result.html"
