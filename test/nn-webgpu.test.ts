// nn on WebGPU against the CPU reference: the fused Linear (with and without bias, N-D input,
// strided input) and the fused losses, forward and gradients.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, manualSeed, nn, randn, type Tensor } from '../src/index.js';
import { getBackend } from '../src/device.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { compareDevices, expectClose, type InputSpec } from './helpers.js';

const F = nn.functional;
const s = (...shape: number[]): InputSpec => ({ shape });
const probabilities = (...shape: number[]): InputSpec => ({ shape, positive: true });
const classes = (values: number[]): InputSpec => ({ shape: [values.length], values, grad: false });

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  manualSeed(7);
});

type Case = [string, (...xs: Tensor[]) => Tensor, InputSpec[]];
const cases: Case[] = [
  ['linear with bias', (x, w, b) => F.linear(x, w, b), [s(100, 10), s(5, 10), s(5)]],
  ['linear without bias, 3-D input', (x, w) => F.linear(x, w), [s(2, 7, 13), s(9, 13)]],
  ['linear on a transposed input', (x, w, b) => F.linear(x.T, w, b), [s(6, 33), s(4, 6), s(4)]],
  ['mseLoss', (a, b) => F.mseLoss(a, b), [s(100, 1), s(100, 1)]],
  ['crossEntropy with indices and smoothing', (l, t) => F.crossEntropy(l, t, { labelSmoothing: 0.1 }), [s(6, 5), classes([0, 4, 2, 2, 1, 3])]],
  ['crossEntropy with probabilities', (l, p) => F.crossEntropy(l, p, { reduction: 'none' }), [s(4, 9), probabilities(4, 9)]],
  ['binaryCrossEntropyWithLogits', (l, t) => F.binaryCrossEntropyWithLogits(l.mul(20), t), [s(3, 7), probabilities(3, 7)]],
];

describe('nn: webgpu vs cpu', () => {
  test.each(cases)('%s', async (_, fn, specs) => {
    await compareDevices(fn, specs);
  });

  test('the fused Linear is one launch and equals matmul + add', async () => {
    const layer = new nn.Linear(10, 5);
    const x = randn([100, 10]);
    const gpu = getBackend('webgpu') as WebGpuBackend;
    const before = gpu.stats().dispatches;
    const fused = layer.forward(x);
    expect(gpu.stats().dispatches - before).toBe(1);
    await expectClose(fused, await x.matmul(layer.weight.T).add(layer.bias!).to('cpu'), 1e-6);
  });
});
