#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch; 1.13 on bookworm) and OpenBLAS (libopenblas0-openmp) from
# apt's configured sources: torch is the reference of the interop tests (checkpoints, printing) and the
# torch-cpu peer of bench/. Without an OpenBLAS package Debian's torch runs its GEMMs on the reference
# BLAS (libblas3, a few GFLOP/s), which is no fair peer. Idempotent; needs root (or sudo).
set -euo pipefail
have_torch() { /usr/bin/python3 -c 'import torch' 2>/dev/null; }
have_openblas() { dpkg-query -W -f='${Status}' libopenblas0-openmp 2>/dev/null | grep -q 'install ok installed'; }
if ! have_torch || ! have_openblas; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-openmp >/dev/null
fi
echo "torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'); BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)"
