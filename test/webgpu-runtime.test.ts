// Runtime behaviour of WebGpuBackend: long loops without awaiting, device loss, deferred validation
// errors, a script's process exiting by itself, grids within the dispatch limits. (Its kernels'
// values: backend-conformance.test.ts.)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import { grid2d } from '../src/backend/webgpu/kernel-context.js';
import { contiguousLayout } from '../src/shape.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mappings = (): number => readFileSync('/proc/self/maps', 'utf8').split('\n').length;

let gpu: WebGpuBackend;

beforeAll(async () => {
  gpu = await createWebGpuBackend(); // no adapter → this suite fails, it never skips
});

test('100,000 ops issued without awaiting: memory mappings and the pool stay bounded', async () => {
  const layout = contiguousLayout([64]);
  const x = gpu.upload(Float32Array.from({ length: 64 }, (_, i) => i));
  let y = gpu.unary('mulS', x, layout, 2);
  await gpu.flush();
  const [before, start] = [mappings(), gpu.stats()];
  for (let i = 0; i < 50_000; i++) {
    const sum = gpu.binary('add', y, layout, x, layout);
    gpu.release(y);
    y = gpu.unary('mulS', sum, layout, 0.5); // y ← (y + x) / 2 stays at x
    gpu.release(sum);
  }
  const grown = mappings() - before;
  const values = await gpu.read(y);
  const end = gpu.stats();
  expect(grown, 'memory mappings added by the loop').toBeLessThan(2000);
  expect(end.dispatches - start.dispatches).toBe(100_000);
  expect(end.buffersCreated - start.buffersCreated, 'buffers created by the loop').toBeLessThan(10);
  expect(end.pooledBytes, 'bytes parked in the pool').toBeLessThan(64 * 1024);
  expect(end.submits - start.submits, 'submits (one per 8 dispatches, arena refills, the read)').toBeLessThanOrEqual(100_000 / 8 + 10);
  expect(Array.from(values)).toEqual(Array.from({ length: 64 }, (_, i) => i));
}, 60_000);

test('every dispatch with new parameters: the batch\'s uniform slots are rewritten, results are right, bind groups recur', async () => {
  const layout = contiguousLayout([4]);
  const x = gpu.upload(Float32Array.of(1, 2, 3, 4));
  await gpu.flush();
  const start = gpu.stats();
  // 20,000 distinct parameter blocks (alpha differs), 8 to a batch in the same 8 slots.
  let y = gpu.unary('addS', x, layout, 0);
  for (let i = 1; i <= 20_000; i++) {
    const next = gpu.unary('addS', y, layout, i % 2 === 0 ? i : -i + 1);
    gpu.release(y);
    y = next;
  }
  // Σ over i of (+i for even, −i + 1 for odd) = 20,000 (each pair (2k−1, 2k) adds 2).
  expect(Array.from(await gpu.read(y))).toEqual([20_001, 20_002, 20_003, 20_004]);
  expect(gpu.stats().bindGroupsCreated - start.bindGroupsCreated, 'bind groups created').toBeLessThan(50);
}, 60_000);

test('a compilation error surfaces, naming the kernel, at the next flush and read; the backend goes on', async () => {
  gpu.pipelines.compile('broken-kernel:test', 'fn main( {', 0, {});
  await expect(gpu.flush()).rejects.toThrow(/^broken-kernel:test: .*WGSL/s);
  const x = gpu.upload(new Float32Array([1, 4, 9]));
  gpu.pipelines.compile('another-broken-kernel:test', '@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }', 0, {});
  await expect(gpu.read(gpu.unary('sqrt', x, contiguousLayout([3]), 0))).rejects.toThrow(/another-broken-kernel:test/);
  expect(Array.from(await gpu.read(gpu.unary('sqrt', x, contiguousLayout([3]), 0)))).toEqual([1, 2, 3]);
  await gpu.flush();
});

describe('device loss', () => {
  test('a read in flight rejects, and every later call throws `device lost:`', async () => {
    const doomed = await createWebGpuBackend();
    const x = doomed.upload(new Float32Array(1 << 16).fill(1));
    const layout = contiguousLayout([1 << 16]);
    const pending = doomed.read(doomed.unary('exp', x, layout, 0));
    doomed.destroy();
    await expect(pending).rejects.toThrow(/^device lost: /);
    expect(() => doomed.upload(new Float32Array(4))).toThrow(/^device lost: /);
    expect(() => doomed.unary('neg', x, layout, 0)).toThrow(/^device lost: /);
    expect(() => doomed.fill(4, 1)).toThrow(/^device lost: /);
    await expect(doomed.read(x)).rejects.toThrow(/^device lost: /);
    await expect(doomed.flush()).rejects.toThrow(/^device lost: /);
    expect(() => doomed.release(x)).not.toThrow();
  });
});

/** The fixtures run the built package: build it if the backend's sources are newer. */
function ensureBuilt(): void {
  const built = `${root}/dist/backend/webgpu/index.js`;
  const sources = readdirSync(`${root}/src/backend/webgpu`).map((f) => statSync(`${root}/src/backend/webgpu/${f}`).mtimeMs);
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    // Other modules may not compile at this moment; tsc still emits, so only the output matters.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root });
  }
}

test('opening the backend prints nothing but our output: Dawn\'s limit warnings are dropped, other stderr lines kept', () => {
  ensureBuilt();
  const child = spawnSync(process.execPath, ['test/fixtures/stderr-filter.mjs'], { cwd: root, timeout: 30_000, encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  expect(child.stdout.trim()).toBe('webgpu');
  expect(child.stderr).not.toMatch(/artificially reduced/);
  expect(child.stderr.trim()).toBe('kept line');
}, 60_000);

test('a script that used the backend exits by itself, every time', () => {
  ensureBuilt();
  for (let run = 0; run < 3; run++) {
    const started = Date.now();
    const child = spawnSync(process.execPath, ['test/fixtures/webgpu-backend-exit.mjs'], { cwd: root, timeout: 10_000, encoding: 'utf8' });
    expect(child.error, `run ${run}: the process did not exit within 10 s`).toBeUndefined();
    expect(child.status, `run ${run}: ${child.stderr}`).toBe(0);
    // (x + xᵀ) · x for x = [[1,2],[3,4]]: [[2,5],[5,8]] · x
    expect(child.stdout.trim()).toBe('17,24,29,42');
    expect(Date.now() - started).toBeLessThan(10_000);
  }
}, 90_000);

test('grid2d keeps every dimension within 65535 workgroups and covers them all', () => {
  for (const groups of [1, 65535, 65536, 1e6, 4e8]) {
    const [x, y = 1] = grid2d(groups);
    expect(x).toBeLessThanOrEqual(65535);
    expect(y).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(groups);
  }
});
