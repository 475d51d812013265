// Numerics every device must get right, against exact values or PyTorch 1.13's rules: NaN through
// relu, maximum and max; pow with integer and tensor exponents; one Adam step; long sums (the tunings'
// kernels: backend-conformance.test.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import { full, grad, gradcheck, init, optim, tensor, zeros, type DeviceName, type Tensor } from '../src/index.js';
import { eq, gt } from '../src/ops/elementwise.js';

const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];

beforeAll(async () => {
  await init({ backend: 'cpu' });
  await init({ backend: 'webgpu' }); // no adapter → the webgpu tests fail, they never skip
});

/** Element by element within rtol · max(1, |expected|); NaN and ±Infinity must match exactly. */
async function expectValues(actual: Tensor, expected: number[], rtol = 0, what = 'value'): Promise<void> {
  const got = Array.from(await actual.data());
  expect(got.length, `${what}: length`).toBe(expected.length);
  expected.forEach((e, i) => {
    if (!Number.isFinite(e)) expect(got[i], `${what}[${i}]`).toBe(e);
    else expect(Math.abs(got[i] - e), `${what}[${i}]: ${got[i]} vs ${e}`).toBeLessThanOrEqual(rtol * Math.max(1, Math.abs(e)));
  });
}

describe.each(DEVICES)('%s', (device) => {
  const t = (values: number[], requiresGrad = false) => tensor(values, { device, requiresGrad });

  test('NaN propagates through relu, maximum, max and softmax; comparisons with NaN are false', async () => {
    const x = t([NaN, 2, -1, 0]);
    await expectValues(x.relu(), [NaN, 2, 0, 0], 0, 'relu');
    await expectValues(x.maximum(0), [NaN, 2, 0, 0], 0, 'maximum(x, 0)');
    await expectValues(zeros([4], { device }).maximum(x), [NaN, 2, 0, 0], 0, 'maximum(0, x)');
    await expectValues(x.max(), [NaN], 0, 'max');
    await expectValues(x.reshape([2, 2]).amax(1), [NaN, 0], 0, 'amax(dim)');
    await expectValues(x.softmax(0), [NaN, NaN, NaN, NaN], 0, 'softmax');
    await expectValues(gt(x, t([1, 1, 1, 1])), [0, 1, 0, 0], 0, 'gt');
    await expectValues(gt(x, 1), [0, 1, 0, 0], 0, 'gt scalar');
    await expectValues(eq(x, x), [0, 1, 1, 1], 0, 'eq');
  });

  test('gradients at NaN: NaN through relu, torch.maximum\'s and torch.amax\'s rules', async () => {
    const x = t([NaN, 2, -1, 0], true);
    await expectValues(grad(x.relu().sum(), x)[0], [NaN, 1, 0, 0], 0, 'relu');
    await expectValues(grad(x.max(), x)[0], [NaN, NaN, NaN, NaN], 0, 'max');
    const [a, b] = [t([NaN, 1, 2, 3], true), t([0, NaN, 2, 1], true)];
    const [ga, gb] = grad(a.maximum(b).sum(), [a, b]);
    await expectValues(ga, [1, 1, 0.5, 1], 0, 'maximum, a');
    await expectValues(gb, [1, 1, 0.5, 0], 0, 'maximum, b');
  });

  test('pow with an integer exponent multiplies: exact, signed for negative bases; a non-integer one of a negative base is NaN', async () => {
    const bases = [5, 3, -2, -3, 2, -0.5, 0, -1, 7];
    for (const p of [2, 3, 10, -1, -3, 0.5, 2.5]) {
      const expected = bases.map((x) => (p === 10 && Math.abs(x) === 7 ? null : Math.fround(x ** p))); // 7¹⁰ > 2²⁴: not exact in f32
      const keep = expected.map((e, i) => (e === null ? -1 : i)).filter((i) => i >= 0);
      const x = t(keep.map((i) => bases[i]));
      const rtol = Number.isInteger(p) ? 0 : 3e-7; // WGSL's pow builtin is within an ulp or two
      await expectValues(x.pow(p), keep.map((i) => expected[i]!), rtol, `x ** ${p}`);
      await expectValues(x.pow(t(keep.map(() => p))), keep.map((i) => expected[i]!), rtol, `x ** tensor(${p})`);
    }
  });

  test('a tensor exponent: values and gradients of both operands by PyTorch\'s conventions at 0', async () => {
    const [a, b] = [t([0, 0, 0, 2, -2], true), t([0, 2, -1, 0.5, 3], true)];
    const y = a.pow(b);
    await expectValues(y, [1, 0, Infinity, Math.SQRT2, -8], 3e-7, 'a ** b');
    const [ga, gb] = grad(y.sum(), [a, b]);
    await expectValues(ga, [0, 0, -Infinity, 0.5 * 2 ** -0.5, 12], 1e-6, 'd/da');
    await expectValues(gb, [0, 0, -Infinity, Math.SQRT2 * Math.LN2, NaN], 1e-6, 'd/db');
    // Broadcast: [3, 1] ** [4] sums each gradient back to its operand's shape.
    const [x, e] = [tensor([[0.5], [2], [3]], { device, requiresGrad: true }), t([1, 2, -1, 0.5], true)];
    const [gx, ge] = grad(x.pow(e).sum(), [x, e]);
    const xs = [0.5, 2, 3];
    const es = [1, 2, -1, 0.5];
    await expectValues(gx, xs.map((v) => es.reduce((s, p) => s + p * v ** (p - 1), 0)), 1e-6, 'broadcast d/dx');
    await expectValues(ge, es.map((p) => xs.reduce((s, v) => s + v ** p * Math.log(v), 0)), 1e-6, 'broadcast d/de');
  });

  // PyTorch's float32 Adam (torch/optim/adam.py, 1.13) from θ = 0, state 0, gradient 1, step 1: every
  // python scalar is rounded to f32 where it meets a tensor, so m = f32(1 − β1), v = f32(1 − β2),
  // denom = f32(√v) / f32(√(1 − β2)) + f32(ε), θ = −f32(lr / (1 − β1)) · m / denom. Checked once
  // against torch: lr 0.001 gives −0.0009999999310821295 for β2 = 0.999, −0.0010000000474974513 for 0.9999.
  test.each([0.999, 0.9999])('one Adam step of a unit gradient is PyTorch\'s float32 step (betas 0.9, %d)', async (beta2) => {
    const [lr, beta1, eps] = [0.001, 0.9, 1e-8];
    const f = Math.fround;
    const [m, v] = [f(1 - beta1), f(1 - beta2)];
    const denom = f(f(f(Math.sqrt(v)) / f(Math.sqrt(1 - beta2))) + f(eps));
    const expected = f(f(-f(lr / (1 - beta1)) * m) / denom);
    const p = zeros([3], { device, requiresGrad: true });
    const opt = new optim.Adam([p], { lr, betas: [beta1, beta2], eps });
    p.grad = full([3], 1, { device });
    opt.step();
    for (const got of await p.data()) expect(Math.abs(got / expected - 1), `step ${got} vs PyTorch's ${expected}`).toBeLessThanOrEqual(1e-6);
  });

  test('long sums: full([1e6], 0.1).sum() and full([4e6], 0.1).mean() within 1e-6', async () => {
    const tenth = Math.fround(0.1);
    const [sum] = await full([1e6], 0.1, { device }).sum().data();
    const [mean] = await full([4e6], 0.1, { device }).mean().data();
    expect(Math.abs(sum / (1e6 * tenth) - 1), `sum ${sum}`).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(mean / tenth - 1), `mean ${mean}`).toBeLessThanOrEqual(1e-6);
  });
});

test('gradcheck of pow with a tensor exponent, broadcast (float64 reference)', async () => {
  const a = tensor([[0.5], [1.5], [2.2]], { device: 'reference', requiresGrad: true });
  const b = tensor([1, 2.5, -1.5, 3], { device: 'reference', requiresGrad: true });
  await gradcheck((x, e) => x.pow(e), [a, b]);
  await gradcheck((x, e) => grad(x.pow(e).sum(), [x, e], { createGraph: true })[1], [a, b]); // second order
});
