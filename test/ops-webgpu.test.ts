// Every op's WebGPU forward and gradient against the float64 reference, on the same inputs.
import { beforeAll, describe, test } from 'vitest';
import { grad, init, manualSeed, tensor } from '../src/index.js';
import { layerCases, metaCases, opCases, secondOrderCases } from './device-cases.js';
import { compareDevices, expectClose } from './helpers.js';

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  manualSeed(42);
});

describe('webgpu vs reference', () => {
  test.each([...opCases, ...secondOrderCases, ...layerCases, ...metaCases])('%s', async (_, fn, specs) => {
    await compareDevices(fn, specs, 1e-4, 'webgpu');
  });
  test('x.pow(3): d²/dx² = 6x on the GPU', async () => {
    const x = tensor([-2, 0.5, 3], { requiresGrad: true });
    const [d1] = grad(x.pow(3).sum(), x, { createGraph: true });
    const [d2] = grad(d1.sum(), x);
    await expectClose(d2, tensor([-12, 3, 18], { device: 'reference' }), 1e-6);
  });
});
