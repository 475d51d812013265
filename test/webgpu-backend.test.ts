// Every WebGpuBackend kernel against the float64 ReferenceBackend on the same f32 inputs: random data,
// odd sizes, strided / transposed / broadcast (stride 0) views with offsets.
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { BinaryOp, Storage, UnaryOp } from '../src/backend/backend.js';
import { BINARY_OPS } from '../src/backend/elementwise-ops.js';
import { ReferenceBackend } from '../src/backend/reference/reference.js';
import * as fused from './fused-reference.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backend/webgpu/index.js';
import { grid2d } from '../src/backend/webgpu/kernel-context.js';
import { contiguousLayout, sizeOf, type Layout, type Shape } from '../src/shape.js';

let gpu: WebGpuBackend;
const cpu = new ReferenceBackend();

beforeAll(async () => {
  gpu = await createWebGpuBackend(); // no adapter → every test here fails, none skips
});

let seed = 1234567;
/** mulberry32: reproducible uniforms in [0, 1). */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const uniform = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
const integers = (n: number, below: number) => Float32Array.from({ length: n }, () => Math.floor(random() * below));

interface Pair {
  cpu: Storage;
  gpu: Storage;
}
const upload = (data: Float32Array): Pair => ({ cpu: cpu.upload(data), gpu: gpu.upload(data) });

/** A random view of `shape`: permuted memory order, padding between dims, stride-0 dims if allowed, an offset. */
function randomLayout(shape: Shape, { broadcast = false, offset = true } = {}): { layout: Layout; length: number } {
  const order = shape.map((_, i) => i).sort(() => random() - 0.5);
  const strides = new Array<number>(shape.length).fill(0);
  let step = 1;
  for (const d of order) {
    if (broadcast && random() < 0.25) continue;
    strides[d] = step;
    step *= shape[d] + (random() < 0.25 ? 1 : 0);
  }
  const start = offset ? Math.floor(random() * 6) : 0;
  const span = shape.some((s) => s === 0) ? 0 : shape.reduce((sum, s, d) => sum + (s - 1) * strides[d], 1);
  return { layout: { shape: [...shape], strides, offset: start }, length: start + span };
}

/** GPU result within `tolerance` · max(1, |cpu|) of the CPU result rounded to f32, element by element (NaN matches NaN). */
async function expectMatch(pair: Pair, tolerance: number, what: string): Promise<void> {
  const [want, got] = [await cpu.read(pair.cpu), await gpu.read(pair.gpu)];
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [w, g] = [Math.fround(want[i]), got[i]]; // the nearest f32 is the best the GPU can give
    if (Number.isNaN(w) || w === g) {
      if (Number.isNaN(w)) expect(g, `${what}[${i}]`).toBeNaN();
      continue;
    }
    if (!(Math.abs(g - w) <= tolerance * Math.max(1, Math.abs(w)))) {
      expect.fail(`${what}[${i}]: webgpu ${g} vs cpu ${w} (tolerance ${tolerance})`);
    }
  }
}

/** Contiguous from 0, contiguous runs from offsets 4 and 5 (vec4 kernels or not), random strided views. */
const VIEW_KINDS = ['contiguous', 'run from 4', 'run from 5', 'strided'] as const;
function view(shape: Shape, kind: (typeof VIEW_KINDS)[number]): { layout: Layout; length: number } {
  if (kind === 'strided') return randomLayout(shape, { broadcast: true });
  const offset = kind === 'contiguous' ? 0 : kind === 'run from 4' ? 4 : 5;
  return { layout: { ...contiguousLayout(shape), offset }, length: offset + sizeOf(shape) };
}

const SHAPES: Shape[] = [[], [1], [3], [17], [65], [130], [3, 1, 5], [17, 65], [2, 3, 4, 5], [4, 1, 3, 1, 2, 3, 2], [40000]];

describe('upload, read and fill', () => {
  test('round trips f32 and f64 data, empty storages included', async () => {
    for (const n of [0, 1, 3, 1000]) {
      const data = uniform(n);
      await expectMatch(upload(data), 0, `upload ${n}`);
      expect(Array.from(await gpu.read(gpu.upload(Float64Array.from(data))))).toEqual(Array.from(data));
    }
  });

  test('fill', async () => {
    for (const [n, value] of [[0, 1], [1, -2.5], [1025, 3], [5000, 0]]) {
      await expectMatch({ cpu: cpu.fill(n, value), gpu: gpu.fill(n, value) }, 0, `fill ${n}`);
    }
  });
});

describe('unary', () => {
  const cases: [UnaryOp, { lo?: number; hi?: number; alpha?: number }][] = [
    ['copy', {}], ['neg', {}], ['exp', { lo: -10, hi: 10 }], ['log', { lo: 0.01, hi: 5 }], ['sqrt', { lo: 0, hi: 5 }],
    ['abs', {}], ['sign', {}], ['relu', {}], ['sigmoid', { lo: -30, hi: 30 }], ['tanh', { lo: -30, hi: 30 }], ['softplus', { lo: -30, hi: 30 }],
    ['expm1', { lo: -3, hi: 3 }], ['expm1', { lo: -0.01, hi: 0.01 }], ['log1p', { lo: -0.9, hi: 5 }], ['log1p', { lo: -0.01, hi: 0.01 }],
    ['rsqrt', { lo: 0.01, hi: 5 }], ['square', {}], ['sin', { lo: -10, hi: 10 }], ['cos', { lo: -10, hi: 10 }],
    ['gelu', { lo: -8, hi: 8 }], ['geluGrad', { lo: -8, hi: 8 }], ['leakyRelu', { alpha: 0.2 }], ['leakyReluGrad', { alpha: 0.2 }], ['elu', { lo: -5, hi: 3, alpha: 0.7 }],
    ['addS', { alpha: 2.5 }], ['mulS', { alpha: -3 }], ['rsubS', { alpha: 1.5 }],
    ['powS', { lo: 0.1, hi: 3, alpha: 2.5 }], ['powS', { lo: -3, hi: 3, alpha: 3 }], ['powS', { lo: -3, hi: 3, alpha: -2 }],
    ['powS', { lo: -3, hi: 3, alpha: 0.5 }], ['powS', { alpha: 0 }], ['gtS', { alpha: 0.25 }],
  ];
  for (const [op, { lo = -3, hi = 3, alpha = 0 }] of cases) {
    test(`${op} (alpha ${alpha}) on contiguous and strided views`, async () => {
      for (const shape of SHAPES) {
        for (const kind of VIEW_KINDS) {
          const { layout, length } = view(shape, kind);
          const data = uniform(length, lo, hi);
          if (length > 2) data[1] = 0;
          const x = upload(data);
          const out = { cpu: cpu.unary(op, x.cpu, layout, alpha), gpu: gpu.unary(op, x.gpu, layout, alpha) };
          await expectMatch(out, 2e-6 * Math.max(1, Math.abs(alpha)), `${op} [${shape}] ${JSON.stringify(layout.strides)}`);
        }
      }
    });
  }
});

test('unary and binary ops on special values (NaN, ±Infinity, ±0) as the reference treats them', async () => {
  const special = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 1, -1, 88, -88, 1e-30, -2, 5, 3, 0.5]);
  const layout = contiguousLayout([special.length]);
  const x = upload(special);
  const unaryCases: [UnaryOp, number][] = [
    ['sign', 0], ['relu', 0], ['sigmoid', 0], ['tanh', 0], ['softplus', 0], ['exp', 0], ['abs', 0], ['gtS', 0],
    ['expm1', 0], ['log1p', 0], ['rsqrt', 0], ['square', 0], ['gelu', 0], ['geluGrad', 0], ['leakyRelu', 0.1], ['elu', 1],
    ['powS', NaN], ['powS', Infinity], ['powS', -Infinity], ['powS', 0], ['powS', 3], ['powS', 10], ['powS', -3], ['powS', 0.5], ['powS', -2.5],
  ];
  for (const [op, alpha] of unaryCases) {
    await expectMatch({ cpu: cpu.unary(op, x.cpu, layout, alpha), gpu: gpu.unary(op, x.gpu, layout, alpha) }, 2e-6, `${op} ${alpha}`);
  }
  const other = upload(special.slice().reverse());
  for (const op of Object.keys(BINARY_OPS) as BinaryOp[]) {
    await expectMatch({ cpu: cpu.binary(op, x.cpu, layout, other.cpu, layout), gpu: gpu.binary(op, x.gpu, layout, other.gpu, layout) }, 2e-6, op);
  }
});

describe('binary', () => {
  const ops = Object.keys(BINARY_OPS) as BinaryOp[];
  for (const op of ops) {
    test(`${op} on contiguous, strided and broadcast views`, async () => {
      for (const shape of SHAPES) {
        for (const kind of VIEW_KINDS) {
          const [va, vb] = [view(shape, kind), view(shape, kind)];
          const [da, db] = [uniform(va.length, -3, 3), uniform(vb.length, -3, 3)];
          for (let i = 0; i < Math.min(da.length, db.length); i += 3) db[i] = da[i]; // ties for eq / gt / maximum
          if ((op === 'maximum' || op === 'minimum') && da.length > 4) [da[0], db[4]] = [NaN, NaN];
          if (op === 'div') db.forEach((v, i) => (db[i] = v === 0 ? 1 : v));
          if (op === 'pow') db.forEach((v, i) => (db[i] = i % 2 ? Math.round(v) : v)); // integer exponents of negative bases too
          const [a, b] = [upload(da), upload(db)];
          const out = { cpu: cpu.binary(op, a.cpu, va.layout, b.cpu, vb.layout), gpu: gpu.binary(op, a.gpu, va.layout, b.gpu, vb.layout) };
          await expectMatch(out, 2e-6, `${op} [${shape}]`);
        }
      }
    });
  }

  test('a row repeated down a matrix (a bias add): aligned rows by vec4, others by index', async () => {
    for (const [rows, cols, offset] of [[5, 8, 0], [3, 12, 4], [4, 6, 0], [2, 8, 1], [1, 4, 0]]) {
      const a = upload(uniform(offset + rows * cols));
      const b = upload(uniform(offset + cols));
      const al: Layout = { shape: [rows, cols], strides: [cols, 1], offset };
      const bl: Layout = { shape: [rows, cols], strides: [0, 1], offset };
      for (const op of ['add', 'sub'] as const) {
        const out = { cpu: cpu.binary(op, a.cpu, al, b.cpu, bl), gpu: gpu.binary(op, a.gpu, al, b.gpu, bl) };
        await expectMatch(out, 1e-6, `${op} [${rows},${cols}] + row, offset ${offset}`);
      }
    }
  });

  test('one storage as both operands', async () => {
    const x = upload(uniform(100));
    const l = contiguousLayout([10, 10]);
    const t: Layout = { shape: [10, 10], strides: [1, 10], offset: 0 };
    await expectMatch({ cpu: cpu.binary('sub', x.cpu, l, x.cpu, t), gpu: gpu.binary('sub', x.gpu, l, x.gpu, t) }, 1e-6, 'x - xᵀ');
  });
});

describe.each([256, 4])('reduce and softmax with at most %i threads per output', (threads) => {
  beforeEach(() => {
    gpu.tuning.maxThreadsPerOutput = threads;
  });

  const views = [
    [1, 1, 1], [1, 0, 1], [3, 17, 1], [1, 5000, 1], [4, 130, 3], [2, 65, 7], [5, 3, 65], [7, 1, 9], [2, 4097, 2], [300, 2, 1],
  ];
  for (const op of ['sum', 'max'] as const) {
    test(`${op} along the middle axis, from an offset${op === 'sum' ? ', scaled' : ''}`, async () => {
      for (const [outer, size, inner] of views) {
        const offset = 3;
        const data = uniform(offset + outer * size * inner, -2, 2);
        if (op === 'max' && data.length > 10) data[10] = NaN;
        const x = upload(data);
        const l = { ...contiguousLayout([outer, size, inner]), offset };
        const scale = op === 'sum' ? 1 / size : 1;
        const out = { cpu: cpu.reduce(op, x.cpu, l, [1], scale), gpu: gpu.reduce(op, x.gpu, l, [1], scale) };
        await expectMatch(out, 1e-6 * Math.sqrt(size + 1) * 2, `${op} ${outer}×${size}×${inner}`);
      }
    });
  }

  test('sum, max and softmax of strided views over any dims (adjacent, not, none)', async () => {
    for (const shape of [[3, 4, 5], [2, 1, 6, 3], [7], [17, 65]] as Shape[]) {
      for (const dims of [[], [0], [shape.length - 1], [...new Set([0, shape.length - 1])], shape.map((_, d) => d)]) {
        const v = randomLayout(shape, { broadcast: true });
        const x = upload(uniform(v.length, -2, 2));
        for (const op of ['sum', 'max'] as const) {
          const out = { cpu: cpu.reduce(op, x.cpu, v.layout, dims, 0.5), gpu: gpu.reduce(op, x.gpu, v.layout, dims, 0.5) };
          await expectMatch(out, 1e-5, `${op} dims [${dims}] of ${JSON.stringify(v.layout)}`);
        }
        const dim = dims[0] ?? 0;
        await expectMatch({ cpu: cpu.softmax(x.cpu, v.layout, dim, false), gpu: gpu.softmax(x.gpu, v.layout, dim, false) }, 5e-6, `softmax dim ${dim} of ${JSON.stringify(v.layout)}`);
      }
    }
  });

  test('long sums stay within 1e-6 (cascaded per thread): 1e6 and 4e6 elements, long rows, a softmax denominator, a squared error', async () => {
    for (const [outer, size] of [[1, 1e6], [1, 4e6], [3, 300000]]) {
      const x = upload(new Float32Array(outer * size).fill(0.1));
      const l = contiguousLayout([outer, size]);
      await expectMatch({ cpu: cpu.reduce('sum', x.cpu, l, [1]), gpu: gpu.reduce('sum', x.gpu, l, [1]) }, 1e-6, `sum ${outer}×${size}`);
      await expectMatch({ cpu: cpu.reduce('sum', x.cpu, l, [1], 1 / size), gpu: gpu.reduce('sum', x.gpu, l, [1], 1 / size) }, 1e-6, `mean ${outer}×${size}`);
    }
    const n = 1e6;
    const logits = new Float32Array(n).fill(Math.log(0.1)); // each exp ≈ 0.1, and one 1
    logits[0] = 0;
    const x = upload(logits);
    const row = contiguousLayout([n]);
    await expectMatch({ cpu: cpu.softmax(x.cpu, row, 0, true), gpu: gpu.softmax(x.gpu, row, 0, true) }, 1e-6, 'log-softmax of a long row');
    const [a, b] = [upload(new Float32Array(n).fill(0.3)), upload(new Float32Array(n).fill(0.2))];
    const l = contiguousLayout([n]);
    await expectMatch({ cpu: fused.squaredErrorSum(cpu, a.cpu, l, b.cpu, l, 1), gpu: gpu.squaredErrorSum(a.gpu, l, b.gpu, l, 1) }, 1e-6, 'squared error sum');
  });

  for (const log of [false, true]) {
    test(`${log ? 'log-' : ''}softmax, large-magnitude inputs`, async () => {
      for (const [outer, size, inner, magnitude] of [[1, 1, 1, 1], [3, 17, 1, 100], [1, 5000, 1, 10], [4, 130, 3, 1000], [2, 65, 7, 1e4], [5, 3, 65, 50], [64, 10, 1, 30]]) {
        const offset = 5;
        const x = upload(uniform(offset + outer * size * inner, -magnitude, magnitude));
        const l = { ...contiguousLayout([outer, size, inner]), offset };
        const out = { cpu: cpu.softmax(x.cpu, l, 1, log), gpu: gpu.softmax(x.gpu, l, 1, log) };
        await expectMatch(out, 5e-6, `softmax ${outer}×${size}×${inner} ×${magnitude}`);
      }
    });
  }
});

describe.each(['workgroup', 'registers'] as const)('matmul (%s tiles)', (tiles) => {
  beforeEach(() => {
    gpu.tuning.matmulTiles = tiles;
  });

  /** A [batch, rows, cols] view: transposed (rows walk fastest), offset, batch broadcast (stride 0). */
  function operand(batch: number, rows: number, cols: number, { transposed = false, offset = 0, broadcast = false }) {
    const strides = transposed ? [rows * cols, 1, rows] : [rows * cols, cols, 1];
    if (broadcast) strides[0] = 0;
    const length = offset + (broadcast ? 1 : batch) * rows * cols;
    return { data: upload(uniform(length)), layout: { shape: [batch, rows, cols], strides, offset } };
  }

  async function check(batch: number, m: number, k: number, n: number, options: { ta?: boolean; tb?: boolean; offset?: number; bias?: boolean; broadcastA?: boolean }) {
    const { ta = false, tb = false, offset = 0, bias = false, broadcastA = false } = options;
    const a = operand(batch, m, k, { transposed: ta, offset, broadcast: broadcastA });
    const b = operand(batch, k, n, { transposed: tb, offset: offset * 2 });
    const biasData = bias ? upload(uniform(2 * n + 1)) : null;
    const biasLayout: Layout = { shape: [n], strides: [2], offset: 1 };
    const args = (side: 'cpu' | 'gpu') => ({ a: a.layout, b: b.layout, ...(biasData && { bias: { storage: biasData[side], layout: biasLayout } }) });
    const out = { cpu: cpu.matmul(a.data.cpu, b.data.cpu, args('cpu')), gpu: gpu.matmul(a.data.gpu, b.data.gpu, args('gpu')) };
    await expectMatch(out, 1e-6 * (k + 10), `matmul ${batch}×${m}×${k}×${n} ${JSON.stringify(options)}`);
  }

  test('shapes from 1×1×1 to 257×5×3, k = 0, with bias', async () => {
    for (const [m, k, n] of [[1, 1, 1], [7, 13, 5], [64, 64, 64], [100, 37, 129], [257, 5, 3], [3, 0, 4], [1, 200, 1], [65, 4, 67], [2, 9, 40], [6, 8, 200], [5, 100, 12]]) {
      await check(1, m, k, n, {});
      await check(1, m, k, n, { bias: true });
    }
  });

  test('transposed operands, offsets (vec4 and scalar loads)', async () => {
    for (const [m, k, n] of [[64, 64, 64], [20, 36, 12], [33, 17, 9], [3, 8, 68]]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const offset of [0, 4, 1]) await check(1, m, k, n, { ta, tb, offset });
        }
      }
    }
  });

  test('batched, with a broadcast (stride-0) batch operand and bias', async () => {
    await check(3, 7, 13, 5, {});
    await check(4, 65, 16, 33, { broadcastA: true, bias: true, tb: true });
    await check(2, 128, 8, 64, { ta: true, offset: 4 });
  });
}, 30_000); // dozens of kernel variants to compile (≈20–50 ms each on lavapipe)

describe('copy', () => {
  test('strided source into a strided destination, in place', async () => {
    for (const shape of SHAPES) {
      const src = randomLayout(shape, { broadcast: true });
      const dst = randomLayout(shape);
      const [s, d] = [upload(uniform(src.length)), upload(uniform(dst.length))];
      cpu.copy(s.cpu, src.layout, d.cpu, dst.layout);
      gpu.copy(s.gpu, src.layout, d.gpu, dst.layout);
      await expectMatch(d, 0, `copy [${shape}]`);
    }
  });

  test('within one storage (transpose of a block into another block)', async () => {
    const x = upload(uniform(32));
    const src: Layout = { shape: [4, 4], strides: [1, 4], offset: 0 };
    const dst: Layout = { shape: [4, 4], strides: [4, 1], offset: 16 };
    cpu.copy(x.cpu, src, x.cpu, dst);
    gpu.copy(x.gpu, src, x.gpu, dst);
    await expectMatch(x, 0, 'self copy');
  });
});

describe('gather and scatterAdd', () => {
  const cases: [Shape, number, Shape][] = [
    [[5], 0, [9]], [[5, 7], 1, [5, 12]], [[5, 7], 0, [3, 7]], [[6, 4, 5], 1, [6, 9, 5]], [[6, 4, 5], 2, [3, 4, 17]], [[100, 3], 0, [257, 3]],
  ];

  test('gather with strided inputs and repeated indices', async () => {
    for (const [xShape, dim, indexShape] of cases) {
      const x = randomLayout(xShape);
      const index = randomLayout(indexShape, { broadcast: true });
      const [xs, is] = [upload(uniform(x.length)), upload(integers(index.length, xShape[dim]))];
      const out = { cpu: cpu.gather(xs.cpu, x.layout, dim, is.cpu, index.layout), gpu: gpu.gather(xs.gpu, x.layout, dim, is.gpu, index.layout) };
      await expectMatch(out, 0, `gather [${xShape}] dim ${dim} index [${indexShape}]`);
    }
  });

  test('indices outside [0, size) or not integers: gather gives NaN, scatterAdd drops them', async () => {
    const x = upload(Float32Array.from([10, 20, 30, 40, 50, 60]));
    const xl: Layout = { shape: [2, 3], strides: [3, 1], offset: 0 };
    const index = upload(Float32Array.from([0, 3, -1, 1.5, 2, 2]));
    const il: Layout = { shape: [2, 3], strides: [3, 1], offset: 0 };
    for (const backend of [cpu, gpu] as const) {
      const side = backend === cpu ? 'cpu' : 'gpu';
      expect(Array.from(await backend.read(backend.gather(x[side], xl, 1, index[side], il)))).toEqual([10, NaN, NaN, NaN, 60, 60]);
      expect(Array.from(await backend.read(backend.scatterAdd([2, 3], 1, index[side], il, x[side], xl)))).toEqual([10, 0, 0, 0, 0, 110]);
    }
  });

  test('scatterAdd with duplicate indices, deterministic', async () => {
    for (const [shape, dim, indexShape] of cases) {
      const index = randomLayout(indexShape, { broadcast: true });
      const src = randomLayout(indexShape, { broadcast: true });
      const [is, ss] = [upload(integers(index.length, Math.min(3, shape[dim]))), upload(uniform(src.length))];
      const out = () => ({
        cpu: cpu.scatterAdd(shape, dim, is.cpu, index.layout, ss.cpu, src.layout),
        gpu: gpu.scatterAdd(shape, dim, is.gpu, index.layout, ss.gpu, src.layout),
      });
      const first = out();
      await expectMatch(first, 1e-7 * (indexShape[dim] + 10), `scatterAdd [${shape}] dim ${dim} index [${indexShape}]`);
      expect(Array.from(await gpu.read(out().gpu))).toEqual(Array.from(await gpu.read(first.gpu)));
    }
  });
});

test('grid2d keeps every dimension within 65535 workgroups and covers them all', () => {
  for (const groups of [1, 65535, 65536, 1e6, 4e8]) {
    const [x, y = 1] = grid2d(groups);
    expect(x).toBeLessThanOrEqual(65535);
    expect(y).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(groups);
  }
});
