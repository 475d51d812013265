// nn on WebGPU: the fused Linear is one launch and equals matmul + add. (Its forward and gradients,
// and the fused losses', are checked against the reference with every op in ops-webgpu.test.ts.)
import { beforeAll, expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { init, manualSeed, nn, randn } from '../src/index.js';
import { expectClose } from './helpers.js';

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  manualSeed(7);
});

test('the fused Linear is one launch and equals matmul + add', async () => {
  const layer = new nn.Linear(10, 5);
  const x = randn([100, 10]);
  const gpu = getBackend('webgpu') as WebGpuBackend;
  const before = gpu.stats().dispatches;
  const fused = layer.forward(x);
  expect(gpu.stats().dispatches - before).toBe(1);
  await expectClose(fused, await x.matmul(layer.weight.T).add(layer.bias!).to('reference'), 1e-6);
});
