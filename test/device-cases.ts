// The op and nn cases every device is checked on: forward and gradients against the float64
// reference (see compareDevices). One table, run by ops-webgpu.test.ts and native.test.ts.
import { cat, grad, nn, type Tensor } from '../src/index.js';
import type { InputSpec } from './helpers.js';

export type Case = [name: string, fn: (...xs: Tensor[]) => Tensor, inputs: InputSpec[]];

export const s = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, positive: true });
const index = (values: number[], shape = [values.length]): InputSpec => ({ shape, values, grad: false });
const F = nn.functional;

export const opCases: Case[] = [
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
  ['pow tensor exponent broadcast', (a, b) => a.pow(b), [pos(3, 1), s(4)]],
  ['pow integer tensor exponent, negative bases', (a, b) => a.pow(b), [s(6), index([2, 3, -1, 0, 5, -2])]],
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
  ['mean over two dims', (a) => a.mean([0, 2], true), [s(4, 9, 3)]],
  ['max all', (a) => a.max(), [s(37)]],
  ['max dim', (a) => a.max(0, true), [s(6, 11)]],
  ['softmax', (a) => a.softmax(-1), [s(5, 10)]],
  ['softmax inner axis', (a) => a.softmax(1), [s(3, 7, 4)]],
  ['logSoftmax', (a) => a.logSoftmax(1), [s(4, 300)]],
  ['logSoftmax large values', (a) => a.mul(1000).logSoftmax(-1), [s(3, 8)]],
  ['cat', (a, b) => cat([a, b], 1).mul(1), [s(3, 2), s(3, 5)]],
  ['gather', (a, i) => a.gather(1, i), [s(3, 4), index([0, 3, 3, 1, 2, 0], [3, 2])]],
  ['indexSelect with repeats', (a, i) => a.indexSelect(0, i), [s(5, 3), index([4, 0, 4, 2])]],
  ['linear with bias', (x, w, b) => F.linear(x, w, b), [s(100, 10), s(5, 10), s(5)]],
  ['linear without bias, 3-D input', (x, w) => F.linear(x, w), [s(2, 7, 13), s(9, 13)]],
  ['linear on a transposed input', (x, w, b) => F.linear(x.T, w, b), [s(6, 33), s(4, 6), s(4)]],
  ['mseLoss', (a, b) => F.mseLoss(a, b), [s(100, 1), s(100, 1)]],
  ['mseLoss sum, transposed target', (a, b) => F.mseLoss(a, b.T, { reduction: 'sum' }), [s(7, 300), s(300, 7)]],
  ['crossEntropy with indices', (l, t) => F.crossEntropy(l, t), [s(6, 5), index([0, 4, 2, 2, 1, 3])]],
  ['crossEntropy with indices, none', (l, t) => F.crossEntropy(l, t, { reduction: 'none' }), [s(3, 7), index([6, 0, 3])]],
  ['crossEntropy with indices and smoothing', (l, t) => F.crossEntropy(l, t, { labelSmoothing: 0.1 }), [s(6, 5), index([0, 4, 2, 2, 1, 3])]],
  ['crossEntropy with probabilities', (l, p) => F.crossEntropy(l, p, { reduction: 'none' }), [s(4, 9), pos(4, 9)]],
  ['binaryCrossEntropyWithLogits', (l, t) => F.binaryCrossEntropyWithLogits(l.mul(20), t), [s(3, 7), pos(3, 7)]],
  ['conv2d 3×3, padding 1, bias', (x, w, b) => F.conv2d(x, w, b, { padding: 1 }), [s(2, 3, 9, 8), s(5, 3, 3, 3), s(5)]],
  ['conv2d stride, dilation, groups', (x, w) => F.conv2d(x, w, null, { stride: [2, 1], dilation: [1, 2], padding: 2, groups: 2 }), [s(2, 4, 9, 10), s(6, 2, 3, 2)]],
  ['conv2d depthwise', (x, w, b) => F.conv2d(x, w, b, { groups: 3, padding: 'same' }), [s(1, 3, 6, 7), s(3, 1, 3, 3), s(3)]],
  ['maxPool2d 2', (x) => F.maxPool2d(x, 2), [s(2, 3, 8, 6)]],
  ['maxPool2d 3, stride 2, padding 1, ceilMode', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [s(2, 2, 9, 8)]],
  ['maxPool2d indices', (x) => F.maxPool2dWithIndices(x, [2, 3], { dilation: [2, 1], stride: 1 }).indices, [s(1, 2, 7, 7)]],
  ['avgPool2d countIncludePad false', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [s(2, 3, 9, 8)]],
  ['adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [3, 2]), [s(2, 3, 7, 5)]],
];

/** Second derivatives (createGraph), including a mixed one through matmul. */
export const secondOrderCases: Case[] = [
  ...(
    [
      ['pow', (x: Tensor) => x.pow(3)],
      ['exp', (x: Tensor) => x.exp()],
      ['tanh', (x: Tensor) => x.tanh()],
    ] as const
  ).map(([name, f]): Case => [`d²/dx² ${name}`, (x) => grad(f(x).sum(), x, { createGraph: true })[0], [s(6)]]),
  ['mseLoss second derivative', (a, b) => grad(F.mseLoss(a.tanh(), b), a, { createGraph: true })[0], [s(5, 3), s(5, 3)]],
  ['matmul mixed second derivative', (a, b) => grad(a.matmul(b).pow(2).sum(), a, { createGraph: true })[0], [s(4, 3), s(3, 5)]],
  ['conv2d mixed second derivative', (x, w) => grad(F.conv2d(x, w, null, { padding: 1 }).pow(2).sum(), w, { createGraph: true })[0], [s(2, 2, 5, 5), s(3, 2, 3, 3)]],
];
