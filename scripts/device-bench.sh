#!/usr/bin/env bash
# Runs gmn's benchmarks from a bundle built by scripts/device-bundle.sh, on a machine without Node
# (the device tool's GPU machine), in one command: unpacks Node and gmn into a scratch folder,
# installs the Vulkan loader there if the machine has none, then runs
#   gmn doctor; gmn bench; gmn bench --only curvature --profile;
#   the PyTorch anchor on CUDA, eager and torch.compile (when PyTorch sees a GPU);
#   scripts/scaling.mjs measure (when the bundle sits in a gmn checkout and SCALING is set).
# Usage: scripts/device-bench.sh [BUNDLE=device-bundle] [RESULTS=${OUT:-results}]
# On the device tool: run(command='scripts/device-bench.sh', carry=['device-bundle']).
set -uo pipefail
bundle=$(cd "${1:-device-bundle}" && pwd)
results=$(mkdir -p "${2:-${OUT:-results}}" && cd "${2:-${OUT:-results}}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)

if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  # The device README's recipe: the loader's packages unpacked into /.
  for f in "$bundle"/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nvidia_icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  export VK_DRIVER_FILES=$nvidia_icd
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi

# The GPU machine's image is not known to have xz; its python3 has lzma.
unxz() {
  if command -v xz >/dev/null; then xz -dc "$1"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}
unxz "$bundle/node.xz" >"$work/node" && chmod +x "$work/node"
unxz "$bundle/gmn.tar.xz" | tar -C "$work" -xf -
gmn() { "$work/node" "$work/gmn/dist/gmn.mjs" "$@"; }
export PATH="$work:$PATH"

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
echo '== gmn doctor'
gmn doctor
echo '== gmn bench'
gmn bench --json "$results/gmn-bench.json"
echo '== gmn bench --only curvature --profile'
gmn bench --only curvature --profile >"$results/gmn-profile.txt"
head -40 "$results/gmn-profile.txt"

if python3 -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for mode in eager compile; do
    echo "== PyTorch CUDA $mode"
    python3 "$bundle/torch_gmn.py" 16 64 cuda "$mode" 2>&1 | tail -3 | tee "$results/torch-cuda-$mode.txt"
  done
else
  echo '== PyTorch: no CUDA device seen by python3; anchor skipped'
fi

if [ -n "${SCALING:-}" ] && [ -f "$here/scripts/scaling.mjs" ]; then
  echo "== scaling sweeps $SCALING"
  (cd "$here" && "$work/node" scripts/scaling.mjs measure --out "$results/scaling.json" --sweep "$SCALING" \
    --gmn "$work/gmn/dist/gmn.mjs" --anchor "$bundle/torch_gmn.py" --python python3 --device cuda \
    --modes eager,compile --threads 16)
fi
rm -rf "$work"
