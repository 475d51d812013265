import { expect, test } from 'vitest';
import { tensor, grad, gradcheck, randn, manualSeed, tidy, memory } from '../src/index.js';

test('smoke', async () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
  const y = x.mul(x).sum();
  expect(await y.item()).toBe(91);
  y.backward();
  expect(Array.from(await x.grad!.data())).toEqual([2, 4, 6, 8, 10, 12]);
  const z = tensor(2, { requiresGrad: true });
  const [g1] = grad(z.pow(3), z, { createGraph: true });
  const [g2] = grad(g1, z);
  expect(await g1.item()).toBe(12);
  expect(await g2.item()).toBe(12);
  manualSeed(1);
  const a = randn([3, 4], { requiresGrad: true });
  const b = randn([4, 2], { requiresGrad: true });
  await gradcheck((a, b) => a.matmul(b).tanh().softmax(-1).log(), [a, b]);
  await gradcheck((a) => a.max(1), [a]);
  await gradcheck((a) => a.T.reshape([2, 6]).narrow(1, 1, 3).exp(), [a]);
  const before = memory().tensors;
  for (let i = 0; i < 100; i++) tidy(() => { const l = a.matmul(b).relu().sum(); l.backward(); });
  a.grad!.dispose(); a.grad = null; b.grad!.dispose(); b.grad = null;
  console.log(before, memory());
});
