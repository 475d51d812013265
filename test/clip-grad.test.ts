// nn.utils.clipGradNorm and clipGradValue against real PyTorch 1.13 (test/fixtures/clip_grad.py) on
// the reference, cpu and webgpu backends: total norm (2, 1, Infinity), clipped gradients, and the
// edge cases: no gradients, a non-finite norm with errorIfNonfinite, argument errors.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, nn, tensor, zeros, type DeviceName, type Tensor } from '../src/index.js';

const { clipGradNorm, clipGradValue } = nn.utils;

const SHAPES = [[5], [3, 4], [300]];
const GRADS = SHAPES.map((shape, p) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return [Array.from({ length: n }, (_, i) => Math.fround(Math.cos(p * 3 + i * 0.91) * (p + 1))), shape] as const;
});
const CASES = [
  { maxNorm: 1, normType: 2 },
  { maxNorm: 5, normType: 1 },
  { maxNorm: 0.5, normType: 'inf' },
  { maxNorm: 1e4, normType: 2 }, // no clipping: the factor is clamped at 1
  { maxNorm: 2, normType: 3 },
] as const;
const CLIP_VALUE = 0.7;

interface Expected {
  norms: { total: number; grads: number[][] }[];
  value: number[][];
}
let torch: Expected;

beforeAll(async () => {
  await init({ backend: 'cpu' });
  await init({ backend: 'webgpu' });
  const script = fileURLToPath(new URL('./fixtures/clip_grad.py', import.meta.url));
  torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify({ grads: GRADS, cases: CASES, clipValue: CLIP_VALUE }), encoding: 'utf8' }));
});

function withGrads(device: DeviceName): Tensor[] {
  return GRADS.map(([values, shape]) => {
    const p = zeros([...shape], { device, requiresGrad: true });
    p.grad = tensor(values, { shape: [...shape], device });
    return p;
  });
}

async function expectGrads(params: Tensor[], expected: number[][]): Promise<void> {
  for (const [i, p] of params.entries()) {
    const actual = await p.grad!.data();
    expected[i].forEach((e, k) => expect(Math.abs(actual[k] - e), `param ${i}[${k}]: ${actual[k]} vs ${e}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(e))));
  }
}

describe.each(['reference', 'cpu', 'webgpu'] as const)('on %s, as PyTorch', (device) => {
  CASES.forEach(({ maxNorm, normType }, c) =>
    test(`clipGradNorm(params, ${maxNorm}, ${normType})`, async () => {
      const params = withGrads(device);
      const total = clipGradNorm(params, maxNorm, normType === 'inf' ? Infinity : normType);
      expect(total.shape).toEqual([]);
      expect(total.device).toBe(device);
      const { total: e, grads } = torch.norms[c];
      expect(Math.abs((await total.item()) - e) / e).toBeLessThanOrEqual(2e-6);
      await expectGrads(params, grads);
    }),
  );

  test('clipGradValue', async () => {
    const params = withGrads(device);
    clipGradValue(params, CLIP_VALUE);
    await expectGrads(params, torch.value);
  });
});

describe('clipGradNorm edge cases', () => {
  test('parameters without gradients are skipped; none at all: a zero norm', async () => {
    const [a, b] = [zeros([2], { device: 'reference', requiresGrad: true }), zeros([2], { device: 'reference', requiresGrad: true })];
    expect(await clipGradNorm([a, b], 1).item()).toBe(0);
    b.grad = tensor([3, 4], { device: 'reference' });
    expect(await clipGradNorm([a, b], 1).item()).toBeCloseTo(5, 5);
    expect(a.grad).toBeNull();
    expect(Array.from(await b.grad!.data()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
  });

  test('errorIfNonfinite: rejects a non-finite norm and leaves the gradients alone; otherwise clips', async () => {
    const p = zeros([2], { device: 'reference', requiresGrad: true });
    p.grad = tensor([Infinity, 1], { device: 'reference' });
    const before = p.grad;
    await expect(clipGradNorm(p, 1, 2, { errorIfNonfinite: true })).rejects.toThrow(/clipGradNorm: the total norm of order 2 of the gradients is Infinity/);
    expect(p.grad).toBe(before);
    p.grad = tensor([3, 4], { device: 'reference' });
    expect(await (await clipGradNorm(p, 1, 2, { errorIfNonfinite: true })).item()).toBeCloseTo(5, 5);
    expect(Array.from(await p.grad.data()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
  });

  test('argument errors', () => {
    const p = zeros([2], { device: 'reference', requiresGrad: true });
    expect(() => clipGradNorm(p, -1)).toThrow('clipGradNorm: maxNorm must be a number ≥ 0, got the number -1');
    expect(() => clipGradNorm(p, 1, 0)).toThrow('clipGradNorm: normType must be a number > 0 or Infinity, got the number 0');
    expect(() => clipGradValue([p, 3 as never], 1)).toThrow(/clipGradValue: params\[1\] must be a Tensor, got the number 3/);
    const q = zeros([2], { device: 'cpu', requiresGrad: true });
    [p.grad, q.grad] = [zeros([2], { device: 'reference' }), zeros([2], { device: 'cpu' })];
    expect(() => clipGradValue([p, q], 1)).toThrow('clipGradValue: the gradients are on reference and cpu; clip each device\'s parameters in a call of its own');
  });
});
