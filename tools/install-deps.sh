#!/usr/bin/env bash
# Installs the Debian 12 packages Backplane needs to build, test and
# benchmark. Safe to re-run. Run as root (or with sudo).
#   build:      build-essential cmake ninja-build pkg-config
#   tests:      libcriterion-dev (unit tests), python3 (JSON checks),
#               python3-torch and python3-numpy (the PyTorch oracle of the reference)
#   benchmarks: libtorch-dev (the libtorch anchor of `bp bench dispatch`),
#               libopenblas-dev (the matmul anchor of `bp bench ops`)
#   opencl:     ocl-icd-opencl-dev opencl-headers (to build backends/opencl),
#               pocl-opencl-icd clinfo (a CPU OpenCL device for its tests)
#   vulkan:     libvulkan-dev glslc (build), mesa-vulkan-drivers (lavapipe), vulkan-validationlayers (CI)
#   onednn:     libdnnl-dev (backends/onednn)
#   training:   zlib1g-dev (bp train reads gzip files), dataset-fashion-mnist
#               (the data set of `bp train` and its CI test)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcriterion-dev python3 python3-torch python3-numpy
  libtorch-dev
  libopenblas-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers vulkan-tools
  libdnnl-dev
  zlib1g-dev dataset-fashion-mnist
)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
