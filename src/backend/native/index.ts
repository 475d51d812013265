// Loads the native CPU backend (native/, built by node-gyp at npm install). Missing or broken, it
// says why and how to build it; the 'cpu' device then falls back to the TypeScript reference.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { NativeBackend, type NativeAddon } from './native.js';

const builtAddon = fileURLToPath(new URL('../../../native/build/Release/webgrad_native.node', import.meta.url));
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface NativeLoad {
  backend: Backend | null;
  /** Why there is no native backend, and how to build it. */
  missing?: string;
}

const howToBuild =
  `build it with \`npm rebuild webgrad\` (in this package: \`npm run build:native\`); npm 11 may have skipped webgrad's install script: ` +
  `\`npm install-scripts approve webgrad && npm rebuild webgrad\`. It needs python3, make and g++ (node-gyp)`;

/**
 * Runs `fn` with the process's stderr captured, native code's writes included (Dawn logs with
 * fprintf), then writes back every captured line that `drop` does not match. Without the addon, or
 * off POSIX, `fn` just runs and nothing is dropped.
 */
export async function filterStderr<T>(fn: () => Promise<T>, drop: RegExp): Promise<T> {
  let addon: NativeAddon | null = null;
  try {
    addon = existsSync(builtAddon) ? (createRequire(import.meta.url)(builtAddon) as NativeAddon) : null;
  } catch {
    addon = null; // loadNativeBackend explains a broken addon
  }
  if (!addon?.captureStderr()) return fn();
  try {
    return await fn();
  } finally {
    const lines = addon.releaseStderr().split('\n');
    if (lines.at(-1) === '') lines.pop();
    const kept = lines.filter((line) => !drop.test(line));
    if (kept.length > 0) process.stderr.write(`${kept.join('\n')}\n`);
  }
}

export function loadNativeBackend(addonPath = builtAddon): NativeLoad {
  if (!existsSync(addonPath)) {
    return { backend: null, missing: `the native CPU backend is not built (no ${addonPath.replace(packageRoot, '')}): ${howToBuild}; using the TypeScript reference backend` };
  }
  try {
    const require = createRequire(import.meta.url);
    const addon = require(addonPath) as NativeAddon;
    return { backend: new NativeBackend(addon) };
  } catch (err) {
    return { backend: null, missing: `the native CPU backend failed to load (${(err as Error).message}): ${howToBuild}; using the TypeScript reference backend` };
  }
}
