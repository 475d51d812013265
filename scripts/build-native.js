#!/usr/bin/env node
// npm's install script: builds the native CPU backend (native/, node-gyp) and never fails the
// install. Without the addon, the 'cpu' device runs on the TypeScript reference backend, and
// init({ backend: 'cpu' }) says why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// node-gyp: the one npm runs its scripts with, else npm's bundled one next to this Node, else the PATH's.
const prefix = dirname(dirname(process.execPath));
const gyp = [
  process.env.npm_config_node_gyp,
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows
].find((path) => path && existsSync(path));
const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
args.push('rebuild', '--directory', 'native');
// Offline builds: outside npm (no npm_config_nodedir), use this Node's own headers when it has them.
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);

const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  console.warn(
    `\nwebgrad: the native CPU backend could not be built (${why}). webgrad still works: the 'cpu' device ` +
      `will use the TypeScript reference backend (correct but much slower), and init({ backend: 'cpu' }) says so. ` +
      `To retry, install python3, make and a C++17 compiler (g++ or clang++), then run \`npm rebuild webgrad\` ` +
      `(in a checkout of webgrad: \`npm run build:native\`).\n`,
  );
}
process.exit(0);
