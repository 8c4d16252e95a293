#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine to run webgpu-bert: a Vulkan driver for Dawn, Chromium for
# the browser test, then npm ci.
# On a machine with a GPU and its Vulkan driver this installs nothing but the npm packages.
#
# Software driver, in order of preference (see README "No GPU? Software Vulkan"):
#   1. Mesa lavapipe >= 24 (Debian bookworm-backports; Mesa 22 in plain bookworm is rejected by Dawn)
#   2. SwiftShader from Debian's chromium (2-5x slower)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

have_lavapipe() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || return 1
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
  dpkg --compare-versions "$v" ge 24 2>/dev/null
}

install_vulkan() {
  if ! command -v apt-get >/dev/null; then
    echo "setup: no apt-get here; install a Vulkan driver (Mesa lavapipe >= 24 or your GPU's) by hand." >&2
    return 0
  fi
  if have_lavapipe; then
    echo "setup: Mesa lavapipe already installed"
    return 0
  fi
  . /etc/os-release
  local codename="${VERSION_CODENAME:-}"
  if [ "${ID:-}" = debian ] && [ -n "$codename" ]; then
    echo "setup: adding Debian ${codename}-backports for Mesa lavapipe"
    $SUDO tee /etc/apt/sources.list.d/webgpu-bert-backports.sources >/dev/null <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO apt-get update -qq
    if $SUDO apt-get install -y -qq -t "${codename}-backports" mesa-vulkan-drivers libvulkan1 >/dev/null && have_lavapipe; then
      echo "setup: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
      return 0
    fi
  else
    $SUDO apt-get update -qq
    if $SUDO apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null && have_lavapipe; then
      echo "setup: installed $(dpkg-query -W -f='mesa-vulkan-drivers ${Version}' mesa-vulkan-drivers)"
      return 0
    fi
  fi
  echo "setup: lavapipe >= 24 unavailable; installing SwiftShader (Debian chromium) instead"
  $SUDO apt-get install -y -qq libvulkan1 chromium >/dev/null
}

# A machine whose Vulkan loader already lists a hardware GPU needs no software driver.
if command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -q 'PHYSICAL_DEVICE_TYPE_\(DISCRETE\|INTEGRATED\)_GPU'; then
  echo "setup: a hardware Vulkan GPU is present"
else
  install_vulkan
fi

# Debian's Chromium runs the browser-bundle test (WebGPU on SwiftShader); playwright-core drives it.
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && command -v apt-get >/dev/null; then
  echo "setup: installing Debian chromium for the browser test"
  $SUDO apt-get install -y -qq chromium >/dev/null
fi

npm ci --no-audit --no-fund
node --import ./scripts/register-ts.mjs scripts/check-gpu.ts
