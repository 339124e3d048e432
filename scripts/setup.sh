#!/usr/bin/env bash
# Prepares a machine for gmn: from a clean Debian 12 machine (root, Node 20, no GPU) to an installed
# project. WebGPU runs on lavapipe, Mesa's software Vulkan driver, where there is no GPU; Debian
# 12's own Mesa (22.3) is too old for Dawn, so lavapipe comes from bookworm-backports (see
# docs/runtime.md). Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=''
if [ "$(id -u)" -ne 0 ]; then SUDO='sudo'; fi

# True when lavapipe from Mesa >= 25 (the backport) and the Vulkan loader are already installed, so
# local runs skip apt entirely.
have_lavapipe() {
  dpkg-query -W -f='${Status}\n' libvulkan1 2>/dev/null | grep -q 'install ok installed' || return 1
  local mesa
  mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null) || return 1
  dpkg --compare-versions "$mesa" ge 25
}

add_backports() {
  # Add bookworm-backports, reusing the mirror URI of the existing "bookworm" entry (idempotent).
  local D=/etc/apt/sources.list.d
  if grep -rqs 'bookworm-backports' /etc/apt/sources.list "$D"; then
    echo 'bookworm-backports is already configured'
  elif [ -f "$D/debian.sources" ]; then
    awk 'BEGIN { RS = ""; FS = "\n" }
         { hit = 0
           for (i = 1; i <= NF; i++)
             if ($i ~ /^Suites:/) {
               n = split($i, s, /[ \t]+/)
               for (j = 2; j <= n; j++) if (s[j] == "bookworm") hit = 1
             }
           if (!hit) next
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^#/) continue
             if ($i ~ /^Suites:/) print "Suites: bookworm-backports"; else print $i
           }
           exit }' "$D/debian.sources" | $SUDO tee "$D/bookworm-backports.sources" > /dev/null
    [ -s "$D/bookworm-backports.sources" ] || { $SUDO rm -f "$D/bookworm-backports.sources"; echo 'no bookworm stanza found' >&2; }
  elif [ -f /etc/apt/sources.list ]; then
    sed -nE '/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm[[:space:]]/{
               s/[[:space:]]bookworm[[:space:]]/ bookworm-backports /; p; q }' \
        /etc/apt/sources.list | $SUDO tee "$D/bookworm-backports.list" > /dev/null
    [ -s "$D/bookworm-backports.list" ] || { $SUDO rm -f "$D/bookworm-backports.list"; echo 'no bookworm line found' >&2; }
  fi
}

if have_lavapipe; then
  echo "setup: lavapipe already installed (mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)), skipping apt"
else
  echo 'setup: installing lavapipe (Mesa 25) from bookworm-backports'
  add_backports
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y libvulkan1
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -t bookworm-backports mesa-vulkan-drivers
fi

# Debian packages the tasks and tests read: Fashion-MNIST for the learned-optimizer task (paper
# §6.2) and the INR-editing task (§6.3), in /usr/share/datasets/fashion-mnist; Python 3 with numpy for
# the cross-framework tests (an independent numpy MLP recomputes gmn's gradient dumps and reads its
# safetensors exports back; they skip, saying so, without it); python3-torch for the README's "Your own
# networks" walk-through (a PyTorch SIREN and hooks writing gradient files), which a test runs as written; redis-server for the job queue
# (`gmn run --queue`, `gmn worker`: its tests start their own instance on a loopback port and stop
# it; the package's own service is not needed); chromium for the playground's end-to-end test
# (tests/playground/e2e.test.ts drives it headless through puppeteer-core, with WebGPU through
# SwiftShader: docs/playground.md). One apt-get update for all of them.
missing=()
for pkg in dataset-fashion-mnist python3-numpy python3-torch redis-server chromium; do
  if dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    echo "setup: $pkg already installed"
  else
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

npm ci

# Say which WebGPU path the tests will take (hardware GPU, lavapipe, GL compat, or none).
npm run build
node dist/gmn.mjs doctor
