#!/usr/bin/env bash
# Installs every Debian package archrepair needs to build, run and test.
# Idempotent: packages already present are skipped; safe to run twice.
# Usage (as root, or with sudo available):  tools/install-deps.sh
set -euo pipefail

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
