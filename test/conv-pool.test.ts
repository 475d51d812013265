// conv2d and the 2-D poolings against PyTorch 1.13 (test/fixtures/conv_pool.py) on the float64
// reference backend: outputs, gradients and max-pooling indices for stride, padding, dilation,
// groups, non-square shapes, batches and ties; float64 gradchecks (second order for conv2d and
// avgPool2d); the modules' parameters and init; the errors bad arguments raise.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { grad, gradcheck, init, manualSeed, nn, tensor, type Tensor } from '../src/index.js';

const F = nn.functional;

type Spec = { op: 'conv2d' | 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d'; shapes: number[][]; options: Record<string, unknown>; ties?: boolean };
type Case = [name: string, spec: Spec, fn: (...xs: Tensor[]) => Tensor | { values: Tensor; indices: Tensor }];

const conv = (name: string, shapes: number[][], options: nn.functional.Conv2dOptions = {}): Case => [
  `conv2d ${name}`,
  { op: 'conv2d', shapes, options: { ...options } },
  (x, w, b) => F.conv2d(x, w, b, options),
];

const CASES: Case[] = [
  conv('3×3 with bias, batch 2', [[2, 3, 7, 6], [4, 3, 3, 3], [4]]),
  conv('stride [2, 1], padding [1, 0], non-square kernel', [[2, 3, 8, 7], [5, 3, 3, 2], [5]], { stride: [2, 1], padding: [1, 0] }),
  conv('dilation 2, padding 2, no bias', [[1, 2, 9, 9], [3, 2, 3, 3]], { dilation: 2, padding: 2 }),
  conv('groups 2', [[2, 4, 6, 6], [6, 2, 3, 3], [6]], { groups: 2 }),
  conv('depthwise, padding 1, stride 2', [[2, 3, 5, 5], [3, 1, 3, 3], [3]], { groups: 3, padding: 1, stride: 2 }),
  conv("padding 'same', even kernel, dilation [1, 2]", [[1, 2, 6, 5], [2, 2, 4, 2]], { padding: 'same', dilation: [1, 2] }),
  conv('unbatched input', [[3, 5, 5], [2, 3, 3, 3], [2]]),
  conv('1×1', [[2, 5, 3, 4], [7, 5, 1, 1], [7]]),
  ...(
    [
      ['kernel 2', [2, 3, 6, 6], { kernel: 2 }],
      ['kernel 3, stride 2, padding 1', [2, 2, 7, 8], { kernel: 3, stride: 2, padding: 1 }],
      ['kernel [2, 3], dilation 2', [1, 2, 9, 9], { kernel: [2, 3], dilation: 2, stride: 1 }],
      ['ceilMode', [1, 2, 8, 8], { kernel: 3, stride: 2, ceilMode: true }],
      ['ties go to the first maximum', [2, 2, 6, 6], { kernel: 3, stride: 1, padding: 1 }, true],
      ['unbatched', [3, 5, 4], { kernel: 2, stride: 1 }],
    ] as const
  ).map(([name, shape, o, ties]): Case => [
    `maxPool2d ${name}`,
    { op: 'maxPool2d', shapes: [[...shape]], options: o, ties },
    (x) => F.maxPool2dWithIndices(x, o.kernel, { stride: 'stride' in o ? o.stride : undefined, padding: 'padding' in o ? o.padding : 0, dilation: 'dilation' in o ? o.dilation : 1, ceilMode: 'ceilMode' in o }),
  ]),
  ...(
    [
      ['kernel 2', [2, 3, 6, 6], { kernel: 2 }],
      ['kernel 3, stride 2, padding 1', [2, 2, 7, 8], { kernel: 3, stride: 2, padding: 1 }],
      ['countIncludePad false', [2, 2, 7, 8], { kernel: 3, stride: 2, padding: 1, countIncludePad: false }],
      ['ceilMode, kernel [2, 3]', [1, 2, 7, 9], { kernel: [2, 3], stride: 2, padding: 1, ceilMode: true }],
      ['ceilMode without counting the padding', [1, 2, 7, 9], { kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
      ['divisorOverride', [1, 3, 5, 5], { kernel: 2, stride: 1, divisorOverride: 3 }],
    ] as const
  ).map(([name, shape, { kernel, ...o }]): Case => [`avgPool2d ${name}`, { op: 'avgPool2d', shapes: [[...shape]], options: { kernel, ...o } }, (x) => F.avgPool2d(x, kernel, o)]),
  ...(
    [
      ['to [3, 2]', [2, 3, 7, 5], [3, 2]],
      ['to 1', [2, 3, 5, 5], 1],
      ['to [null, 3], unbatched', [3, 4, 7], [null, 3]],
      ['to a larger size', [1, 2, 3, 3], [5, 4]],
    ] as const
  ).map(([name, shape, size]): Case => [
    `adaptiveAvgPool2d ${name}`,
    { op: 'adaptiveAvgPool2d', shapes: [[...shape]], options: { outputSize: size } },
    (x) => F.adaptiveAvgPool2d(x, size),
  ]),
];

const valuesOf = (shape: number[], c: number, ties = false): number[] =>
  Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(ties ? Math.round(Math.sin(i * 1.3 + c) * 2) : Math.sin(i * 1.7 + c * 0.9) + 0.1 * c));

interface Expected {
  shape: number[];
  out: number[];
  grads: number[][];
  indices: number[] | null;
}
let torch: Expected[];

beforeAll(async () => {
  await init({ backend: 'reference' });
  const script = fileURLToPath(new URL('./fixtures/conv_pool.py', import.meta.url));
  const specs = CASES.map(([, { op, shapes, options, ties }]) => ({ op, options, inputs: shapes.map((s, c) => [valuesOf(s, c, ties), s]) }));
  torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(specs), encoding: 'utf8' }));
});

const expectValues = (actual: ArrayLike<number>, expected: number[], what: string): void => {
  expect(actual.length, `${what} size`).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e), `${what}[${i}]: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e))));
};

describe('against PyTorch 1.13', () => {
  test.each(CASES.map((c, i) => [c[0], i] as const))('%s', async (_, i) => {
    const [, { shapes, ties }, fn] = CASES[i];
    const inputs = shapes.map((s, c) => tensor(valuesOf(s, c, ties), { shape: s, device: 'reference', requiresGrad: true }));
    const result = fn(...inputs);
    const out = 'values' in result ? result.values : result;
    const expected = torch[i];
    expect(out.shape).toEqual(expected.shape);
    expectValues(await out.rawData(), expected.out, 'output');
    const upstream = tensor(Array.from({ length: out.size }, (_, k) => Math.cos(k * 0.37)), { shape: [...out.shape], device: 'reference' });
    const grads = grad(out, inputs, { gradOutputs: upstream });
    for (const [k, g] of grads.entries()) expectValues(await g.rawData(), expected.grads[k], `gradient ${k}`);
    if ('indices' in result) expectValues(await result.indices.rawData(), expected.indices!, 'indices');
  });
});

describe('gradcheck (float64)', () => {
  const ref = (...shape: number[]): Tensor => {
    const t = tensor(valuesOf(shape, shape.length), { shape, device: 'reference' });
    t.requiresGrad = true;
    return t;
  };
  const check = async (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) => expect(await gradcheck(fn, inputs)).toBeLessThan(1e-6);
  const secondOrder = (f: (...xs: Tensor[]) => Tensor) => (...xs: Tensor[]) => {
    const out = f(...xs);
    return grad(out.pow(2).sum(), xs, { createGraph: true }).reduce((acc, g) => acc.add(g.sum()), out.sum().mul(0));
  };
  const convFn = (x: Tensor, w: Tensor, b: Tensor) => F.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 });

  test('conv2d, first order', () => check(convFn, [ref(2, 4, 5, 6), ref(2, 2, 2, 3), ref(2)]));
  test('conv2d, second order (MAML)', () => check(secondOrder(convFn), [ref(1, 4, 4, 5), ref(2, 2, 2, 3), ref(2)]));
  test('maxPool2d', () => check((x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), [ref(2, 2, 5, 6)]));
  test('avgPool2d, first and second order', async () => {
    const avg = (x: Tensor) => F.avgPool2d(x, [3, 2], { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
    await check(avg, [ref(2, 2, 5, 6)]);
    await check(secondOrder((x) => avg(x).pow(2)), [ref(1, 2, 5, 6)]);
  });
  test('adaptiveAvgPool2d', () => check((x) => F.adaptiveAvgPool2d(x, [2, 3]), [ref(2, 2, 5, 7)]));
});

describe('modules', () => {
  test('Conv2d: PyTorch parameter names, shapes and U(±1/√fanIn) init', async () => {
    manualSeed(3);
    const layer = new nn.Conv2d(4, 8, [3, 2], { groups: 2, padding: 1 });
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    expect(layer.weight.shape).toEqual([8, 2, 3, 2]);
    const bound = 1 / Math.sqrt(2 * 3 * 2);
    for (const p of [layer.weight, layer.bias!]) {
      const v = await p.rawData();
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound * 0.6);
    }
    expect(new nn.Conv2d(1, 2, 3, { bias: false }).bias).toBeNull();
    const y = layer.forward(tensor(valuesOf([2, 4, 5, 5], 0), { shape: [2, 4, 5, 5], device: 'reference' }));
    expect(y.shape).toEqual([2, 8, 5, 6]);
  });
  test('pooling modules', () => {
    const x = tensor(valuesOf([2, 3, 8, 8], 0), { shape: [2, 3, 8, 8], device: 'reference' });
    expect(new nn.MaxPool2d(2).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.AvgPool2d(3, { stride: 2, padding: 1 }).forward(x).shape).toEqual([2, 3, 4, 4]);
    expect(new nn.AdaptiveAvgPool2d([1, 1]).forward(x).shape).toEqual([2, 3, 1, 1]);
  });
});

describe('argument errors', () => {
  const x = () => tensor(valuesOf([1, 3, 8, 8], 0), { shape: [1, 3, 8, 8], device: 'reference' });
  const w = (...shape: number[]) => tensor(valuesOf(shape, 1), { shape, device: 'reference' });
  test.each([
    ['3-D weight', () => F.conv2d(x(), w(4, 3, 3)), /weight \[4,3,3\] must be 4-D/],
    ['2-D input', () => F.conv2d(w(8, 8), w(4, 3, 3, 3)), /input \[8,8\] must be 4-D NCHW or 3-D CHW/],
    ['channel mismatch', () => F.conv2d(x(), w(4, 2, 3, 3)), /weight of size \[4,2,3,3\], expected input \[1,3,8,8\] to have 2 channels, but got 3/],
    ['groups not dividing out', () => F.conv2d(x(), w(4, 1, 3, 3), null, { groups: 3 }), /divisible by 3 at dimension 0/],
    ['bias size', () => F.conv2d(x(), w(4, 3, 3, 3), w(3)), /expected bias to be 1-D with 4 elements, but got bias of size \[3\]/],
    ['kernel too large', () => F.conv2d(x(), w(4, 3, 9, 3)), /padded input size per channel: \(8 x 8\). Kernel size: \(9 x 3\)/],
    ['bad stride', () => F.conv2d(x(), w(4, 3, 3, 3), null, { stride: 0 }), /stride must be an integer ≥ 1/],
    ["'same' with stride", () => F.conv2d(x(), w(4, 3, 3, 3), null, { padding: 'same', stride: 2 }), /'same' is not supported for strided/],
    ['unknown option', () => F.conv2d(x(), w(4, 3, 3, 3), null, { strides: 2 } as nn.functional.Conv2dOptions), /unknown option\(s\) 'strides'/],
    ['pool padding over half the kernel', () => F.maxPool2d(x(), 2, { padding: 2 }), /pad should be smaller than or equal to half of kernel size/],
    ['pool output too small', () => F.avgPool2d(x(), 9), /output size \(3x0x0\) is too small/],
    ['adaptive output size', () => F.adaptiveAvgPool2d(x(), 0), /outputSize must be a positive integer/],
  ])('%s', (_, fn, message) => expect(fn).toThrow(message));
});
