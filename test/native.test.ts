// The native C++ backend (device 'cpu') against the float64 reference backend (device 'reference'):
// every Backend method on random shapes and strided views, the public API's forward and gradients,
// thread-count independence, a large matmul, an optimizer loop, and C++ errors as JS Errors.
// Without the built addon this suite fails (it never skips): run `npm run build:native`.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { AdamTensor, Backend, BinaryOp, SgdTensor, Storage, StorageSlice, UnaryOp } from '../src/backend/backend.js';
import { loadNativeBackend } from '../src/backend/native/index.js';
import { NativeBackend, type NativeAddon } from '../src/backend/native/native.js';
import { BINARY_OPS } from '../src/backend/elementwise-ops.js';
import { ReferenceBackend } from '../src/backend/reference/reference.js';
import * as fused from './fused-reference.js';
import { getBackend } from '../src/device.js';
import { init, manualSeed, nn, optim, tensor, type DeviceName, type Tensor } from '../src/index.js';
import { layerCases, opCases, secondOrderCases } from './device-cases.js';
import { contiguousStrides, sizeOf, type Layout } from '../src/shape.js';
import { compareDevices, expectClose } from './helpers.js';

const BUILD_HINT = 'the native addon is not loaded: run `npm run build:native` (see init({ backend: "cpu" }).reason)';

let native: NativeBackend;
const ref = new ReferenceBackend();

beforeAll(async () => {
  const result = await init({ backend: 'cpu' });
  expect(getBackend('cpu').name, `${BUILD_HINT}: ${result.reason}`).toBe('cpu');
  expect(getBackend('cpu').constructor, BUILD_HINT).toBe(NativeBackend);
  native = getBackend('cpu') as NativeBackend;
});

// ---- Random data and views ------------------------------------------------------------------------

/** A small deterministic generator (mulberry32), independent of webgrad's own. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(1234);
const randint = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const randShape = (rank: number, max = 7): number[] => Array.from({ length: rank }, () => randint(1, max));
const normals = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));

interface ViewOptions {
  transpose?: boolean;
  broadcast?: boolean;
  narrow?: boolean;
}

/**
 * A view of `shape` into a fresh buffer: memory order permuted (a transposed view), some dims of
 * stride 0 (broadcast), narrowed out of larger dims, at an offset; returns the layout and the
 * buffer's length.
 */
function randomView(shape: readonly number[], { transpose = true, broadcast = true, narrow = true }: ViewOptions = {}): { layout: Layout; length: number } {
  const rank = shape.length;
  const order = Array.from({ length: rank }, (_, i) => i);
  if (transpose) order.sort(() => rand() - 0.5);
  const parent = shape.map((s) => (narrow && rand() < 0.3 ? s + randint(1, 3) : s));
  const zero = shape.map(() => broadcast && rand() < 0.25);
  const strides = new Array<number>(rank).fill(0);
  let step = 1;
  for (let j = rank - 1; j >= 0; j--) {
    const d = order[j];
    if (zero[d]) continue;
    strides[d] = step;
    step *= parent[d];
  }
  let offset = randint(0, 3);
  shape.forEach((s, d) => (offset += randint(0, parent[d] - s) * strides[d]));
  const reach = shape.reduce((r, s, d) => r + (s - 1) * strides[d], 0);
  return { layout: { shape: [...shape], strides, offset }, length: offset + Math.max(reach, 0) + 1 + randint(0, 2) };
}

const contiguous = (shape: readonly number[], offset = 0): Layout => ({ shape: [...shape], strides: contiguousStrides(shape), offset });

/** The same values on both backends. */
function upload(values: Float32Array): [Storage, Storage] {
  return [native.upload(values), ref.upload(values)];
}

/** Native (float32) close to the reference (float64): |a − e| ≤ tol · max(1, max |e|); NaN where NaN. */
async function expectStoragesClose(actual: Storage, expected: Storage, what: string, tol = 1e-5): Promise<void> {
  const [a, e] = [await native.read(actual), await ref.read(expected)];
  expect(a.length, `${what}: length`).toBe(e.length);
  const scale = e.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 1);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const expected = Math.fround(e[i]);
    if (Number.isNaN(expected) || !Number.isFinite(expected)) {
      if (!Object.is(a[i], expected) && !(Number.isNaN(a[i]) && Number.isNaN(expected))) [worst, at] = [Infinity, i];
      continue;
    }
    const err = Math.abs(a[i] - expected) / scale;
    if (!(err <= worst)) [worst, at] = [err, i];
  }
  expect(worst, `${what}: worst at ${at}: ${a[at]} vs ${e[at]}`).toBeLessThanOrEqual(tol);
}

// ---- Every Backend method against the reference --------------------------------------------------

const UNARY: [UnaryOp, number, 'any' | 'positive'][] = [
  ['copy', 0, 'any'],
  ['neg', 0, 'any'],
  ['exp', 0, 'any'],
  ['log', 0, 'positive'],
  ['sqrt', 0, 'positive'],
  ['abs', 0, 'any'],
  ['sign', 0, 'any'],
  ['relu', 0, 'any'],
  ['sigmoid', 0, 'any'],
  ['tanh', 0, 'any'],
  ['softplus', 0, 'any'],
  ['expm1', 0, 'any'],
  ['log1p', 0, 'positive'],
  ['rsqrt', 0, 'positive'],
  ['square', 0, 'any'],
  ['sin', 0, 'any'],
  ['cos', 0, 'any'],
  ['gelu', 0, 'any'],
  ['geluGrad', 0, 'any'],
  ['leakyRelu', 0.2, 'any'],
  ['leakyReluGrad', 0.2, 'any'],
  ['elu', 0.7, 'any'],
  ['addS', 0.7, 'any'],
  ['mulS', -1.3, 'any'],
  ['rsubS', 2.5, 'any'],
  ['powS', 2, 'any'],
  ['powS', 3, 'any'],
  ['powS', -1, 'positive'],
  ['powS', 2.5, 'positive'],
  ['powS', 0.5, 'positive'],
  ['gtS', 0.1, 'any'],
];

describe('native backend vs reference backend', () => {
  test.each(UNARY)('unary %s (alpha %d) on random strided views', async (op, alpha, domain) => {
    for (let trial = 0; trial < 12; trial++) {
      const shape = randShape(randint(0, 4));
      const { layout, length } = randomView(shape);
      const values = normals(length).map((v) => (domain === 'positive' ? Math.abs(v) + 0.1 : v));
      const [n, r] = upload(values);
      await expectStoragesClose(native.unary(op, n, layout, alpha), ref.unary(op, r, layout, alpha), `${op} ${JSON.stringify(layout)}`);
    }
  });

  test('unary: special values (NaN, ±Infinity, ±0) as the reference treats them', async () => {
    const special = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1, -1, 88, -88, 100, -100, 1e-30]);
    const layout = contiguous([special.length]);
    const [n, r] = upload(special);
    const cases: [UnaryOp, number][] = [
      ['sign', 0], ['relu', 0], ['sigmoid', 0], ['tanh', 0], ['softplus', 0], ['exp', 0], ['abs', 0], ['gtS', 0],
      ['expm1', 0], ['log1p', 0], ['rsqrt', 0], ['square', 0], ['sin', 0], ['cos', 0], ['gelu', 0], ['geluGrad', 0], ['leakyRelu', 0.1], ['elu', 1],
      ['powS', NaN], ['powS', Infinity], ['powS', -Infinity], ['powS', 0], ['powS', 3], ['powS', 2], ['powS', -1], ['powS', 0.5], ['powS', -2.5],
    ];
    for (const [op, alpha] of cases) await expectStoragesClose(native.unary(op, n, layout, alpha), ref.unary(op, r, layout, alpha), `${op} ${alpha}`);
    const negative = Float32Array.from([-8, -2, -0.5, -1]);
    const [nn_, rn] = upload(negative);
    for (const alpha of [3, 2, -1, 0.5, 1 / 3]) {
      await expectStoragesClose(native.unary('powS', nn_, contiguous([4]), alpha), ref.unary('powS', rn, contiguous([4]), alpha), `negative ** ${alpha}`);
    }
  });

  test.each(Object.keys(BINARY_OPS) as BinaryOp[])('binary %s on random views (broadcast, transposed, offsets)', async (op) => {
    for (let trial = 0; trial < 15; trial++) {
      const shape = randShape(randint(0, 4));
      const a = randomView(shape);
      const b = randomView(shape);
      const av = normals(a.length);
      const bv = ['eq', 'ne', 'ge'].includes(op) ? av.slice(0, b.length) : normals(b.length).map((v) => (op === 'div' ? Math.sign(v || 1) * (Math.abs(v) + 0.2) : v));
      if (['eq', 'ne', 'ge'].includes(op) && b.length > av.length) continue;
      const [na, ra] = upload(av);
      const [nb, rb] = upload(bv);
      await expectStoragesClose(native.binary(op, na, a.layout, nb, b.layout), ref.binary(op, ra, a.layout, rb, b.layout), `${op} ${JSON.stringify([a.layout, b.layout])}`);
    }
  });

  test('binary: maximum propagates NaN from either side; a row broadcast over a large tensor', async () => {
    const [na, ra] = upload(Float32Array.from([NaN, 1, NaN, -Infinity, 0]));
    const [nb, rb] = upload(Float32Array.from([1, NaN, NaN, 2, -0]));
    const l = contiguous([5]);
    for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) await expectStoragesClose(native.binary(op, na, l, nb, l), ref.binary(op, ra, l, rb, l), op);
    const rows = 40000;
    const [nx, rx] = upload(normals(rows * 5));
    const [nr, rr] = upload(normals(5));
    const x = contiguous([rows, 5]);
    const row: Layout = { shape: [rows, 5], strides: [0, 1], offset: 0 };
    await expectStoragesClose(native.binary('add', nx, x, nr, row), ref.binary('add', rx, x, rr, row), 'row broadcast');
    await expectStoragesClose(native.binary('mul', nr, row, nx, x), ref.binary('mul', rr, row, rx, x), 'row broadcast, left');
  });

  test('reduce: sum and max over [outer, size, inner] with an offset, incl. empty, long and wide axes', async () => {
    const views = [
      [1, 1, 1], [3, 5, 1], [4, 7, 3], [2, 0, 3], [0, 4, 2], [5, 1, 9], [3, 300, 1], [2, 9, 300], [1, 100000, 1], [2, 40000, 3], [1, 1, 70000], [7, 13, 5],
    ];
    for (const [outer, size, inner] of views) {
      const offset = randint(0, 4);
      const values = normals(offset + outer * size * inner + 2);
      const [n, r] = upload(values);
      for (const op of ['sum', 'max'] as const) {
        const l = contiguous([outer, size, inner], offset);
        await expectStoragesClose(native.reduce(op, n, l, [1]), ref.reduce(op, r, l, [1]), `${op} [${outer},${size},${inner}]`);
      }
    }
    const [n, r] = upload(Float32Array.from([1, NaN, 3, -Infinity, -Infinity, 2, 5, 4, NaN]));
    await expectStoragesClose(native.reduce('max', n, contiguous([3, 3]), [1]), ref.reduce('max', r, contiguous([3, 3]), [1]), 'max with NaN');
    await expectStoragesClose(native.reduce('max', n, contiguous([3, 3]), [0]), ref.reduce('max', r, contiguous([3, 3]), [0]), 'max with NaN, inner');
    for (let trial = 0; trial < 12; trial++) {
      const shape = randShape(randint(1, 4));
      const { layout, length } = randomView(shape);
      const dims = shape.map((_, d) => d).filter(() => rand() < 0.5);
      const [sn, sr] = upload(normals(length));
      for (const op of ['sum', 'max'] as const) {
        await expectStoragesClose(native.reduce(op, sn, layout, dims, 0.5), ref.reduce(op, sr, layout, dims, 0.5), `${op} dims [${dims}] of ${JSON.stringify(layout)}`);
      }
      const dim = randint(0, shape.length - 1);
      for (const log of [false, true]) await expectStoragesClose(native.softmax(sn, layout, dim, log), ref.softmax(sr, layout, dim, log), `softmax dim ${dim} of ${JSON.stringify(layout)}`);
    }
  });

  test('softmax and logSoftmax along the middle axis, incl. large values and -Infinity', async () => {
    const views = [[1, 1, 1], [4, 10, 1], [3, 7, 4], [2, 300, 1], [2, 5, 300], [1, 3000, 2], [6, 1, 3]];
    for (const [outer, size, inner] of views) {
      const offset = randint(0, 3);
      const values = normals(offset + outer * size * inner).map((v) => v * 30);
      const [n, r] = upload(values);
      for (const log of [false, true]) {
        const l = contiguous([outer, size, inner], offset);
        await expectStoragesClose(native.softmax(n, l, 1, log), ref.softmax(r, l, 1, log), `softmax log=${log} [${outer},${size},${inner}]`);
      }
    }
    const [n, r] = upload(Float32Array.from([-Infinity, 0, 1, -Infinity, -Infinity, -Infinity, NaN, 1, 2]));
    for (const log of [false, true]) {
      await expectStoragesClose(native.softmax(n, contiguous([3, 3]), 1, log), ref.softmax(r, contiguous([3, 3]), 1, log), `special log=${log}`);
    }
  });

  test('matmul: batched, transposed and broadcast operands, bias, k = 0 (bias or zeros), empty outputs, m/n/k = 1', async () => {
    const dims = [
      [1, 1, 1, 1], [1, 5, 1, 7], [1, 1, 9, 1], [2, 3, 0, 4], [1, 3, 4, 0], [0, 2, 2, 2], [2, 7, 13, 5], [3, 17, 6, 33], [1, 65, 37, 129], [4, 20, 20, 20], [2, 1, 50, 70], [1, 100, 10, 5],
    ];
    for (const [batch, m, k, n] of dims) {
      for (const withBias of [false, true]) {
        const a = randomView([batch, m, k], { narrow: true });
        const b = randomView([batch, k, n], { narrow: true });
        const [na, ra] = upload(normals(a.length));
        const [nb, rb] = upload(normals(b.length));
        let args: { n: Parameters<Backend['matmul']>[2]; r: Parameters<Backend['matmul']>[2] } = { n: { a: a.layout, b: b.layout }, r: { a: a.layout, b: b.layout } };
        if (withBias) {
          const stride = randint(1, 3);
          const offset = randint(0, 2);
          const layout: Layout = { shape: [n], strides: [stride], offset };
          const [nc, rc] = upload(normals(offset + Math.max(n - 1, 0) * stride + 1));
          args = { n: { ...args.n, bias: { storage: nc, layout } }, r: { ...args.r, bias: { storage: rc, layout } } };
        }
        await expectStoragesClose(native.matmul(na, nb, args.n), ref.matmul(ra, rb, args.r), `matmul ${[batch, m, k, n]} bias=${withBias} ${JSON.stringify([a.layout, b.layout])}`, 1e-5 * Math.max(1, Math.sqrt(k)));
      }
    }
  });

  test('copy into a strided destination', async () => {
    for (let trial = 0; trial < 20; trial++) {
      const shape = randShape(randint(0, 4));
      const src = randomView(shape);
      const dst = randomView(shape, { broadcast: false });
      const [ns, rs] = upload(normals(src.length));
      const [nd, rd] = upload(normals(dst.length));
      native.copy(ns, src.layout, nd, dst.layout);
      ref.copy(rs, src.layout, rd, dst.layout);
      await expectStoragesClose(nd, rd, `copy ${JSON.stringify([src.layout, dst.layout])}`, 0);
    }
  });

  test('gather and scatterAdd with float-valued indices (invalid ones: NaN / dropped), strided views', async () => {
    for (let trial = 0; trial < 25; trial++) {
      const rank = randint(1, 3);
      const dim = randint(0, rank - 1);
      const xShape = randShape(rank, 6);
      const iShape = xShape.map((s, d) => (d === dim ? randint(1, 8) : randint(1, s)));
      const x = randomView(xShape);
      const idx = randomView(iShape);
      const indexValues = Float32Array.from({ length: idx.length }, () => {
        const u = rand();
        if (u < 0.05) return NaN;
        if (u < 0.1) return -1;
        if (u < 0.15) return 0.5;
        if (u < 0.2) return xShape[dim];
        return randint(0, xShape[dim] - 1);
      });
      const [nx, rx] = upload(normals(x.length));
      const [ni, ri] = upload(indexValues);
      await expectStoragesClose(native.gather(nx, x.layout, dim, ni, idx.layout), ref.gather(rx, x.layout, dim, ri, idx.layout), `gather dim ${dim} ${JSON.stringify([x.layout, idx.layout])}`, 0);
      const src = randomView(iShape);
      const [nsrc, rsrc] = upload(normals(src.length));
      await expectStoragesClose(
        native.scatterAdd(xShape, dim, ni, idx.layout, nsrc, src.layout),
        ref.scatterAdd(xShape, dim, ri, idx.layout, rsrc, src.layout),
        `scatterAdd dim ${dim} ${JSON.stringify([xShape, idx.layout, src.layout])}`,
      );
    }
  });

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

  test('adamStep (Adam, AdamW, AMSGrad) and sgdStep (momentum, dampening, Nesterov, weight decay): two tensors per call, strided gradients, slices at offsets', async () => {
    const shape = [6, 7];
    const n = sizeOf(shape);
    // Tensor 0's θ from offset 0 of its storage, tensor 1's from offset 5; their state packed into one storage per kind, as the optimizers pack it.
    const thetas = () => [upload(normals(n)), upload(normals(n + 5))];
    const THETA_AT = [0, 5];
    const packed = () => upload(new Float32Array(2 * n));
    const slice = (storage: Storage, k: number, at = k * n): StorageSlice => ({ storage, offset: at });
    const grads = (t: number) =>
      [0, 1].map(() => {
        const g = randomView(shape);
        const [ng, rg] = upload(normals(g.length).map((v) => v * (t < 3 ? 2 : 0.1)));
        return { layout: g.layout, native: ng, ref: rg };
      });
    const adamHypers = [
      { amsgrad: false, gradDecay: 0, paramScale: 1 },
      { amsgrad: true, gradDecay: 0.1, paramScale: 1 },
      { amsgrad: false, gradDecay: 0, paramScale: 1 - 0.01 * 0.1 },
    ];
    for (const { amsgrad, gradDecay, paramScale } of adamHypers) {
      const ps = thetas();
      const [m, v, x] = [packed(), packed(), packed()];
      for (let t = 1; t <= 4; t++) {
        const gs = grads(t);
        const hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.01 / (1 - 0.9 ** t), biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** t), gradDecay, paramScale };
        for (const [backend, b] of [[native, 0], [ref, 1]] as const) {
          const tensors = gs.map((g, k): AdamTensor => ({
            param: slice(ps[k][b], k, THETA_AT[k]),
            grad: b === 0 ? g.native : g.ref,
            gradLayout: g.layout,
            expAvg: slice(m[b], k),
            expAvgSq: slice(v[b], k),
            maxExpAvgSq: amsgrad ? slice(x[b], k) : null,
          }));
          if (backend === native) native.adamStep(tensors, hyper);
          else fused.adamStep(ref, tensors, hyper);
        }
      }
      for (const [k, [np, rp]] of ps.entries()) await expectStoragesClose(np, rp, `adam param ${k} amsgrad=${amsgrad}`);
      await expectStoragesClose(m[0], m[1], 'adam expAvg');
      await expectStoragesClose(v[0], v[1], 'adam expAvgSq');
      if (amsgrad) await expectStoragesClose(x[0], x[1], 'adam maxExpAvgSq');
    }
    const sgdHypers = [
      { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, buffer: false },
      { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01, buffer: true },
      { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0, buffer: true },
    ];
    for (const { buffer, ...h } of sgdHypers) {
      const ps = thetas();
      const bufs = packed();
      for (let t = 0; t < 4; t++) {
        const gs = grads(t);
        for (const [backend, b] of [[native, 0], [ref, 1]] as const) {
          const tensors = gs.map((g, k): SgdTensor => ({
            param: slice(ps[k][b], k, THETA_AT[k]),
            grad: b === 0 ? g.native : g.ref,
            gradLayout: g.layout,
            momentumBuffer: buffer ? slice(bufs[b], k) : null,
          }));
          if (backend === native) native.sgdStep(tensors, { ...h, lr: 0.05, firstStep: t === 0 });
          else fused.sgdStep(ref, tensors, { ...h, lr: 0.05, firstStep: t === 0 });
        }
      }
      for (const [k, [np, rp]] of ps.entries()) await expectStoragesClose(np, rp, `sgd param ${k} ${JSON.stringify(h)}`);
      if (buffer) await expectStoragesClose(bufs[0], bufs[1], 'sgd momentum buffer');
    }
    const [p] = upload(normals(n));
    const [g] = upload(normals(n));
    const outside = { param: slice(p, 0, n + 1), grad: g, gradLayout: contiguous(shape), momentumBuffer: null };
    expect(() => native.sgdStep([outside], { ...sgdHypers[0], lr: 0.1, firstStep: true })).toThrow(/sgdStep parameter offset 43 is outside its buffer of 42/);
    expect(() => native.sgdStep([{ ...outside, param: slice(p, 0, 1) }], { ...sgdHypers[0], lr: 0.1, firstStep: true })).toThrow(/sgdStep parameter buffer holds 41 elements, needs 42/);
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

  test.each([...opCases, ...secondOrderCases, ...layerCases])('%s', async (_, fn, specs) => {
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
