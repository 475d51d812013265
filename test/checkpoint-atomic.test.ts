// An atomic save: a child process killed (SIGKILL) while it writes a large checkpoint over an
// existing one leaves the old file whole; its temp file is named apart and refused if loaded.
// The child runs the built package (dist/), as `npm test` does after `npm run build`.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { init, load, save, tensor } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'webgrad-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('SIGKILL mid-save: the previous checkpoint still loads intact', async () => {
  expect(existsSync(join(root, 'dist/io/checkpoint.js')), 'dist/ is not built: run npm run build').toBe(true);
  await init({ backend: 'cpu' });
  const path = join(dir, 'model.safetensors');
  await save({ 'layer.weight': tensor([1, 2, 3]) }, path, { metadata: { epoch: '1' } });

  const child = spawn(process.execPath, [join(root, 'test/fixtures/big-save.mjs'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  // Kill as soon as the temp file has some bytes (the whole one would hold 256 MiB).
  const deadline = Date.now() + 15_000;
  let temp: string | undefined;
  while (!temp && Date.now() < deadline && child.exitCode === null) {
    temp = readdirSync(dir).find((f) => f.endsWith('.tmp') && statSync(join(dir, f), { throwIfNoEntry: false })?.size);
    if (!temp) await new Promise((resolve) => setImmediate(resolve));
  }
  child.kill('SIGKILL');
  expect(await exited, `the child ended before it was killed: ${stderr}`).toBe('SIGKILL');
  expect(temp, 'no temp file appeared').toMatch(/^\.model\.safetensors\.\d+\.[0-9a-f]{8}\.tmp$/);

  const loaded = await load(path);
  expect(Object.keys(loaded)).toEqual(['layer.weight']);
  expect(Array.from(await loaded['layer.weight'].data())).toEqual([1, 2, 3]);
  expect(statSync(join(dir, temp!)).size).toBeLessThan(64 * 4 * 2 ** 20);
  // Cut in its header or in its data, depending on when the kill landed.
  await expect(load(join(dir, temp!))).rejects.toThrow(/truncated|the header length \d+ runs past the end of the file/);
}, 30_000);
