// mtl.weighting: each weighting's step against one worked by hand (float64 JS) on a toy whose task
// gradients are known in closed form, then every weighting in a real training loop on every device
// (the same one-line swap as an aggregator), and bad input.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, manualSeed, memory, mtl, nn, optim, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';
import { HardSharingNet } from '../src/models/index.js';
import { normalValues } from '../src/random.js';

const W = mtl.weighting;

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // the device loop needs an adapter: no adapter fails, never skips
});

// The toy: shared θ ∈ ℝ³ and a head scalar h; Lₜ = kₜ·(uₜ·θ)² + (h − t)², so ∇_θ Lₜ = 2kₜ(uₜ·θ)uₜ.
const U = [[1, 2, 0], [0, -1, 3], [2, 0.5, -1]];
const K = [0.5, 2, 1];
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const norm = (a: readonly number[]) => Math.sqrt(dot(a, a));

function toy(theta = [0.3, -0.7, 1.1], head = 0.4) {
  const th = tensor(theta, { device: 'reference', requiresGrad: true });
  const h = tensor([head], { device: 'reference', requiresGrad: true });
  const losses = U.map((u, t) => th.mul(tensor(u, { device: 'reference' })).sum().square().mul(K[t]).add(h.sub(t).square().sum()));
  const value = U.map((u, t) => K[t] * dot(u, theta) ** 2 + (head - t) ** 2);
  const gradTheta = U.map((u, t) => u.map((x) => 2 * K[t] * dot(u, theta) * x));
  const gradHead = U.map((_, t) => 2 * (head - t));
  return { th, h, losses, value, gradTheta, gradHead };
}

async function expectNear(actual: Tensor | readonly number[], expected: readonly number[], tolerance = 1e-5, what = ''): Promise<void> {
  const a = Array.isArray(actual) ? actual : Array.from(await (actual as Tensor).data());
  expect(a.length, what).toBe(expected.length);
  a.forEach((v, i) => expect(Math.abs(v - expected[i]), `${what} [${i}]: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected[i]))));
}

const combine = (w: readonly number[], rows: readonly number[][]) => rows[0].map((_, k) => rows.reduce((s, r, t) => s + w[t] * r[k], 0));

describe('each weighting against a step worked by hand', () => {
  beforeAll(async () => {
    await init({ backend: 'reference' }); // the weightings' own parameters go to the default device
  });
  test('EW: Σₜ ∇Lₜ, the same as the Sum aggregator', async () => {
    const { th, h, losses, gradTheta, gradHead } = toy();
    const { weights } = await mtl.backward(losses, { shared: [th], weighting: new W.EW() });
    expect(weights).toEqual([1, 1, 1]);
    await expectNear(th.grad!, combine([1, 1, 1], gradTheta));
    await expectNear(h.grad!, [gradHead.reduce((a, b) => a + b)]);
  });

  test('UW: weights 1/(2e^s) with s = −0.5, and ∂/∂sₜ = −Lₜ/(2e^{sₜ}) + ½', async () => {
    const uw = new W.UW({ tasks: 3 });
    const { th, losses, value, gradTheta } = toy();
    await mtl.backward(losses, { shared: [th], weighting: uw });
    const w = Math.exp(0.5) / 2;
    await expectNear(await uw.weights(), [w, w, w]);
    await expectNear(th.grad!, combine([w, w, w], gradTheta));
    await expectNear(uw.logVariance.grad!, value.map((l) => -l * w + 0.5));
    expect(uw.parameters()).toEqual([uw.logVariance]);
  });

  test('RLW: seeded random convex weights, Σₜ wₜ∇Lₜ', async () => {
    const { th, losses, gradTheta } = toy();
    const { weights } = await mtl.backward(losses, { shared: [th], weighting: new W.RLW({ seed: 3 }) });
    expect(weights!.every((w) => w > 0)).toBe(true);
    expect(Math.abs(weights!.reduce((a, b) => a + b) - 1)).toBeLessThan(1e-12);
    await expectNear(th.grad!, combine(weights!, gradTheta));
    const again = toy();
    expect((await mtl.backward(again.losses, { shared: [again.th], weighting: new W.RLW({ seed: 3 }) })).weights).toEqual(weights);
  });

  test('GLS: ∇(ΠLₜ)^{1/T} = (ΠLₜ)^{1/T}/T · Σₜ ∇Lₜ/Lₜ', async () => {
    const { th, losses, value, gradTheta } = toy();
    await mtl.backward(losses, { shared: [th], weighting: new W.GLS() });
    const g = Math.exp(value.reduce((s, l) => s + Math.log(l), 0) / 3);
    await expectNear(th.grad!, combine(value.map((l) => g / (3 * l)), gradTheta));
  });

  test('DWA: weights 1 for two epochs, then T·softmax(r/2) of the epoch-mean loss ratios', async () => {
    const dwa = new W.DWA({ tasks: 3 });
    const means: number[][] = [];
    for (const theta of [[0.3, -0.7, 1.1], [0.2, -0.5, 0.9], [0.1, -0.3, 0.6]]) {
      const epoch = [theta, theta.map((x) => x * 0.9)];
      const sums = [0, 0, 0];
      for (const th of epoch) {
        const { th: p, losses, value, gradTheta } = toy(th);
        const expectedWeights = dwa.epochWeights;
        const { weights } = await mtl.backward(losses, { shared: [p], weighting: dwa });
        expect(weights).toEqual(expectedWeights);
        await expectNear(p.grad!, combine(weights!, gradTheta));
        value.forEach((l, t) => (sums[t] += l));
      }
      await dwa.endEpoch();
      means.push(sums.map((s) => s / epoch.length));
      if (means.length < 2) expect(dwa.epochWeights).toEqual([1, 1, 1]);
    }
    const r = means[2].map((m, t) => m / means[1][t] / 2);
    const e = r.map(Math.exp);
    await expectNear(dwa.epochWeights, e.map((v) => (3 * v) / e.reduce((a, b) => a + b)), 1e-5);
  });

  test('GradNorm: θ gets ∂/∂θ Σ|Gₜ − mean(G)·rₜ^α| through the recorded backward; shared Σ wₜ∇Lₜ', async () => {
    const gn = new W.GradNorm({ tasks: 3, alpha: 1.5 });
    const first = toy();
    let initial: number[] = [];
    for (const [step, theta] of [[0.3, -0.7, 1.1], [0.5, -0.2, 0.8]].entries()) {
      const { th, h, losses, value, gradTheta, gradHead } = toy(theta);
      if (step === 0) initial = value;
      gn.lossScale.grad = null;
      await mtl.backward(losses, { shared: [th], weighting: gn });
      const w = [1, 1, 1]; // θ = 0 (lossScale is not stepped here): T·softmax(θ) = 1
      const norms = gradTheta.map(norm);
      const G = norms.map((n, t) => w[t] * n);
      const rate = value.map((l, t) => l / initial[t]);
      const r = rate.map((x) => x / (rate.reduce((a, b) => a + b) / 3));
      const target = r.map((x) => (G.reduce((a, b) => a + b) / 3) * x ** 1.5);
      const sign = G.map((g, t) => Math.sign(g - target[t]));
      // ∂wᵢ/∂θⱼ = wᵢ(δᵢⱼ − wⱼ/T) for w = T·softmax(θ).
      const expected = [0, 1, 2].map((j) => [0, 1, 2].reduce((s, i) => s + sign[i] * norms[i] * w[i] * ((i === j ? 1 : 0) - w[j] / 3), 0));
      await expectNear(gn.lossScale.grad!, expected, 1e-4, `step ${step}`);
      await expectNear(th.grad!, combine(w, gradTheta), 1e-5);
      await expectNear(h.grad!, [combine(w, gradHead.map((g) => [g]))[0]], 1e-5);
      await expectNear(await gn.weights(), w);
    }
    first.losses.forEach((l) => l.dispose());
  });

  test('DB-MTL: an EMA of the log-loss gradients, each scaled to the largest norm', async () => {
    const db = new W.DBMTL();
    let buffer = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (const [step, theta] of [[0.3, -0.7, 1.1], [0.5, -0.2, 0.8], [0.1, 0.4, -0.6]].entries()) {
      const { th, h, losses, value, gradTheta, gradHead } = toy(theta);
      await mtl.backward(losses, { shared: [th], weighting: db });
      const g = gradTheta.map((row, t) => row.map((x) => x / (value[t] + 1e-8)));
      const rate = 0.9 / (step + 1) ** 0;
      buffer = g.map((row, t) => row.map((x, k) => x + rate * (buffer[t][k] - x)));
      const n = buffer.map(norm);
      const alpha = n.map((x) => Math.max(...n) / (x + 1e-8));
      await expectNear(th.grad!, combine(alpha, buffer), 1e-5, `step ${step}`);
      await expectNear(h.grad!, [gradHead.reduce((s, gh, t) => s + gh / value[t], 0)], 1e-5);
    }
  });
});

/** A trunk + 3 heads regression on `device`, trained with mtl.backward(method): the losses fall and memory stays flat. */
async function train(device: DeviceName, method: { aggregator?: mtl.aggregators.Aggregator; weighting?: mtl.weighting.Weighting }, extra: Tensor[] = []) {
  await init({ backend: device });
  manualSeed(4);
  const net = new HardSharingNet({ trunk: new nn.Sequential(new nn.Linear(5, 16), new nn.ReLU()), heads: Array.from({ length: 3 }, () => new nn.Linear(16, 1)) });
  const x = tensor(normalValues(64 * 5), { shape: [64, 5] });
  const ys = [0, 1, 2].map((t) => tidy(() => x.narrow(1, t, 1).mul(t + 1).add(x.narrow(1, 4, 1).square())));
  const opt = new optim.Adam([...net.parameters(), ...extra], { lr: 0.01 });
  const step = async () => {
    opt.zeroGrad();
    const { shared, losses } = tidy(() => {
      const out = net.forward(x);
      return { shared: out.shared, losses: out.tasks.map((y, t) => nn.functional.mseLoss(y, ys[t])) };
    });
    await mtl.backward(losses, { shared: net.trunk, features: shared, ...method });
    opt.step();
    const total = (await Promise.all(losses.map((l) => l.item()))).reduce((a, b) => a + b);
    [shared, ...losses].forEach((t) => t.dispose());
    return total;
  };
  const start = await step();
  for (let i = 0; i < 3; i++) await step();
  const before = memory(device).tensors;
  let last = 0;
  for (let i = 0; i < 40; i++) last = await step();
  expect(memory(device).tensors).toBeLessThanOrEqual(before); // earlier tests' garbage may be collected meanwhile
  expect(last).toBeLessThan(start * 0.7);
  [net, opt, x, ...ys].forEach((t) => t.dispose());
}

describe.each(['cpu', 'webgpu'] as DeviceName[])('training with mtl.backward on %s', (device) => {
  const weightings: [string, () => mtl.weighting.Weighting][] = [
    ['EW', () => new W.EW()],
    ['UW', () => new W.UW({ tasks: 3 })],
    ['RLW', () => new W.RLW({ seed: 1 })],
    ['GLS', () => new W.GLS()],
    ['DWA', () => new W.DWA({ tasks: 3 })],
    ['GradNorm', () => new W.GradNorm({ tasks: 3 })],
    ['DBMTL', () => new W.DBMTL()],
  ];
  test.each(weightings)('weighting %s', async (_, make) => {
    const weighting = make();
    await train(device, { weighting }, weighting.parameters());
  });
  test.each(['UPGrad', 'PCGrad', 'MGDA', 'CAGrad', 'NashMTL', 'IMTLG'] as const)('aggregator %s (the same loop, one line changed)', async (name) => {
    await train(device, { aggregator: new mtl.aggregators[name]() });
  });
});

test('bad input', async () => {
  const { th, losses } = toy();
  await expect(mtl.backward(losses, { shared: [th], weighting: new W.EW(), aggregator: new mtl.aggregators.Sum() })).rejects.toThrow(/exactly one of aggregator .* and weighting/);
  await expect(mtl.backward(losses, { shared: [th] })).rejects.toThrow(/exactly one of aggregator/);
  expect(() => new W.UW({} as never)).toThrow(/UW: needs \{ tasks: T \}/);
  expect(() => new W.GradNorm({ tasks: 2, alpha: -1 })).toThrow(/alpha must be a finite number ≥ 0/);
  await expect(mtl.backward(losses, { shared: [th], weighting: new W.UW({ tasks: 2 }) })).rejects.toThrow(/UW: made for 2 tasks, got 3 losses/);
  await expect(new W.DWA({ tasks: 3 }).endEpoch()).rejects.toThrow(/no step was taken/);
});
