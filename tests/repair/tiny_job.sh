# tiny_job.sh - sourced by the repair tests that run a whole repair job on
# make_fixture's tiny case (TMP/model.h5, TMP/data.h5). Gives
#   ar_tiny_repair_toml FILE TMP OUTPUT EVAL_CORRUPTIONS EVAL_SEVERITIES [REPAIR_LINES]
# which writes the job file FILE: seed 5, 120 evaluation images per set
# (the clean set and EVAL_CORRUPTIONS x EVAL_SEVERITIES generated, TOML
# arrays), a 150-image pool with gaussian_noise and contrast at severities
# 1 and 3, and REPAIR_LINES (newline-separated "key = value") added to
# [repair] (search size, rungs, epochs...).
ar_tiny_repair_toml() {
  cat > "$1" <<TOML
[job]
kind = "repair"
seed = 5
output = "$3"
[model]
path = "$2/model.h5"
[data]
path = "$2/data.h5"
limit = 120
batch_size = 40
[[data.corrupted]]
kind = "generated"
corruptions = $4
severities = $5
[repair]
pool = 150
val = 60
failing = 40
sample = 30
augment = 0.5
corruptions = ["gaussian_noise", "contrast"]
severities = [1, 3]
batch = 25
${6:-}
[run]
blas_threads = 1
shard_size = 60
TOML
}
