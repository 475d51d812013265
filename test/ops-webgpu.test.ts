// Every op's WebGPU forward and gradient against the CPU reference, on the same inputs.
import { beforeAll, describe, test } from 'vitest';
import { cat, grad, init, manualSeed, tensor, type Tensor } from '../src/index.js';
import { compareDevices, expectClose, type InputSpec } from './helpers.js';

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  manualSeed(42);
});

const s = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, positive: true });
const index = (values: number[], shape = [values.length]): InputSpec => ({ shape, values, grad: false });

type Case = [string, (...xs: Tensor[]) => Tensor, InputSpec[]];

const cases: Case[] = [
  ['add broadcast', (a, b) => a.add(b), [s(3, 1, 5), s(4, 5)]],
  ['sub', (a, b) => a.sub(b), [s(17), s(1)]],
  ['mul broadcast', (a, b) => a.mul(b), [s(2, 3, 4), s(3, 1)]],
  ['div', (a, b) => a.div(b), [s(5, 7), pos(7)]],
  ['maximum', (a, b) => a.maximum(b), [s(6, 5), s(6, 5)]],
  ['scalar ops', (a) => a.add(2).mul(3).sub(1).div(4), [s(33)]],
  ['neg', (a) => a.neg(), [s(4, 4)]],
  ['exp', (a) => a.exp(), [s(130)]],
  ['log', (a) => a.log(), [pos(65)]],
  ['sqrt', (a) => a.sqrt(), [pos(3, 3)]],
  ['pow 3 (negative base)', (a) => a.pow(3), [s(20)]],
  ['pow 2.5', (a) => a.pow(2.5), [pos(20)]],
  ['pow -1', (a) => a.pow(-1), [pos(9)]],
  ['abs', (a) => a.abs(), [s(31)]],
  ['relu', (a) => a.relu(), [s(8, 9)]],
  ['sigmoid', (a) => a.sigmoid(), [s(50)]],
  ['tanh', (a) => a.tanh(), [s(7, 3)]],
  ['matmul 2-D', (a, b) => a.matmul(b), [s(7, 13), s(13, 5)]],
  ['matmul 1-D · 1-D', (a, b) => a.matmul(b), [s(9), s(9)]],
  ['matmul 2-D · 1-D', (a, b) => a.matmul(b), [s(4, 9), s(9)]],
  ['matmul 1-D · 3-D', (a, b) => a.matmul(b), [s(6), s(2, 6, 3)]],
  ['matmul batched broadcast', (a, b) => a.matmul(b), [s(2, 1, 3, 4), s(5, 4, 2)]],
  ['matmul transposed views', (a, b) => a.T.matmul(b.T), [s(6, 33), s(17, 6)]],
  ['matmul 64³', (a, b) => a.matmul(b), [s(64, 64), s(64, 64)]],
  ['matmul odd', (a, b) => a.matmul(b), [s(65, 37), s(37, 129)]],
  ['transpose', (a) => a.transpose(0, 2).mul(1), [s(2, 3, 4)]],
  ['reshape of a view', (a) => a.T.reshape([-1, 2]), [s(3, 4)]],
  ['expand', (a) => a.expand([4, 3, 5]).mul(1), [s(3, 1)]],
  ['narrow', (a) => a.narrow(1, 2, 3).exp(), [s(4, 7)]],
  ['sum all', (a) => a.sum(), [s(5, 6)]],
  ['sum dim', (a) => a.sum(1), [s(5, 6, 7)]],
  ['sum dims keepdim', (a) => a.sum([0, 2], true), [s(5, 6, 7)]],
  ['sum large', (a) => a.sum(-1), [s(3, 5000)]],
  ['mean', (a) => a.mean(-2), [s(4, 9, 3)]],
  ['max all', (a) => a.max(), [s(37)]],
  ['max dim', (a) => a.max(0, true), [s(6, 11)]],
  ['softmax', (a) => a.softmax(-1), [s(5, 10)]],
  ['softmax inner axis', (a) => a.softmax(1), [s(3, 7, 4)]],
  ['logSoftmax', (a) => a.logSoftmax(1), [s(4, 300)]],
  ['logSoftmax large values', (a) => a.mul(1000).logSoftmax(-1), [s(3, 8)]],
  ['cat', (a, b) => cat([a, b], 1).mul(1), [s(3, 2), s(3, 5)]],
  ['gather', (a, i) => a.gather(1, i), [s(3, 4), index([0, 3, 3, 1, 2, 0], [3, 2])]],
  ['indexSelect with repeats', (a, i) => a.indexSelect(0, i), [s(5, 3), index([4, 0, 4, 2])]],
];

describe('webgpu vs cpu: forward and gradient', () => {
  test.each(cases)('%s', async (_, fn, specs) => {
    await compareDevices(fn, specs);
  });
});

describe('webgpu vs cpu: second order', () => {
  const secondOrder: Case[] = [
    ['pow', (x) => x.pow(3), [s(6)]],
    ['exp', (x) => x.exp(), [s(6)]],
    ['tanh', (x) => x.tanh(), [s(6)]],
  ];
  test.each(secondOrder)('d²/dx² %s', async (_, fn, specs) => {
    await compareDevices((x) => grad(fn(x).sum(), x, { createGraph: true })[0], specs);
  });
  test('matmul mixed second derivative', async () => {
    await compareDevices((a, b) => grad(a.matmul(b).pow(2).sum(), a, { createGraph: true })[0], [s(4, 3), s(3, 5)]);
  });
  test('x.pow(3): d²/dx² = 6x on the GPU', async () => {
    const x = tensor([-2, 0.5, 3], { requiresGrad: true });
    const [d1] = grad(x.pow(3).sum(), x, { createGraph: true });
    const [d2] = grad(d1.sum(), x);
    await expectClose(d2, tensor([-12, 3, 18], { device: 'cpu' }), 1e-6);
  });
});
