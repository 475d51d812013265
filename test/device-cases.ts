// The op and nn cases every device is checked on: forward and gradients against the float64
// reference (see compareDevices), run by ops-webgpu.test.ts and native.test.ts; and the same table
// drives the float64 finite-difference gradchecks of ops-reference.test.ts.
import { cat, cdist, cosineSimilarity, grad, meta, nn, normalize, oneHot, stack, where, type Tensor } from '../src/index.js';
import { withTensors } from '../src/nn/functional-call.js';
import type { InputSpec } from './helpers.js';

export type Case = [name: string, fn: (...xs: Tensor[]) => Tensor, inputs: InputSpec[]];

export const s = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, positive: true });
const index = (values: number[], shape = [values.length]): InputSpec => ({ shape, values, grad: false });
/** An input the case uses as a constant (running statistics, class weights): no gradient is asked of it. */
const fixed = (spec: InputSpec): InputSpec => ({ ...spec, grad: false });
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
  ['softplus', (a) => a.mul(10).softplus(), [s(40)]],
  ['sin', (a) => a.mul(3).sin(), [s(33)]],
  ['cos', (a) => a.mul(3).cos(), [s(33)]],
  ['square', (a) => a.square(), [s(5, 7)]],
  ['rsqrt', (a) => a.rsqrt(), [pos(20)]],
  ['reciprocal', (a) => a.reciprocal(), [pos(20)]],
  ['reciprocal of negatives', (a) => a.neg().reciprocal(), [pos(4, 5)]],
  ['log1p', (a) => a.mul(1e-3).log1p().mul(1e3), [s(20)]],
  ['log1p away from 0', (a) => a.log1p(), [pos(20)]],
  ['expm1', (a) => a.mul(1e-3).expm1().mul(1e3), [s(20)]],
  ['expm1 large', (a) => a.mul(5).expm1(), [s(20)]],
  ['minimum', (a, b) => a.minimum(b), [s(6, 5), s(5)]],
  ['minimum scalar', (a) => a.minimum(0.2), [s(30)]],
  ['maximum scalar', (a) => a.maximum(-0.2), [s(30)]],
  ['comparisons with a tensor', (a, b) => a.eq(b).add(a.ne(b).mul(2)).add(a.gt(b).mul(4)).add(a.ge(b).mul(8)).add(a.lt(b).mul(16)).add(a.le(b).mul(32)), [index([1, 2, 3, 4, 2, 0]), index([2, 2, 1, 4, 3, 0])]],
  ['comparisons with a number', (a) => a.eq(0.5).add(a.ne(0.5).mul(2)).add(a.gt(0.5).mul(4)).add(a.ge(0.5).mul(8)).add(a.lt(0.5).mul(16)).add(a.le(0.5).mul(32)), [index([0, 0.5, 1, -1, 0.5, 2])]],
  ['comparisons are not differentiable', (a, b) => a.gt(b).add(a.le(0)), [s(4, 5), s(5)]],
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
  ['amax dim', (a) => a.amax(0, true), [s(6, 11)]],
  ['amax two dims', (a) => a.amax([0, 2]), [s(3, 4, 5)]],
  ['max dim values', (a) => a.max(1).values, [s(6, 11)]],
  ['max dim indices', (a) => a.max(-1, true).indices, [s(6, 11)]],
  ['min dim values', (a) => a.min(0).values, [s(6, 11)]],
  ['argmax', (a) => a.argmax(1), [s(5, 9)]],
  ['argmin all', (a) => a.argmin(), [s(5, 9)]],
  ['topk', (a) => a.topk(3, 1).values, [s(4, 10)]],
  ['topk smallest indices', (a) => a.topk(2, 0, false).indices, [s(7, 3)]],
  ['where', (c, a, b) => where(c, a, b), [index([1, 0, 1, 0, 0, 1], [2, 3]), s(2, 3), s(3)]],
  ['clamp numbers', (a) => a.clamp(-0.5, 0.5), [s(40)]],
  ['clamp tensors', (a, lo, hi) => a.clamp(lo, hi), [s(4, 5), s(5), s(4, 1)]],
  ['stack', (a, b) => stack([a, b], 1).mul(1), [s(3, 4), s(3, 4)]],
  ['squeeze/unsqueeze/permute', (a) => a.unsqueeze(1).permute(2, 0, 1).squeeze(2).exp(), [s(3, 4)]],
  ['flatten', (a) => a.T.flatten().exp(), [s(3, 4)]],
  ['repeat', (a) => a.repeat(2, 1, 3).mul(1), [s(2, 3)]],
  ['logsumexp', (a) => a.mul(30).logsumexp(1), [s(5, 7)]],
  ['var', (a) => a.var(1), [s(4, 9)]],
  ['std over all', (a) => a.std(null, { correction: 0 }), [s(4, 9)]],
  ['norm p=2', (a) => a.norm(2, 1), [s(5, 6)]],
  ['norm p=3', (a) => a.norm(3), [s(5, 6)]],
  ['norm p=inf', (a) => a.norm(Infinity, 0), [s(5, 6)]],
  ['normalize', (a) => normalize(a), [s(5, 6)]],
  ['cosineSimilarity', (a, b) => cosineSimilarity(a, b, -1), [s(4, 8), s(4, 8)]],
  ['cdist', (a, b) => cdist(a, b), [s(2, 5, 7), s(2, 6, 7)]],
  ['cdist of a with itself', (a) => cdist(a, a), [s(6, 4)]],
  ['cdist past 25 rows (the matmul identity)', (a, b) => cdist(a, b), [s(2, 30, 5), s(1, 27, 5)]],
  ['oneHot', (i) => oneHot(i, 4), [index([0, 3, 1, 1])]],
  ['cumsum', (a) => a.cumsum(1), [s(3, 37)]],
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
  ['conv2d stride 2, dilation, uneven padding, no bias', (x, w) => F.conv2d(x, w, null, { stride: 2, dilation: [2, 1], padding: [2, 1] }), [s(2, 3, 11, 9), s(4, 3, 3, 2)]],
  ['conv2d 1×1', (x, w, b) => F.conv2d(x, w, b), [s(2, 5, 4, 3), s(6, 5, 1, 1), s(6)]],
  ['conv2d same padding, even kernel, on a transposed view', (x, w) => F.conv2d(x.transpose(2, 3), w, null, { padding: 'same' }), [s(2, 2, 6, 7), s(3, 2, 4, 2)]],
  ['conv2d depthwise', (x, w, b) => F.conv2d(x, w, b, { groups: 3, padding: 'same' }), [s(1, 3, 6, 7), s(3, 1, 3, 3), s(3)]],
  ['maxPool2d 2', (x) => F.maxPool2d(x, 2), [s(2, 3, 8, 6)]],
  ['maxPool2d of a strided view, unbatched', (x) => F.maxPool2d(x.transpose(1, 2), [3, 2], { stride: [2, 1] }), [s(3, 9, 8)]],
  ['maxPool2d 3, stride 2, padding 1, ceilMode', (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [s(2, 2, 9, 8)]],
  ['maxPool2d indices', (x) => F.maxPool2dWithIndices(x, [2, 3], { dilation: [2, 1], stride: 1 }).indices, [s(1, 2, 7, 7)]],
  ['avgPool2d countIncludePad false', (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [s(2, 3, 9, 8)]],
  ['adaptiveAvgPool2d', (x) => F.adaptiveAvgPool2d(x, [3, 2]), [s(2, 3, 7, 5)]],
];

/** Its gradient is not the derivative: the padding row passes none, by definition (torch's padding_idx). */
const EMBEDDING_WITH_PADDING: Case = ['embedding with paddingIdx', (w, i) => F.embedding(i, w, 1), [s(5, 4), index([1, 4, 0, 1, 3, 3], [2, 3])]];
/** Cases whose gradients are defined otherwise than as derivatives: compared across devices, not by finite differences. */
export const notDerivatives: ReadonlySet<string> = new Set([EMBEDDING_WITH_PADDING[0], 'FOMAML meta-loss, 2 inner steps']);

/** Second derivatives (createGraph), including a mixed one through matmul. */
export const secondOrderCases: Case[] = [
  ...(
    [
      ['pow', (x: Tensor) => x.pow(3)],
      ['exp', (x: Tensor) => x.exp()],
      ['tanh', (x: Tensor) => x.tanh()],
      ['sin', (x: Tensor) => x.sin()],
      ['cos', (x: Tensor) => x.cos()],
      ['rsqrt', (x: Tensor) => x.abs().add(0.5).rsqrt()],
      ['reciprocal', (x: Tensor) => x.abs().add(0.5).reciprocal()],
      ['log1p', (x: Tensor) => x.abs().log1p()],
      ['expm1', (x: Tensor) => x.expm1()],
      ['softplus', (x: Tensor) => x.mul(2).softplus()],
      ['gelu', (x: Tensor) => F.gelu(x.mul(2))],
      ['elu', (x: Tensor) => F.elu(x.mul(2), 1.5)],
      ['minimum', (x: Tensor) => x.minimum(x.square().mul(0.5)).square()],
    ] as const
  ).map(([name, f]): Case => [`d²/dx² ${name}`, (x) => grad(f(x).sum(), x, { createGraph: true })[0], [s(6)]]),
  ['mseLoss second derivative', (a, b) => grad(F.mseLoss(a.tanh(), b), a, { createGraph: true })[0], [s(5, 3), s(5, 3)]],
  ['logsumexp second derivative', (a) => grad(a.logsumexp(-1).sum(), a, { createGraph: true })[0].pow(2), [s(3, 5)]],
  // softmax's backward is an op of its own (fused on the native backend along the last dim): its derivatives in y and in g.
  ['logSoftmax second derivative', (a, w) => grad(a.logSoftmax(-1).mul(w).sum(), a, { createGraph: true })[0].pow(2), [s(3, 7), s(3, 7)]],
  ['softmax second derivative', (a, w) => grad(a.softmax(-1).mul(w).sum(), a, { createGraph: true })[0].pow(2), [s(3, 7), s(3, 7)]],
  ['softmax inner axis second derivative', (a, w) => grad(a.softmax(1).mul(w).sum(), a, { createGraph: true })[0].pow(2), [s(2, 4, 3), s(2, 4, 3)]],
  ['crossEntropy second derivative', (x, t) => grad(F.crossEntropy(x, t), x, { createGraph: true })[0].pow(2), [s(5, 4), index([0, 3, 2, 1, 3])]],
  ['cdist second derivative', (a, b) => grad(cdist(a, b).sum(), a, { createGraph: true })[0].pow(2), [s(4, 3), s(5, 3)]],
  ['matmul mixed second derivative', (a, b) => grad(a.matmul(b).pow(2).sum(), a, { createGraph: true })[0], [s(4, 3), s(3, 5)]],
  ['conv2d mixed second derivative', (x, w) => grad(F.conv2d(x, w, null, { padding: 1 }).pow(2).sum(), w, { createGraph: true })[0], [s(2, 2, 5, 5), s(3, 2, 3, 3)]],
  ['conv2d second derivative through the input gradient', (x, w) => grad(F.conv2d(x, w, null, { stride: 2, padding: [1, 0] }).pow(2).sum(), x, { createGraph: true })[0], [s(2, 3, 7, 6), s(4, 3, 3, 2)]],
];

/** The nn layers and losses of issue 10 §3 (composed of the ops above). */
export const layerCases: Case[] = [
  ['batchNorm training [N, C, H, W]', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), [s(4, 3, 5, 5), s(3), s(3)]],
  ['batchNorm eval [N, C]', (x, m, v) => F.batchNorm(x, m, v), [s(8, 5), fixed(s(5)), fixed(pos(5))]],
  ['layerNorm', (x, w, b) => F.layerNorm(x, [6], w, b), [s(7, 6), s(6), s(6)]],
  ['gelu', (x) => F.gelu(x), [s(70)]],
  ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), [s(70)]],
  ['leakyRelu', (x) => F.leakyRelu(x, 0.2), [s(40)]],
  ['elu', (x) => F.elu(x.mul(3), 0.7), [s(40)]],
  ['softplus beta, threshold', (x) => F.softplus(x.mul(4), { beta: 2, threshold: 5 }), [s(40)]],
  ['embedding', (w, i) => F.embedding(i, w), [s(5, 4), index([1, 4, 0, 1, 3, 3], [2, 3])]],
  EMBEDDING_WITH_PADDING,
  ['l1Loss', (a, b) => F.l1Loss(a, b), [s(6, 7), s(6, 7)]],
  ['nllLoss weighted, ignoreIndex', (x, t, w) => F.nllLoss(x.logSoftmax(1), t, { weight: w, ignoreIndex: 2 }), [s(6, 4), index([0, 3, 2, 1, 3, 2]), fixed(pos(4))]],
  ['binaryCrossEntropy', (x, y) => F.binaryCrossEntropy(x.sigmoid(), y.mul(0.4)), [s(5, 4), pos(5, 4)]],
  ['smoothL1Loss', (a, b) => F.smoothL1Loss(a, b, { beta: 0.5 }), [s(30), s(30)]],
  ['huberLoss sum', (a, b) => F.huberLoss(a, b, { delta: 0.7, reduction: 'sum' }), [s(30), s(30)]],
  ['klDiv batchmean', (x, y) => F.klDiv(x.logSoftmax(1), y.softmax(1), { reduction: 'batchmean' }), [s(4, 5), s(4, 5)]],
  ['cosineEmbeddingLoss', (a, b, y) => F.cosineEmbeddingLoss(a, b, y, { margin: 0.1 }), [s(5, 8), s(5, 8), index([1, -1, 1, -1, -1])]],
  ['contrastiveLoss', (a, b, y) => F.contrastiveLoss(a, b, y, { margin: 2 }), [s(6, 3), s(6, 3), index([0, 1, 1, 0, 1, 0])]],
  ['layerNorm second derivative', (x, w) => grad(F.layerNorm(x, 4, w).pow(2).sum(), x, { createGraph: true })[0], [s(3, 4), s(4)]],
];

/**
 * fn() with `module`'s parameters, in order, swapped for the case's inputs (as parameters): the
 * module's own are disposed by the case's tidy, the inputs stay their caller's. (The module is made
 * on the default device, the inputs on the device under test.)
 */
function withWeights<T>(module: nn.Module, weights: Tensor[], fn: () => T): T {
  const names = module.namedParameters().map(([name]) => name);
  return withTensors(module, Object.fromEntries(weights.map((w, i) => [names[i], nn.Parameter(w)])), fn);
}
const tanhNet = () => new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 1));
type TanhNet = ReturnType<typeof tanhNet>;
const embedding = () => new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh());

/** One task's query loss after `steps` inner steps on its support loss (MSE). */
function metaLoss(learner: meta.Learner<TanhNet>, [xs, ys, xq, yq]: Tensor[], steps: number, options?: meta.AdaptOptions): Tensor {
  for (let i = 0; i < steps; i++) learner.adapt(F.mseLoss(learner.forward(xs), ys), options);
  return F.mseLoss(learner.forward(xq), yq);
}
/** The query loss of MAML or Meta-SGD built by `make` on tanhNet() with weights t[4…] (task t[0…3]). */
function mamlCase(make: (net: TanhNet) => meta.MAML<TanhNet>, steps: number, options?: meta.AdaptOptions) {
  return (...t: Tensor[]) => {
    const learner = make(tanhNet());
    return withWeights(learner, t.slice(4), () => metaLoss(learner.clone(), t, steps, options));
  };
}
const task = [fixed(s(6, 2)), fixed(s(6, 1)), fixed(s(5, 2)), fixed(s(5, 1))];
const net = [s(4, 2), s(4), s(1, 4), s(1)];
const episode = [fixed(s(6, 2)), index([0, 1, 2, 0, 1, 2]), fixed(s(4, 2))];
const metric = (make: (embedding: nn.Sequential) => meta.ProtoNet | meta.MatchingNet | meta.SiameseNet) => (xs: Tensor, ys: Tensor, xq: Tensor, w: Tensor, b: Tensor) => {
  const learner = make(embedding());
  return withWeights(learner, [w, b], () => learner.forward(xs, ys, xq, 3));
};

/** The meta-learners (src/meta): meta-losses through their inner loops, and the metric learners' scores. */
export const metaCases: Case[] = [
  ['MAML meta-loss, 2 second-order inner steps', mamlCase((n) => new meta.MAML(n, { lr: 0.3 }), 2), [...task, ...net]],
  ['FOMAML meta-loss, 2 inner steps', mamlCase((n) => new meta.MAML(n, { lr: 0.3, firstOrder: true }), 2), [...task, ...net]],
  ['MAML with inner Adam, 3 steps', mamlCase((n) => new meta.MAML(n, { lr: 0.05 }), 3, { optimizer: 'adam' }), [...task, ...net]],
  ['Meta-SGD meta-loss: learnt rates', mamlCase((n) => new meta.MetaSGD(n, { lr: 0.1 }), 1), [...task, ...net, ...net.map((spec) => ({ ...spec, positive: true }))]],
  ['ANIL meta-loss: body features, adapted head', (...t) => {
    const anil = new meta.ANIL(embedding(), new nn.Linear(4, 1), { lr: 0.2 });
    const [xs, ys, xq, yq] = t;
    return withWeights(anil, t.slice(4), () => {
      const learner = anil.clone();
      const [fs, fq] = [anil.features(xs), anil.features(xq)];
      learner.adapt(F.mseLoss(learner.forward(fs), ys)).adapt(F.mseLoss(learner.forward(fs), ys));
      return F.mseLoss(learner.forward(fq), yq);
    });
  }, [...task, ...net]],
  ['MAML batched over 3 tasks: one forward and backward, per-task weights', (...t) => {
    const maml = new meta.MAML(tanhNet(), { lr: 0.3 });
    const [xs, ys, xq, yq] = t;
    const perTask = (a: Tensor, b: Tensor) => F.mseLoss(a, b, { reduction: 'none' }).mean([1, 2]);
    return withWeights(maml, t.slice(4), () => {
      const learner = maml.clone({ tasks: 3 });
      learner.adapt(perTask(learner.forward(xs), ys)).adapt(perTask(learner.forward(xs), ys));
      return perTask(learner.forward(xq), yq);
    });
  }, [fixed(s(3, 6, 2)), fixed(s(3, 6, 1)), fixed(s(3, 5, 2)), fixed(s(3, 5, 1)), ...net]],
  ['MAML batched over 3 tasks, conv → batch norm → max-pool → linear (few-shot Conv-4 block)', (...t) => {
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3, { padding: 1 }), new nn.BatchNorm2d(2, { trackRunningStats: false }), new nn.Tanh(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3));
    const maml = new meta.MAML(net, { lr: 0.5 });
    const [xs, ys, xq, yq] = t;
    const perTask = (logits: Tensor, labels: Tensor) => F.crossEntropy(logits.reshape([-1, 3]), labels.reshape([-1]), { reduction: 'none' }).reshape([3, -1]).mean(1);
    return withWeights(maml, t.slice(4), () => {
      const learner = maml.clone({ tasks: 3 });
      learner.adapt(perTask(learner.forward(xs), ys)).adapt(perTask(learner.forward(xs), ys));
      return perTask(learner.forward(xq), yq);
    });
  }, [fixed(s(3, 3, 1, 4, 4)), index([0, 1, 2, 2, 0, 1, 1, 2, 0], [3, 3]), fixed(s(3, 2, 1, 4, 4)), index([2, 0, 1, 1, 0, 2], [3, 2]), s(2, 1, 3, 3), s(2), pos(2), s(2), s(3, 8), s(3)]],
  ['ProtoNet scores', metric((e) => new meta.ProtoNet(e)), [...episode, s(4, 2), s(4)]],
  ['MatchingNet scores', metric((e) => new meta.MatchingNet(e, { scale: 3 })), [...episode, s(4, 2), s(4)]],
  ['SiameseNet scores', metric((e) => new meta.SiameseNet(e)), [...episode, s(4, 2), s(4)]],
];
