// The composed ops of issue 10 §2 on the float64 reference backend: values and gradients against
// PyTorch 1.13 (test/fixtures/composed_ops.py, run here; fails without /usr/bin/python3 and torch),
// hand-worked ties, NaN, empty and negative dims, float64 gradchecks (second order for the smooth
// ops) and the errors bad arguments raise. Device agreement is in test/device-cases.ts.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  cdist, cosineSimilarity, grad, gradcheck, init, manualSeed, normalize, oneHot, randint, randn, randperm, stack, tensor, where, type Tensor,
} from '../src/index.js';
import { normalValues } from '../src/random.js';

beforeAll(async () => {
  await init({ backend: 'reference' });
});
beforeEach(() => manualSeed(7));

const values = async (t: Tensor): Promise<number[]> => Array.from(await t.rawData());
const close = (got: number[], want: number[], tol = 1e-9) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => {
    if (Number.isNaN(want[i])) expect(v, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(want[i])) expect(v, `element ${i}`).toBe(want[i]);
    else expect(Math.abs(v - want[i]), `element ${i}: ${v} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
  });
};
const leaf = (t: Tensor): Tensor => {
  t.requiresGrad = true;
  return t;
};
const normal = (...shape: number[]): Tensor => leaf(randn(shape));
const gradOk = async (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) => expect(await gradcheck(fn, inputs)).toBeLessThan(1e-5);
/** The gradient of sum(fn(x)²)/2 w.r.t. x, with createGraph: gradchecking it checks fn's second derivative. */
const secondOrder = (fn: (x: Tensor) => Tensor) => (x: Tensor) => grad(fn(x).pow(2).sum().div(2), x, { createGraph: true })[0];

describe('against PyTorch 1.13', () => {
  const shapes: Record<string, number[]> = {
    logsumexp: [3, 5], var: [3, 5], var0: [3, 5], std: [3, 5], norm2: [3, 5], norm1: [3, 5], norm3: [3, 5], norminf: [3, 5],
    normalize: [3, 5], cumsum: [3, 9], clamp: [3, 5], maxdim: [3, 5], topk: [3, 6], repeat: [2, 3], cos: [4, 5], cdist: [4, 3, 2],
  };
  const run: Record<string, (x: Tensor) => Tensor> = {
    logsumexp: (x) => x.logsumexp(1),
    var: (x) => x.var(1),
    var0: (x) => x.var(null, { correction: 0 }),
    std: (x) => x.std(0, { keepdim: true }),
    norm2: (x) => x.norm(2, 1),
    norm1: (x) => x.norm(1),
    norm3: (x) => x.norm(3, 0),
    norminf: (x) => x.norm(Infinity, 1),
    normalize: (x) => normalize(x),
    cumsum: (x) => x.cumsum(1),
    clamp: (x) => x.clamp(-0.5, 0.7),
    maxdim: (x) => x.max(1).values,
    topk: (x) => x.topk(3, 1).values,
    repeat: (x) => x.repeat(2, 1, 2),
    cos: (x) => cosineSimilarity(x.narrow(0, 0, 2), x.narrow(0, 2, 2)),
    cdist: (x) => cdist(x.narrow(0, 0, 2), x.narrow(0, 2, 2)),
  };
  const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, Array.from(normalValues(s.reduce((a, b) => a * b, 1)))]));
  const script = fileURLToPath(new URL('./fixtures/composed_ops.py', import.meta.url));
  const nested = (flat: number[], shape: number[]): unknown =>
    shape.length === 1 ? flat : Array.from({ length: shape[0] }, (_, i) => nested(flat.slice((i * flat.length) / shape[0], ((i + 1) * flat.length) / shape[0]), shape.slice(1)));
  const expected = JSON.parse(
    execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, nested(v, shapes[k])]))) }).toString(),
  ) as Record<string, { shape: number[]; value: number[]; grad: number[] }>;

  test.each(Object.keys(shapes))('%s: value and gradient', async (name) => {
    const x = tensor(inputs[name], { shape: shapes[name], requiresGrad: true, device: 'reference' });
    const y = run[name](x);
    const want = expected[name];
    expect(y.shape).toEqual(want.shape);
    close(await values(y), want.value);
    const w = tensor(Array.from({ length: y.size }, (_, i) => Math.sin(i)), { shape: [...y.shape] });
    close(await values(grad(y.mul(w).sum(), x)[0]), want.grad);
  });
});

describe('argmax, argmin, max, min, amax, topk', () => {
  test('ties pick the first index; NaN counts as the largest for argmax, max and argmin', async () => {
    const x = tensor([[1, 3, 3], [2, NaN, 0], [-Infinity, -Infinity, -Infinity]]);
    expect(await values(x.argmax(1))).toEqual([1, 1, 0]);
    expect(await values(x.argmin(1))).toEqual([0, 1, 0]);
    expect(await values(x.argmax())).toEqual([4]);
    expect(x.argmax(undefined, true).shape).toEqual([1, 1]);
    expect(x.argmax(-1, true).shape).toEqual([3, 1]);
    const m = x.max(1);
    close(await values(m.values), [3, NaN, -Infinity]);
    expect(await values(m.indices)).toEqual([1, 1, 0]);
    expect(await values(tensor([[4, 1], [0, 1]]).min(0, true).indices)).toEqual([1, 0]);
  });

  test('max(dim) sends the gradient to the selected element only; amax shares it among ties', async () => {
    const x = tensor([[1, 3, 3], [2, 2, 0]], { requiresGrad: true });
    expect(await values(grad(x.max(1).values.sum(), x)[0])).toEqual([0, 1, 0, 1, 0, 0]);
    expect(await values(grad(x.amax(1).sum(), x)[0])).toEqual([0, 0.5, 0.5, 0.5, 0.5, 0]);
    expect(await values(grad(x.amin([0, 1]), x)[0])).toEqual([0, 0, 0, 0, 0, 1]);
    expect(await values(grad(x.max(), x)[0])).toEqual([0, 0.5, 0.5, 0, 0, 0]);
  });

  test('topk: largest and smallest, ties by lower index, NaN largest, k = 0, gradient to the picked', async () => {
    const t = tensor([1, 3, 3, 2, 3]).topk(3);
    expect(await values(t.values)).toEqual([3, 3, 3]);
    expect(await values(t.indices)).toEqual([1, 2, 4]);
    expect(await values(tensor([1, NaN, 3, 2]).topk(2).indices)).toEqual([1, 2]);
    expect(await values(tensor([1, NaN, 3, 2]).topk(2, -1, false).indices)).toEqual([0, 3]);
    expect(tensor([[1, 2]]).topk(0).values.shape).toEqual([1, 0]);
    const x = tensor([[5, 1, 4], [0, 9, 2]], { requiresGrad: true });
    const r = x.topk(2, 1);
    expect(await values(r.indices)).toEqual([0, 2, 1, 2]);
    expect(await values(grad(r.values.mul(tensor([[1, 10]])).sum(), x)[0])).toEqual([1, 0, 10, 0, 1, 10]);
  });

  test('empty dims: argmax and amax refuse an empty reduced dim, other dims may be empty', async () => {
    expect(() => tensor([]).argmax()).toThrow('argmax: cannot take the argmax of an empty tensor [0]');
    expect(() => randn([0, 3]).max(0)).toThrow('max: dim 0 of [0,3] is empty');
    expect(() => randn([2, 0]).amax(1)).toThrow('amax: cannot reduce [2,0] over an empty dim');
    expect(randn([0, 3]).amax(1).shape).toEqual([0]);
  });

  test('gradchecks (no ties)', async () => {
    await gradOk((t) => t.max(1).values, [normal(3, 4)]);
    await gradOk((t) => t.min(-1, true).values, [normal(3, 4)]);
    await gradOk((t) => t.amax([0, 2]), [normal(3, 4, 2)]);
    await gradOk((t) => t.topk(2, 0, false).values, [normal(5, 3)]);
  });

  test('bad arguments', () => {
    const x = randn([2, 3]);
    expect(() => x.argmax(2)).toThrow('argmax: dim 2 is out of range for a tensor of rank 2');
    expect(() => x.topk(4)).toThrow('topk: k must be an integer in 0 … 3');
    expect(() => x.max('1' as unknown as number)).toThrow('max: dim must be a number');
  });
});

describe('where and clamp', () => {
  test('where broadcasts; the branch not taken leaks no NaN into the value or the gradient', async () => {
    const a = tensor([Infinity, 1, NaN], { requiresGrad: true });
    const b = tensor([NaN], { requiresGrad: true });
    const y = where(tensor([[1, 1, 0], [0, 1, 1]]), a, b);
    close(await values(y), [Infinity, 1, NaN, NaN, 1, NaN]);
    const [ga, gb] = grad(where(tensor([1, 1, 0]), a.mul(0), b.mul(0)).sum(), [a, b]);
    expect(await values(ga)).toEqual([0, 0, 0]); // the NaN values a·0 never reach the gradient
    expect(await values(gb)).toEqual([0]);
    expect(await values(where(tensor([0, 2, NaN]), 1, 0))).toEqual([0, 1, 1]);
    await gradOk((p, q) => where(tensor([1, 0, 1], { device: 'reference' }), p, q), [normal(2, 3), normal(3)]);
  });

  test('clamp: PyTorch gradient rule (1 inside, bounds included; 0 outside and at NaN), min > max gives max', async () => {
    const x = tensor([-2, -0.5, 0, 0.75, 3, NaN], { requiresGrad: true });
    const y = x.clamp(-0.5, 0.75);
    close(await values(y), [-0.5, -0.5, 0, 0.75, 0.75, NaN]);
    expect(await values(grad(y.sum(), x)[0])).toEqual([0, 1, 1, 1, 0, 0]);
    expect(await values(tensor([1, 5]).clamp(3, 2))).toEqual([2, 2]);
    expect(await values(tensor([1, 5]).clampMin(2))).toEqual([2, 5]);
    expect(await values(tensor([1, 5]).clampMax(2))).toEqual([1, 2]);
    const lo = tensor([0, 0, 4], { requiresGrad: true });
    const hi = tensor([1, 1, 3], { requiresGrad: true });
    const v = tensor([-1, 0.5, 2], { requiresGrad: true });
    const [gv, gl, gh] = grad(v.clamp(lo, hi).sum(), [v, lo, hi]);
    expect([await values(gv), await values(gl), await values(gh)]).toEqual([[0, 1, 0], [1, 0, 0], [0, 0, 1]]);
    expect(() => v.clamp()).toThrow('clamp: give min, max or both');
    expect(() => v.clamp(NaN)).toThrow('clamp: min is NaN');
  });
});

describe('dims: stack, squeeze, unsqueeze, permute, flatten, repeat', () => {
  test('shapes, views and negative dims', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(await values(stack([x, x.mul(10)], -1))).toEqual([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60]);
    expect(stack([x, x], 2).shape).toEqual([2, 3, 2]);
    expect(randn([1, 3, 1]).squeeze().shape).toEqual([3]);
    expect(randn([1, 3, 1]).squeeze(0).shape).toEqual([3, 1]);
    expect(randn([1, 3, 1]).squeeze(1).shape).toEqual([1, 3, 1]);
    expect(randn([1, 3, 1]).squeeze([0, -1]).shape).toEqual([3]);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 1]);
    expect(x.unsqueeze(0).shape).toEqual([1, 2, 3]);
    expect(await values(x.permute(1, 0).contiguous())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(x.permute([-1, 0]).isContiguous()).toBe(false);
    expect(randn([2, 3, 4, 5]).flatten(1, 2).shape).toEqual([2, 12, 5]);
    expect(tensor(3).flatten().shape).toEqual([1]);
    expect(await values(tensor([1, 2]).repeat(2, 2))).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(tensor(3).repeat(2, 2).shape).toEqual([2, 2]);
    expect(x.repeat(1, 0).shape).toEqual([2, 0]);
  });

  test('gradchecks', async () => {
    await gradOk((a, b) => stack([a, b], 1).mul(stack([b, a], 1)), [normal(2, 3), normal(2, 3)]);
    await gradOk((a) => a.unsqueeze(1).permute(2, 1, 0).squeeze(1).exp(), [normal(3, 4)]);
    await gradOk((a) => a.T.flatten(), [normal(3, 4)]);
    await gradOk((a) => a.repeat(2, 1, 3).exp(), [normal(2, 3)]);
  });

  test('bad arguments', () => {
    const x = randn([2, 3]);
    expect(() => stack([x, randn([3, 2])])).toThrow('stack: the tensors must share one shape, got [2,3], [3,2]');
    expect(() => stack([])).toThrow('stack: expects a non-empty array');
    expect(() => x.permute(0)).toThrow('permute: [2,3] has 2 dims, got 1 (0); pass each of the 2 dims once');
    expect(() => x.permute(1, 1)).toThrow('permute: dims (1, 1) repeat a dim');
    expect(() => x.unsqueeze(3)).toThrow('unsqueeze: dim 3 is out of range');
    expect(() => x.repeat(2)).toThrow('repeat: needs a non-negative integer count for each of the 2 dims of [2,3]');
    expect(() => x.flatten(1, 0)).toThrow('flatten: startDim 1 comes after endDim 0');
  });
});

describe('logsumexp, var, std, norm, cumsum', () => {
  test('logsumexp is stable and handles ±∞ and empty dims', async () => {
    close(await values(tensor([[1000, 1000], [0, -Infinity], [-Infinity, -Infinity]]).logsumexp(1)), [1000 + Math.log(2), 0, -Infinity]);
    close(await values(tensor([[Infinity, 1]]).logsumexp(-1)), [Infinity]);
    close(await values(randn([2, 0]).logsumexp(1)), [-Infinity, -Infinity]);
    expect(tensor([[1, 2]]).logsumexp([0, 1], true).shape).toEqual([1, 1]);
  });

  test('var: correction, too few values give NaN, empty gives NaN', async () => {
    close(await values(tensor([[1, 2], [3, 5]]).var(1)), [0.5, 2]);
    close(await values(tensor([[1, 2], [3, 5]]).var(1, { correction: 0 })), [0.25, 1]);
    close(await values(tensor([1]).var(0)), [NaN]);
    close(await values(randn([0]).var()), [NaN]);
    expect(() => tensor([1]).var(0, { unbiased: true } as never)).toThrow("var: unknown option(s) 'unbiased'");
  });

  test('norm: gradient 0 (not NaN) at a zero vector for every p', async () => {
    for (const p of [1, 2, 3, Infinity]) {
      const z = tensor([0, 0, 0], { requiresGrad: true });
      expect(await values(grad(z.norm(p), z)[0])).toEqual([0, 0, 0]);
    }
    close(await values(tensor([[3, -4], [0, 0]]).norm(2, 1)), [5, 0]);
    close(await values(tensor([3, -4]).norm(-Infinity)), [3]);
    expect(() => tensor([1]).norm(0)).toThrow('norm: p must be a number > 0 or ±Infinity');
  });

  test('cumsum: values, 0-d, empty, and its gradient the reversed cumsum', async () => {
    expect(await values(tensor([1, 2, 3, 4, 5]).cumsum(0))).toEqual([1, 3, 6, 10, 15]);
    expect(await values(tensor(3).cumsum(0))).toEqual([3]);
    expect(randn([2, 0]).cumsum(1).shape).toEqual([2, 0]);
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    expect(await values(grad(x.cumsum(0).mul(tensor([1, 10, 100, 1000])).sum(), x)[0])).toEqual([1111, 1110, 1100, 1000]);
  });

  test('gradchecks, second order for the smooth ones', async () => {
    await gradOk((t) => t.logsumexp(1), [normal(3, 4)]);
    await gradOk(secondOrder((t) => t.logsumexp([0, 2])), [normal(2, 3, 2)]);
    await gradOk(secondOrder((t) => t.var(1)), [normal(3, 4)]);
    await gradOk(secondOrder((t) => t.std(0, { correction: 0 })), [normal(3, 4)]);
    await gradOk(secondOrder((t) => t.norm(2, 1)), [normal(3, 4)]);
    await gradOk((t) => t.norm(3), [normal(3, 4)]);
    await gradOk((t) => t.norm(1, 0), [normal(3, 4)]);
    await gradOk((t) => t.cumsum(-1), [normal(2, 9)]);
  });
});

describe('normalize, cosineSimilarity, cdist', () => {
  test('cosineSimilarity broadcasts and follows PyTorch 1.13 below eps', async () => {
    close(await values(cosineSimilarity(tensor([[1], [2]]), tensor([[1, 2, 3]]))), [6 / Math.sqrt(42), 6 / Math.sqrt(42)], 1e-7);
    // ‖x1‖ = 5e-9 < eps: PyTorch's value with x1 / eps, and its gradient u/eps − (x1·u)/eps² · x1/eps.
    const x1 = tensor([[3e-9, 4e-9, 1e-9]], { requiresGrad: true });
    const c = cosineSimilarity(x1, tensor([[1, 2, -1]]));
    const u = [1, 2, -1].map((v) => v / Math.sqrt(6));
    const x = await values(x1);
    const dot = x.reduce((s, v, i) => s + v * u[i], 0);
    close(await values(c), [dot / 1e-8], 1e-6);
    close(await values(grad(c.sum(), x1)[0]), x.map((v, i) => u[i] / 1e-8 - (dot / 1e-16) * (v / 1e-8)), 1e-6);
  });

  test('cdist: a with itself has zero diagonal and a finite (zero) gradient there', async () => {
    const a = leaf(tensor([[1, 2], [3, 4], [1, 2]]));
    const d = cdist(a, a);
    close(await values(d), [0, Math.sqrt(8), 0, Math.sqrt(8), 0, Math.sqrt(8), 0, Math.sqrt(8), 0]);
    const diag = grad(d.mul(tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]])).sum(), a, { retainGraph: true })[0];
    expect(await values(diag)).toEqual([0, 0, 0, 0, 0, 0]);
    expect((await values(grad(d.sum(), a)[0])).every(Number.isFinite)).toBe(true);
    expect(() => cdist(randn([3, 2]), randn([3, 4]))).toThrow('cdist: expects a [..., P, M] and b [..., R, M] with the same M, got [3,2] and [3,4]');
    expect(() => cdist(randn([3, 2]), randn([3, 2]), 1)).toThrow('cdist: only p = 2');
  });

  test('gradchecks, second order away from 0', async () => {
    await gradOk(secondOrder((t) => normalize(t)), [normal(3, 4)]);
    await gradOk(secondOrder((t) => normalize(t, { p: 3, dim: 0 })), [normal(3, 4)]);
    await gradOk((p, q) => cosineSimilarity(p, q, -1), [normal(3, 4), normal(3, 4)]);
    await gradOk(secondOrder((p) => cosineSimilarity(p, tensor([[1, 2, 3, 4]], { device: 'reference' }), 1)), [normal(3, 4)]);
    await gradOk((p, q) => cdist(p, q), [normal(2, 3, 4), normal(2, 5, 4)]);
    await gradOk(secondOrder((p) => cdist(p, tensor([[1, 0, 2], [0, 1, -1]], { device: 'reference' }))), [normal(4, 3)]);
  });
});

describe('oneHot, randint, randperm', () => {
  test('oneHot: float 0/1 rows, out of range gives zeros', async () => {
    const h = oneHot(tensor([[0, 2], [1, 5]]), 3);
    expect(h.shape).toEqual([2, 2, 3]);
    expect(await values(h)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    expect(() => oneHot(tensor([0]), 0)).toThrow('oneHot: numClasses must be a positive integer');
  });

  test('randint and randperm are seeded by manualSeed and stay in range', async () => {
    manualSeed(3);
    const a = await values(randint(-2, 3, [200]));
    manualSeed(3);
    expect(await values(randint(-2, 3, [200]))).toEqual(a);
    expect(a.every((v) => Number.isInteger(v) && v >= -2 && v < 3)).toBe(true);
    expect(new Set(a).size).toBe(5);
    expect((await values(randint(4, [3, 2]))).every((v) => v >= 0 && v < 4)).toBe(true);
    const p = await values(randperm(50));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await values(randperm(6, { seed: 1 }))).toEqual(await values(randperm(6, { seed: 1 })));
    expect(() => randint(3, 3, [2])).toThrow('randint: low and high must be integers with low < high');
    expect(() => randperm(-1)).toThrow('randperm: n must be an integer');
  });
});
