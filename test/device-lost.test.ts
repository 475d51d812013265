// After the GPU device is lost, every call through the public API fails with "device lost: …".
import { expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { flush, init, tensor } from '../src/index.js';

test('device loss: every later call fails clearly instead of hanging', async () => {
  await init({ backend: 'webgpu' });
  const x = tensor([1, 2, 3]);
  const y = x.mul(2);
  (getBackend('webgpu') as WebGpuBackend).destroy();
  await expect(y.data()).rejects.toThrow(/device lost: /);
  expect(() => x.add(1)).toThrow(/device lost: /);
  expect(() => tensor([4, 5])).toThrow(/device lost: /);
  await expect(flush()).rejects.toThrow(/device lost: /);
});
