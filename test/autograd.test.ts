// Autograd semantics on the CPU reference backend: accumulation, detach/noGrad, grad(), graph
// freeing, higher order, tidy() and memory accounting, seeded randomness.
import { beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { grad, gradcheck, init, manualSeed, memory, noGrad, rand, randn, tensor, tidy, type Tensor } from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const values = async (t: Tensor): Promise<number[]> => Array.from(await t.rawData());

async function expectValues(actual: Tensor, expected: number[], tol = 1e-10): Promise<void> {
  const got = await values(actual);
  expect(got).toHaveLength(expected.length);
  got.forEach((v, i) => {
    if (!(Math.abs(v - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])))) {
      expect.fail(`element ${i}: got ${v}, expected ${expected[i]}`);
    }
  });
}

/** Central finite differences of the scalar `f` with respect to every element of `x` (in float64). */
async function finiteDifferences(f: (x: Tensor) => Promise<number>, x: Tensor, eps = 1e-6): Promise<number[]> {
  const oneHot = (j: number): Tensor => tensor(Float32Array.from({ length: x.size }, (_, i) => (i === j ? 1 : 0)), { shape: [...x.shape] });
  // x + δ·e_j is computed by the float64 backend, so the step is exact (tensor() would round to float32).
  const at = (j: number, delta: number): Promise<number> => f(x.detach().add(oneHot(j).mul(delta)));
  const out: number[] = [];
  for (let j = 0; j < x.size; j++) out.push(((await at(j, eps)) - (await at(j, -eps))) / (2 * eps));
  return out;
}

/** A fresh leaf requiring grad with the given (float64) values of `like`. */
const leafLike = async (like: Tensor): Promise<Tensor> => {
  const t = tensor(Float32Array.from(await like.rawData()), { shape: [...like.shape] });
  t.requiresGrad = true;
  return t;
};

const zeroGrad = (...ts: Tensor[]): void => {
  for (const t of ts) {
    t.grad?.dispose();
    t.grad = null;
  }
};

beforeAll(async () => {
  await init({ backend: 'reference' });
});
beforeEach(() => manualSeed(7));

// ---------------------------------------------------------------------------------------------
// backward() and .grad
// ---------------------------------------------------------------------------------------------

describe('backward and .grad', () => {
  test('gradients accumulate across two backward() calls', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).sum().backward();
    await expectValues(x.grad!, [2, 2, 2]);
    x.pow(2).sum().backward();
    await expectValues(x.grad!, [4, 6, 8]);
  });

  test('a tensor used twice gets the summed gradient (x*x, x+x, two branches)', async () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    await expectValues(x.grad!, [2, -4, 6]);
    zeroGrad(x);
    x.add(x).sum().backward();
    await expectValues(x.grad!, [2, 2, 2]);
    zeroGrad(x);
    x.exp().add(x.mul(3)).sum().backward();
    await expectValues(x.grad!, [1, -2, 3].map((v) => Math.exp(v) + 3));
  });

  test('a leaf used through a view and directly gets both contributions', async () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.T.mul(x).sum().backward(); // sum_ij x_ji x_ij → grad_ij = 2 x_ji
    await expectValues(x.grad!, [2, 6, 4, 8]);
  });

  test('backward with an explicit gradient for a non-scalar output', async () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    x.pow(2).backward(tensor([[1, 0, -1], [2, 0.5, 0]]));
    await expectValues(x.grad!, [2, 0, -6, 16, 5, 0]);
  });

  test('only leaves that require grad get .grad; intermediates and constants do not', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const c = tensor([3, 4]);
    const h = x.mul(c);
    h.sum().backward();
    expect(x.grad).not.toBeNull();
    expect(c.grad).toBeNull();
    expect(h.grad).toBeNull();
    expect(h.requiresGrad).toBe(true);
    expect(h.isLeaf).toBe(false);
    expect(c.requiresGrad).toBe(false);
  });

  test('requiresGrad cannot be set on a computed tensor', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => {
      x.mul(2).requiresGrad = false;
    }).toThrow(/leaf/);
  });
});

describe('detach and noGrad', () => {
  test('detach() cuts the graph: the detached factor is a constant', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2).detach();
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    y.mul(x).sum().backward(); // d/dx (y·x) with y constant = y = 2x, not 4x
    await expectValues(x.grad!, [2, 4, 6]);
    await expectValues(y, [2, 4, 6]);
  });

  test('noGrad records nothing', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const w = randn([3, 2], { requiresGrad: true });
    const out = noGrad(() => x.matmul(w).relu().sum());
    expect(out.requiresGrad).toBe(false);
    expect(out.gradFn).toBeNull();
    expect(noGrad(() => x.exp()).requiresGrad).toBe(false);
    expect(() => out.backward()).toThrow(/does not require grad/);
    // Recording resumes after noGrad returns.
    expect(x.exp().requiresGrad).toBe(true);
  });

  test('noGrad restores recording even when fn throws', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => noGrad(() => x.reshape([3]))).toThrow(/reshape/);
    expect(x.mul(2).requiresGrad).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// grad()
// ---------------------------------------------------------------------------------------------

describe('grad()', () => {
  test('returns gradients without touching .grad', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const w = tensor([4, 5, 6], { requiresGrad: true });
    const [gx, gw] = grad(x.mul(w).sum(), [x, w]);
    await expectValues(gx, [4, 5, 6]);
    await expectValues(gw, [1, 2, 3]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
  });

  test('gradOutputs for a non-scalar output, and for several outputs', async () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const [g] = grad(x.pow(2), x, { gradOutputs: tensor([[1, -1], [0.5, 0]]) });
    await expectValues(g, [2, -4, 3, 0]);
    const [g2] = grad([x.exp(), x.mul(3)], [x], { gradOutputs: [tensor([[1, 0], [0, 1]]), tensor([[1, 1], [1, 1]])] });
    await expectValues(g2, [Math.E + 3, 3, 3, Math.exp(4) + 3], 1e-12);
  });

  test('a non-scalar output without gradOutputs throws', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => grad(x.mul(2), x)).toThrow(/gradOutputs/);
  });

  test('gradient with respect to a non-leaf intermediate', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(3);
    const y = h.pow(2).sum();
    const [gh, gx] = grad(y, [h, x]);
    await expectValues(gh, [6, 12, 18]); // 2h
    await expectValues(gx, [18, 36, 54]); // 2h·3
    expect(x.grad).toBeNull();
  });

  test('allowUnused: throws for an unused input without it, zeros with it', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const unused = tensor([[5, 6, 7]], { requiresGrad: true });
    expect(() => grad(x.sum(), [x, unused])).toThrow(/allowUnused/);
    const [gx, gu] = grad(x.mul(x).sum(), [x, unused], { allowUnused: true });
    await expectValues(gx, [2, 4]);
    expect(gu.shape).toEqual([1, 3]);
    await expectValues(gu, [0, 0, 0]);
  });

  test('an input that does not require grad is rejected', () => {
    const c = tensor([1, 2]);
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => grad(x.mul(c).sum(), c)).toThrow(/does not require grad/);
  });
});

describe('freed graphs and retainGraph', () => {
  test('a second backward through a freed graph throws, mentioning retainGraph', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.exp().mul(x).sum();
    y.backward();
    expect(() => y.backward()).toThrow(/retainGraph/);
  });

  test('a second grad() through a freed graph throws too', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.tanh().sum();
    grad(y, x);
    expect(() => grad(y, x)).toThrow(/retainGraph/);
  });

  test('{ retainGraph: true } allows walking the graph again', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.pow(2).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    await expectValues(x.grad!, [4, 8, 12]);
    const z = x.exp().sum();
    const [g1] = grad(z, x, { retainGraph: true });
    const [g2] = grad(z, x);
    await expectValues(g1, await values(g2));
  });
});

// ---------------------------------------------------------------------------------------------
// Higher order
// ---------------------------------------------------------------------------------------------

describe('higher-order gradients (createGraph)', () => {
  /** d²/dx² of sum(f(x)), elementwise. */
  const second = (f: (x: Tensor) => Tensor, x: Tensor): Tensor => {
    const [d1] = grad(f(x).sum(), x, { createGraph: true });
    return grad(d1.sum(), x)[0];
  };
  const points = [-1.5, -0.3, 0.2, 0.9, 2];

  test('d²/dx² x³ = 6x, and d³/dx³ x³ = 6', async () => {
    const x = tensor(points, { requiresGrad: true });
    const [d1] = grad(x.pow(3).sum(), x, { createGraph: true });
    await expectValues(d1, points.map((v) => 3 * Math.fround(v) ** 2));
    const [d2] = grad(d1.sum(), x, { createGraph: true });
    await expectValues(d2, points.map((v) => 6 * Math.fround(v)));
    const [d3] = grad(d2.sum(), x);
    await expectValues(d3, points.map(() => 6));
  });

  test('d²/dx² exp = exp', async () => {
    const x = tensor(points, { requiresGrad: true });
    await expectValues(second((t) => t.exp(), x), points.map((v) => Math.exp(Math.fround(v))), 1e-12);
  });

  test('d²/dx² tanh = -2·tanh·(1 - tanh²)', async () => {
    const x = tensor(points, { requiresGrad: true });
    const t = (v: number) => Math.tanh(Math.fround(v));
    await expectValues(second((u) => u.tanh(), x), points.map((v) => -2 * t(v) * (1 - t(v) ** 2)), 1e-12);
  });

  test('d²/dx² of sigmoid, log, sqrt and logSoftmax match finite differences of the first derivative', async () => {
    const cases: [(x: Tensor) => Tensor, Tensor][] = [
      [(x) => x.sigmoid(), randn([5], { requiresGrad: true })],
      [(x) => x.log(), rand([5]).add(0.5)],
      [(x) => x.sqrt(), rand([5]).add(0.5)],
      [(x) => x.logSoftmax(0).mul(tensor([1, 2, 3, 4, 5])), randn([5], { requiresGrad: true })],
    ];
    for (const [f, input] of cases) {
      const x = await leafLike(input);
      const analytical = await values(second(f, x));
      const numerical = await finiteDifferences(async (p) => {
        p.requiresGrad = true;
        return (await values(grad(f(p).sum(), p)[0].sum()))[0];
      }, x);
      analytical.forEach((a, i) => expect(a).toBeCloseTo(numerical[i], 5));
    }
  });

  test('matmul mixed second derivative d/dB sum(∂/∂A sum((A·B)²)) matches finite differences of the first-order gradient', async () => {
    const A = randn([3, 4], { requiresGrad: true });
    const B = randn([4, 2], { requiresGrad: true });
    const firstOrderSum = (a: Tensor, b: Tensor): Tensor => grad(a.matmul(b).pow(2).sum(), a, { createGraph: true })[0].sum();
    const [mixed] = grad(firstOrderSum(A, B), B);
    const numerical = await finiteDifferences(async (b) => {
      b.requiresGrad = true;
      const a = await leafLike(A);
      return (await values(firstOrderSum(a, b)))[0];
    }, B);
    const analytical = await values(mixed);
    analytical.forEach((v, i) => expect(v).toBeCloseTo(numerical[i], 5));
    // Closed form: ∂/∂A sum((AB)²) = 2·AB·Bᵀ, whose sum is 2·(Bᵀu)·(Bᵀ1) with u = Aᵀ1 (column sums of A),
    // so its derivative in B[k][j] is 2·(u_k·c_j + d_j) with c = Bᵀ1 and d = Bᵀu.
    const [a, b] = [await values(A), await values(B)];
    const u = [0, 1, 2, 3].map((k) => [0, 1, 2].reduce((s, i) => s + a[i * 4 + k], 0));
    const c = [0, 1].map((j) => [0, 1, 2, 3].reduce((s, k) => s + b[k * 2 + j], 0));
    const d = [0, 1].map((j) => [0, 1, 2, 3].reduce((s, k) => s + u[k] * b[k * 2 + j], 0));
    await expectValues(mixed, Array.from({ length: 8 }, (_, i) => 2 * (u[Math.floor(i / 2)] * c[i % 2] + d[i % 2])), 1e-12);
  });

  test('gradcheck of a function that returns a createGraph gradient (gradgradcheck of matmul)', async () => {
    const A = randn([3, 4], { requiresGrad: true });
    const B = randn([4, 2], { requiresGrad: true });
    const worst = await gradcheck((a, b) => grad(a.matmul(b).pow(2).sum(), a, { createGraph: true })[0], [A, B]);
    expect(worst).toBeLessThan(1e-5);
  });

  test('a createGraph backward() makes .grad differentiable', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.pow(3).sum().backward(undefined, { createGraph: true });
    expect(x.grad!.requiresGrad).toBe(true);
    const [g2] = grad(x.grad!.sum(), x);
    await expectValues(g2, [6, 12]);
  });
});

// ---------------------------------------------------------------------------------------------
// tidy and memory
// ---------------------------------------------------------------------------------------------

describe('tidy and memory', () => {
  test('tidy disposes intermediates and keeps the returned tensors', async () => {
    let inner: Tensor | null = null;
    const out = tidy(() => {
      inner = tensor([1, 2, 3]).mul(2);
      return inner.add(1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
    await expectValues(out, [3, 5, 7]);
  });

  test('tidy keeps tensors returned in arrays and objects, and tensors from outside', async () => {
    const outside = tensor([1, 2]);
    const { a, list } = tidy(() => {
      const t = outside.mul(10);
      return { a: t.add(1), list: [t.sub(1), outside] };
    });
    expect(outside.isDisposed).toBe(false);
    await expectValues(a, [11, 21]);
    await expectValues(list[0], [9, 19]);
  });

  test('nested tidy hands its result to the outer scope, which disposes it if not returned', () => {
    let fromInner: Tensor | null = null;
    const out = tidy(() => {
      fromInner = tidy(() => tensor([1]).mul(2));
      expect(fromInner.isDisposed).toBe(false);
      return tensor([5]);
    });
    expect(fromInner!.isDisposed).toBe(true);
    expect(out.isDisposed).toBe(false);
  });

  test('tidy disposes what fn created when fn throws', () => {
    let made: Tensor | null = null;
    expect(() =>
      tidy(() => {
        made = tensor([1, 2]).exp();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(made!.isDisposed).toBe(true);
  });

  test('tidy rejects an async function and disposes what it created before returning', () => {
    let made: Tensor | null = null;
    expect(() =>
      tidy(() => {
        made = tensor([1, 2]).exp();
        return Promise.resolve(made) as unknown as Tensor;
      }),
    ).toThrow('tidy: the function must be synchronous');
    expect(made!.isDisposed).toBe(true);
  });

  test('memory().tensors stays flat over 10,000 tidy training steps of a small MLP', () => {
    const w1 = randn([4, 5], { requiresGrad: true });
    const b1 = randn([5], { requiresGrad: true });
    const w2 = randn([5, 2], { requiresGrad: true });
    const x = randn([3, 4]);
    const forward = (): Tensor => x.matmul(w1).add(b1).relu().matmul(w2).mean();
    const params = [w1, b1, w2];
    // No await between the two readings: FinalizationRegistry callbacks (which also lower the
    // count) cannot run in between, so only a real leak can change it.
    const before = memory().tensors;
    for (let i = 0; i < 10_000; i++) {
      tidy(() => {
        const loss = forward();
        loss.backward();
      });
      expect(w1.grad).not.toBeNull();
      zeroGrad(...params);
    }
    const after = memory().tensors;
    expect(after).toBe(before);
  });

  test('memory().tensors stays flat over tidy forward passes that record a graph but never run backward', () => {
    const w = randn([3, 3], { requiresGrad: true });
    const before = memory().tensors;
    for (let i = 0; i < 100; i++) tidy(() => {
      w.exp().matmul(w).sum(); // e.g. an evaluation loss computed without noGrad
    });
    expect(memory().tensors).toBe(before);
  });

  test('memory().tensors stays flat over tidy steps that call grad() with createGraph', () => {
    const w = randn([3, 3], { requiresGrad: true });
    const before = memory().tensors;
    for (let i = 0; i < 200; i++) {
      tidy(() => {
        const [g] = grad(w.matmul(w).tanh().sum(), w, { createGraph: true });
        grad(g.pow(2).sum(), w);
      });
    }
    expect(memory().tensors).toBe(before);
  });

  test('dispose() lowers the tensor count', () => {
    const before = memory().tensors;
    const t = tensor([1, 2, 3]);
    expect(memory().tensors).toBe(before + 1);
    t.dispose();
    expect(memory().tensors).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

describe('manualSeed', () => {
  test('the same seed gives the same numbers', async () => {
    manualSeed(123);
    const a = [await values(randn([7])), await values(rand([2, 3]))];
    manualSeed(123);
    const b = [await values(randn([7])), await values(rand([2, 3]))];
    expect(b).toEqual(a);
  });

  test('different seeds give different numbers; successive draws differ', async () => {
    manualSeed(1);
    const a = await values(randn([8]));
    const a2 = await values(randn([8]));
    manualSeed(2);
    const b = await values(randn([8]));
    expect(b).not.toEqual(a);
    expect(a2).not.toEqual(a);
  });

  test('rand is in [0, 1) and randn looks standard normal', async () => {
    manualSeed(99);
    const u = await values(rand([1000]));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const n = await values(randn([4000]));
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const variance = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
  });
});
