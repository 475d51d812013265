// Runtime behaviour of the WebGPU path through the public API: the process exits by itself, long
// loops neither leak tensors nor exhaust memory mappings.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { flush, init, memory, randn, tidy, zeros } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').length;

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
});

test('a script that used the GPU exits by itself when it ends', () => {
  if (!existsSync(`${root}/dist/index.js`)) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root });
  const run = spawnSync(process.execPath, ['test/fixtures/exit-after-work.mjs'], { cwd: root, timeout: 30_000, encoding: 'utf8' });
  expect(run.error, 'the process did not exit within 30 s').toBeUndefined();
  expect(run.status, run.stderr).toBe(0);
  // loss = sum(x·x) = 54; d/dx sum(x·x) = 1·xᵀ + xᵀ·1 → [[7,11],[9,13]]
  expect(run.stdout.trim()).toBe('webgpu 54 7,11,9,13');
}, 60_000);

test('10,000 forward+backward iterations leave memory().tensors flat', async () => {
  const w1 = randn([4, 8], { requiresGrad: true });
  const b1 = zeros([8], { requiresGrad: true });
  const w2 = randn([8, 1], { requiresGrad: true });
  const x = randn([16, 4]);
  const step = () =>
    tidy(() => {
      x.matmul(w1).add(b1).relu().matmul(w2).mean().backward();
      for (const p of [w1, b1, w2]) {
        p.grad?.dispose();
        p.grad = null;
      }
    });
  step();
  await flush();
  const before = memory();
  for (let i = 0; i < 10_000; i++) step();
  await flush();
  expect(memory()).toEqual(before);
}, 240_000);

test('100,000 ops without yielding: the process survives and memory mappings stay bounded', async () => {
  const x = randn([64]);
  const before = mappings();
  let y = x.mul(1);
  for (let i = 0; i < 100_000; i++) {
    const next = tidy(() => y.mul(0.5).add(1));
    y.dispose();
    y = next;
  }
  const during = mappings();
  const last = await y.data(); // the fixed point of y ↦ y/2 + 1 is 2
  expect(Array.from(last).every((v) => Math.abs(v - 2) < 1e-5)).toBe(true);
  expect(during - before).toBeLessThan(2000);
}, 240_000);
