#!/usr/bin/env bash
# Installs every Debian package archrepair needs to build, run and test.
# Idempotent: packages already present are skipped; safe to run twice.
# Usage (as root, or with sudo available):  tools/install-deps.sh [--torch]
#   --torch  also python3-torch (PyTorch 1.13; about 600 MB with its libraries):
#            tools/torch_export.py / torch_import.py (docs/pytorch.md) and the
#            tests that need PyTorch (skipped without it). Run the tools with
#            /usr/bin/python3, the interpreter Debian's python3-torch is for.
set -euo pipefail

torch=0
for a in "$@"; do
  case $a in
    --torch) torch=1 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps: unknown option '$a' (usage: tools/install-deps.sh [--torch])" >&2
       exit 2 ;;
  esac
done

PKGS=(
  build-essential cmake pkg-config git
  openmpi-bin libopenmpi-dev
  libzmq3-dev
  libmsgpack-dev
  libopenblas-dev
  libhdf5-dev hdf5-tools
  zlib1g-dev libjpeg-dev libpng-dev
  libtomlplusplus-dev
  dataset-fashion-mnist
  clang
  python3-numpy python3-h5py
)
if [ $torch = 1 ]; then
  PKGS+=(python3-torch)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
