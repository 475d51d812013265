// grad's isGradsBatched on every backend: B vector-Jacobian products in one batched backward must
// equal B separate backward passes, for every op and layer case, to first and second order.
import { beforeAll, describe, expect, test } from 'vitest';
import { grad, init, manualSeed, memory, stack, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';
import { normalValues } from '../src/random.js';
import { layerCases, opCases, secondOrderCases, type Case } from './device-cases.js';
import { makeInputs, type InputSpec } from './helpers.js';

const B = 3;
const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  manualSeed(7);
});

async function expectSame(actual: Tensor, expected: Tensor, tolerance: number, what: string): Promise<void> {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const [a, e] = [await actual.data(), await expected.data()];
  const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
  const worst = e.reduce((w, v, i) => (Object.is(v, a[i]) ? w : Math.max(w, Math.abs(a[i] - v))), 0);
  expect(worst / scale, `${what}: worst error`).toBeLessThanOrEqual(tolerance);
}

function inputsOn(device: DeviceName, specs: readonly InputSpec[], data: Float32Array[]): Tensor[] {
  return data.map((d, i) => tensor(d, { shape: specs[i].shape, device, requiresGrad: specs[i].grad !== false }));
}

/** d/dx of Σ_b ⟨W_b, VJP_b(x)⟩, batched (one backward) or as B separate backward passes. */
function secondOrder(vjps: (createGraph: boolean) => Tensor[][], weights: Tensor[][], inputs: Tensor[]): Tensor[] {
  const first = vjps(true);
  const terms = first.flatMap((perInput, b) => perInput.filter((g) => g.requiresGrad).map((g, i) => g.mul(weights[b][i]).sum()));
  if (terms.length === 0) return [];
  return grad(stack(terms).sum(), inputs, { allowUnused: true, retainGraph: true });
}

interface Comparison {
  actual: Tensor;
  expected: Tensor;
  tolerance: number;
  what: string;
}

/** The batched gradients and the separate passes they must equal, computed synchronously (inside a tidy). */
function batchedVsSeparate([, fn, specs]: Case, device: DeviceName): Comparison[] {
  const data = makeInputs(specs);
  const inputs = inputsOn(device, specs, data);
  const wanted = inputs.filter((t) => t.requiresGrad);
  const out = fn(...inputs);
  if (!out.requiresGrad || wanted.length === 0) return [];
  const seeds = tensor(normalValues(B * out.size), { shape: [B, ...out.shape], device });
  const batched = grad(out, wanted, { gradOutputs: seeds, isGradsBatched: true, retainGraph: true, allowUnused: true });
  const separate = Array.from({ length: B }, (_, b) => grad(out, wanted, { gradOutputs: seeds.narrow(0, b, 1).reshape(out.shape), retainGraph: true, allowUnused: true }));
  const comparisons = wanted.map((_, i) => ({ actual: batched[i], expected: stack(separate.map((g) => g[i])), tolerance: 1e-5, what: `first order, input ${i}` }));

  // Second order: differentiate each batch entry's VJP again (through the batched backward's own graph).
  const weights = Array.from({ length: B }, () => wanted.map((t) => tensor(normalValues(t.size), { shape: [...t.shape], device })));
  const viaBatch = secondOrder(
    (createGraph) => {
      const gs = grad(out, wanted, { gradOutputs: seeds, isGradsBatched: true, retainGraph: true, createGraph, allowUnused: true });
      return Array.from({ length: B }, (_, b) => gs.map((g) => g.narrow(0, b, 1).reshape(g.shape.slice(1))));
    },
    weights,
    wanted,
  );
  const viaLoop = secondOrder(
    (createGraph) => separate.map((_, b) => grad(out, wanted, { gradOutputs: seeds.narrow(0, b, 1).reshape(out.shape), retainGraph: true, createGraph, allowUnused: true })),
    weights,
    wanted,
  );
  return [...comparisons, ...viaLoop.map((expected, i) => ({ actual: viaBatch[i], expected, tolerance: 1e-4, what: `second order, input ${i}` }))];
}

const cases = [...opCases, ...layerCases, ...secondOrderCases];

describe.each(DEVICES)('isGradsBatched on %s: one batched backward = B backward passes', (device) => {
  test.each(cases)('%s', async (...c) => {
    const before = memory(device).tensors;
    const comparisons = tidy(() => batchedVsSeparate(c, device));
    for (const { actual, expected, tolerance, what } of comparisons) await expectSame(actual, expected, tolerance, what);
    comparisons.forEach(({ actual, expected }) => [actual, expected].forEach((t) => t.dispose()));
    expect(memory(device).tensors).toBe(before);
  });
});

describe('isGradsBatched: arguments', () => {
  test('gradOutputs must carry the batch dim, the same for every output', () => {
    const x = tensor([1, 2, 3], { device: 'reference', requiresGrad: true });
    const [y, z] = [x.mul(2), x.sum()];
    expect(() => grad(y, x, { isGradsBatched: true })).toThrow(/gradOutputs\[0\] must be \[B, \.\.\.output\.shape\].*expected \[1,3\].*got none/);
    expect(() => grad(y, x, { gradOutputs: tensor([1, 2, 3], { device: 'reference' }), isGradsBatched: true })).toThrow(/expected \[3,3\].*got \[3\]/);
    expect(() => grad([y, z], x, { gradOutputs: [tensor([[1, 2, 3]], { device: 'reference' }), tensor([1, 2], { device: 'reference' })], isGradsBatched: true })).toThrow(/gradOutputs\[1\].*expected \[1\] .*got \[2\]/);
    expect(() => grad(y, x, { isGradBatched: true } as never)).toThrow(/grad: unknown option\(s\) 'isGradBatched'/);
  });
  test('an unused input gets batched zeros with allowUnused', async () => {
    const [x, w] = [tensor([1, 2], { device: 'reference', requiresGrad: true }), tensor([5], { device: 'reference', requiresGrad: true })];
    const seeds = tensor([[1, 0], [0, 1], [2, 2]], { device: 'reference' });
    const [gx, gw] = grad(x.mul(3), [x, w], { gradOutputs: seeds, isGradsBatched: true, allowUnused: true });
    expect(await gx.data()).toEqual(Float32Array.from([3, 0, 0, 3, 6, 6]));
    expect(gw.shape).toEqual([3, 1]);
    expect(await gw.data()).toEqual(Float32Array.from([0, 0, 0]));
  });
  test('the rows of a Jacobian: identity seeds over the outputs of a network', async () => {
    const x = tensor([[0.5, -1], [2, 0.25]], { device: 'reference', requiresGrad: true });
    const y = x.matmul(x).tanh().sum(1); // [2]
    const [rows] = grad(y, x, { gradOutputs: tensor([[1, 0], [0, 1]], { device: 'reference' }), isGradsBatched: true, retainGraph: true });
    for (let t = 0; t < 2; t++) {
      const [row] = grad(y.narrow(0, t, 1).sum(), x, { retainGraph: true });
      await expectSame(rows.narrow(0, t, 1).reshape([2, 2]), row, 1e-12, `row ${t}`);
    }
  });
});
