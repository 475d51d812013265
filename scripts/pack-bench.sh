#!/usr/bin/env bash
# Packs the benchmark suite into ONE self-contained archive for an x86-64 Linux machine with a GPU but
# no Node and no package registry: runs/webgrad-bench-linux-x64.tar.xz (or the path given), holding
# webgrad-bench/ with this machine's `node` binary, package.json, dist/, kernels/, bench/ (no results),
# the native addon if built, run-packed-bench.sh, and a pruned node_modules: only the files that
# bench/run.js and what it loads reach (each package's package.json, the files its imports and
# require() calls resolve to, followed statically, plus webgpu's linux-x64 dawn.node and
# tfjs-backend-wasm's .wasm files, which are loaded by computed paths).
# Run it there with run-packed-bench.sh (see bench/README.md, "On a GPU machine without Node").
# usage: scripts/pack-bench.sh [ARCHIVE]     (XZ_OPT is passed to xz: default -6, one thread)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
archive=${1:-runs/webgrad-bench-linux-x64.tar.xz}
limit_mib=60   # the whole working tree that travels to the GPU machine is limited to 64 MiB

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "pack-bench: packs this machine's node and dawn.node: run it on x86-64 Linux" >&2; exit 1; }
node=$(node -p process.execPath)

echo "pack-bench: npm run build"
npm run build --silent
addon=native/build/Release/webgrad_native.node
if [ -f native/build/Makefile ]; then
  # Built before: bring it up to date (make recompiles only what changed) when a source is newer.
  if [ ! -f "$addon" ] || [ -n "$(find native/src native/binding.gyp -newer "$addon" 2>/dev/null | head -1)" ]; then
    echo "pack-bench: native sources changed, make -C native/build"
    make -s -C native/build BUILDTYPE=Release
  fi
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/pack-bench.XXXXXX")
trap 'rm -rf "$stage" "$archive.tmp"' EXIT
pkg=$stage/webgrad-bench
mkdir -p "$pkg/bench/results"

cp "$node" "$pkg/node"
cp package.json README.md LICENSE "$pkg/"   # README.md: run.js regenerates its tables after an unfiltered run
cp -r dist kernels "$pkg/"
tar -cf - --exclude='bench/results/*' bench | tar -xf - -C "$pkg"
if [ -f "$addon" ]; then
  mkdir -p "$pkg/native/build/Release"
  cp "$addon" "$pkg/native/build/Release/"
else
  echo "pack-bench: no native addon ($addon): webgrad-cpu will be the TypeScript reference backend" >&2
fi
cp scripts/run-packed-bench.sh "$pkg/run-packed-bench.sh"
chmod +x "$pkg/run-packed-bench.sh" "$pkg/node"
{
  echo "webgrad bench pack, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src kernels bench native/src 2>/dev/null || echo ' + uncommitted changes')"
  echo "node: $("$node" --version) ($node)"
  echo "native addon: $([ -f "$addon" ] && echo yes || echo no)"
} >"$pkg/PACKED.txt"

# The pruned node_modules: a static closure over import / export-from / import() / require() from
# bench/**/*.js (and the dist/ files they import), resolved with Node's own resolver from each file.
"$node" - "$root" "$pkg" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const { createRequire, isBuiltin } = require('node:module');
const [root, dest] = process.argv.slice(2);
const nm = path.join(root, 'node_modules') + path.sep;
const self = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
/** Files loaded by computed paths, which no static scan sees: package -> [dir, file filter]. */
const EXTRA = {
  webgpu: [['dist/linux-x64', () => true]],                                  // dawn.node, required by platform
  '@tensorflow/tfjs-backend-wasm': [['dist', (f) => f.endsWith('.wasm')]],    // setWasmPaths(dist/)
};
const PATTERNS = [
  /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  /\b(?:import|export)\s[^'";]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
  /\bimport\s*(['"])([^'"\n]+)\1/g,
  /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
];
const keep = new Set();       // absolute paths under node_modules
const scanned = new Set();
const unresolved = new Map(); // specifier -> first file that names it
const packages = new Set();

function keepFile(file) {
  if (!file.startsWith(nm) || keep.has(file)) return;
  keep.add(file);
  // Every package.json from the file up to node_modules: package roots, nested {"type": …} files.
  for (let dir = path.dirname(file); dir.length >= nm.length; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      keep.add(pj);
      if (JSON.parse(fs.readFileSync(pj, 'utf8')).name) packages.add(dir);
    }
  }
}

function resolve(spec, from) {
  if (spec === self.name || spec.startsWith(self.name + '/')) {
    const entry = self.exports?.['.']?.import ?? self.main;   // the bench imports 'webgrad' itself
    return spec === self.name ? path.join(root, entry) : undefined;
  }
  try { return createRequire(from).resolve(spec); } catch { return undefined; }
}

function scan(file) {
  if (scanned.has(file) || !/\.(c|m)?js$/.test(file)) return;
  scanned.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const re of PATTERNS) {
    for (const m of text.matchAll(re)) {
      const spec = m[2];
      if (isBuiltin(spec) || spec.startsWith('node:')) continue;
      const target = resolve(spec, file);
      if (!target) { if (!unresolved.has(spec)) unresolved.set(spec, file); continue; }
      if (isBuiltin(target)) continue;
      keepFile(target);
      scan(target);
    }
  }
}

const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? (e.name === 'results' ? [] : walk(path.join(dir, e.name))) : [path.join(dir, e.name)]);
for (const f of walk(path.join(root, 'bench'))) scan(f);

for (const [name, rules] of Object.entries(EXTRA)) {
  const dir = path.join(root, 'node_modules', name);
  if (!packages.has(dir)) continue;
  for (const [sub, filter] of rules) {
    const at = path.join(dir, sub);
    if (!fs.existsSync(at)) throw new Error(`pack-bench: ${name} has no ${sub}`);
    for (const f of fs.readdirSync(at)) if (filter(f)) keepFile(path.join(at, f));
  }
}

const sizes = new Map();
for (const file of keep) {
  const rel = path.relative(root, file);
  fs.mkdirSync(path.join(dest, path.dirname(rel)), { recursive: true });
  fs.copyFileSync(file, path.join(dest, rel));
  fs.chmodSync(path.join(dest, rel), fs.statSync(file).mode);
  const pkgDir = [...packages].filter((p) => file.startsWith(p + path.sep)).sort((a, b) => b.length - a.length)[0];
  const key = path.relative(nm, pkgDir);
  sizes.set(key, (sizes.get(key) ?? 0) + fs.statSync(file).size);
}
console.log(`pack-bench: node_modules pruned to ${keep.size} files of ${sizes.size} packages:`);
for (const [name, bytes] of [...sizes].sort((a, b) => b[1] - a[1])) console.log(`  ${(bytes / 2 ** 20).toFixed(2).padStart(7)} MiB  ${name}`);
if (process.env.PACK_BENCH_VERBOSE) for (const [spec, from] of unresolved) console.log(`  (unresolved: '${spec}' in ${path.relative(root, from)})`);
const ours = [...unresolved].filter(([, from]) => !from.startsWith(nm));
if (ours.length) throw new Error(`pack-bench: cannot resolve ${ours.map(([s, f]) => `'${s}' (${path.relative(root, f)})`).join(', ')}`);
EOF

mkdir -p "$(dirname "$archive")"
echo "pack-bench: $(du -sh "$pkg" | cut -f1) to compress (xz ${XZ_OPT:--6})"
XZ_OPT=${XZ_OPT:--6} nice tar -C "$stage" -cJf "$archive.tmp" webgrad-bench
mv "$archive.tmp" "$archive"
bytes=$(stat -c %s "$archive")
echo "pack-bench: $archive, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')"
if [ "$bytes" -gt $((limit_mib * 1048576)) ]; then
  echo "pack-bench: over ${limit_mib} MiB: it will not travel to the GPU machine with the working tree" >&2
  exit 1
fi
