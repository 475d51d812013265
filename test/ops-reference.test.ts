// Every op on the float64 CPU reference backend: values against independent JS loops or hand-worked
// arrays, gradients against central finite differences (gradcheck), and the errors bad shapes raise.
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { cat, gather, gradcheck, indexSelect, init, manualSeed, matmul, rand, randn, scatterAdd, tensor, type Tensor } from '../src/index.js';
import { normalValues } from '../src/random.js';
import { layerCases, metaCases, notDerivatives, opCases, secondOrderCases } from './device-cases.js';
import { makeInputs } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// Helpers: a tiny independent n-d array reference, input makers, and assertions.
// ---------------------------------------------------------------------------------------------

/** A plain row-major n-d array, the reference the ops are checked against. */
interface Nd {
  shape: number[];
  data: number[];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const ravel = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((acc, v, d) => acc * shape[d] + v, 0);
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
const build = (shape: readonly number[], f: (idx: number[]) => number): Nd => ({
  shape: [...shape],
  data: Array.from({ length: sizeOf(shape) }, (_, i) => f(unravel(i, shape))),
});
/** x at `idx`, where idx may have more (leading) dims than x and x's size-1 dims broadcast. */
function at(x: Nd, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  return x.data[ravel(x.shape.map((s, d) => (s === 1 ? 0 : idx[d + lead])), x.shape)];
}
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => Math.max(a[a.length - n + i] ?? 1, b[b.length - n + i] ?? 1));
}
const mapRef = (x: Nd, f: (v: number) => number): Nd => ({ shape: [...x.shape], data: x.data.map(f) });
const zipRef = (a: Nd, b: Nd, f: (x: number, y: number) => number): Nd =>
  build(broadcastShape(a.shape, b.shape), (idx) => f(at(a, idx), at(b, idx)));
/** Reduces `dims` (non-negative) of x with `f` over the values of each slice. */
function reduceRef(x: Nd, dims: number[], keepdim: boolean, f: (vals: number[]) => number): Nd {
  const kept = x.shape.map((s, d) => (dims.includes(d) ? 1 : s));
  const groups = new Map<number, number[]>();
  x.data.forEach((v, i) => {
    const key = ravel(unravel(i, x.shape).map((c, d) => (dims.includes(d) ? 0 : c)), kept);
    groups.set(key, [...(groups.get(key) ?? []), v]);
  });
  const shape = keepdim ? kept : x.shape.filter((_, d) => !dims.includes(d));
  return { shape, data: Array.from({ length: sizeOf(kept) }, (_, i) => f(groups.get(i)!)) };
}
const sumOf = (vals: number[]): number => vals.reduce((a, b) => a + b, 0);
const transposeRef = (x: Nd, i: number, j: number): Nd => {
  const shape = [...x.shape];
  [shape[i], shape[j]] = [shape[j], shape[i]];
  return build(shape, (idx) => {
    const src = [...idx];
    [src[i], src[j]] = [src[j], src[i]];
    return at(x, src);
  });
};
const narrowRef = (x: Nd, dim: number, start: number, length: number): Nd =>
  build(x.shape.map((s, d) => (d === dim ? length : s)), (idx) => at(x, idx.map((v, d) => (d === dim ? v + start : v))));
/** torch.matmul by definition: promote 1-D operands, broadcast batch dims, squeeze back. */
function matmulRef(a: Nd, b: Nd): Nd {
  const A = a.shape.length === 1 ? { shape: [1, ...a.shape], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [...b.shape, 1], data: b.data } : b;
  const [m, k] = A.shape.slice(-2);
  const n = B.shape[B.shape.length - 1];
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = build([...batch, m, n], (idx) => {
    const [bi, i, j] = [idx.slice(0, -2), idx[idx.length - 2], idx[idx.length - 1]];
    let s = 0;
    for (let q = 0; q < k; q++) s += at(A, [...bi, i, q]) * at(B, [...bi, q, j]);
    return s;
  });
  const squeezed = out.shape.filter((_, d) => !((a.shape.length === 1 && d === out.shape.length - 2) || (b.shape.length === 1 && d === out.shape.length - 1)));
  return { shape: squeezed, data: out.data };
}

/** A tensor's shape and float64 values as a reference array. */
const nd = async (t: Tensor): Promise<Nd> => ({ shape: [...t.shape], data: Array.from(await t.rawData()) });

async function expectValues(actual: Tensor, expected: Nd | number[], tol = 1e-10): Promise<void> {
  const want = Array.isArray(expected) ? { shape: [...actual.shape], data: expected } : expected;
  expect(actual.shape).toEqual(want.shape);
  const got = Array.from(await actual.rawData());
  expect(got).toHaveLength(want.data.length);
  got.forEach((v, i) => {
    if (v === want.data[i] || (Number.isNaN(v) && Number.isNaN(want.data[i]))) return; // ±Infinity and NaN exactly
    if (!(Math.abs(v - want.data[i]) <= tol * Math.max(1, Math.abs(want.data[i])))) {
      expect.fail(`element ${i}: got ${v}, expected ${want.data[i]} (shape [${want.shape}])`);
    }
  });
}

/** Runs gradcheck and asserts it found the analytical gradients within tolerance. */
async function expectGradOk(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): Promise<void> {
  const worst = await gradcheck(fn, inputs);
  expect(worst).toBeLessThan(1e-5);
}

/** Asserts `fn` throws an Error whose message contains every fragment. */
function expectThrows(fn: () => unknown, ...fragments: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected an Error to be thrown').toBeInstanceOf(Error);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

const leaf = (t: Tensor): Tensor => {
  t.requiresGrad = true;
  return t;
};
/** N(0, 1) leaf requiring grad. */
const normal = (...shape: number[]): Tensor => randn(shape, { requiresGrad: true });
/** U(0.5, 1.5) leaf requiring grad (for log, sqrt, div, fractional pow). */
const positive = (...shape: number[]): Tensor => leaf(rand(shape).add(0.5));
/** A leaf with values f(v) of N(0, 1) samples v (drawn from the generator manualSeed seeds). */
const shaped = (shape: number[], f: (v: number) => number): Tensor =>
  tensor(Float32Array.from(normalValues(sizeOf(shape)), f), { shape, requiresGrad: true });
/** At least 0.1 away from 0 (the kink of relu and abs). */
const awayFromZero = (...shape: number[]): Tensor => shaped(shape, (v) => v + (v >= 0 ? 0.1 : -0.1));
/** Random multiples of 0.2, plus `offset`: two such tensors with offsets 0 and 0.1 never tie. */
const onGrid = (shape: number[], offset: number): Tensor => shaped(shape, (v) => Math.round(v * 3) * 0.2 + offset);
/** Distinct values 0.1 apart in random order (no ties for max). */
const distinct = (...shape: number[]): Tensor => {
  const noise = Array.from(normalValues(sizeOf(shape)));
  const rank = noise.map((v) => noise.filter((w) => w < v).length);
  return tensor(Float32Array.from(rank, (r) => (r - rank.length / 2) * 0.1), { shape, requiresGrad: true });
};
const indices = (values: number[], shape = [values.length]): Tensor => tensor(values, { shape });

beforeAll(async () => {
  await init({ backend: 'reference' });
});
beforeEach(() => manualSeed(20240607));

describe('every case of the device table (test/device-cases.ts): float64 gradcheck against central differences', () => {
  const cases = [...opCases, ...secondOrderCases, ...layerCases, ...metaCases].filter(([name]) => !notDerivatives.has(name));
  test.each(cases)('%s', async (_, fn, specs) => {
    const inputs = makeInputs(specs).map((data, i) => tensor(data, { shape: specs[i].shape, requiresGrad: specs[i].grad !== false }));
    const probe = fn(...inputs);
    if (!inputs.some((t) => t.requiresGrad) || !probe.requiresGrad) {
      // Indices, masks, argmax: no graph is recorded, and a backward through them is refused.
      expect(probe.gradFn).toBeNull();
      return;
    }
    expect(await gradcheck(fn, inputs)).toBeLessThan(1e-4);
    // Two float64 forwards per input element: 'matmul odd' (7,178 elements) runs for tens of seconds.
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------
// Elementwise
// ---------------------------------------------------------------------------------------------

describe('unary elementwise ops', () => {
  const sigmoidRef = (v: number) => 1 / (1 + Math.exp(-v));
  type Unary = [name: string, op: (x: Tensor) => Tensor, ref: (v: number) => number, input: (...shape: number[]) => Tensor];
  const cases: Unary[] = [
    ['neg', (x) => x.neg(), (v) => -v, normal],
    ['exp', (x) => x.exp(), Math.exp, normal],
    ['log', (x) => x.log(), Math.log, positive],
    ['sqrt', (x) => x.sqrt(), Math.sqrt, positive],
    ['abs', (x) => x.abs(), Math.abs, awayFromZero],
    ['relu', (x) => x.relu(), (v) => Math.max(v, 0), awayFromZero],
    ['sigmoid', (x) => x.sigmoid(), sigmoidRef, normal],
    ['tanh', (x) => x.tanh(), Math.tanh, normal],
    ['pow 3 (negative bases)', (x) => x.pow(3), (v) => v * v * v, normal],
    ['pow 2', (x) => x.pow(2), (v) => v * v, normal],
    ['pow 2.5', (x) => x.pow(2.5), (v) => v ** 2.5, positive],
    ['pow -1', (x) => x.pow(-1), (v) => 1 / v, positive],
    ['pow 0.5', (x) => x.pow(0.5), Math.sqrt, positive],
    ['pow 1', (x) => x.pow(1), (v) => v, normal],
    ['pow 0', (x) => x.pow(0), () => 1, normal],
    ['sin', (x) => x.sin(), Math.sin, normal],
    ['cos', (x) => x.cos(), Math.cos, normal],
    ['square', (x) => x.square(), (v) => v * v, normal],
    ['rsqrt', (x) => x.rsqrt(), (v) => 1 / Math.sqrt(v), positive],
    ['reciprocal', (x) => x.reciprocal(), (v) => 1 / v, positive],
    ['log1p', (x) => x.log1p(), Math.log1p, positive],
    ['expm1', (x) => x.expm1(), Math.expm1, normal],
    ['softplus', (x) => x.softplus(), (v) => Math.log(1 + Math.exp(v)), normal],
  ];

  test.each(cases)('%s: values match a JS loop', async (_, op, ref, input) => {
    const x = input(3, 5);
    await expectValues(op(x), mapRef(await nd(x), ref));
  });

  test.each(cases)('%s: gradcheck on [2,3,4]', async (_, op, __, input) => {
    await expectGradOk(op, [input(2, 3, 4)]);
  });

  test('hand-worked values', async () => {
    await expectValues(tensor([-2, 0, 3]).relu(), [0, 0, 3]);
    await expectValues(tensor([-2, 0, 3]).abs(), [2, 0, 3]);
    await expectValues(tensor([4, 9, 0.25]).sqrt(), [2, 3, 0.5]);
    await expectValues(tensor([-2, 3]).pow(3), [-8, 27]);
    await expectValues(tensor([0]).sigmoid(), [0.5]);
    await expectValues(tensor([0, 1]).exp(), [1, Math.E]);
    await expectValues(tensor([1, Math.E]).log(), [0, 1], 1e-7); // e is rounded to float32
    await expectValues(tensor([0, Math.PI / 2]).sin(), [0, 1], 1e-7);
    await expectValues(tensor([4, 0.25]).rsqrt(), [0.5, 2]);
    await expectValues(tensor([4, -0.5, 0, -0]).reciprocal(), [0.25, -2, Infinity, -Infinity]);
    await expectValues(tensor([0, -1]).log1p(), [0, -Infinity]);
    await expectValues(tensor([1e-10]).log1p(), [1e-10], 1e-7); // log(1 + x) would round to 0
    await expectValues(tensor([1e-10, 0]).expm1(), [1e-10, 0], 1e-7);
    await expectValues(tensor([-3, 2]).square(), [9, 4]);
    await expectValues(tensor([0, 100, -100]).softplus(), [Math.LN2, 100, 0], 1e-7); // no overflow
  });

  test('relu and abs send zero gradient where the input is zero or negative (relu)', async () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    x.relu().sum().backward();
    await expectValues(x.grad!, [0, 0, 1]);
    const y = tensor([-1, 0, 2], { requiresGrad: true });
    y.abs().sum().backward();
    await expectValues(y.grad!, [-1, 0, 1]);
  });

  test('unary ops work on a scalar (0-d) tensor and on strided views', async () => {
    await expectValues(tensor(2).exp(), { shape: [], data: [Math.exp(2)] });
    const x = normal(3, 4);
    await expectValues(x.T.tanh(), mapRef(transposeRef(await nd(x), 0, 1), Math.tanh));
  });
});

describe('binary elementwise ops with broadcasting', () => {
  type Binary = [name: string, op: (a: Tensor, b: Tensor) => Tensor, ref: (a: number, b: number) => number, positiveB: boolean];
  const ops: Binary[] = [
    ['add', (a, b) => a.add(b), (a, b) => a + b, false],
    ['sub', (a, b) => a.sub(b), (a, b) => a - b, false],
    ['mul', (a, b) => a.mul(b), (a, b) => a * b, false],
    ['div', (a, b) => a.div(b), (a, b) => a / b, true],
  ];
  const shapes: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[3, 1, 4], [2, 4]],
    [[5], [3, 5]],
    [[], [2, 3]],
    [[2, 3], []],
    [[4, 1], [1, 3]],
  ];
  const cases = ops.flatMap(([name, op, ref, positiveB]) =>
    shapes.map(([sa, sb]) => [`${name} [${sa}] with [${sb}]`, op, ref, positiveB, sa, sb] as const),
  );

  test.each(cases)('%s: values match a JS loop', async (_, op, ref, positiveB, sa, sb) => {
    const [a, b] = [normal(...sa), positiveB ? positive(...sb) : normal(...sb)];
    await expectValues(op(a, b), zipRef(await nd(a), await nd(b), ref));
  });

  test.each(cases)('%s: gradcheck', async (_, op, __, positiveB, sa, sb) => {
    const [a, b] = [normal(...sa), positiveB ? positive(...sb) : normal(...sb)];
    await expectGradOk(op, [a, b]);
  });

  test('hand-worked values', async () => {
    const a = tensor([[1, 2], [3, 4]]);
    await expectValues(a.add(tensor([10, 20])), [11, 22, 13, 24]);
    await expectValues(a.sub(tensor([[1], [2]])), [0, 1, 1, 2]);
    await expectValues(a.mul(tensor(3)), [3, 6, 9, 12]);
    await expectValues(a.div(tensor([2, 4])), [0.5, 0.5, 1.5, 1]);
    await expectValues(a.maximum(tensor([2.5, 1])), [2.5, 2, 3, 4]);
  });

  test('broadcast gradients are summed back to each input shape', async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = tensor([10, 20, 30], { requiresGrad: true });
    a.mul(b).sum().backward();
    await expectValues(a.grad!, [10, 20, 30, 10, 20, 30]);
    await expectValues(b.grad!, [5, 7, 9]);
  });

  test.each([
    [[2, 3], [2, 3]],
    [[3, 1, 4], [2, 4]],
    [[5], [3, 5]],
    [[], [2, 3]],
  ])('maximum [%s] with [%s]: values and gradcheck away from ties', async (sa, sb) => {
    const [a, b] = [onGrid(sa, 0), onGrid(sb, 0.1)];
    await expectValues(a.maximum(b), zipRef(await nd(a), await nd(b), Math.max));
    await expectGradOk((x, y) => x.maximum(y), [a, b]);
  });

  test('maximum: the gradient goes to the larger operand', async () => {
    const a = tensor([1, 5, -2], { requiresGrad: true });
    const b = tensor([3, 4, -1], { requiresGrad: true });
    a.maximum(b).mul(tensor([10, 20, 30])).sum().backward();
    await expectValues(a.grad!, [0, 20, 0]);
    await expectValues(b.grad!, [10, 0, 30]);
  });

  test('minimum: values, the gradient to the smaller operand, ties split, NaN wins', async () => {
    const a = tensor([1, 5, -2, 2, NaN], { requiresGrad: true });
    const b = tensor([3, 4, -1, 2, 0], { requiresGrad: true });
    const m = a.minimum(b);
    await expectValues(m, [1, 4, -2, 2, NaN]);
    m.mul(tensor([10, 20, 30, 40, 50])).sum().backward();
    await expectValues(a.grad!, [10, 0, 30, 20, 50]);
    await expectValues(b.grad!, [0, 20, 0, 20, 50]);
    await expectValues(tensor([1, -3]).minimum(0), [0, -3]);
  });

  test('comparisons: float 0/1 masks, NaN false except for ne, numbers broadcast, no gradient', async () => {
    const a = tensor([1, 2, 3, NaN]);
    const b = tensor([2, 2, 1, NaN]);
    await expectValues(a.eq(b), [0, 1, 0, 0]);
    await expectValues(a.ne(b), [1, 0, 1, 1]);
    await expectValues(a.gt(b), [0, 0, 1, 0]);
    await expectValues(a.ge(b), [0, 1, 1, 0]);
    await expectValues(a.lt(b), [1, 0, 0, 0]);
    await expectValues(a.le(b), [1, 1, 0, 0]);
    await expectValues(a.ge(2), [0, 1, 1, 0]);
    await expectValues(a.lt(2), [1, 0, 0, 0]);
    await expectValues(a.le(2), [1, 1, 0, 0]);
    await expectValues(a.ne(2), [1, 0, 1, 1]);
    await expectValues(tensor([[1], [3]]).gt(tensor([0, 2, 4])), [1, 0, 0, 1, 1, 0]);
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.gt(1).requiresGrad).toBe(false);
    expectThrows(() => x.gt('1' as unknown as number), 'gt', 'Tensor or a number');
  });

  test('maximum: ties split the gradient evenly (as torch.maximum)', async () => {
    const a = tensor([2, 7], { requiresGrad: true });
    const b = tensor([2, 1], { requiresGrad: true });
    a.maximum(b).sum().backward();
    await expectValues(a.grad!, [0.5, 1]);
    await expectValues(b.grad!, [0.5, 0]);
  });
});

describe('scalar operands', () => {
  type ScalarCase = [name: string, op: (x: Tensor) => Tensor, ref: (v: number) => number];
  const cases: ScalarCase[] = [
    ['x.add(2)', (x) => x.add(2), (v) => v + 2],
    ['x.sub(1.5)', (x) => x.sub(1.5), (v) => v - 1.5],
    ['x.mul(-3)', (x) => x.mul(-3), (v) => v * -3],
    ['x.div(4)', (x) => x.div(4), (v) => v / 4],
    ['x.maximum(0.25)', (x) => x.maximum(0.25), (v) => Math.max(v, 0.25)],
    ['chain add/mul/sub/div', (x) => x.add(2).mul(3).sub(1).div(4), (v) => ((v + 2) * 3 - 1) / 4],
  ];

  test.each(cases)('%s: values', async (_, op, ref) => {
    const x = normal(2, 5);
    await expectValues(op(x), mapRef(await nd(x), ref));
  });

  test.each(cases)('%s: gradcheck', async (_, op) => {
    const x = shaped([2, 5], (v) => (Math.abs(v - 0.25) < 0.05 ? v + 0.2 : v)); // away from the maximum kink
    await expectGradOk(op, [x]);
  });

  test('hand-worked values', async () => {
    const x = tensor([1, 2, 6]);
    await expectValues(x.add(2), [3, 4, 8]);
    await expectValues(x.div(4), [0.25, 0.5, 1.5]);
    await expectValues(x.sub(1), [0, 1, 5]);
    await expectValues(x.mul(0.5), [0.5, 1, 3]);
    await expectValues(x.maximum(2), [2, 2, 6]);
  });
});

// ---------------------------------------------------------------------------------------------
// matmul
// ---------------------------------------------------------------------------------------------

describe('matmul', () => {
  test('hand-worked 2-D, 1-D·1-D, 2-D·1-D, 1-D·2-D', async () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6], [7, 8]]);
    await expectValues(a.matmul(b), { shape: [2, 2], data: [19, 22, 43, 50] });
    await expectValues(tensor([1, 2, 3]).matmul(tensor([4, 5, 6])), { shape: [], data: [32] });
    await expectValues(a.matmul(tensor([1, -1])), { shape: [2], data: [-1, -1] });
    await expectValues(tensor([1, -1]).matmul(b), { shape: [2], data: [-2, -2] });
  });

  const cases: [string, number[], number[]][] = [
    ['1-D · 1-D', [7], [7]],
    ['2-D · 1-D', [3, 5], [5]],
    ['1-D · 2-D', [5], [5, 3]],
    ['2-D · 2-D', [3, 4], [4, 5]],
    ['1-D · 3-D', [4], [2, 4, 3]],
    ['3-D · 1-D', [2, 3, 4], [4]],
    ['3-D · 2-D', [2, 3, 4], [4, 2]],
    ['batched [2,1,3,4] · [5,4,2]', [2, 1, 3, 4], [5, 4, 2]],
    ['batched [3,1,2,3] · [1,4,3,2]', [3, 1, 2, 3], [1, 4, 3, 2]],
  ];

  test.each(cases)('%s: values match a JS loop', async (_, sa, sb) => {
    const [a, b] = [normal(...sa), normal(...sb)];
    await expectValues(matmul(a, b), matmulRef(await nd(a), await nd(b)));
  });

  test.each(cases)('%s: gradcheck', async (_, sa, sb) => {
    await expectGradOk((a, b) => a.matmul(b), [normal(...sa), normal(...sb)]);
  });

  test('transposed views: values and gradcheck', async () => {
    const [a, b] = [normal(5, 3), normal(4, 5)];
    const expected = matmulRef(transposeRef(await nd(a), 0, 1), transposeRef(await nd(b), 0, 1));
    await expectValues(a.T.matmul(b.T), expected);
    await expectGradOk((x, y) => x.T.matmul(y.T), [a, b]);
    const c = normal(2, 3, 4);
    await expectValues(c.transpose(-1, -2).matmul(a.T), matmulRef(transposeRef(await nd(c), 1, 2), transposeRef(await nd(a), 0, 1)));
    await expectGradOk((x, y) => x.transpose(1, 2).matmul(y.T), [c, a]);
  });

  test('narrowed (offset) operands', async () => {
    const [a, b] = [normal(4, 6), normal(6, 3)];
    const expected = matmulRef(narrowRef(await nd(a), 1, 1, 4), narrowRef(await nd(b), 0, 2, 4));
    await expectValues(a.narrow(1, 1, 4).matmul(b.narrow(0, 2, 4)), expected);
    await expectGradOk((x, y) => x.narrow(1, 1, 4).matmul(y.narrow(0, 2, 4)), [a, b]);
  });
});

// ---------------------------------------------------------------------------------------------
// Views and shape ops
// ---------------------------------------------------------------------------------------------

describe('transpose and T', () => {
  test('hand-worked T', async () => {
    await expectValues(tensor([[1, 2, 3], [4, 5, 6]]).T, { shape: [3, 2], data: [1, 4, 2, 5, 3, 6] });
    await expectValues(tensor([1, 2, 3]).T, { shape: [3], data: [1, 2, 3] });
  });

  test.each([
    [[2, 3, 4], 0, 2],
    [[2, 3, 4], -1, -3],
    [[2, 3, 4], 1, 1],
    [[3, 5], 0, 1],
  ])('transpose of [%s] (%i, %i): values and gradcheck', async (shape, i, j) => {
    const x = normal(...shape);
    const n = shape.length;
    await expectValues(x.transpose(i, j), transposeRef(await nd(x), (i + n) % n, (j + n) % n));
    await expectGradOk((t) => t.transpose(i, j), [x]);
  });

  test('T: gradcheck through a product with its own transpose', async () => {
    await expectGradOk((t) => t.matmul(t.T).mul(t.T.matmul(t).sum()), [normal(3, 4)]);
  });

  test('transpose is a view sharing storage (not contiguous)', () => {
    const x = normal(3, 4);
    expect(x.T.isContiguous()).toBe(false);
    expect(x.T.T.isContiguous()).toBe(true);
  });
});

describe('reshape', () => {
  test('hand-worked, including -1', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    await expectValues(x.reshape([2, 3]), { shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    await expectValues(x.reshape([-1, 2]), { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
    await expectValues(x.reshape([3, 1, -1]), { shape: [3, 1, 2], data: [1, 2, 3, 4, 5, 6] });
    await expectValues(tensor([7]).reshape([]), { shape: [], data: [7] });
  });

  test('of a non-contiguous view reads the view in row-major order', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    await expectValues(x.T.reshape([-1]), { shape: [6], data: [1, 4, 2, 5, 3, 6] });
    await expectValues(x.narrow(1, 1, 2).reshape([4]), { shape: [4], data: [2, 3, 5, 6] });
  });

  test('gradcheck: plain, with -1, of a transposed view, of a narrowed view', async () => {
    await expectGradOk((t) => t.reshape([4, -1]).mul(tensor([1, 2, 3, 4, 5, 6])), [normal(2, 3, 4)]);
    await expectGradOk((t) => t.T.reshape([-1, 3]).exp(), [normal(3, 4)]);
    await expectGradOk((t) => t.narrow(0, 1, 2).reshape([2, 2, 2]).tanh(), [normal(3, 4)]);
  });
});

describe('expand', () => {
  test('hand-worked, including -1 and new leading dims', async () => {
    const x = tensor([[1], [2]]);
    await expectValues(x.expand([2, 3]), { shape: [2, 3], data: [1, 1, 1, 2, 2, 2] });
    await expectValues(x.expand([2, -1, 2]), { shape: [2, 2, 2], data: [1, 1, 2, 2, 1, 1, 2, 2] });
  });

  test('gradcheck: the gradient sums over the repeated dims', async () => {
    await expectGradOk((t) => t.expand([2, 3, 4]).mul(tensor(Float32Array.from({ length: 24 }, (_, i) => i), { shape: [2, 3, 4] })), [normal(3, 1)]);
    await expectGradOk((t) => t.T.expand([2, 4, 3]).exp(), [normal(3, 4)]);
  });

  test('values of an expanded transposed view', async () => {
    const x = normal(1, 3);
    const ref = await nd(x);
    await expectValues(x.T.expand([3, 4]), build([3, 4], ([i]) => ref.data[i]));
  });
});

describe('contiguous', () => {
  test('copies a strided view into row-major order; the result is contiguous', async () => {
    const x = normal(3, 4);
    const c = x.T.contiguous();
    expect(c.isContiguous()).toBe(true);
    await expectValues(c, transposeRef(await nd(x), 0, 1));
    expect(x.contiguous().isContiguous()).toBe(true);
    await expectValues(x.contiguous(), await nd(x));
  });

  test('gradcheck', async () => {
    await expectGradOk((t) => t.transpose(0, 2).contiguous().mul(t.transpose(0, 2)), [normal(2, 3, 2)]);
  });
});

describe('narrow', () => {
  test('hand-worked, including negative start', async () => {
    const x = tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]);
    await expectValues(x.narrow(1, 1, 2), { shape: [3, 2], data: [2, 3, 6, 7, 10, 11] });
    await expectValues(x.narrow(0, -2, 2), { shape: [2, 4], data: [5, 6, 7, 8, 9, 10, 11, 12] });
    await expectValues(x.narrow(-1, -1, 1), { shape: [3, 1], data: [4, 8, 12] });
    await expectValues(x.narrow(0, 1, 0), { shape: [0, 4], data: [] });
    await expectValues(x.narrow(1, 1, 3).narrow(0, 1, 2).narrow(1, 1, 1), { shape: [2, 1], data: [7, 11] });
  });

  test('reading back a view with a storage offset returns only the view (data, array, item)', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    // narrow along dim 0 is a contiguous view at an offset: the readback must honour offset and size.
    expect(Array.from(await x.narrow(0, 1, 1).data())).toEqual([4, 5, 6]);
    expect(await x.narrow(0, 1, 2).array()).toEqual([[4, 5, 6], [7, 8, 9]]);
    expect(await x.narrow(0, 1, 1).narrow(1, 1, 1).item()).toBe(5);
    expect(await x.reshape([-1]).narrow(0, 4, 1).item()).toBe(5);
  });

  test('gradcheck: positive and negative start, narrow of a narrow, of a transpose', async () => {
    await expectGradOk((t) => t.narrow(1, 1, 3).exp(), [normal(3, 5)]);
    await expectGradOk((t) => t.narrow(0, -2, 2).mul(2), [normal(3, 5)]);
    await expectGradOk((t) => t.narrow(1, 1, 3).narrow(0, 1, 2).pow(2), [normal(3, 5)]);
    await expectGradOk((t) => t.T.narrow(0, 2, 2).tanh(), [normal(3, 5)]);
  });
});

describe('cat', () => {
  test('hand-worked along dims 0, 1, -1', async () => {
    const a = tensor([[1, 2], [3, 4]]);
    const b = tensor([[5, 6]]);
    const c = tensor([[7], [8]]);
    await expectValues(cat([a, b], 0), { shape: [3, 2], data: [1, 2, 3, 4, 5, 6] });
    await expectValues(cat([a, c], 1), { shape: [2, 3], data: [1, 2, 7, 3, 4, 8] });
    await expectValues(cat([c, a, c], -1), { shape: [2, 4], data: [7, 1, 2, 7, 8, 3, 4, 8] });
    await expectValues(cat([a]), { shape: [2, 2], data: [1, 2, 3, 4] });
  });

  test.each([
    [0, [2, 3, 2], [1, 3, 2], [3, 3, 2]],
    [1, [2, 1, 2], [2, 4, 2], [2, 2, 2]],
    [-1, [2, 3, 1], [2, 3, 3], [2, 3, 2]],
  ])('dim %i: values against a JS loop and gradcheck (three inputs)', async (dim, s0, s1, s2) => {
    const xs = [normal(...s0), normal(...s1), normal(...s2)];
    const refs = await Promise.all(xs.map(nd));
    const d = (dim + 3) % 3;
    const out = [...s0];
    out[d] = s0[d] + s1[d] + s2[d];
    const expected = build(out, (idx) => {
      let i = idx[d];
      for (const r of refs) {
        if (i < r.shape[d]) return at(r, idx.map((v, k) => (k === d ? i : v)));
        i -= r.shape[d];
      }
      throw new Error('unreachable');
    });
    await expectValues(cat(xs, dim), expected);
    await expectGradOk((a, b, c) => cat([a, b, c], dim).tanh(), xs);
  });

  test('of transposed views, and with an input that does not require grad', async () => {
    const [a, b] = [normal(3, 2), normal(2, 3)];
    await expectValues(cat([a.T, b], 0), { shape: [4, 3], data: [...transposeRef(await nd(a), 0, 1).data, ...(await nd(b)).data] });
    const fixed = randn([2, 2]);
    await expectGradOk((x) => cat([x.T, fixed], 1).exp(), [a]);
  });
});

// ---------------------------------------------------------------------------------------------
// Reductions and softmax
// ---------------------------------------------------------------------------------------------

describe('sum and mean', () => {
  test('hand-worked', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    await expectValues(x.sum(), { shape: [], data: [21] });
    await expectValues(x.sum(0), { shape: [3], data: [5, 7, 9] });
    await expectValues(x.sum(-1), { shape: [2], data: [6, 15] });
    await expectValues(x.sum(1, true), { shape: [2, 1], data: [6, 15] });
    await expectValues(x.sum([0, 1]), { shape: [], data: [21] });
    await expectValues(x.mean(), { shape: [], data: [3.5] });
    await expectValues(x.mean(0), { shape: [3], data: [2.5, 3.5, 4.5] });
    await expectValues(x.mean(-1, true), { shape: [2, 1], data: [2, 5] });
    await expectValues(tensor(4).sum(), { shape: [], data: [4] });
  });

  const dimCases: [string, number | number[] | undefined, boolean][] = [
    ['no dim', undefined, false],
    ['dim 1', 1, false],
    ['dim -1', -1, false],
    ['dim -3, keepdim', -3, true],
    ['dims [0, 2]', [0, 2], false],
    ['dims [2, -3], keepdim', [2, -3], true],
    ['dims [1, 2], keepdim', [1, 2], true],
    ['dims [0, 1, 2]', [0, 1, 2], false],
  ];
  const norm = (dim: number | number[] | undefined): number[] =>
    dim === undefined ? [0, 1, 2] : (typeof dim === 'number' ? [dim] : dim).map((d) => (d + 3) % 3);

  test.each(dimCases)('sum %s: values and gradcheck on [2,3,4]', async (_, dim, keepdim) => {
    const x = normal(2, 3, 4);
    await expectValues(x.sum(dim, keepdim), reduceRef(await nd(x), norm(dim), keepdim, sumOf));
    await expectGradOk((t) => t.sum(dim, keepdim), [x]);
  });

  test.each(dimCases)('mean %s: values and gradcheck on [2,3,4]', async (_, dim, keepdim) => {
    const x = normal(2, 3, 4);
    await expectValues(x.mean(dim, keepdim), reduceRef(await nd(x), norm(dim), keepdim, (v) => sumOf(v) / v.length), 1e-12);
    await expectGradOk((t) => t.mean(dim, keepdim), [x]);
  });

  test('of strided views (transposed, narrowed, expanded)', async () => {
    const x = normal(3, 4);
    await expectValues(x.T.sum(1), reduceRef(transposeRef(await nd(x), 0, 1), [1], false, sumOf));
    await expectValues(x.narrow(1, 1, 2).sum(0), reduceRef(narrowRef(await nd(x), 1, 1, 2), [0], false, sumOf));
    await expectValues(x.narrow(0, 1, 2).sum(1), reduceRef(narrowRef(await nd(x), 0, 1, 2), [1], false, sumOf));
    await expectValues(x.expand([2, 3, 4]).mean([0, 2]), reduceRef(await nd(x), [1], false, (v) => sumOf(v) / v.length));
    await expectGradOk((t) => t.T.sum(1).mul(t.narrow(0, 1, 1).reshape([4])), [x]);
  });
});

describe('amax (max without indices)', () => {
  test('hand-worked: no dim, dim, negative dim, keepdim', async () => {
    const x = tensor([[1, 7, 3], [4, -5, 6]]);
    await expectValues(x.max(), { shape: [], data: [7] });
    await expectValues(x.amax(undefined, true), { shape: [1, 1], data: [7] });
    await expectValues(x.amax(0), { shape: [3], data: [4, 7, 6] });
    await expectValues(x.amax(-1), { shape: [2], data: [7, 6] });
    await expectValues(x.amax(1, true), { shape: [2, 1], data: [7, 6] });
    await expectValues(tensor([-3, -1, -2]).max(), { shape: [], data: [-1] });
  });

  test.each([
    ['no dim', undefined, false],
    ['dim 0', 0, false],
    ['dim 1, keepdim', 1, true],
    ['dim -1', -1, false],
  ] as const)('%s: values against a JS loop and gradcheck (no ties)', async (_, dim, keepdim) => {
    const x = distinct(2, 3, 4);
    const dims = dim === undefined ? [0, 1, 2] : [(dim + 3) % 3];
    await expectValues(x.amax(dim, keepdim), reduceRef(await nd(x), dims, keepdim, (v) => Math.max(...v)));
    await expectGradOk((t) => t.amax(dim, keepdim), [x]);
  });

  test('of a transposed view', async () => {
    const x = distinct(3, 4);
    await expectValues(x.T.amax(1), reduceRef(transposeRef(await nd(x), 0, 1), [1], false, (v) => Math.max(...v)));
    await expectGradOk((t) => t.T.amax(1), [x]);
  });

  test('ties share the gradient equally (like torch.amax)', async () => {
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    x.amax(1).sum().backward();
    await expectValues(x.grad!, [0, 0.5, 0.5, 0.5, 0.5, 0]);
    const y = tensor([5, 1, 5, 5], { requiresGrad: true });
    y.max().backward();
    await expectValues(y.grad!, [1 / 3, 0, 1 / 3, 1 / 3], 1e-12);
    const z = tensor([[2, 2], [1, 2]], { requiresGrad: true });
    z.amax(0, true).mul(tensor([[10, 20]])).sum().backward();
    await expectValues(z.grad!, [10, 10, 0, 10]);
  });
});

describe('softmax and logSoftmax', () => {
  const softmaxRef = (x: Nd, dim: number, log: boolean): Nd => {
    const maxes = reduceRef(x, [dim], true, (v) => Math.max(...v));
    const sums = reduceRef(zipRef(x, maxes, (a, m) => Math.exp(a - m)), [dim], true, sumOf);
    return build(x.shape, (idx) => {
      const shifted = at(x, idx) - at(maxes, idx);
      return log ? shifted - Math.log(at(sums, idx)) : Math.exp(shifted) / at(sums, idx);
    });
  };

  test('hand-worked', async () => {
    const e = Math.E;
    await expectValues(tensor([0, 1]).softmax(0), [1 / (1 + e), e / (1 + e)], 1e-12);
    await expectValues(tensor([[1, 1, 1, 1]]).softmax(-1), [0.25, 0.25, 0.25, 0.25]);
    await expectValues(tensor([0, Math.log(3)]).logSoftmax(0), [Math.log(1 / 4), Math.log(3 / 4)], 1e-7);
  });

  test.each([0, 1, 2, -1, -2])('dim %i on [3,4,2]: values against a JS loop and gradcheck', async (dim) => {
    const x = normal(3, 4, 2);
    const d = (dim + 3) % 3;
    await expectValues(x.softmax(dim), softmaxRef(await nd(x), d, false));
    await expectValues(x.logSoftmax(dim), softmaxRef(await nd(x), d, true));
    await expectGradOk((t) => t.softmax(dim), [x]);
    await expectGradOk((t) => t.logSoftmax(dim), [x]);
  });

  test('softmax rows sum to one; logSoftmax is log of softmax', async () => {
    const x = normal(4, 5);
    await expectValues(x.softmax(1).sum(1), [1, 1, 1, 1], 1e-12);
    await expectValues(x.logSoftmax(1).exp(), await nd(x.softmax(1)), 1e-12);
  });

  test('of a transposed view', async () => {
    const x = normal(3, 4);
    await expectValues(x.T.softmax(1), softmaxRef(transposeRef(await nd(x), 0, 1), 1, false));
    await expectGradOk((t) => t.T.logSoftmax(-1), [x]);
  });

  test('large-magnitude inputs (±1000) give finite, exact values and gradients', async () => {
    const x = tensor([[1000, 0, -1000], [1000, 1001, 999]], { requiresGrad: true });
    const z = 1 + Math.exp(-1) + Math.exp(-2);
    const logp = x.logSoftmax(1);
    await expectValues(logp, [0, -1000, -2000, -1 - Math.log(z), -Math.log(z), -2 - Math.log(z)], 1e-12);
    await expectValues(x.softmax(1), [1, 0, 0, Math.exp(-1) / z, 1 / z, Math.exp(-2) / z], 1e-12);
    // d/dx of logp[0,1] + logp[1,0] is (e_1 - softmax(row 0)) on row 0 and (e_0 - softmax(row 1)) on row 1.
    logp.mul(tensor([[0, 1, 0], [1, 0, 0]])).sum().backward();
    await expectValues(x.grad!, [-1, 1, 0, 1 - Math.exp(-1) / z, -1 / z, -Math.exp(-2) / z], 1e-12);
    for (const v of await x.grad!.rawData()) expect(Number.isFinite(v)).toBe(true);
  });

  test('gradcheck at large magnitudes (logits scaled by 50)', async () => {
    await expectGradOk((t) => t.mul(50).logSoftmax(-1), [normal(2, 4)]);
    await expectGradOk((t) => t.mul(50).softmax(0), [normal(3, 2)]);
  });
});

// ---------------------------------------------------------------------------------------------
// Indexing
// ---------------------------------------------------------------------------------------------

describe('gather', () => {
  test('hand-worked along dims 1 and 0 (like torch.gather)', async () => {
    const x = tensor([[1, 2], [3, 4]]);
    await expectValues(gather(x, 1, indices([0, 0, 1, 0], [2, 2])), { shape: [2, 2], data: [1, 1, 4, 3] });
    await expectValues(x.gather(0, indices([1, 0, 0, 0], [2, 2])), { shape: [2, 2], data: [3, 2, 1, 2] });
    await expectValues(x.gather(-1, indices([1, 0], [2, 1])), { shape: [2, 1], data: [2, 3] });
  });

  test('index smaller than the input outside dim; values against a JS loop; gradcheck with repeats', async () => {
    const x = normal(3, 4);
    const idx = indices([3, 3, 0, 1, 2, 2], [2, 3]);
    const ref = await nd(x);
    const idxRef = await nd(idx);
    await expectValues(x.gather(1, idx), build([2, 3], ([i, j]) => at(ref, [i, at(idxRef, [i, j])])));
    await expectGradOk((t) => t.gather(1, idx), [x]);
    await expectGradOk((t) => t.gather(0, indices([2, 0, 0, 2, 1, 1, 1, 0], [2, 4])), [x]);
  });

  test('of a transposed view', async () => {
    const x = normal(3, 4);
    const idx = indices([0, 2, 1, 1, 2, 0, 0, 0], [4, 2]);
    const [t, i] = [transposeRef(await nd(x), 0, 1), await nd(idx)];
    await expectValues(x.T.gather(1, idx), build([4, 2], ([r, c]) => at(t, [r, at(i, [r, c])])));
    await expectGradOk((u) => u.T.gather(1, idx), [x]);
  });
});

describe('indexSelect', () => {
  test('hand-worked rows and columns, with duplicate indices', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    await expectValues(indexSelect(x, 0, indices([2, 0, 2])), { shape: [3, 3], data: [7, 8, 9, 1, 2, 3, 7, 8, 9] });
    await expectValues(x.indexSelect(1, indices([1, 1])), { shape: [3, 2], data: [2, 2, 5, 5, 8, 8] });
    await expectValues(x.indexSelect(-1, indices([2])), { shape: [3, 1], data: [3, 6, 9] });
  });

  test('duplicate indices accumulate the gradient', async () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    x.indexSelect(0, indices([2, 0, 2, 2])).sum().backward();
    await expectValues(x.grad!, [1, 1, 0, 0, 3, 3]);
  });

  test.each([0, 1, 2, -1])('dim %i on [3,4,2]: values against a JS loop and gradcheck (with repeats)', async (dim) => {
    const x = normal(3, 4, 2);
    const d = (dim + 3) % 3;
    const picks = [x.shape[d] - 1, 0, x.shape[d] - 1, Math.floor(x.shape[d] / 2)];
    const idx = indices(picks);
    const ref = await nd(x);
    const shape = x.shape.map((s, k) => (k === d ? picks.length : s));
    await expectValues(x.indexSelect(dim, idx), build(shape, (i) => at(ref, i.map((v, k) => (k === d ? picks[v] : v)))));
    await expectGradOk((t) => t.indexSelect(dim, idx), [x]);
  });
});

describe('scatterAdd', () => {
  test('hand-worked: zeros of shape, with src added at the indexed positions (repeats accumulate)', async () => {
    const idx = indices([0, 2, 1, 1], [2, 2]);
    const src = tensor([[1, 2], [3, 4]]);
    await expectValues(scatterAdd([2, 3], 1, idx, src), { shape: [2, 3], data: [1, 0, 2, 0, 7, 0] });
    await expectValues(scatterAdd([3, 2], 0, idx, src), { shape: [3, 2], data: [1, 0, 3, 4, 0, 2] });
  });

  test('values against a JS loop and gradcheck with respect to src', async () => {
    const idxValues = [0, 3, 3, 1, 2, 0, 2, 2, 1];
    const idx = indices(idxValues, [3, 3]);
    const src = normal(3, 3);
    const s = await nd(src);
    const expected = build([3, 4], ([i, j]) => sumOf([0, 1, 2].filter((k) => idxValues[i * 3 + k] === j).map((k) => s.data[i * 3 + k])));
    await expectValues(scatterAdd([3, 4], 1, idx, src), expected, 1e-12);
    await expectGradOk((t) => scatterAdd([3, 4], 1, idx, t).mul(tensor(Float32Array.from({ length: 12 }, (_, i) => i - 5), { shape: [3, 4] })), [src]);
  });

  test('is the adjoint of gather: <gather(x, i), y> = <x, scatterAdd(i, y)>', async () => {
    const x = normal(3, 4);
    const y = normal(3, 2);
    const idx = indices([3, 0, 1, 1, 2, 3], [3, 2]);
    const lhs = (await x.gather(1, idx).mul(y).sum().rawData())[0];
    const rhs = (await x.mul(scatterAdd([3, 4], 1, idx, y)).sum().rawData())[0];
    expect(lhs).toBeCloseTo(rhs, 12);
  });

  test('a negative dim counts from the end (like torch.scatter_add)', async () => {
    const idx = indices([0, 2, 1, 1], [2, 2]);
    const src = tensor([[1, 2], [3, 4]]);
    await expectValues(scatterAdd([2, 3], -1, idx, src), { shape: [2, 3], data: [1, 0, 2, 0, 7, 0] });
  });
});

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

describe('errors name the op and the shapes', () => {
  test('matmul inner-dim mismatch (exact message)', () => {
    expect(() => matmul(randn([4, 3]), randn([4, 3]))).toThrow(new Error('matmul: cannot multiply [4,3] by [4,3] (inner dims 3 ≠ 4)'));
  });

  test('matmul: 1-D mismatch, 0-d operand', () => {
    expectThrows(() => randn([3]).matmul(randn([4])), 'matmul', '[3]', '[4]');
    expectThrows(() => randn([2, 3]).matmul(randn([4])), 'matmul', '[2,3]', '[4]');
    expectThrows(() => randn([]).matmul(randn([3])), 'matmul', '[]', '[3]');
  });

  test('matmul: batch dims that do not broadcast name both full shapes', () => {
    expectThrows(() => randn([2, 3, 4]).matmul(randn([5, 4, 2])), 'matmul', '[2,3,4]', '[5,4,2]');
  });

  test.each([
    ['add', (a: Tensor, b: Tensor) => a.add(b)],
    ['sub', (a: Tensor, b: Tensor) => a.sub(b)],
    ['mul', (a: Tensor, b: Tensor) => a.mul(b)],
    ['div', (a: Tensor, b: Tensor) => a.div(b)],
    ['maximum', (a: Tensor, b: Tensor) => a.maximum(b)],
  ])('%s: shapes that do not broadcast', (name, op) => {
    expectThrows(() => op(randn([2, 3]), randn([4])), name, '[2,3]', '[4]');
    expectThrows(() => op(randn([3, 1, 4]), randn([2, 5])), name, '[3,1,4]', '[2,5]');
  });

  test('reshape: wrong element count, two -1s, negative sizes', () => {
    expectThrows(() => randn([2, 3]).reshape([4, 2]), 'reshape', '[2,3]', '[4,2]');
    expectThrows(() => randn([2, 3]).reshape([-1, -1]), 'reshape', '[2,3]', '[-1,-1]');
    expectThrows(() => randn([2, 3]).reshape([-2, -3]), 'reshape', '[2,3]', '[-2,-3]');
  });

  test('reshape: a -1 that cannot be inferred as a whole number ([2,3] into [-1,4] would be [1.5,4])', () => {
    expectThrows(() => randn([2, 3]).reshape([-1, 4]), 'reshape', '[2,3]', '[-1,4]');
    expectThrows(() => randn([6]).reshape([4, -1]), 'reshape', '[6]', '[4,-1]');
  });

  test('expand: incompatible target', () => {
    expectThrows(() => randn([3, 2]).expand([3, 3]), 'expand', '[3,2]', '[3,3]');
    expectThrows(() => randn([2, 3]).expand([3]), 'expand', '[2,3]', '[3]');
  });

  test('narrow: range outside the dim', () => {
    expectThrows(() => randn([2, 4]).narrow(1, 2, 3), 'narrow', '[2,4]', 'start 2', 'length 3');
    expectThrows(() => randn([2, 4]).narrow(1, -5, 1), 'narrow', '[2,4]', 'start -5');
    expectThrows(() => randn([2, 4]).narrow(0, 0, -1), 'narrow', '[2,4]', 'length -1');
  });

  test('T of a 3-D tensor', () => {
    expectThrows(() => randn([2, 3, 4]).T, 'T', '[2,3,4]');
  });

  test.each([
    ['sum', (x: Tensor) => x.sum(2)],
    ['sum', (x: Tensor) => x.sum([0, -3])],
    ['mean', (x: Tensor) => x.mean(-3)],
    ['max', (x: Tensor) => x.max(2)],
    ['softmax', (x: Tensor) => x.softmax(5)],
    ['logSoftmax', (x: Tensor) => x.logSoftmax(-3)],
    ['transpose', (x: Tensor) => x.transpose(0, 2)],
    ['narrow', (x: Tensor) => x.narrow(2, 0, 1)],
    ['cat', (x: Tensor) => cat([x, x], 2)],
    ['gather', (x: Tensor) => x.gather(2, indices([0, 0, 0, 0, 0, 0], [2, 3]))],
    ['indexSelect', (x: Tensor) => x.indexSelect(-3, indices([0]))],
    ['scatterAdd', () => scatterAdd([2, 3], 2, indices([0, 0, 0, 0], [2, 2]), randn([2, 2]))],
    ['scatterAdd', () => scatterAdd([2, 3], -3, indices([0, 0, 0, 0], [2, 2]), randn([2, 2]))],
  ])('%s: dim out of range for a [2,3] tensor', (name, op) => {
    expectThrows(() => op(randn([2, 3])), `${name}:`, 'out of range');
  });

  test('sum: a repeated dim', () => {
    expectThrows(() => randn([2, 3]).sum([1, -1]), 'sum', 'repeats');
  });

  test('cat: shapes that differ outside dim, ranks that differ, no tensors', () => {
    expectThrows(() => cat([randn([2, 3]), randn([2, 4])], 0), 'cat', '[2,3]', '[2,4]');
    expectThrows(() => cat([randn([2, 3]), randn([3, 3])], 1), 'cat', '[2,3]', '[3,3]');
    expectThrows(() => cat([randn([2, 3]), randn([2, 3, 1])], 0), 'cat', '[2,3]', '[2,3,1]');
    expectThrows(() => cat([]), 'cat');
  });

  test('gather: rank mismatch, index too large outside dim', () => {
    expectThrows(() => randn([2, 3]).gather(1, indices([0, 1])), 'gather', '[2]', '[2,3]');
    expectThrows(() => randn([2, 3]).gather(1, indices([0, 0, 0, 0, 0, 0], [3, 2])), 'gather', '[3,2]', '[2,3]');
  });

  test('indexSelect: an index that is not 1-D', () => {
    expectThrows(() => randn([2, 3]).indexSelect(0, indices([0, 1, 1, 0], [2, 2])), 'indexSelect', '[2,2]');
  });

  test('scatterAdd: index and source of different shapes', () => {
    expectThrows(() => scatterAdd([2, 3], 1, indices([0, 1, 1, 0], [2, 2]), randn([2, 3])), 'scatterAdd', '[2,2]', '[2,3]');
  });

  test('scatterAdd: an index whose rank differs from the output shape', () => {
    expectThrows(() => scatterAdd([2, 3, 1], 1, indices([0, 0, 0, 0], [2, 2]), randn([2, 2])), 'scatterAdd', '[2,2]', '[2,3,1]');
  });

  test('item() on a multi-element tensor', async () => {
    await expect(randn([2, 3]).item()).rejects.toThrow(/item.*\[2,3\]/);
    expect(await tensor([[5]]).item()).toBe(5);
  });

  test('backward() on a non-scalar without a gradient', () => {
    const x = randn([2, 3], { requiresGrad: true });
    expectThrows(() => x.mul(2).backward(), 'backward', '[2,3]', 'gradOutputs');
  });

  test('backward() with a gradient of the wrong shape', () => {
    const x = randn([2, 3], { requiresGrad: true });
    expectThrows(() => x.mul(2).backward(randn([3, 2])), 'backward', '[3,2]', '[2,3]');
  });

  test('using a disposed tensor', async () => {
    const x = randn([2, 3]);
    const y = randn([2, 3]);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expectThrows(() => x.add(1), 'disposed');
    expectThrows(() => x.exp(), 'disposed');
    expectThrows(() => y.mul(x), 'disposed');
    expectThrows(() => x.matmul(y.T), 'disposed');
    expectThrows(() => x.sum(), 'disposed');
    expectThrows(() => cat([y, x]), 'disposed');
    await expect(x.data()).rejects.toThrow(/disposed/);
    await expect(x.item()).rejects.toThrow(/item|disposed/);
  });
});
