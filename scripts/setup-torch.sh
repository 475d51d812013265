#!/usr/bin/env bash
# Installs Debian's PyTorch (python3-torch; 1.13 on bookworm) from apt's configured sources, for the
# checkpoint interop test (test/checkpoint-torch.test.ts). Idempotent; needs root (or sudo).
set -euo pipefail
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "torch already installed: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
echo "torch installed: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
