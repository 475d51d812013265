// nn on the CPU reference: Linear (init, fused forward, gradients), module naming, state dicts,
// and the losses (values by hand, gradients by finite differences, the article's two bugs).
import { beforeAll, describe, expect, test } from 'vitest';
import { grad, gradcheck, init, manualSeed, models, nn, rand, randn, tensor, type Tensor } from '../src/index.js';

const F = nn.functional;

beforeAll(async () => {
  await init({ backend: 'reference' }); // float64: values by hand to 10 digits, and gradcheck
});
const values = async (t: Tensor): Promise<number[]> => Array.from(await t.rawData());
async function expectValues(t: Tensor, expected: number[], digits = 10): Promise<void> {
  const got = await values(t);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

describe('Linear', () => {
  test('weight [out, in] and bias [out] drawn from U(−1/√in, 1/√in)', async () => {
    manualSeed(0);
    const layer = new nn.Linear(400, 300);
    expect(layer.weight.shape).toEqual([300, 400]);
    expect(layer.bias!.shape).toEqual([300]);
    const bound = 1 / Math.sqrt(400);
    for (const p of [layer.weight, layer.bias!]) {
      const v = await values(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(p.requiresGrad).toBe(true);
    }
    // Uniform on [−b, b]: mean 0, variance b²/3, and a quarter of the mass in each quarter.
    const w = await values(layer.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    expect(Math.abs(mean)).toBeLessThan(0.02 * bound);
    expect(variance / (bound ** 2 / 3)).toBeCloseTo(1, 1);
    const quarter = w.filter((x) => x > bound / 2).length / w.length;
    expect(quarter).toBeCloseTo(0.25, 1);
  });

  test('forward is x·Wᵀ + b (against an explicit loop), for 2-D and 3-D inputs', async () => {
    const layer = new nn.Linear(3, 2);
    const x = randn([2, 4, 3]);
    const [w, b, xs] = [await values(layer.weight), await values(layer.bias!), await values(x)];
    const expected = Array.from({ length: 8 * 2 }, (_, i) => {
      const [row, o] = [Math.floor(i / 2), i % 2];
      return b[o] + [0, 1, 2].reduce((acc, k) => acc + xs[row * 3 + k] * w[o * 3 + k], 0);
    });
    const y = layer.forward(x);
    expect(y.shape).toEqual([2, 4, 2]);
    await expectValues(y, expected);
    await expectValues(layer.forward(x.reshape([8, 3])), expected);
  });

  test('the fused bias kernel equals matmul + add, and without bias equals matmul', async () => {
    const x = randn([5, 7]);
    const w = randn([4, 7]);
    const b = randn([4]);
    await expectValues(F.linear(x, w, b), await values(x.matmul(w.T).add(b)));
    await expectValues(F.linear(x, w), await values(x.matmul(w.T)));
    await expectValues(F.linear(x.T.contiguous().T, w, b), await values(x.matmul(w.T).add(b)));
  });

  test('gradients of input, weight and bias match finite differences', async () => {
    const x = randn([2, 3, 5], { requiresGrad: true });
    const w = randn([4, 5], { requiresGrad: true });
    const b = randn([4], { requiresGrad: true });
    await gradcheck((x, w, b) => F.linear(x, w, b), [x, w, b]);
    await gradcheck((x, w) => F.linear(x, w), [x.narrow(1, 1, 2).detach(), w]);
  });

  test('a mismatched input names the op and the shapes', () => {
    expect(() => new nn.Linear(10, 5).forward(randn([4, 3]))).toThrow('linear: input [4,3] does not fit weight [5,10]');
  });
});

describe('Module', () => {
  test("namedParameters gives PyTorch's dotted names in registration order", () => {
    const net = new models.MultiTaskNet(10, 3, 5);
    expect(net.namedParameters().map(([name]) => name)).toEqual([
      'sharedLayer.weight', 'sharedLayer.bias',
      'taskLayers.0.weight', 'taskLayers.0.bias',
      'taskLayers.1.weight', 'taskLayers.1.bias',
      'taskLayers.2.weight', 'taskLayers.2.bias',
    ]);
    expect(net.parameters()).toHaveLength(8);
    expect(net.children()).toHaveLength(2);
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1, { bias: false }));
    expect(seq.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '2.weight']);
  });

  test('HardSharingNet names heads by task and SharedParameterNet shares one matrix', () => {
    const net = new models.HardSharingNet({ trunk: new nn.Linear(4, 3), heads: { ner: new nn.Linear(3, 2), pos: new nn.Linear(3, 5) } });
    expect(net.namedParameters().map(([n]) => n)).toEqual(['trunk.weight', 'trunk.bias', 'heads.ner.weight', 'heads.ner.bias', 'heads.pos.weight', 'heads.pos.bias']);
    const { shared, tasks } = net.forward(randn([6, 4]));
    expect(shared.shape).toEqual([6, 3]);
    expect(tasks.ner.shape).toEqual([6, 2]);
    expect(tasks.pos.shape).toEqual([6, 5]);

    const sp = new models.SharedParameterNet({ inputDim: 4, taskNum: 2, sharedDims: [3, 6], outputDim: 2 });
    expect(sp.namedParameters()[0][0]).toBe('shared');
    expect(sp.shared.shape).toEqual([3, 6]);
    expect(sp.forward(randn([5, 4])).tasks.map((t) => t.shape)).toEqual([[5, 2], [5, 2]]);
    expect(() => sp.forward([randn([5, 4])])).toThrow('SharedParameterNet: got 1 task inputs for 2 tasks');
  });

  test('train() and eval() reach every submodule', () => {
    const net = new models.MultiTaskNet(4, 2, 3).eval();
    expect([net, ...net.children(), net.taskLayers[1]].every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.taskLayers[0].training).toBe(true);
  });

  test('stateDict round-trip reproduces outputs exactly', async () => {
    const a = new models.MultiTaskNet(10, 3, 5);
    const b = new models.MultiTaskNet(10, 3, 5);
    const x = randn([7, 10]);
    b.loadStateDict(a.stateDict());
    const [ya, yb] = [a.forward(x), b.forward(x)];
    for (let i = 0; i < 3; i++) expect(await values(yb.tasks[i])).toEqual(await values(ya.tasks[i]));
    expect(await values(yb.shared)).toEqual(await values(ya.shared));
  });

  test('a bad loadStateDict names the key and writes nothing', async () => {
    const net = new models.OneShotNet(4, 2);
    const before = await values(net.layer.weight);
    expect(() => net.loadStateDict({ 'layer.weight': randn([2, 4]) })).toThrow('missing keys: layer.bias');
    expect(() => net.loadStateDict({ ...net.stateDict(), extra: randn([1]) })).toThrow('unexpected keys: extra');
    expect(() => net.loadStateDict({ 'layer.weight': randn([4, 2]), 'layer.bias': randn([2]) })).toThrow(
      'size mismatch for layer.weight: checkpoint [4,2], model [2,4]',
    );
    expect(await values(net.layer.weight)).toEqual(before);
    expect(net.loadStateDict({ 'layer.bias': tensor([1, 2]) }, { strict: false }).missingKeys).toEqual(['layer.weight']);
    expect(await values(net.layer.bias!)).toEqual([1, 2]);
  });

  test('zeroGrad clears every gradient', () => {
    const net = new models.OneShotNet(3, 2);
    net.forward(randn([1, 3])).sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('losses', () => {
  const x = tensor([[0.5, -1], [2, 0]]);
  const y = tensor([[1, 1], [0, -2]]);

  test('mseLoss with each reduction, by hand', async () => {
    const squared = [0.25, 4, 4, 4];
    await expectValues(new nn.MSELoss().forward(x, y), [12.25 / 4]);
    await expectValues(F.mseLoss(x, y, { reduction: 'sum' }), [12.25]);
    await expectValues(F.mseLoss(x, y, { reduction: 'none' }), squared);
    expect(() => F.mseLoss(x, y, { reduction: 'avg' as 'mean' })).toThrow("mseLoss: reduction must be 'mean', 'sum' or 'none'");
  });

  test("the article's two loss bugs raise, naming both shapes and the fix", () => {
    const criterion = new nn.MSELoss();
    expect(() => criterion.forward(randn([100, 5]), randn([100, 3]))).toThrow('mseLoss: input [100,5] and target [100,3] must have the same shape');
    const column = () => criterion.forward(randn([100, 1]), randn([100]));
    expect(column).toThrow('mseLoss: input [100,1] and target [100] must have the same shape');
    expect(column).toThrow('[100,100]');
    expect(column).toThrow('y.narrow(1, i, 1)');
  });

  test('crossEntropy with class indices, probabilities and label smoothing, by hand', async () => {
    const logits = tensor([[1, 2, 3], [1, 1, 1]]);
    const lse = [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 1 + Math.log(3)];
    const logp = [[1 - lse[0], 2 - lse[0], 3 - lse[0]], [1 - lse[1], 1 - lse[1], 1 - lse[1]]];
    const targets = tensor([2, 0]);
    await expectValues(F.crossEntropy(logits, targets, { reduction: 'none' }), [-logp[0][2], -logp[1][0]]);
    await expectValues(new nn.CrossEntropyLoss().forward(logits, targets), [(-logp[0][2] - logp[1][0]) / 2]);
    const q = [[0.2, 0.3, 0.5], [1, 0, 0]];
    const byProbabilities = q.map((row, i) => -row.reduce((a, p, c) => a + p * logp[i][c], 0));
    await expectValues(F.crossEntropy(logits, tensor(q), { reduction: 'sum' }), [byProbabilities[0] + byProbabilities[1]], 6);
    const eps = 0.3;
    const smooth = (row: number, target: number) => -logp[row].reduce((a, lp, c) => a + ((c === target ? 1 - eps : 0) + eps / 3) * lp, 0);
    await expectValues(F.crossEntropy(logits, targets, { labelSmoothing: eps, reduction: 'none' }), [smooth(0, 2), smooth(1, 0)]);
  });

  test('crossEntropy: a class index out of range gives NaN, not a silent zero; bad targets throw', async () => {
    const loss = F.crossEntropy(tensor([[1, 2, 3]]), tensor([3]), { reduction: 'none' });
    expect(Number.isNaN((await values(loss))[0])).toBe(true);
    expect(() => F.crossEntropy(randn([4, 3]), randn([4, 2]))).toThrow('crossEntropy: target [4,2] fits neither class indices [4] nor class probabilities [4,3]');
  });

  test('binaryCrossEntropyWithLogits is exact and stable for large logits', async () => {
    const logits = tensor([100, -100, 0, 2]);
    const target = tensor([0, 1, 1, 0.25]);
    const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    const expected = [100, 100, Math.log(2), softplus(2) - 2 * 0.25];
    await expectValues(new nn.BCEWithLogitsLoss({ reduction: 'none' }).forward(logits, target), expected);
    await expectValues(F.binaryCrossEntropyWithLogits(logits, target), [expected.reduce((a, b) => a + b) / 4]);
  });

  test('loss gradients match finite differences', async () => {
    manualSeed(3);
    const logits = randn([4, 5], { requiresGrad: true });
    const probabilities = rand([4, 5], { requiresGrad: true });
    await gradcheck((l) => F.crossEntropy(l, tensor([0, 4, 2, 2]), { labelSmoothing: 0.1 }), [logits]);
    await gradcheck((l, p) => F.crossEntropy(l, p, { reduction: 'sum' }), [logits, probabilities]);
    await gradcheck((l) => F.crossEntropy(l, tensor([0, 4, 2, 2])), [logits]);
    await gradcheck((l) => F.crossEntropy(l.narrow(0, 1, 1).reshape([5]), tensor(3), { reduction: 'sum' }), [logits]);
    await gradcheck((l) => grad(F.crossEntropy(l.tanh(), tensor([1, 0, 4, 4])), l, { createGraph: true })[0], [logits]);
    await gradcheck((l, t) => F.binaryCrossEntropyWithLogits(l, t), [logits, probabilities]);
    await gradcheck((a, b) => F.mseLoss(a, b, { reduction: 'sum' }), [logits, probabilities]);
  });

  test('mseLoss (one fused node) against strided targets, and its second derivatives', async () => {
    manualSeed(4);
    const x = randn([3, 5], { requiresGrad: true });
    const y = randn([5, 3], { requiresGrad: true });
    await gradcheck((a, b) => F.mseLoss(a, b.T), [x, y]);
    await gradcheck((a, b) => F.mseLoss(a.narrow(1, 1, 2), b.T.narrow(1, 0, 2), { reduction: 'sum' }), [x, y]);
    // The gradient node is differentiable in x, y and the upstream gradient.
    await gradcheck((a, b) => grad(F.mseLoss(a.tanh(), b.T).mul(b.sum()), [a, b], { createGraph: true })[0], [x, y]);
    await gradcheck((a, b) => grad(F.mseLoss(a.tanh(), b.T), b, { createGraph: true })[0], [x, y]);
  });
});
