// What only the native C++ backend (device 'cpu') has: its storage pool and bounds checks, a large
// matmul, thread-count independence, the public API's forward and gradients and an optimizer loop
// against device 'reference', C++ errors as JS Errors. (Every kernel against the reference
// backend: backend-conformance.test.ts.)
// Without the built addon this suite fails (it never skips): run `npm run build:native`.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { AdamTensor, Conv2dGeometry, Storage } from '../src/backend/backend.js';
import { loadNativeBackend } from '../src/backend/native/index.js';
import { NativeBackend, type NativeAddon } from '../src/backend/native/native.js';
import { ReferenceBackend } from '../src/backend/reference/reference.js';
import { getBackend } from '../src/device.js';
import { init, manualSeed, nn, optim, tensor, type DeviceName, type Tensor } from '../src/index.js';
import { layerCases, metaCases, opCases, secondOrderCases } from './device-cases.js';
import { sizeOf, type Layout } from '../src/shape.js';
import { contiguous, rng } from './conformance-helpers.js';
import * as fused from './fused-reference.js';
import { compareDevices, expectClose } from './helpers.js';

const BUILD_HINT = 'the native addon is not loaded: run `npm run build:native` (see init({ backend: "cpu" }).reason)';

let native: NativeBackend;

beforeAll(async () => {
  const result = await init({ backend: 'cpu' });
  expect(getBackend('cpu').name, `${BUILD_HINT}: ${result.reason}`).toBe('cpu');
  expect(getBackend('cpu').constructor, BUILD_HINT).toBe(NativeBackend);
  native = getBackend('cpu') as NativeBackend;
});

const r = rng(1234);
const { normals, int: randint } = r;

describe('native backend: pool, bounds, a large matmul', () => {
  test('fill, upload, read, release: pooled storages are reused, a released one is refused', async () => {
    const s = native.fill(7, 2.5);
    expect(Array.from(await native.read(s))).toEqual(new Array(7).fill(2.5));
    const before = (s as unknown as { data: Float32Array }).data;
    native.release(s);
    const again = native.fill(7, -1);
    expect((again as unknown as { data: Float32Array }).data).toBe(before);
    expect(Array.from(await native.read(again))).toEqual(new Array(7).fill(-1));
    expect(() => native.unary('neg', s, contiguous([7]), 0)).toThrow(/view reaches/);
    const up = native.upload(Float64Array.from([1.5, -2, 1e-3]));
    expect(Array.from(await native.read(up))).toEqual([1.5, -2, Math.fround(1e-3)]);
    expect(native.fill(0, 1).length).toBe(0);
  });

  test('a full pool makes room for the lengths used most recently (a long session changes shapes)', async () => {
    const dataOf = (s: Storage) => (s as unknown as { data: Float32Array }).data;
    const old = Array.from({ length: 17 }, () => native.fill(4 << 20, 0)); // 17 × 16 MiB: past the 256 MiB pool
    old.forEach((s) => native.release(s));
    const fresh = native.fill((1 << 20) + 1, 0);
    const array = dataOf(fresh);
    native.release(fresh);
    expect(dataOf(native.fill((1 << 20) + 1, 1))).toBe(array);
  });

  test('sgdStep refuses a parameter slice outside its buffer, naming the offset and the sizes', () => {
    const shape = [6, 7];
    const n = sizeOf(shape);
    const sgd = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, lr: 0.1, firstStep: true };
    const [p, g] = [native.upload(normals(n)), native.upload(normals(n))];
    const outside = { param: { storage: p, offset: n + 1 }, grad: g, gradLayout: contiguous(shape), momentumBuffer: null };
    expect(() => native.sgdStep([outside], sgd)).toThrow(/sgdStep parameter offset 43 is outside its buffer of 42/);
    expect(() => native.sgdStep([{ ...outside, param: { storage: p, offset: 1 } }], sgd)).toThrow(/sgdStep parameter buffer holds 41 elements, needs 42/);
  });

  test('convolutions too large for one scratch buffer go through in chunks of images, with the same result', async () => {
    // 144·200² floats of columns per image: 16M-float scratch holds two images, so four make two chunks.
    const g: Conv2dGeometry = { batch: 4, inChannels: 16, outChannels: 2, input: [200, 200], kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], output: [200, 200] };
    const ref = new ReferenceBackend();
    const [xs, ws, gys] = [normals(4 * 16 * 200 * 200), normals(2 * 16 * 9), normals(4 * 2 * 200 * 200)];
    const [xl, wl, yl] = [contiguous([4, 16, 200, 200]), contiguous([2, 16, 3, 3]), contiguous([4, 2, 200, 200])];
    const both = (values: Float32Array) => ({ n: native.upload(values), r: ref.upload(values) });
    const [x, w, gy] = [both(xs), both(ws), both(gys)];
    const close = async (got: Storage, want: Storage, what: string, tol: number) => {
      const [a, e] = [await native.read(got), await ref.read(want)];
      const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      let worst = 0;
      e.forEach((v, i) => (worst = Math.max(worst, Math.abs(a[i] - v) / scale)));
      expect(worst, `${what}: worst error relative to the largest value`).toBeLessThanOrEqual(tol);
    };
    await close(native.conv2d(x.n, xl, w.n, wl, g), fused.conv2d(ref, x.r, xl, w.r, wl, g), 'conv2d', 1e-5);
    await close(native.conv2dInputGrad(gy.n, yl, w.n, wl, g), fused.conv2dInputGrad(ref, gy.r, yl, w.r, wl, g), 'conv2dInputGrad', 1e-5);
    await close(native.conv2dWeightGrad(x.n, xl, gy.n, yl, g), fused.conv2dWeightGrad(ref, x.r, xl, gy.r, yl, g), 'conv2dWeightGrad', 1e-5);
  });

  test('axis sums (whole-axis strips, split blocks, rows in fours with tails) and tanh saturation match the reference', async () => {
    const ref = new ReferenceBackend();
    // [outer, size, inner]: many strips sum a whole axis per task; one strip splits the axis into blocks;
    // sizes that are not a multiple of 4 leave row tails, rows not a multiple of 32 leave lane tails.
    for (const shape of [[1, 259, 1030], [3, 403, 129], [1, 70001, 3], [2, 515, 1], [1027, 35]]) {
      const values = normals(sizeOf(shape));
      values[7] = NaN;
      values[values.length - 2] = Infinity;
      const [n, rf] = [native.upload(values), ref.upload(values)];
      for (let dim = 0; dim < shape.length; dim++) {
        const [a, e] = [await native.read(native.reduce('sum', n, contiguous(shape), [dim])), await ref.read(ref.reduce('sum', rf, contiguous(shape), [dim]))];
        const bad = e.findIndex((v, i) => (Number.isFinite(v) ? !(Math.abs(a[i] - v) <= 1e-5 * Math.sqrt(shape[dim])) : !Object.is(a[i], v)));
        expect(bad, `sum over dim ${dim} of [${shape}], element ${bad}: ${a[bad]} vs ${e[bad]}`).toBe(-1);
      }
    }
    const big = Float32Array.from([8.99, 9, 9.01, 20, 100, 1e30, Infinity, NaN, -8.99, -9, -20, -Infinity, 0.6, -0.7]);
    const got = await native.read(native.unary('tanh', native.upload(big), contiguous([big.length]), 0));
    got.forEach((v, i) => expect(Number.isNaN(big[i]) ? Number.isNaN(v) : Math.abs(v - Math.tanh(big[i])) <= 3e-7, `tanh(${big[i]}) = ${v}`).toBe(true));
  });

  test('a large matmul (513×1031 · 1031×769, with bias) against sampled reference rows and columns', async () => {
    const [m, k, n] = [513, 1031, 769];
    const a = normals(m * k);
    const b = normals(k * n);
    const bias = normals(n);
    const [na, nb, nc] = [native.upload(a), native.upload(b), native.upload(bias)];
    // B as a transposed view of its [n, k] transpose, to exercise the strided packing too.
    const bT = new Float32Array(k * n);
    for (let q = 0; q < k; q++) for (let j = 0; j < n; j++) bT[j * k + q] = b[q * n + j];
    const nbT = native.upload(bT);
    const outs = [
      await native.read(native.matmul(na, nb, { a: contiguous([1, m, k]), b: contiguous([1, k, n]), bias: { storage: nc, layout: contiguous([n]) } })),
      await native.read(native.matmul(na, nbT, { a: contiguous([1, m, k]), b: { shape: [1, k, n], strides: [0, 1, k], offset: 0 }, bias: { storage: nc, layout: contiguous([n]) } })),
    ];
    const rows = [0, 1, 255, 511, 512, ...Array.from({ length: 5 }, () => randint(0, m - 1))];
    const cols = [0, 15, 16, 767, 768, ...Array.from({ length: 5 }, () => randint(0, n - 1))];
    const check = (i: number, j: number) => {
      let acc = bias[j];
      let size = Math.abs(bias[j]);
      for (let q = 0; q < k; q++) {
        acc += a[i * k + q] * b[q * n + j];
        size += Math.abs(a[i * k + q] * b[q * n + j]);
      }
      for (const out of outs) expect(Math.abs(out[i * n + j] - acc), `C[${i}, ${j}]: ${out[i * n + j]} vs ${acc}`).toBeLessThanOrEqual(1e-5 * size);
    };
    for (const i of rows) for (let j = 0; j < n; j++) check(i, j);
    for (const j of cols) for (let i = 0; i < m; i++) check(i, j);
  });
});

// ---- Thread-count independence -------------------------------------------------------------------

describe('native backend: results do not depend on the thread count', () => {
  test('1 thread vs many, on ops large enough to be split', async () => {
    const many = Math.max(4, native.threads);
    const x = normals(600 * 1001);
    const w = normals(1001 * 300);
    const index = Float32Array.from({ length: 600 * 1001 }, () => randint(0, 599));
    const run = async (): Promise<Float32Array[]> => {
      const [sx, sw, si] = [native.upload(x), native.upload(w), native.upload(index)];
      const lx = contiguous([600, 1001]);
      const lxT: Layout = { shape: [1001, 600], strides: [1, 1001], offset: 0 };
      const p = native.upload(x);
      const [m, v] = [native.fill(x.length, 0), native.fill(x.length, 0)];
      const adam: AdamTensor = { param: { storage: p, offset: 0 }, grad: sx, gradLayout: lx, expAvg: { storage: m, offset: 0 }, expAvgSq: { storage: v, offset: 0 }, maxExpAvgSq: null };
      native.adamStep([adam], { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.1, biasCorrection2Sqrt: 0.03, gradDecay: 0, paramScale: 1 });
      const outs = [
        native.unary('tanh', sx, lxT, 0),
        native.binary('mul', sx, lx, sx, { shape: [600, 1001], strides: [0, 1], offset: 0 }),
        native.reduce('sum', sx, lx, [0, 1]),
        native.reduce('sum', sx, lx, [0]),
        native.reduce('max', sx, lx, [1]),
        native.softmax(sx, lx, 1, true),
        native.matmul(sx, sw, { a: contiguous([1, 600, 1001]), b: contiguous([1, 1001, 300]) }),
        native.gather(sx, lx, 0, si, lx),
        native.scatterAdd([600, 1001], 0, si, lx, sx, lx),
        p,
      ];
      return Promise.all(outs.map((s) => native.read(s)));
    };
    try {
      native.setThreads(1);
      expect(native.threads).toBe(1);
      const one = await run();
      native.setThreads(many);
      expect(native.threads).toBe(many);
      expect(native.description).toMatch(new RegExp(`native C\\+\\+ \\(.+, ${many} threads\\) on `));
      const parallel = await run();
      const matmul = 6; // sgemm's blocking is its own; every other kernel splits work so results are bit-identical
      one.forEach((o, i) => {
        let worst = 0;
        o.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - parallel[i][j]) / Math.max(1, Math.abs(v)))));
        expect(worst, `output ${i}`).toBeLessThanOrEqual(i === matmul ? 1e-5 : 0);
      });
    } finally {
      native.setThreads(0);
    }
  });
});

// ---- The public API on 'cpu' against 'reference' -------------------------------------------------

const F = nn.functional;

describe("public API: device 'cpu' (native) vs 'reference', forward and gradients", () => {
  beforeAll(() => manualSeed(42));

  test.each([...opCases, ...secondOrderCases, ...layerCases, ...metaCases])('%s', async (_, fn, specs) => {
    await compareDevices(fn, specs, 1e-4, 'cpu');
  });

  test('an MLP trained for 5 steps with Adam (AMSGrad, weight decay) and SGD (Nesterov) matches', async () => {
    const init_ = { w1: normals(16 * 10), b1: normals(16), w2: normals(5 * 16), b2: normals(5), x: normals(100 * 10), y: normals(100 * 5) };
    const trainOn = async (device: DeviceName, make: (ps: Tensor[]) => optim.Optimizer<object>) => {
      const t = (v: Float32Array, shape: number[], requiresGrad = true) => tensor(v, { shape, device, requiresGrad });
      const params = [t(init_.w1, [16, 10]), t(init_.b1, [16]), t(init_.w2, [5, 16]), t(init_.b2, [5])];
      const [x, y] = [t(init_.x, [100, 10], false), t(init_.y, [100, 5], false)];
      const opt = make(params);
      for (let step = 0; step < 5; step++) {
        opt.zeroGrad();
        F.mseLoss(F.linear(F.linear(x, params[0], params[1]).tanh(), params[2], params[3]), y).backward();
        opt.step();
      }
      return params;
    };
    const makers = [
      (ps: Tensor[]) => new optim.Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 0.01 }),
      (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }),
    ];
    for (const make of makers) {
      const [cpu, reference] = [await trainOn('cpu', make), await trainOn('reference', make)];
      for (let i = 0; i < cpu.length; i++) await expectClose(cpu[i], reference[i], 1e-4, `parameter ${i}`);
    }
  });
});

// ---- Devices, errors, overhead ---------------------------------------------------------------------

describe('native backend: devices, errors, overhead', () => {
  const addon = (): NativeAddon =>
    createRequire(import.meta.url)(fileURLToPath(new URL('../native/build/Release/webgrad_native.node', import.meta.url))) as NativeAddon;

  test('a missing or broken addon is explained, with how to build it', () => {
    const missing = loadNativeBackend('/nonexistent/webgrad_native.node');
    expect(missing.backend).toBeNull();
    expect(missing.missing).toMatch(/not built .*npm run build:native.*npm install-scripts approve webgrad && npm rebuild webgrad.*TypeScript reference/);
    const broken = loadNativeBackend(fileURLToPath(new URL('../package.json', import.meta.url)));
    expect(broken.backend).toBeNull();
    expect(broken.missing).toMatch(/failed to load .*npm run build:native/);
  });

  test("'cpu' is the native backend, 'reference' the TypeScript one", async () => {
    const cpu = await init({ backend: 'cpu' });
    expect(cpu.backend).toBe('cpu');
    expect(cpu.adapter).toMatch(/^native C\+\+ \((AVX2\+FMA|SSE2|NEON|portable), \d+ threads\) on /);
    expect(cpu.reason).toBeUndefined();
    const reference = await init({ backend: 'reference' });
    expect(reference.backend).toBe('reference');
    expect(getBackend('reference')).toBeInstanceOf(ReferenceBackend);
    expect(reference.adapter).toMatch(/TypeScript reference/);
    await init({ backend: 'cpu' });
  });

  test('a C++ exception surfaces as a JS Error, and the addon keeps working', async () => {
    const a = addon(); // the module the backend uses (require caches it): its parameter block is restored below
    const params = new Float64Array(64);
    a.init(params);
    try {
      const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
      const neg = a.unaryOps.indexOf('neg');
      params.set([neg, 0, 2, 0, 2, 3, 3, 1]); // op, alpha, view [2, 3]
      expect(() => a.unary(x, new Float32Array(5))).toThrow(/unary output buffer holds 5 elements, needs 6/);
      expect(() => a.unary(x, new Float64Array(6) as unknown as Float32Array)).toThrow(/must be a Float32Array/);
      params.set([neg, 0, 2, 1, 2, 3, 3, 1]); // offset 1: reaches past the input
      expect(() => a.unary(x, new Float32Array(6))).toThrow(/unary input view reaches elements 1..6 of a buffer of 6/);
      params.set([neg, 0, 99]);
      expect(() => a.unary(x, new Float32Array(6))).toThrow(/rank 99/);
      params.set([99]);
      expect(() => a.unary(x, new Float32Array(6))).toThrow(/unknown unary op code 99/);
      params.set([3, 0, 1, 2, 3, 6, 3, 1, 3, 0, 1, 3, 2, 6, 2, 1]); // [1, 2, 3] · [1, 3, 2] into 3 floats
      expect(() => a.matmul(x, x, null, new Float32Array(3))).toThrow(/matmul output buffer holds 3 elements, needs 4/);
      expect(() => a.setThreads(-3)).toThrow(/setThreads/);
      // Still alive and correct afterwards.
      const out = new Float32Array(6);
      params.set([neg, 0, 2, 0, 2, 3, 3, 1]);
      a.unary(x, out);
      expect(Array.from(out)).toEqual([-1, -2, -3, -4, -5, -6]);
    } finally {
      a.init((native as unknown as { params: Float64Array }).params);
    }
    const t = tensor([1, 2, 3], { device: 'cpu' });
    expect(Array.from(await t.neg().data())).toEqual([-1, -2, -3]);
  });

  test('a tiny op costs a few µs through the public API', async () => {
    const a = tensor(normals(500), { shape: [100, 5], device: 'cpu' });
    const b = tensor(normals(500), { shape: [100, 5], device: 'cpu' });
    const time = (reps: number): number => {
      const start = performance.now();
      for (let i = 0; i < reps; i++) a.add(b).dispose();
      return ((performance.now() - start) * 1000) / reps;
    };
    time(2000); // warm up
    const perOp = time(10000);
    console.log(`native 'cpu': ${perOp.toFixed(2)} µs per add of [100, 5] tensors`);
    expect(perOp).toBeLessThan(100);
  });
});
