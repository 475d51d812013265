// Every matmul configuration of the WebGPU backend (workgroup tiles and register tiles, each whole
// and split along k) against the float64 reference on lavapipe: partial tiles, every load mode of
// either operand, offsets, bias, broadcast batches, k = 0. Then the tuner: names, candidates,
// defaults, the choice it keeps (in memory and in its file) and the public tune().
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/reference.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import {
  candidates, configName, defaultConfig, fits, parseConfig, REGISTER_CONFIGS, shapeClass, WORKGROUP_CONFIGS, withSplits,
  type MatmulConfig, type MatmulShape,
} from '../src/backend/webgpu/matmul-configs.js';
import { MatmulTuner, tuneMode } from '../src/backend/webgpu/matmul-tuner.js';
import { init, matmul, randn, tune } from '../src/index.js';
import { checkMatmul, rng, type MatmulCase } from './conformance-helpers.js';

const CASES: [number[], MatmulCase][] = [
  [[1, 1, 1, 1], {}],
  [[1, 7, 13, 5], { bias: true }],
  [[1, 130, 200, 70], {}],
  [[1, 64, 64, 64], { ta: true, tb: true }],
  [[1, 33, 17, 9], { ta: true, offset: 1 }],
  [[1, 20, 36, 12], { tb: true, offset: 4, bias: true }],
  [[1, 3, 200, 68], { tb: true }],
  [[3, 17, 40, 33], { broadcastA: true, tb: true, bias: true }],
  [[2, 12, 100, 8], { ta: true, offset: 4 }],
  [[1, 5, 0, 7], { bias: true }],
];

const ALL: MatmulConfig[] = [...WORKGROUP_CONFIGS, ...REGISTER_CONFIGS].flatMap((c) => [c, withSplits(c, 3)]);

describe('webgpu matmul configurations', () => {
  const ref = new ReferenceBackend();
  const r = rng(97531);
  let backend!: WebGpuBackend;
  beforeAll(async () => {
    backend = await createWebGpuBackend(); // no adapter: the suite fails here
  });
  afterAll(() => {
    backend.tuning.matmul = null;
  });

  test('every configuration fits lavapipe (256 threads, 32 KiB of workgroup memory)', () => {
    expect(ALL.filter((c) => !fits(c, backend.device.limits)).map(configName)).toEqual([]);
  });

  test.each(ALL.map((c) => [configName(c), c] as const))('%s matches the reference', async (_, config) => {
    backend.tuning.matmul = config;
    for (const [shape, options] of CASES) await checkMatmul(backend, ref, r, shape, options);
  }, 60_000); // a kernel variant per load mode to compile
});

describe('matmul configurations: names, candidates, defaults', () => {
  const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384 };
  const shape = (m: number, k: number, n: number, batch = 1): MatmulShape => ({ batch, m, n, k, aMode: 1, bMode: 1 });

  test('a name parses back to its configuration; other strings do not parse', () => {
    for (const c of [...ALL, withSplits(REGISTER_CONFIGS[0], 16)]) expect(parseConfig(configName(c))).toEqual(c);
    for (const bad of ['', 'tiles 64x64x16/3x4', 'tiles 64x64x16/4x4/split0', 'registers 8x30/8 threads', 'tiles 64x64x16/4x4 ']) expect(parseConfig(bad)).toBeUndefined();
  });

  test('candidates fit the limits, are distinct, start with the default, and add split-K only where C has few workgroups', () => {
    for (const family of ['workgroup', 'registers'] as const) {
      for (const s of [shape(8, 1024, 512), shape(1024, 1024, 1024), shape(256, 512, 8), shape(3, 5, 7, 4)]) {
        const list = candidates(s, family, limits);
        expect(list[0]).toEqual(defaultConfig(s, family, limits));
        expect(list.every((c) => fits(c, limits))).toBe(true);
        expect(new Set(list.map(configName)).size).toBe(list.length);
      }
    }
    expect(candidates(shape(8, 1024, 512), 'workgroup', limits).some((c) => c.splits > 1)).toBe(true);
    expect(candidates(shape(4096, 4096, 4096), 'workgroup', limits).some((c) => c.splits > 1)).toBe(false);
    expect(candidates(shape(3, 5, 7, 4), 'workgroup', limits).some((c) => c.splits > 1)).toBe(false); // k too short
  });

  test('GPU defaults: 128×128 tiles for large C (double-buffered where 32 KiB fit), split-K for skinny products', () => {
    expect(configName(defaultConfig(shape(1024, 1024, 1024), 'workgroup', limits))).toBe('tiles 128x128x16/8x8');
    expect(configName(defaultConfig(shape(1024, 1024, 1024), 'workgroup', { ...limits, maxComputeWorkgroupStorageSize: 32768 }))).toBe('tiles 128x128x16/8x8/double');
    expect(defaultConfig(shape(8, 1024, 512), 'workgroup', limits).splits).toBeGreaterThan(1);
    expect(configName(defaultConfig(shape(200, 64, 200), 'workgroup', limits))).toBe('tiles 64x64x16/4x4');
  });

  test('a shape class rounds sizes up to powers of two and keeps batching and load modes apart', () => {
    expect(shapeClass(shape(100, 1000, 512))).toBe(shapeClass(shape(128, 1024, 300)));
    expect(shapeClass(shape(100, 1000, 512))).not.toBe(shapeClass(shape(100, 1000, 512, 2)));
    expect(shapeClass({ ...shape(100, 1000, 512), bMode: 2 })).not.toBe(shapeClass(shape(100, 1000, 512)));
  });
});

describe('the matmul tuner', () => {
  const s: MatmulShape = { batch: 1, m: 64, n: 64, k: 64, aMode: 1, bMode: 1 };
  const configs = [WORKGROUP_CONFIGS[0], WORKGROUP_CONFIGS[2], REGISTER_CONFIGS[1]];
  const fakeTimes = new Map(configs.map((c, i) => [configName(c), [3, 1, 2][i]]));
  const tuner = (mode: 'off' | 'memory' | 'file', file?: string, adapter = 'test adapter') =>
    new MatmulTuner(mode, adapter, () => configs, async (_, c) => fakeTimes.get(configName(c))!, file);
  const tempFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'webgrad-tune-')), 'sub', 'tuning.json');

  test('keeps the fastest candidate per shape class, timing each class once', async () => {
    const t = tuner('memory');
    const result = await t.tune(s);
    expect(result.config).toBe(configName(WORKGROUP_CONFIGS[2]));
    expect(result.timings).toEqual(Object.fromEntries(fakeTimes));
    expect(t.lookup({ ...s, m: 50 })).toEqual(WORKGROUP_CONFIGS[2]);
    expect(t.lookup({ ...s, m: 500 })).toBeUndefined();
    expect((await t.tune({ ...s, n: 60 })).timings).toEqual({});
  });

  test('file mode: choices survive in the file, merged per adapter; an unreadable file is warned of and never overwritten', async () => {
    const file = tempFile();
    await tuner('file', file).tune(s);
    await tuner('file', file, 'another adapter').tune({ ...s, k: 4096 });
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(saved.adapters)).toEqual(['test adapter', 'another adapter']);
    expect(tuner('file', file).lookup(s)).toEqual(WORKGROUP_CONFIGS[2]);
    expect(tuner('memory', file).lookup(s)).toBeUndefined(); // memory mode never reads the file

    writeFileSync(file, '{"version": 1, "adapters": ');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const t = tuner('file', file);
    await t.tune(s);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.join('\n')).toMatch(/tuning file .* is unreadable .* left as it is/);
    expect(readFileSync(file, 'utf8')).toBe('{"version": 1, "adapters": ');
    expect(t.lookup(s)).toEqual(WORKGROUP_CONFIGS[2]);
  });

  test('WEBGRAD_TUNE: off on CPU adapters and memory on GPUs by default; a bad value is refused by name', () => {
    expect(tuneMode(true, {})).toBe('off');
    expect(tuneMode(false, {})).toBe('memory');
    expect(tuneMode(true, { WEBGRAD_TUNE: 'file' })).toBe('file');
    expect(() => tuneMode(false, { WEBGRAD_TUNE: 'yes' })).toThrow(/WEBGRAD_TUNE must be one of off, memory, file; got "yes"/);
  });

  test('memory mode tunes a class in the background on its first use; off never does', async () => {
    const on = tuner('memory');
    on.firstUse(s);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(on.lookup(s)).toEqual(WORKGROUP_CONFIGS[2]);
    const off = tuner('off');
    off.firstUse(s);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(off.lookup(s)).toBeUndefined();
  });
});

describe('tune() on the WebGPU backend', () => {
  test('times the candidates of each product on the device, keeps the fastest, and later products use it', async () => {
    await init({ backend: 'webgpu' });
    const results = await tune({ shapes: [{ m: 24, k: 40, n: 36 }, { m: 24, k: 40, n: 36, batch: 2, transposeB: true }] });
    expect(results.map((x) => x.problem)).toEqual(['1×24×40·40×36', '2×24×40·40×36ᵀ']);
    for (const result of results) {
      const timed = Object.keys(result.timings);
      expect(timed.length).toBeGreaterThan(1);
      expect(timed).toContain(result.config);
      expect(Object.values(result.timings).every((ms) => ms > 0 && Number.isFinite(ms))).toBe(true);
      expect(result.timings[result.config]).toBe(Math.min(...Object.values(result.timings)));
    }
    const [a, b] = [randn([24, 40]), randn([40, 36])];
    const want = matmul(await a.to('cpu'), await b.to('cpu'));
    const got = matmul(a, b);
    const [g, w] = [await got.data(), await want.data()];
    for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThan(1e-4);
    // Without shapes: the classes used since, not yet tuned (this one was tuned above).
    expect(await tune()).toEqual([]);
  }, 60_000);

  test('argument errors name what was expected', async () => {
    await expect(tune({ shapes: [{ m: 0, k: 4, n: 4 }] })).rejects.toThrow(/tune: shapes\[0\]\.m must be a finite integer ≥ 1, got the number 0/);
    await expect(tune({ shapes: 'big' as never })).rejects.toThrow(/tune: shapes must be an array/);
    await expect(tune({ device: 'cpu' } as never)).rejects.toThrow(/tune: unknown option\(s\) 'device'/);
  });
});
