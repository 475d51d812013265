// mtl.jacobian and mtl.backward on every backend: the batched Jacobian against T separate backward
// passes (first and second order), mtl.backward against its definition (aggregate the shared
// Jacobian, each head its own task's gradient), with and without features, the WebGPU readbacks,
// memory over a training loop, and bad input.
import { beforeAll, describe, expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { grad, init, manualSeed, memory, mtl, nn, optim, stack, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';
import { HardSharingNet } from '../src/models/index.js';
import { normalValues } from '../src/random.js';

const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];
const T = 3;

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
});

async function expectSame(actual: Tensor, expected: Tensor, tolerance: number, what: string): Promise<void> {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const [a, e] = [await actual.data(), await expected.data()];
  const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
  const worst = e.reduce((w, v, i) => Math.max(w, Math.abs(a[i] - v)), 0);
  expect(worst / scale, `${what}: worst error`).toBeLessThanOrEqual(tolerance);
}

/** A trunk (Linear + ReLU) with T heads on `device` (made the default), the same weights on every device, and its T MSE losses. */
async function problem(device: DeviceName, seed = 1) {
  await init({ backend: device });
  manualSeed(seed);
  const net = new HardSharingNet({ trunk: new nn.Sequential(new nn.Linear(6, 8), new nn.ReLU()), heads: Array.from({ length: T }, () => new nn.Linear(8, 2)) });
  manualSeed(seed + 100);
  const x = tensor(normalValues(5 * 6), { shape: [5, 6] });
  const ys = Array.from({ length: T }, () => tensor(normalValues(5 * 2), { shape: [5, 2] }));
  const losses = () => {
    const { shared, tasks } = net.forward(x);
    return { shared, losses: tasks.map((y, t) => nn.functional.mseLoss(y, ys[t])) };
  };
  return { net, losses, trunk: net.trunk.parameters(), heads: net.heads.parameters() };
}

describe.each(DEVICES)('on %s', (device) => {
  test('jacobian: one batched backward gives each task its own gradient, for every parameter', async () => {
    const { net, losses } = await problem(device);
    const params = net.parameters();
    const { losses: L } = losses();
    const J = mtl.jacobian(L, params, { retainGraph: true });
    for (let t = 0; t < T; t++) {
      const rows = grad(L[t], params, { retainGraph: true, allowUnused: true });
      for (let i = 0; i < params.length; i++) await expectSame(J[i].narrow(0, t, 1).reshape(params[i].shape), rows[i], 1e-5, `task ${t}, parameter ${i}`);
    }
    const flat = mtl.flattenJacobian(J);
    expect(flat.shape).toEqual([T, params.reduce((n, p) => n + p.size, 0)]);
    await expectSame(flat.narrow(1, params[0].size, params[1].size), J[1].reshape([T, -1]), 0, 'flattened in parameter order');
  });

  test('jacobian of losses whose graphs share parts in any pattern (and one loss twice) equals their separate gradients', async () => {
    await init({ backend: device });
    const [x, w] = [tensor(normalValues(6), { shape: [2, 3], requiresGrad: true }), tensor(normalValues(3), { requiresGrad: true })];
    const [a, b] = [x.exp(), x.sin().mul(w)];
    const L = [a.sum(), a.mul(b).sum(), b.square().mean(), x.mul(2).sum()];
    L.push(L[1]);
    const J = mtl.jacobian(L, [x, w], { retainGraph: true });
    for (let t = 0; t < L.length; t++) {
      const rows = grad(L[t], [x, w], { retainGraph: true, allowUnused: true });
      for (let i = 0; i < 2; i++) await expectSame(J[i].narrow(0, t, 1).reshape(rows[i].shape), rows[i], 1e-5, `loss ${t}, input ${i}`);
    }
  });

  test('jacobian with createGraph is differentiable: d/dθ Σₜ ⟨Wₜ, Jₜ⟩ as through T passes', async () => {
    const { trunk, losses } = await problem(device);
    const { losses: L } = losses();
    const W = trunk.map((p) => tensor(normalValues(T * p.size), { shape: [T, ...p.shape], device }));
    const J = mtl.jacobian(L, trunk, { createGraph: true, retainGraph: true });
    const viaBatch = grad(stack(J.map((j, i) => j.mul(W[i]).sum())).sum(), trunk, { retainGraph: true });
    const terms = L.flatMap((l, t) => grad(l, trunk, { createGraph: true, retainGraph: true }).map((g, i) => g.mul(W[i].narrow(0, t, 1).reshape(g.shape)).sum()));
    const viaLoop = grad(stack(terms).sum(), trunk);
    for (let i = 0; i < trunk.length; i++) await expectSame(viaBatch[i], viaLoop[i], 1e-4, `parameter ${i}`);
  });

  test('mtl.backward with Sum is the backward of the summed loss, with and without features', async () => {
    for (const withFeatures of [false, true]) {
      const { net, losses, trunk } = await problem(device);
      const { shared, losses: L } = losses();
      await mtl.backward(L, { shared: trunk, features: withFeatures ? shared : undefined, aggregator: new mtl.aggregators.Sum() });
      const got = net.parameters().map((p) => p.grad!);
      const again = await problem(device);
      const expected = grad(stack(again.losses().losses).sum(), again.net.parameters());
      for (let i = 0; i < got.length; i++) await expectSame(got[i], expected[i], 1e-5, `features ${withFeatures}, parameter ${i}`);
    }
  });

  test('mtl.backward with UPGrad: the trunk gets UPGrad of its Jacobian, each head its own task gradient; features change nothing', async () => {
    const reference = await problem(device);
    const { losses: L } = reference.losses();
    const J = mtl.flattenJacobian(mtl.jacobian(L, reference.trunk, { retainGraph: true }));
    const direction = await new mtl.aggregators.UPGrad().aggregate(J);
    const headGrads = reference.heads.map((p, i) => grad(L[Math.floor(i / 2)], p, { retainGraph: true })[0]);
    for (const withFeatures of [false, true]) {
      const { losses, trunk, heads } = await problem(device);
      const { shared, losses: L2 } = losses();
      const result = await mtl.backward(L2, { shared: trunk, features: withFeatures ? shared : undefined, aggregator: new mtl.aggregators.UPGrad() });
      expect(result.weights).toHaveLength(T);
      await expectSame(mtl.flattenJacobian(trunk.map((p) => p.grad!.reshape([1, -1]))).reshape([-1]), direction, 1e-5, `trunk, features ${withFeatures}`);
      for (let i = 0; i < heads.length; i++) await expectSame(heads[i].grad!, headGrads[i], 1e-5, `head parameter ${i}, features ${withFeatures}`);
    }
  });

  test('a training loop with mtl.backward keeps memory flat', async () => {
    const { net, losses, trunk } = await problem(device);
    const opt = new optim.Adam(net.parameters(), { lr: 1e-2 });
    const aggregator = new mtl.aggregators.UPGrad();
    const step = async () => {
      opt.zeroGrad();
      const { shared, losses: L } = tidy(() => losses());
      await mtl.backward(L, { shared: trunk, features: shared, aggregator });
      opt.step();
      [shared, ...L].forEach((t) => t.dispose());
    };
    for (let i = 0; i < 3; i++) await step();
    const before = memory(device).tensors;
    for (let i = 0; i < 15; i++) await step();
    // Never more: the awaits let the FinalizationRegistry collect what earlier tests left undisposed,
    // which can only lower the count (a CI run saw 601 → 36).
    expect(memory(device).tensors).toBeLessThanOrEqual(before);
  });
});

test('on WebGPU, mtl.backward reads back only the T×T Gramian (and nothing for Mean)', async () => {
  const gpu = getBackend('webgpu') as WebGpuBackend;
  for (const [aggregator, readbacks] of [[new mtl.aggregators.UPGrad(), 1], [new mtl.aggregators.Mean(), 0]] as const) {
    const { losses, trunk } = await problem('webgpu');
    const { shared, losses: L } = losses();
    const before = gpu.stats();
    await mtl.backward(L, { shared: trunk, features: shared, aggregator });
    const after = gpu.stats();
    expect(after.readbacks - before.readbacks, String(aggregator)).toBe(readbacks);
    expect(after.readbackBytes - before.readbackBytes).toBe(readbacks * T * T * 4);
  }
});

test('bad input is refused with what was expected', async () => {
  const { losses, trunk, heads } = await problem('reference');
  const { shared, losses: L } = losses();
  const upgrad = new mtl.aggregators.UPGrad();
  await expect(mtl.backward(L, { shared: trunk } as never)).rejects.toThrow(/pass exactly one of aggregator/);
  await expect(mtl.backward(L, { shared: [shared], aggregator: upgrad })).rejects.toThrow(/shared\[0\] \[5,8\] must be a parameter/);
  await expect(mtl.backward(L, { shared: [], aggregator: upgrad })).rejects.toThrow(/shared is empty/);
  await expect(mtl.backward([shared], { shared: trunk, aggregator: upgrad })).rejects.toThrow(/losses\[0\] must hold one value, got \[5,8\]/);
  await expect(mtl.backward([], { shared: trunk, aggregator: upgrad })).rejects.toThrow(/at least one loss/);
  await expect(mtl.backward(L, { shared: heads, features: shared, aggregator: upgrad })).rejects.toThrow(/a shared parameter \[2\] reaches the losses other than through features/);
  await expect(mtl.backward(L, { shared: trunk, aggregator: upgrad, lr: 1 } as never)).rejects.toThrow(/unknown option\(s\) 'lr'/);
  expect(() => mtl.jacobian(L, [])).toThrow(/params must be a non-empty array/);
  expect(() => mtl.flattenJacobian([tensor([[1, 2]]), tensor([[1], [2]])])).toThrow(/same leading T/);
});
