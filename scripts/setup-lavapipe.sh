#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe), so Dawn finds a WebGPU adapter on a machine
# without a GPU. Debian bookworm's own Mesa (22.x) is too old for Dawn; bookworm-backports has Mesa 25.
# The backports suite reuses the URI of the Debian source apt already has, so no mirror host is
# written here. Idempotent; needs root (or sudo).
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo \
   && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  echo "lavapipe already installed: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
  exit 0
fi

sources=$(ls /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if ! grep -qs 'bookworm-backports' $sources; then
  # The first Debian archive URI, from either a one-line "deb URI ..." or a deb822 "URIs: URI" entry.
  uri=$(grep -hoE '^(URIs:|deb)[[:space:]]+[^[:space:]]+/debian/?([[:space:]]|$)' $sources \
        | awk 'NR == 1 { print $2 }')
  if [ -z "$uri" ]; then
    echo "setup-lavapipe: found no Debian archive in apt's sources ($sources)" >&2
    exit 1
  fi
  echo "deb $uri bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
echo "lavapipe installed: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
