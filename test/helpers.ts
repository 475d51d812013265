// Shared by the device tests: run one computation on the float64 reference and on WebGPU or the native CPU backend, compare.
import { expect } from 'vitest';
import { grad, tensor, type DeviceName, type Tensor } from '../src/index.js';
import { normalValues, uniformValues } from '../src/random.js';

export type InputSpec = { shape: number[]; positive?: boolean; values?: number[]; grad?: boolean };

export function makeInputs(specs: readonly InputSpec[]): Float32Array[] {
  return specs.map(({ shape, positive, values }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (values) return Float32Array.from(values);
    return positive ? uniformValues(n, 0.5, 2) : normalValues(n);
  });
}

export async function expectClose(actual: Tensor, expected: Tensor, tolerance = 1e-4, what = 'value'): Promise<void> {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const [a, e] = [await actual.data(), await expected.rawData()];
  const scale = Array.from(e, Math.abs).reduce((m, v) => Math.max(m, v), 1);
  let worst = 0;
  let at = -1;
  e.forEach((v, i) => {
    const err = Math.abs(a[i] - v);
    if (!(err <= worst)) [worst, at] = [err, i];
  });
  expect(worst / scale, `${what}: worst error at ${at}: ${a[at]} vs ${e[at]}`).toBeLessThanOrEqual(tolerance);
}

/** Forward value and input gradients on one device, for a random output gradient. */
function runOn(device: DeviceName, fn: (...xs: Tensor[]) => Tensor, specs: readonly InputSpec[], data: Float32Array[], seedGrad: Float32Array | null) {
  const inputs = data.map((d, i) => tensor(d, { shape: specs[i].shape, device, requiresGrad: specs[i].grad !== false }));
  const out = fn(...inputs);
  const wanted = inputs.filter((t) => t.requiresGrad);
  const grads = seedGrad && wanted.length ? grad(out, wanted, { gradOutputs: tensor(seedGrad, { shape: [...out.shape], device }), allowUnused: true }) : [];
  return { out, grads };
}

/**
 * Checks fn's forward and backward on `device` (WebGPU unless told) against the float64 reference
 * backend on the same inputs.
 */
export async function compareDevices(fn: (...xs: Tensor[]) => Tensor, specs: readonly InputSpec[], tolerance = 1e-4, device: DeviceName = 'webgpu'): Promise<void> {
  const data = makeInputs(specs);
  const probe = runOn('reference', fn, specs, data, null);
  const differentiable = probe.out.requiresGrad;
  const seed = differentiable ? normalValues(probe.out.size) : null;
  const ref = runOn('reference', fn, specs, data, seed);
  const other = runOn(device, fn, specs, data, seed);
  await expectClose(other.out, ref.out, tolerance, 'forward');
  for (let i = 0; i < ref.grads.length; i++) await expectClose(other.grads[i], ref.grads[i], tolerance, `gradient ${i}`);
}
