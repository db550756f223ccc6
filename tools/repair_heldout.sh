#!/usr/bin/env bash
# Runs the held-out measurement of docs/repair.md ("Measured: the converged
# reference model"): the demo job configs/fashion-mnist-repair.toml for each
# variant (the method portfolio or one method, interpolation on or off) and
# each job seed, then prints the table (tools/repair_summary.py).
#   tools/repair_heldout.sh [SEEDS...]      (default 1 2 3)
# Environment: RANKS (default 3), OUT (default out/heldout), VARIANTS
# (default: every variant below), COORD (default build/archrepair-coord; a
# copy keeps a long measurement away from rebuilds), MODEL (default the job's:
# the reference model). About 1.5 minutes per run on an idle 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
ranks=${RANKS:-3}
coord=${COORD:-build/archrepair-coord}
out=${OUT:-out/heldout}
variants=${VARIANTS:-"portfolio-interp portfolio finetune-interp finetune block-weights-interp archrepair bn-adapt"}
# A variant may carry options after '+': kb (repair.keep_best), dNN
# (repair.distill = 0.NN; d0 = off), rs / r0 (repair.resample on / off),
# aNN (repair.augment = 0.NN), sN (repair.sample = N), fN
# (repair.finetune_all_epochs = N: the whole network after the method), pr
# (repair.ranking = "probe": blocks ranked by their probes, the default
# since 2026-12-05), sp (repair.ranking = "spectrum": the ranking of every
# measurement before that date), peN (repair.probe_epochs = N), nN
# (repair.nodes = [N]: the cell's intermediate nodes), mN
# (repair.micro_batch = N: data-parallel steps, ghost BatchNorm), seN / feN
# (repair.search_epochs / finetune_epochs = N), flrNN (repair.finetune_lr =
# 0.0NN, e.g. flr10 = 0.010), pcN (repair.partial_channels = N: PC-DARTS),
# cbN (repair.max_clean_drop = 0.00N: a bound of N tenths of a point), e.g.
# portfolio-interp+kb+d50; portfolio-interp+d0+r0 is the job as it was
# before distillation and resampling became the defaults.
# loco-<category> (not in the default list): the portfolio with interpolation,
# its pool drawn from the other three categories, so the left-out category's
# sets are the held-out ones (VARIANTS="loco-noise loco-blur loco-weather loco-digital")
cats="noise blur weather digital"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
job=configs/fashion-mnist-repair.toml
for v in $variants; do
  opts=()
  IFS=+ read -r -a parts <<< "$v"
  for o in "${parts[@]:1}"; do
    case $o in
      kb) opts+=(-e '/^\[repair\]/a keep_best = true') ;;
      rs) opts+=(-e '/^\[repair\]/a resample = true') ;;
      r0) opts+=(-e '/^\[repair\]/a resample = false') ;;
      d[0-9]*) opts+=(-e "/^\[repair\]/a distill = 0.${o#d}") ;;
      a[0-9]*) opts+=(-e "s/^augment = .*/augment = 0.${o#a}/") ;;
      s[0-9]*) opts+=(-e "s/^sample = .*/sample = ${o#s}/") ;;
      f[0-9]*) opts+=(-e "/^\[repair\]/a finetune_all_epochs = ${o#f}") ;;
      pr) opts+=(-e '/^\[repair\]/a ranking = "probe"') ;;
      sp) opts+=(-e '/^\[repair\]/a ranking = "spectrum"') ;;
      pe[0-9]*) opts+=(-e "/^\[repair\]/a probe_epochs = ${o#pe}") ;;
      pc[0-9]*) opts+=(-e "/^\[repair\]/a partial_channels = ${o#pc}") ;;
      cb[0-9]) opts+=(-e "s/^max_clean_drop = .*/max_clean_drop = 0.00${o#cb}/") ;;
      n[0-9]*) opts+=(-e "s/^nodes = .*/nodes = [${o#n}]/") ;;
      m[0-9]*) opts+=(-e "/^\[repair\]/a micro_batch = ${o#m}") ;;
      se[0-9]*) opts+=(-e "s/^search_epochs = .*/search_epochs = ${o#se}/") ;;
      fe[0-9]*) opts+=(-e "s/^finetune_epochs = .*/finetune_epochs = ${o#fe}/") ;;
      flr[0-9]*) opts+=(-e "s/^finetune_lr = .*/finetune_lr = 0.0${o#flr}/") ;;
      *) echo "repair_heldout.sh: unknown option '$o' in $v" >&2; exit 2 ;;
    esac
  done
  [ -z "${MODEL:-}" ] || opts+=(-e "/^\[model\]/,/^path/s#^path = .*#path = \"$MODEL\"#")
  base=${parts[0]}
  case $base in
    portfolio-interp) edit='' ;;
    portfolio) edit='s/^interpolate = true/interpolate = false/' ;;
    loco-*) others=$(for c in $cats; do [ "$c" = "${base#loco-}" ] || printf '"%s", ' "$c"; done)
            edit="s/^corruptions = \[\"noise\", \"blur\".*/corruptions = [${others%, }]/" ;;
    *-interp) m=${base%-interp}; edit="s/^methods = .*/methods = [\"$m\"]/" ;;
    *) edit="s/^methods = .*/methods = [\"$base\"]/; s/^interpolate = true/interpolate = false/" ;;
  esac
  for s in "${seeds[@]}"; do
    cfg="$out/$v-s$s.toml"
    sed -e "$edit" "${opts[@]}" -e "s/^seed = 1$/seed = $s/" -e "s#^output = .*#output = \"$out/$v-s$s.h5\"#" "$job" > "$cfg"
    echo "== $v seed $s"
    mpirun -np "$ranks" --oversubscribe --bind-to none "$coord" "$cfg" > "$out/$v-s$s.log" 2>&1 ||
      { echo "FAILED: see $out/$v-s$s.log"; exit 1; }
  done
done
/usr/bin/python3 tools/repair_summary.py "$out"/*.json
