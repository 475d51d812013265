// The new nn layers on the float64 reference: gradchecks (second order for the smooth ones),
// train()/eval() switching Dropout and BatchNorm, dropout's statistics and seed, Embedding's padding
// row, nn.init's distributions and in-place writes, ModuleDict, buffers through a checkpoint, and
// the argument errors. (Values against PyTorch: layers-torch.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { grad, gradcheck, init, load, manualSeed, memory, nn, ones, randn, save, tensor, tidy, zeros, type Tensor } from '../src/index.js';

const F = nn.functional;
const values = async (t: Tensor): Promise<number[]> => Array.from(await t.rawData());

beforeAll(async () => {
  await init({ backend: 'reference' });
  manualSeed(3);
});

const r = (...shape: number[]) => randn(shape, { requiresGrad: true });
const fixedRandn = (...shape: number[]) => randn(shape);
const probs = (...shape: number[]) => randn(shape).sigmoid().detach();
const trainable = (t: Tensor): Tensor => {
  t.requiresGrad = true;
  return t;
};

/** First-order gradchecks: [name, fn, inputs]. */
const FIRST: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
  ['batchNorm training', (x, w, b) => F.batchNorm(x, null, null, w, b, { training: true }), () => [r(4, 3, 2), r(3), r(3)]],
  ['batchNorm eval', (x, w, b) => F.batchNorm(x, zeros([3]).add(0.2), ones([3]).mul(1.5), w, b), () => [r(4, 3), r(3), r(3)]],
  ['layerNorm', (x, w, b) => F.layerNorm(x, [3, 2], w, b), () => [r(2, 3, 2), r(3, 2), r(3, 2)]],
  ['gelu', (x) => F.gelu(x), () => [r(12)]],
  ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' }), () => [r(12)]],
  ['leakyRelu', (x) => F.leakyRelu(x, 0.1), () => [r(12)]],
  ['embedding', (w) => F.embedding(tensor([[0, 2], [2, 3]]), w), () => [r(4, 3)]],
  ['l1Loss', (x, y) => F.l1Loss(x, y), () => [r(3, 4), r(3, 4)]],
  ['nllLoss weighted', (x) => F.nllLoss(x, tensor([1, 0, 2, 1]), { weight: tensor([0.5, 1, 2]) }), () => [r(4, 3)]],
  ['binaryCrossEntropy', (x, y) => F.binaryCrossEntropy(x.sigmoid(), y), () => [r(3, 4), probs(3, 4)]],
  ['smoothL1Loss', (x, y) => F.smoothL1Loss(x, y, { beta: 0.8 }), () => [r(3, 4), r(3, 4)]],
  ['huberLoss', (x, y) => F.huberLoss(x, y, { delta: 0.6 }), () => [r(3, 4), r(3, 4)]],
  ['klDiv batchmean', (x, y) => F.klDiv(x.logSoftmax(1), y, { reduction: 'batchmean' }), () => [r(3, 4), probs(3, 4)]],
  ['cosineEmbeddingLoss', (a, b) => F.cosineEmbeddingLoss(a, b, tensor([1, -1, -1]), { margin: -0.5 }), () => [r(3, 4), r(3, 4)]],
  ['contrastiveLoss of embeddings', (a, b) => F.contrastiveLoss(a, b, tensor([0, 1, 1, 0]), { margin: 3 }), () => [r(4, 3), r(4, 3)]],
];

describe('gradcheck (float64)', () => {
  test.each(FIRST)('%s', async (_, fn, make) => {
    expect(await gradcheck(fn, make())).toBeLessThan(1e-5);
  });

  // Second order: the gradient of sum(f · v) for a fixed v, itself checked against finite differences.
  const SECOND: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
    ['batchNorm training', (x, w) => F.batchNorm(x, null, null, w, null, { training: true }), () => [r(4, 2), r(2)]],
    ['layerNorm', (x, w) => F.layerNorm(x, 3, w), () => [r(2, 3), r(3)]],
    ['gelu', (x) => F.gelu(x), () => [r(8)]],
    ['smoothL1Loss', (x, y) => F.smoothL1Loss(x, y, { reduction: 'none' }), () => [r(8), r(8)]],
    ['huberLoss', (x, y) => F.huberLoss(x, y, { reduction: 'none', delta: 0.5 }), () => [r(8), r(8)]],
    ['klDiv', (x, y) => F.klDiv(x, y, { reduction: 'none' }), () => [r(2, 3), trainable(probs(2, 3))]],
    ['binaryCrossEntropy', (x, y) => F.binaryCrossEntropy(x.sigmoid(), y, { reduction: 'none' }), () => [r(6), probs(6)]],
    ['cosineEmbeddingLoss', (a, b) => F.cosineEmbeddingLoss(a, b, tensor([1, -1]), { reduction: 'none', margin: -1 }), () => [r(2, 3), r(2, 3)]],
    ['contrastiveLoss', (a, b) => F.contrastiveLoss(a, b, tensor([0, 1]), { reduction: 'none', margin: 4 }), () => [r(2, 3), r(2, 3)]],
  ];
  test.each(SECOND)('%s, second order', async (_, fn, make) => {
    const inputs = make();
    const v = fixedRandn(...tidy(() => fn(...inputs)).shape);
    const first = (...xs: Tensor[]) => grad(fn(...xs).mul(v).sum(), xs.filter((x) => x.requiresGrad), { createGraph: true })[0];
    expect(await gradcheck(first, inputs)).toBeLessThan(1e-5);
  });
});

describe('train() and eval()', () => {
  test('switch Dropout and BatchNorm, recursively, inside ModuleDict and Sequential', async () => {
    manualSeed(11);
    const bn = new nn.BatchNorm1d(4);
    const drop = new nn.Dropout(0.5);
    const linear = new nn.Linear(3, 4);
    const model = new nn.Sequential(linear, drop, new nn.ModuleDict({ bn }));
    const h = linear.forward(randn([8, 3]));
    const [a, b] = [drop.forward(h), drop.forward(h)];
    expect(await values(a)).not.toEqual(await values(b));
    model.eval();
    expect([model.training, drop.training, bn.training]).toEqual([false, false, false]);
    expect(drop.forward(h)).toBe(h);
    // eval BatchNorm: (x − running_mean) / √(running_var + eps), the running stats after one train step.
    model.train();
    bn.forward(h);
    model.eval();
    const [mean, variance] = [await values(bn.running_mean!), await values(bn.running_var!)];
    const y = await values(bn.forward(h));
    const hv = await values(h);
    hv.forEach((v, i) => expect(y[i]).toBeCloseTo((v - mean[i % 4]) / Math.sqrt(variance[i % 4] + 1e-5), 10));
    expect(await values(bn.num_batches_tracked!)).toEqual([1]);
    bn.forward(h); // eval leaves the buffers alone
    expect(await values(bn.running_mean!)).toEqual(mean);
    expect(await values(bn.num_batches_tracked!)).toEqual([1]);
  });

  test('BatchNorm leaves no tensor behind (its buffers are updated in place)', () => {
    const bn = new nn.BatchNorm2d(3, { momentum: null });
    const x = randn([2, 3, 2, 2]);
    const before = memory().tensors;
    const buffers = bn.buffers();
    bn.forward(x).dispose();
    expect(memory().tensors).toBe(before);
    expect(bn.buffers()).toEqual(buffers);
  });
});

describe('dropout', () => {
  test('zeroes about p of the elements, scales the rest by 1/(1 − p); one seed, one mask', async () => {
    const x = ones([20000]);
    manualSeed(5);
    const y = await values(F.dropout(x, 0.3));
    const zeroed = y.filter((v) => v === 0).length / y.length;
    expect(zeroed).toBeCloseTo(0.3, 1.5);
    y.filter((v) => v !== 0).forEach((v) => expect(v).toBeCloseTo(1 / 0.7, 12));
    manualSeed(5);
    expect(await values(F.dropout(x, 0.3))).toEqual(y);
  });

  test('p = 0 and eval are the identity, p = 1 gives zeros; the gradient goes through the same mask', async () => {
    const x = r(50);
    expect(F.dropout(x, 0)).toBe(x);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    expect((await values(F.dropout(x, 1))).every((v) => v === 0)).toBe(true);
    const y = F.dropout(x, 0.5);
    y.sum().backward();
    const [yv, xv, g] = [await values(y), await values(x), await values(x.grad!)];
    yv.forEach((v, i) => expect(g[i]).toBeCloseTo(v === 0 && xv[i] !== 0 ? 0 : 2, 12));
  });

  test('refuses p outside [0, 1]', () => {
    expect(() => F.dropout(ones([2]), 1.5)).toThrow('dropout: p must be a probability in [0, 1], got the number 1.5');
    expect(() => new nn.Dropout(-1)).toThrow('Dropout: p must be a probability');
  });
});

describe('Embedding', () => {
  test('N(0, 1) weight, the padding row zero and without gradient', async () => {
    manualSeed(2);
    const emb = new nn.Embedding(200, 50, { paddingIdx: 3 });
    const w = await values(emb.weight);
    expect(w.slice(150, 200)).toEqual(new Array(50).fill(0));
    const rest = w.filter((_, i) => i < 150 || i >= 200);
    const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
    const variance = rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(variance).toBeCloseTo(1, 1);
    const out = emb.forward(tensor([[3, 1], [1, 3]]));
    expect(out.shape).toEqual([2, 2, 50]);
    out.sum().backward();
    const g = await values(emb.weight.grad!);
    expect(g.slice(150, 200)).toEqual(new Array(50).fill(0));
    expect(g.slice(50, 100)).toEqual(new Array(50).fill(2));
    expect(new nn.Embedding(5, 2, { paddingIdx: -1 }).paddingIdx).toBe(4);
  });
});

describe('nn.init', () => {
  const stats = async (t: Tensor) => {
    const v = await values(t);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { max: Math.max(...v.map(Math.abs)), std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), mean };
  };

  test('calculateGain follows torch.nn.init.calculate_gain', () => {
    expect(nn.init.calculateGain('linear')).toBe(1);
    expect(nn.init.calculateGain('conv2d')).toBe(1);
    expect(nn.init.calculateGain('sigmoid')).toBe(1);
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(nn.init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 15);
    expect(nn.init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 15);
    expect(nn.init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(nn.init.calculateGain('selu')).toBe(0.75);
    expect(() => nn.init.calculateGain('swish' as 'relu')).toThrow("calculateGain: nonlinearity must be one of 'linear'");
  });

  test('write in place and return the same tensor, with the fans of [out, in, kh, kw]', async () => {
    const w = zeros([64, 32, 3, 3]); // fan_in 288, fan_out 576
    expect(nn.init.kaimingUniform(w, { nonlinearity: 'relu' })).toBe(w);
    let s = await stats(w);
    const bound = Math.SQRT2 * Math.sqrt(3 / 288);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.max).toBeGreaterThan(0.99 * bound);
    nn.init.kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu' });
    s = await stats(w);
    expect(s.std / (Math.SQRT2 / Math.sqrt(576))).toBeCloseTo(1, 1);
    nn.init.xavierUniform(w, 2);
    s = await stats(w);
    const xb = 2 * Math.sqrt(6 / (288 + 576));
    expect(s.max).toBeLessThanOrEqual(xb);
    expect(s.max).toBeGreaterThan(0.99 * xb);
    nn.init.xavierNormal(w);
    expect((await stats(w)).std / Math.sqrt(2 / 864)).toBeCloseTo(1, 1);
    nn.init.normal(w, 3, 0.5);
    s = await stats(w);
    expect(s.mean).toBeCloseTo(3, 1);
    expect(s.std).toBeCloseTo(0.5, 1);
    nn.init.uniform(w, -0.25, 0.75);
    expect((await values(w)).every((v) => v >= -0.25 && v <= 0.75)).toBe(true);
    expect(await values(nn.init.ones(zeros([3])))).toEqual([1, 1, 1]);
    expect(await values(nn.init.zeros(ones([2])))).toEqual([0, 0]);
  });

  test("Linear's default init is PyTorch's: kaiming_uniform(a = √5) = U(±1/√in), bias U(±1/√in)", async () => {
    manualSeed(1);
    const layer = new nn.Linear(250, 400);
    const bound = 1 / Math.sqrt(250);
    for (const p of [layer.weight, layer.bias!]) {
      const s = await stats(p);
      expect(s.max).toBeLessThanOrEqual(bound);
      expect(s.max).toBeGreaterThan(0.98 * bound);
      expect(s.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    }
  });

  test('a parameter re-initialised in place stays the parameter the optimizer and state dict hold', async () => {
    const layer = new nn.Linear(3, 2);
    const sd = layer.stateDict();
    nn.init.zeros(layer.weight);
    expect(sd.weight).toBe(layer.weight);
    expect(await values(sd.weight)).toEqual(new Array(6).fill(0));
    expect(layer.parameters()).toContain(layer.weight);
  });

  test('argument errors', () => {
    expect(() => nn.init.kaimingUniform(zeros([3]))).toThrow('kaimingUniform: fan in and fan out need a tensor of at least 2 dims ([out, in, ...]), got [3]');
    expect(() => nn.init.kaimingNormal(zeros([3, 3]), { mode: 'fan_in' as 'fanIn' })).toThrow("kaimingNormal: mode must be one of 'fanIn', 'fanOut'");
    expect(() => nn.init.uniform(zeros([3]), 1, 0)).toThrow('uniform: needs a ≤ b, got a = 1, b = 0');
    expect(() => nn.init.normal([1] as unknown as Tensor)).toThrow('normal: tensor must be a Tensor');
  });
});

describe('ModuleDict', () => {
  test('named children in parameters() and stateDict(), map-like access, iteration over keys', () => {
    const dict = new nn.ModuleDict<nn.Module>({ a: new nn.Linear(2, 3), b: new nn.BatchNorm1d(3) });
    dict.set('c', new nn.Identity());
    expect([...dict]).toEqual(['a', 'b', 'c']);
    expect(dict.size).toBe(3);
    expect(dict.get('a')).toBeInstanceOf(nn.Linear);
    expect(dict.has('z')).toBe(false);
    expect(dict.namedParameters().map(([k]) => k)).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    expect(Object.keys(dict.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias', 'b.running_mean', 'b.running_var', 'b.num_batches_tracked']);
    expect(() => dict.set('x.y', new nn.Identity())).toThrow("ModuleDict: keys must be non-empty strings without '.'");
    expect(() => dict.forward()).toThrow('ModuleDict has no forward');
  });

  test('a ModuleDict returned from tidy keeps its modules; dispose frees parameters and buffers', () => {
    const before = memory().tensors;
    const dict = tidy(() => new nn.ModuleDict({ bn: new nn.BatchNorm2d(2) }));
    expect(memory().tensors).toBe(before + 5);
    dict.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('buffers through a checkpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-layers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('running statistics and num_batches_tracked are saved and loaded back; parameters() leaves them out', async () => {
    const model = new nn.Sequential(new nn.BatchNorm2d(2), new nn.Flatten(), new nn.Linear(8, 3));
    for (let i = 0; i < 3; i++) model.forward(randn([4, 2, 2, 2]));
    expect(model.parameters().length).toBe(4);
    const path = join(dir, 'bn.safetensors');
    await save(model.stateDict(), path);
    const loaded = await load(path);
    expect(Object.keys(loaded)).toEqual(['0.weight', '0.bias', '0.running_mean', '0.running_var', '0.num_batches_tracked', '2.weight', '2.bias']);
    const fresh = new nn.Sequential(new nn.BatchNorm2d(2), new nn.Flatten(), new nn.Linear(8, 3));
    fresh.loadStateDict(loaded);
    const float32 = async (t: Tensor) => Array.from(await t.data()); // the file holds float32
    for (const [k, v] of Object.entries(model.stateDict())) expect(await float32(fresh.stateDict()[k]), k).toEqual(await float32(v));
    expect(await values(fresh.stateDict()['0.num_batches_tracked'])).toEqual([3]);
    const x = randn([2, 2, 2, 2]);
    model.eval();
    fresh.eval();
    const [a, b] = [await values(fresh.forward(x)), await values(model.forward(x))];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
    const { '0.running_var': _, ...missing } = loaded;
    expect(() => fresh.loadStateDict(missing)).toThrow('loadStateDict: missing keys: 0.running_var');
  });
});

describe('argument errors name the op, the shapes and the fix', () => {
  test.each([
    ['BatchNorm2d on 3-D', () => new nn.BatchNorm2d(3).forward(randn([2, 3, 4])), 'BatchNorm2d(3): input [2,3,4] must be [N, C, H, W] with C = 3'],
    ['BatchNorm1d channels', () => new nn.BatchNorm1d(3).forward(randn([2, 4])), 'BatchNorm1d(3): input [2,4] must be [N, C] or [N, C, L] with C = 3'],
    ['one value per channel', () => F.batchNorm(randn([1, 3]), null, null, null, null, { training: true }), 'batchNorm: training needs more than 1 value per channel'],
    ['eval without running stats', () => F.batchNorm(randn([2, 3]), null, null), 'batchNorm: eval mode (training: false) normalises with runningMean and runningVar, which are null'],
    ['running stats shape', () => F.batchNorm(randn([2, 3]), zeros([2]), ones([2])), 'batchNorm: runningMean [2] must be [3] for input [2,3]'],
    ['layerNorm shape', () => F.layerNorm(randn([2, 3]), [2]), 'layerNorm: input [2,3] must end with normalizedShape [2]'],
    ['nllLoss target', () => F.nllLoss(randn([4, 3]), tensor([0, 1])), 'nllLoss: target [2] must be the class indices [4] of input [4,3]'],
    ['smoothL1Loss beta', () => F.smoothL1Loss(randn([2]), randn([2]), { beta: -1 }), 'smoothL1Loss: beta must be a finite number ≥ 0, got the number -1'],
    ['klDiv reduction', () => F.klDiv(randn([2]), randn([2]), { reduction: 'avg' as 'sum' }), "klDiv: reduction must be 'mean', 'sum' or 'none'"],
    ['contrastive label', () => F.contrastiveLoss(randn([3, 2]), randn([3, 2]), tensor([0, 1])), 'contrastiveLoss: label [2] must be [3], one 0 (similar) or 1 (dissimilar) per pair'],
    ['cosine shapes', () => F.cosineEmbeddingLoss(randn([3, 2]), randn([3, 2]), tensor([1, 1])), 'cosineEmbeddingLoss: x1 [3,2] and x2 [3,2] must both be [N, D] (or [D]) and y [2] must be [N] (or [])'],
    ['Flatten dims', () => new nn.Flatten(2, 1).forward(randn([2, 3, 4])), 'Flatten: startDim 2 comes after endDim 1 for input [2,3,4]'],
    ['Embedding padding', () => new nn.Embedding(3, 2, { paddingIdx: 3 }), 'Embedding: paddingIdx must be an integer in [-3, 3), got the number 3'],
    ['unknown option', () => new nn.BatchNorm1d(3, { momentun: 0.1 } as nn.BatchNormLayerOptions), "BatchNorm1d: unknown option(s) 'momentun'"],
  ] as const)('%s', (_, fn, message) => {
    expect(fn).toThrow(message);
  });

  test('Flatten, Identity, Softmax, LogSoftmax, LeakyReLU, GELU modules', async () => {
    const x = randn([2, 3, 4]);
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new nn.Flatten(0, 1).forward(x).shape).toEqual([6, 4]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(await values(new nn.Softmax(1).forward(x))).toEqual(await values(x.softmax(1)));
    expect(await values(new nn.LogSoftmax(-1).forward(x))).toEqual(await values(x.logSoftmax(-1)));
    expect(await values(new nn.LeakyReLU(0.2).forward(tensor([-1, 2])))).toEqual([-0.2, 2]);
    expect(await values(new nn.GELU().forward(tensor([0])))).toEqual([0]);
  });
});

test('the loss modules call their functional forms with the options given at construction', async () => {
  const [x, y, t] = [randn([4, 3]), randn([4, 3]), tensor([1, 0, 2, 1])];
  const pairs: [nn.Module & { forward(a: Tensor, b: Tensor): Tensor }, Tensor][] = [
    [new nn.L1Loss({ reduction: 'sum' }), F.l1Loss(x, y, { reduction: 'sum' })],
    [new nn.SmoothL1Loss({ beta: 0.3 }), F.smoothL1Loss(x, y, { beta: 0.3 })],
    [new nn.HuberLoss({ delta: 0.3, reduction: 'none' }), F.huberLoss(x, y, { delta: 0.3, reduction: 'none' })],
    [new nn.KLDivLoss({ reduction: 'batchmean', logTarget: true }), F.klDiv(x, y, { reduction: 'batchmean', logTarget: true })],
  ];
  for (const [module, expected] of pairs) expect(await values(module.forward(x, y))).toEqual(await values(expected));
  expect(await values(new nn.NLLLoss({ ignoreIndex: 2 }).forward(x, t))).toEqual(await values(F.nllLoss(x, t, { ignoreIndex: 2 })));
  expect(await values(new nn.BCELoss().forward(x.sigmoid(), y.sigmoid()))).toEqual(await values(F.binaryCrossEntropy(x.sigmoid(), y.sigmoid())));
  const label = tensor([1, -1, -1, 1]);
  expect(await values(new nn.CosineEmbeddingLoss({ margin: 0.5 }).forward(x, y, label))).toEqual(await values(F.cosineEmbeddingLoss(x, y, label, { margin: 0.5 })));
  const same = tensor([0, 1, 1, 0]);
  expect(await values(new nn.ContrastiveLoss({ margin: 2 }).forward(x, y, same))).toEqual(await values(F.contrastiveLoss(x, y, same, { margin: 2 })));
});
