#!/usr/bin/env bash
# test_install.sh - `cmake --install` into a fresh prefix: both programs run
# from PREFIX/bin (--version), the job files, cluster scripts and Python
# tools are under PREFIX/share/archrepair; in a portable build (DISPATCH=1)
# the microkernels exist as AVX-512, AVX2+FMA and baseline clones and no
# other code uses AVX.
# Usage: test_install.sh CMAKE BUILD_DIR TMP_DIR DISPATCH
set -euo pipefail
cmake=$1 build=$2 tmp=$3/install dispatch=$4
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$tmp"
"$cmake" --install "$build" --prefix "$tmp" >"$tmp.log" 2>&1 || { cat "$tmp.log"; fail "cmake --install"; }
for b in archrepair archrepair-coord; do
  [ -x "$tmp/bin/$b" ] || fail "no $tmp/bin/$b"
  "$tmp/bin/$b" --version | grep -q "^archrepair 0\." || fail "$b --version"
done
for f in configs/cifar10c-repair.toml configs/fashion-mnist-repair.toml cluster/slurm.sbatch cluster/pbs.sh \
         cluster/README.md tools/torch_export.py tools/repair_summary.py; do
  [ -f "$tmp/share/archrepair/$f" ] || fail "no share/archrepair/$f"
done
[ -x "$tmp/share/archrepair/cluster/slurm.sbatch" ] || fail "slurm.sbatch not executable"
# the installed batch script finds archrepair-coord through AR_PREFIX
grep -q 'AR_PREFIX/bin' "$tmp/share/archrepair/cluster/slurm.sbatch" || fail "slurm.sbatch ignores AR_PREFIX"
if [ "$dispatch" = 1 ] && command -v nm >/dev/null; then
  syms=$(nm "$tmp/bin/archrepair-coord")
  for c in arch_x86_64_v4 arch_x86_64_v3 default; do
    grep -q "ar_mk_conv\.$c\$" <<<"$syms" || fail "no ar_mk_conv.$c clone"
  done
  # no AVX (VEX / EVEX) instruction outside the v3 / v4 clones: the rest is
  # baseline x86-64, so the binary starts on any x86-64 CPU
  if command -v objdump >/dev/null; then
    avx=$(objdump -d --no-show-raw-insn "$tmp/bin/archrepair-coord" | awk '
      /^[0-9a-f]+ <.*>:$/ { fn = $2 }
      /%[yz]mm|\tv[a-z0-9]+ / { if (fn !~ /arch_x86_64_v[34]/) n[fn]++ }
      END { for (f in n) print f }')
    [ -z "$avx" ] || fail "AVX instructions outside the clones: $avx"
  fi
fi
rm -rf "$tmp" "$tmp.log"
echo PASS
