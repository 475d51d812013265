// One conformance suite for every backend: each Backend method against the float64 ReferenceBackend
// on the same float32 inputs (random data, odd and empty sizes, strided / transposed / broadcast
// views with offsets, special values), every op of the elementwise tables, the optional fused
// kernels against float64 oracles where a backend has them. A backend whose kernels depend on a
// tuning runs the tuned sections in each form. Neither backend may be missing: no adapter or no
// built addon fails the suite, it never skips.
import { beforeAll, describe, expect, test } from 'vitest';
import type { AdamTensor, Backend, BinaryOp, Conv2dGeometry, SgdTensor, Storage, StorageSlice, UnaryOp } from '../src/backend/backend.js';
import { BINARY_OPS, UNARY_OPS } from '../src/backend/elementwise-ops.js';
import { NativeBackend } from '../src/backend/native/native.js';
import { ReferenceBackend } from '../src/backend/reference/reference.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import type { Tuning } from '../src/backend/webgpu/kernel-context.js';
import { getBackend } from '../src/device.js';
import { init } from '../src/index.js';
import type { Layout, Shape } from '../src/shape.js';
import { checkMatmul, contiguous, expectMatch, randomView, rng, VIEW_KINDS, viewOf, type MatmulCase, type Pair } from './conformance-helpers.js';
import * as fused from './fused-reference.js';

interface Form {
  name: string;
  apply(backend: Backend): void;
}

interface Subject {
  name: string;
  create(): Promise<Backend>;
  /** The forms of the tuned kernels (reductions, softmax, matmul). */
  forms: Form[];
  /** The optional fused kernels it offers. */
  fused: FusedKernel[];
}
type FusedKernel = 'squaredErrorSum' | 'squaredErrorGrad' | 'softmaxBackward' | 'adamStep' | 'sgdStep' | 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad' | 'maxPool2dIndices';
const WINDOW_KERNELS: FusedKernel[] = ['conv2d', 'conv2dInputGrad', 'conv2dWeightGrad', 'maxPool2dIndices'];
const FUSED_KERNELS: FusedKernel[] = ['squaredErrorSum', 'squaredErrorGrad', 'softmaxBackward', 'adamStep', 'sgdStep', ...WINDOW_KERNELS];

const webgpuForm = (name: string, tuning: Partial<Tuning>): Form => ({ name, apply: (b) => Object.assign((b as WebGpuBackend).tuning, tuning) });
const SUBJECTS: Subject[] = [
  {
    name: 'cpu (native)',
    create: async () => {
      const { reason } = await init({ backend: 'cpu' });
      const backend = getBackend('cpu');
      expect(backend, `the native addon is not loaded: run \`npm run build:native\` (${reason})`).toBeInstanceOf(NativeBackend);
      return backend;
    },
    forms: [{ name: 'as built', apply: () => {} }],
    fused: ['softmaxBackward', 'adamStep', 'sgdStep', ...WINDOW_KERNELS],
  },
  {
    name: 'webgpu',
    create: createWebGpuBackend, // no adapter: the suite fails here
    forms: [
      webgpuForm('GPU forms: workgroup tiles, 256 threads per output', { matmulTiles: 'workgroup', maxThreadsPerOutput: 256 }),
      webgpuForm('fallback-adapter forms: register tiles, 4 threads per output', { matmulTiles: 'registers', maxThreadsPerOutput: 4 }),
    ],
    fused: FUSED_KERNELS.filter((k) => k !== 'softmaxBackward'),
  },
];

/** Where each unary op is tested (default: [-3, 3], alpha 0); several rows for ops with regimes. */
const UNARY_DOMAINS: Partial<Record<UnaryOp, { lo?: number; hi?: number; alpha?: number }[]>> = {
  exp: [{ lo: -10, hi: 10 }],
  expm1: [{ lo: -3, hi: 3 }, { lo: -0.01, hi: 0.01 }],
  log: [{ lo: 0.01, hi: 5 }],
  log1p: [{ lo: -0.9, hi: 5 }, { lo: -0.01, hi: 0.01 }],
  sqrt: [{ lo: 0, hi: 5 }],
  rsqrt: [{ lo: 0.01, hi: 5 }],
  sin: [{ lo: -10, hi: 10 }],
  cos: [{ lo: -10, hi: 10 }],
  sigmoid: [{ lo: -30, hi: 30 }],
  tanh: [{ lo: -30, hi: 30 }],
  softplus: [{ lo: -30, hi: 30 }],
  gelu: [{ lo: -8, hi: 8 }],
  geluGrad: [{ lo: -8, hi: 8 }],
  leakyRelu: [{ alpha: 0.2 }],
  leakyReluGrad: [{ alpha: 0.2 }],
  elu: [{ lo: -5, hi: 3, alpha: 0.7 }],
  addS: [{ alpha: 2.5 }],
  mulS: [{ alpha: -3 }],
  rsubS: [{ alpha: 1.5 }],
  powS: [{ lo: 0.1, hi: 3, alpha: 2.5 }, { alpha: 3 }, { alpha: 2 }, { alpha: -2 }, { lo: 0.1, hi: 3, alpha: -1 }, { alpha: 0.5 }, { alpha: 0 }],
  gtS: [{ alpha: 0.25 }],
};
const SPECIAL = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1, -1, 88, -88, 100, -100, 1e-30, -2, 5, 3, 0.5, -8, -0.5]);
const SPECIAL_POW_EXPONENTS = [NaN, Infinity, -Infinity, 0, 2, 3, 10, -1, -3, 0.5, -2.5, 1 / 3];
const SHAPES: Shape[] = [[], [1], [3], [17], [65], [130], [3, 1, 5], [17, 65], [2, 3, 4, 5], [4, 1, 3, 1, 2, 3, 2], [40000]];

describe.each(SUBJECTS)('$name conforms to the reference backend', (subject) => {
  const ref = new ReferenceBackend();
  const r = rng(1234567);
  let backend!: Backend;
  beforeAll(async () => {
    backend = await subject.create();
  });

  const upload = (data: Float32Array): Pair => ({ got: backend.upload(data), want: ref.upload(data) });
  const both = (run: (b: Backend, side: keyof Pair) => Storage): Pair => ({ got: run(backend, 'got'), want: run(ref, 'want') });
  const match = (pair: Pair, tolerance: number, what: string) => expectMatch(backend, ref, pair, tolerance, what);

  describe('storage', () => {
    test('upload and read round trip f32 and f64 data, empty storages included; fill', async () => {
      for (const n of [0, 1, 3, 1000]) {
        const data = r.uniform(n);
        await match(upload(data), 0, `upload ${n}`);
        expect(Array.from(await backend.read(backend.upload(Float64Array.from(data))))).toEqual(Array.from(data));
      }
      for (const [n, value] of [[0, 1], [1, -2.5], [1025, 3], [5000, 0]]) await match(both((b) => b.fill(n, value)), 0, `fill ${n}`);
    });
  });

  describe('unary: every op of UNARY_OPS', () => {
    for (const op of Object.keys(UNARY_OPS) as UnaryOp[]) {
      for (const { lo = -3, hi = 3, alpha = 0 } of UNARY_DOMAINS[op] ?? [{}]) {
        test(`${op} (alpha ${alpha}, inputs in [${lo}, ${hi}]) on contiguous and strided views`, async () => {
          for (const shape of SHAPES) {
            for (const kind of VIEW_KINDS) {
              const { layout, length } = viewOf(r, shape, kind);
              const data = r.uniform(length, lo, hi);
              if (length > 2 && lo <= 0 && hi >= 0) data[1] = 0;
              const x = upload(data);
              await match(both((b, s) => b.unary(op, x[s], layout, alpha)), 2e-6 * Math.max(1, Math.abs(alpha)), `${op} [${shape}] ${JSON.stringify(layout)}`);
            }
          }
        });
      }
    }

    test('special values (NaN, ±Infinity, ±0, large, negative bases) as the reference treats them', async () => {
      const layout = contiguous([SPECIAL.length]);
      const x = upload(SPECIAL);
      for (const op of Object.keys(UNARY_OPS) as UnaryOp[]) {
        const alphas = op === 'powS' ? SPECIAL_POW_EXPONENTS : (UNARY_DOMAINS[op] ?? [{}]).map(({ alpha = 0 }) => alpha);
        for (const alpha of alphas) await match(both((b, s) => b.unary(op, x[s], layout, alpha)), 2e-6, `${op} (alpha ${alpha}) of ${Array.from(SPECIAL)}`);
      }
    });
  });

  describe('binary: every op of BINARY_OPS', () => {
    for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
      test(`${op} on contiguous, strided and broadcast views`, async () => {
        for (const shape of SHAPES) {
          for (const kind of VIEW_KINDS) {
            const [va, vb] = [viewOf(r, shape, kind), viewOf(r, shape, kind)];
            const [da, db] = [r.uniform(va.length, -3, 3), r.uniform(vb.length, -3, 3)];
            for (let i = 0; i < Math.min(da.length, db.length); i += 3) db[i] = da[i]; // ties for the comparisons and extrema
            if (da.length > 4) [da[0], db[4]] = [NaN, NaN];
            if (op === 'div') db.forEach((v, i) => (db[i] = v === 0 ? 1 : v));
            if (op === 'pow') db.forEach((v, i) => (db[i] = i % 2 ? Math.round(v) : v)); // integer exponents of negative bases too
            const [a, b] = [upload(da), upload(db)];
            await match(both((k, s) => k.binary(op, a[s], va.layout, b[s], vb.layout)), 2e-6, `${op} [${shape}] ${JSON.stringify([va.layout, vb.layout])}`);
          }
        }
      });
    }

    test('special values on either side', async () => {
      const layout = contiguous([SPECIAL.length]);
      const [a, b] = [upload(SPECIAL), upload(SPECIAL.slice().reverse())];
      for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
        await match(both((k, s) => k.binary(op, a[s], layout, b[s], layout)), 2e-6, `${op} special`);
        await match(both((k, s) => k.binary(op, b[s], layout, a[s], layout)), 2e-6, `${op} special, swapped`);
      }
    });

    test('a row repeated down a matrix (a bias add), on either side, aligned or not; one storage as both operands', async () => {
      for (const [rows, cols, offset] of [[5, 8, 0], [3, 12, 4], [4, 6, 0], [2, 8, 1], [1, 4, 0], [40000, 5, 0]]) {
        const [a, b] = [upload(r.uniform(offset + rows * cols)), upload(r.uniform(offset + cols))];
        const al: Layout = { shape: [rows, cols], strides: [cols, 1], offset };
        const bl: Layout = { shape: [rows, cols], strides: [0, 1], offset };
        for (const op of ['add', 'sub', 'mul'] as const) {
          await match(both((k, s) => k.binary(op, a[s], al, b[s], bl)), 1e-6, `${op} [${rows},${cols}] + row, offset ${offset}`);
          await match(both((k, s) => k.binary(op, b[s], bl, a[s], al)), 1e-6, `row ${op} [${rows},${cols}], offset ${offset}`);
        }
      }
      const x = upload(r.uniform(100));
      const t: Layout = { shape: [10, 10], strides: [1, 10], offset: 0 };
      await match(both((k, s) => k.binary('sub', x[s], contiguous([10, 10]), x[s], t)), 1e-6, 'x - xᵀ');
    });
  });

  describe.each(subject.forms)('reduce and softmax ($name)', (form) => {
    beforeAll(() => form.apply(backend));

    test('sum (scaled) and max along the middle axis from an offset: empty, single, long and wide axes; NaN and -Infinity', async () => {
      const views = [[1, 1, 1], [1, 0, 1], [2, 0, 3], [0, 4, 2], [3, 17, 1], [1, 5000, 1], [4, 130, 3], [2, 65, 7], [5, 3, 65], [7, 1, 9], [2, 4097, 2], [300, 2, 1], [1, 100000, 1], [1, 1, 70000]];
      for (const [outer, size, inner] of views) {
        const data = r.uniform(3 + outer * size * inner, -2, 2);
        if (data.length > 10) [data[10], data[7]] = [NaN, -Infinity];
        const x = upload(data);
        const l = contiguous([outer, size, inner], 3);
        await match(both((b, s) => b.reduce('sum', x[s], l, [1], 1 / Math.max(size, 1))), 2e-6 * Math.sqrt(size + 1), `mean ${outer}×${size}×${inner}`);
        await match(both((b, s) => b.reduce('max', x[s], l, [1])), 0, `max ${outer}×${size}×${inner}`);
      }
    });

    test('sum, max and softmax of strided views over any dims (adjacent, not, none, all)', async () => {
      for (const shape of [[3, 4, 5], [2, 1, 6, 3], [7], [17, 65], [4, 3, 2, 5]] as Shape[]) {
        const last = shape.length - 1;
        for (const dims of [[], [0], [last], [...new Set([0, last])], shape.map((_, d) => d), shape.length > 2 ? [0, 2] : [0]]) {
          const v = randomView(r, shape);
          const x = upload(r.uniform(v.length, -2, 2));
          for (const op of ['sum', 'max'] as const) await match(both((b, s) => b.reduce(op, x[s], v.layout, dims, 0.5)), 1e-5, `${op} dims [${dims}] of ${JSON.stringify(v.layout)}`);
          const dim = dims[0] ?? last;
          for (const log of [false, true]) await match(both((b, s) => b.softmax(x[s], v.layout, dim, log)), 5e-6, `softmax (log ${log}) dim ${dim} of ${JSON.stringify(v.layout)}`);
        }
      }
    });

    test('long sums stay within 1e-6: 1e6 and 4e6 elements, long rows, a long log-softmax row', async () => {
      for (const [outer, size] of [[1, 1e6], [1, 4e6], [3, 300000]]) {
        const x = upload(new Float32Array(outer * size).fill(0.1));
        const l = contiguous([outer, size]);
        await match(both((b, s) => b.reduce('sum', x[s], l, [1])), 1e-6, `sum ${outer}×${size}`);
        await match(both((b, s) => b.reduce('sum', x[s], l, [1], 1 / size)), 1e-6, `mean ${outer}×${size}`);
      }
      const logits = new Float32Array(1e6).fill(Math.log(0.1)); // each exp ≈ 0.1, and one 1
      logits[0] = 0;
      const x = upload(logits);
      await match(both((b, s) => b.softmax(x[s], contiguous([1e6]), 0, true)), 1e-6, 'log-softmax of a long row');
    });

    test('softmax and log-softmax of large-magnitude inputs; rows with -Infinity and NaN', async () => {
      for (const [outer, size, inner, magnitude] of [[1, 1, 1, 1], [3, 17, 1, 100], [1, 5000, 1, 10], [4, 130, 3, 1000], [2, 65, 7, 1e4], [5, 3, 65, 50], [64, 10, 1, 30], [2, 5, 300, 30]]) {
        const x = upload(r.uniform(5 + outer * size * inner, -magnitude, magnitude));
        const l = contiguous([outer, size, inner], 5);
        for (const log of [false, true]) await match(both((b, s) => b.softmax(x[s], l, 1, log)), 5e-6, `softmax (log ${log}) ${outer}×${size}×${inner} ×${magnitude}`);
      }
      const x = upload(Float32Array.from([-Infinity, 0, 1, -Infinity, -Infinity, -Infinity, NaN, 1, 2, Infinity, 0, 1]));
      for (const log of [false, true]) await match(both((b, s) => b.softmax(x[s], contiguous([4, 3]), 1, log)), 1e-6, `softmax (log ${log}) of special rows`);
    });
  });

  describe.each(subject.forms)('matmul ($name)', (form) => {
    beforeAll(() => form.apply(backend));

    const check = (batch: number, m: number, k: number, n: number, options: MatmulCase = {}) => checkMatmul(backend, ref, r, [batch, m, k, n], options);

    test('shapes from 1×1×1 to 257×5×3; k = 0 (zeros or the bias); empty outputs; with and without bias', async () => {
      const shapes = [[1, 1, 1], [7, 13, 5], [64, 64, 64], [100, 37, 129], [257, 5, 3], [3, 0, 4], [1, 200, 1], [65, 4, 67], [2, 9, 40], [6, 8, 200], [5, 100, 12], [5, 1, 7], [3, 4, 0], [0, 2, 2]];
      for (const [m, k, n] of shapes) for (const bias of [false, true]) await check(1, m, k, n, { bias });
      await check(0, 2, 2, 2, { bias: true });
    });

    test('transposed operands at offsets (vectorised and scalar loads)', async () => {
      for (const [m, k, n] of [[64, 64, 64], [20, 36, 12], [33, 17, 9], [3, 8, 68]]) {
        for (const ta of [false, true]) for (const tb of [false, true]) for (const offset of [0, 4, 1]) await check(1, m, k, n, { ta, tb, offset });
      }
    });

    test("thin (n ≤ 4: a head's Linear(·→1)) and shallow (k ≤ 4: an outer product) products, transposed, batched, at offsets", async () => {
      await check(1, 256, 1024, 1, { tb: true, bias: true });
      await check(3, 33, 70, 4, { tb: true, bias: true, broadcastA: true });
      await check(1, 9, 200, 2, { tb: true, offset: 1 });
      await check(2, 17, 45, 3, { ta: true, tb: true });
      await check(1, 256, 1, 1024);
      await check(2, 40, 3, 70, { ta: true, bias: true, offset: 1 });
      await check(1, 30, 4, 5, { tb: true });
    });

    test('batched, with a broadcast (stride-0) batch operand and bias', async () => {
      await check(3, 7, 13, 5);
      await check(4, 65, 16, 33, { broadcastA: true, bias: true, tb: true });
      await check(2, 128, 8, 64, { ta: true, offset: 4 });
      await check(3, 17, 6, 33, { tb: true, bias: true });
    });
  }, 60_000); // dozens of kernel variants to compile (≈20–50 ms each on lavapipe)

  describe('copy, gather, scatterAdd', () => {
    test('copy: a strided source into a strided destination, in place; within one storage', async () => {
      for (const shape of SHAPES) {
        const src = randomView(r, shape);
        const dst = randomView(r, shape, { broadcast: false });
        const [s, d] = [upload(r.uniform(src.length)), upload(r.uniform(dst.length))];
        backend.copy(s.got, src.layout, d.got, dst.layout);
        ref.copy(s.want, src.layout, d.want, dst.layout);
        await match(d, 0, `copy [${shape}] ${JSON.stringify([src.layout, dst.layout])}`);
      }
      const x = upload(r.uniform(32));
      const [src, dst]: Layout[] = [{ shape: [4, 4], strides: [1, 4], offset: 0 }, { shape: [4, 4], strides: [4, 1], offset: 16 }];
      backend.copy(x.got, src, x.got, dst);
      ref.copy(x.want, src, x.want, dst);
      await match(x, 0, 'a transposed block copied into another block of its storage');
    });

    test('gather and scatterAdd on strided views with repeated and invalid indices (NaN, negative, fractional, past the end)', async () => {
      for (let trial = 0; trial < 30; trial++) {
        const rank = r.int(1, 3);
        const dim = r.int(0, rank - 1);
        const xShape = r.shape(rank, 6);
        const iShape = xShape.map((s, d) => (d === dim ? r.int(1, 9) : r.int(1, s)));
        const [x, index, src] = [randomView(r, xShape), randomView(r, iShape), randomView(r, iShape)];
        const indices = Float32Array.from({ length: index.length }, () => {
          const u = r.next();
          return u < 0.05 ? NaN : u < 0.1 ? -1 : u < 0.15 ? 0.5 : u < 0.2 ? xShape[dim] : r.int(0, Math.min(2, xShape[dim] - 1));
        });
        const [xs, is, ss] = [upload(r.normals(x.length)), upload(indices), upload(r.normals(src.length))];
        const what = `dim ${dim} of [${xShape}], index ${JSON.stringify(index.layout)}`;
        await match(both((b, s) => b.gather(xs[s], x.layout, dim, is[s], index.layout)), 0, `gather ${what}`);
        const scatter = () => both((b, s) => b.scatterAdd(xShape, dim, is[s], index.layout, ss[s], src.layout));
        const first = scatter();
        await match(first, 1e-6 * (iShape[dim] + 10), `scatterAdd ${what}`);
        expect(Array.from(await backend.read(scatter().got)), `scatterAdd is deterministic: ${what}`).toEqual(Array.from(await backend.read(first.got)));
      }
    });

    test('gather gives NaN and scatterAdd drops an index outside [0, size) or not an integer', async () => {
      const x = upload(Float32Array.from([10, 20, 30, 40, 50, 60]));
      const index = upload(Float32Array.from([0, 3, -1, 1.5, 2, 2]));
      const l = contiguous([2, 3]);
      expect(Array.from(await backend.read(backend.gather(x.got, l, 1, index.got, l)))).toEqual([10, NaN, NaN, NaN, 60, 60]);
      expect(Array.from(await backend.read(backend.scatterAdd([2, 3], 1, index.got, l, x.got, l)))).toEqual([10, 0, 0, 0, 0, 110]);
    });
  });

  describe('optional fused kernels, against float64 oracles', () => {
    const offers = (kernel: FusedKernel) => subject.fused.includes(kernel);
    test(`offers exactly ${subject.fused.join(', ')}`, () => {
      for (const kernel of FUSED_KERNELS) expect(typeof backend[kernel] === 'function', kernel).toBe(offers(kernel));
    });

    if (offers('softmaxBackward')) test('softmaxBackward: along the last, first and middle dim of contiguous, offset and strided views', async () => {
      for (const shape of [[1], [9], [3, 7], [4, 1000], [2, 3, 5], [0, 4], [3, 0]] as Shape[]) {
        for (const kind of VIEW_KINDS)
          for (const log of [true, false])
            for (const dim of new Set([shape.length - 1, 0, Math.floor(shape.length / 2)])) {
              const [vy, vg] = [viewOf(r, shape, kind), viewOf(r, shape, kind)];
              const [y, g] = [upload(r.normals(vy.length)), upload(r.normals(vg.length))];
              const what = `[${shape}] dim ${dim} log ${log} ${JSON.stringify([vy.layout, vg.layout])}`;
              const got = backend.softmaxBackward!(y.got, vy.layout, g.got, vg.layout, dim, log);
              await match({ got, want: fused.softmaxBackward(ref, y.want, vy.layout, g.want, vg.layout, dim, log) }, 2e-5, `softmaxBackward ${what}`);
            }
      }
    });

    if (offers('squaredErrorSum')) test('squaredErrorSum and squaredErrorGrad: strided and broadcast operands, a long sum', async () => {
      const [sum, grad] = [backend.squaredErrorSum!.bind(backend), backend.squaredErrorGrad!.bind(backend)];
      for (const shape of [[1], [17], [6, 7], [3, 4, 5], [1e6]] as Shape[]) {
        const [va, vb] = [randomView(r, shape), randomView(r, shape)];
        const [a, b, g] = [upload(r.normals(va.length)), upload(r.normals(vb.length)), upload(r.normals(3))];
        const what = `[${shape}] ${JSON.stringify([va.layout, vb.layout])}`;
        await match({ got: sum(a.got, va.layout, b.got, vb.layout, 0.5), want: fused.squaredErrorSum(ref, a.want, va.layout, b.want, vb.layout, 0.5) }, 2e-6 * Math.sqrt(va.length), `squaredErrorSum ${what}`);
        await match({ got: grad(a.got, va.layout, b.got, vb.layout, g.got, 2, 0.5), want: fused.squaredErrorGrad(ref, a.want, va.layout, b.want, vb.layout, g.want, 2, 0.5) }, 2e-6, `squaredErrorGrad ${what}`);
      }
    });

    const shape = [6, 7];
    const n = 42;
    // Tensor 0's parameter from offset 0 of its storage, tensor 1's from offset 5; their state packed into one storage per kind, as the optimizers pack it.
    const THETA_AT = [0, 5];
    const slice = (storage: Storage, at: number): StorageSlice => ({ storage, offset: at });
    const gradients = (scale: number) => [0, 1].map(() => {
      const v = randomView(r, shape);
      return { layout: v.layout, data: upload(r.normals(v.length).map((x) => x * scale)) };
    });

    if (offers('adamStep')) test('adamStep (Adam, AdamW, AMSGrad): two tensors per call, strided gradients, slices at offsets', async () => {
      const adamStep = backend.adamStep!.bind(backend);
      for (const { amsgrad, gradDecay, paramScale } of [
        { amsgrad: false, gradDecay: 0, paramScale: 1 },
        { amsgrad: true, gradDecay: 0.1, paramScale: 1 },
        { amsgrad: false, gradDecay: 0, paramScale: 1 - 0.01 * 0.1 },
      ]) {
        const params = [upload(r.normals(n)), upload(r.normals(n + 5))];
        const [m, v, vMax] = [0, 1, 2].map(() => upload(new Float32Array(2 * n)));
        for (let t = 1; t <= 4; t++) {
          const gs = gradients(t < 3 ? 2 : 0.1);
          const hyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.01 / (1 - 0.9 ** t), biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** t), gradDecay, paramScale };
          const tensors = (side: keyof Pair) => gs.map((g, k): AdamTensor => ({
            param: slice(params[k][side], THETA_AT[k]),
            grad: g.data[side],
            gradLayout: g.layout,
            expAvg: slice(m[side], k * n),
            expAvgSq: slice(v[side], k * n),
            maxExpAvgSq: amsgrad ? slice(vMax[side], k * n) : null,
          }));
          adamStep(tensors('got'), hyper);
          fused.adamStep(ref, tensors('want'), hyper);
        }
        const what = `amsgrad ${amsgrad}, decay ${gradDecay}, scale ${paramScale}`;
        for (const [k, p] of params.entries()) await match(p, 1e-5, `adam parameter ${k}, ${what}`);
        for (const [name, state] of Object.entries({ m, v, ...(amsgrad && { vMax }) })) await match(state, 1e-5, `adam ${name}, ${what}`);
      }
    });

    if (offers('sgdStep')) test('sgdStep (momentum, dampening, Nesterov, weight decay): two tensors per call, strided gradients, slices at offsets', async () => {
      const sgdStep = backend.sgdStep!.bind(backend);
      for (const { buffer, ...h } of [
        { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, buffer: false },
        { momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01, buffer: true },
        { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0, buffer: true },
      ]) {
        const params = [upload(r.normals(n)), upload(r.normals(n + 5))];
        const momenta = upload(new Float32Array(2 * n));
        for (let t = 0; t < 4; t++) {
          const gs = gradients(1);
          const tensors = (side: keyof Pair) => gs.map((g, k): SgdTensor => ({
            param: slice(params[k][side], THETA_AT[k]),
            grad: g.data[side],
            gradLayout: g.layout,
            momentumBuffer: buffer ? slice(momenta[side], k * n) : null,
          }));
          const hyper = { ...h, lr: 0.05, firstStep: t === 0 };
          sgdStep(tensors('got'), hyper);
          fused.sgdStep(ref, tensors('want'), hyper);
        }
        for (const [k, p] of params.entries()) await match(p, 1e-5, `sgd parameter ${k}, ${JSON.stringify(h)}`);
        if (buffer) await match(momenta, 1e-5, `sgd momentum buffers, ${JSON.stringify(h)}`);
      }
    });

    /** Geometries as conv2d's: odd sizes, strides, dilations, padding before, 1×1, a batch of 0. */
    type Two = [number, number];
    const geometry = (batch: number, inChannels: number, outChannels: number, input: Two, kernel: Two, stride: Two, padding: Two, dilation: Two): Conv2dGeometry => {
      const out = (i: 0 | 1) => Math.floor((input[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1;
      return { batch, inChannels, outChannels, input, kernel, stride, padding, dilation, output: [out(0), out(1)] };
    };
    const GEOMETRIES = [
      geometry(2, 3, 4, [9, 8], [3, 3], [1, 1], [1, 1], [1, 1]),
      geometry(3, 2, 5, [11, 9], [3, 2], [2, 1], [2, 0], [2, 1]),
      geometry(2, 5, 6, [4, 3], [1, 1], [1, 1], [0, 0], [1, 1]),
      geometry(1, 4, 3, [7, 10], [4, 2], [3, 2], [1, 1], [1, 2]),
      geometry(5, 1, 8, [28, 28], [3, 3], [1, 1], [1, 1], [1, 1]),
      geometry(0, 2, 2, [5, 5], [3, 3], [1, 1], [1, 1], [1, 1]),
    ];
    const dims = (g: Conv2dGeometry) => ({
      x: [g.batch, g.inChannels, ...g.input],
      y: [g.batch, g.outChannels, ...g.output],
      w: [g.outChannels, g.inChannels, ...g.kernel],
    });

    if (offers('conv2d')) test('conv2d, conv2dInputGrad and conv2dWeightGrad on strided views', async () => {
      for (const g of GEOMETRIES) {
        const d = dims(g);
        const [vx, vy, vw] = [randomView(r, d.x), randomView(r, d.y), randomView(r, d.w)];
        const [x, gy, w] = [upload(r.normals(vx.length)), upload(r.normals(vy.length)), upload(r.normals(vw.length))];
        const k = g.inChannels * g.kernel[0] * g.kernel[1];
        const what = JSON.stringify(g);
        await match({ got: backend.conv2d!(x.got, vx.layout, w.got, vw.layout, g), want: fused.conv2d(ref, x.want, vx.layout, w.want, vw.layout, g) }, 1e-6 * (k + 10), `conv2d ${what}`);
        await match({ got: backend.conv2dInputGrad!(gy.got, vy.layout, w.got, vw.layout, g), want: fused.conv2dInputGrad(ref, gy.want, vy.layout, w.want, vw.layout, g) }, 1e-6 * (g.outChannels * 9 + 10), `conv2dInputGrad ${what}`);
        const positions = g.batch * g.output[0] * g.output[1];
        await match({ got: backend.conv2dWeightGrad!(x.got, vx.layout, gy.got, vy.layout, g), want: fused.conv2dWeightGrad(ref, x.want, vx.layout, gy.want, vy.layout, g) }, 1e-6 * (Math.sqrt(positions) * 4 + 10), `conv2dWeightGrad ${what}`);
      }
    });

    if (offers('maxPool2dIndices')) test('maxPool2dIndices: the first maximum, ties and NaN by PyTorch\'s rule, padding and dilation', async () => {
      for (const g of GEOMETRIES.map((c) => ({ ...c, outChannels: c.inChannels }))) {
        const v = randomView(r, dims(g).x);
        const data = r.normals(v.length).map((x, i) => (i % 5 === 0 ? 0.5 : i % 37 === 0 ? NaN : x)); // ties and NaNs
        const x = upload(data);
        await match({ got: backend.maxPool2dIndices!(x.got, v.layout, g), want: fused.maxPool2dIndices(ref, x.want, v.layout, g) }, 0, `maxPool2dIndices ${JSON.stringify(g)}`);
      }
    });
  });
});
