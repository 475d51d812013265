// nn.functionalCall: the module's own forward with tensors swapped in by name — the same values as
// the forward it replaces, differentiable in the given tensors (to second order, MAML's inner step),
// shared tensors swapped everywhere, BatchNorm's buffers, and the module untouched afterwards.
import { beforeAll, describe, expect, test } from 'vitest';
import { grad, gradcheck, init, manualSeed, models, nn, randn, tensor, type Tensor } from '../src/index.js';
import { exportedModuleClasses, sweep, tensorsOf } from './module-sweep.js';

beforeAll(async () => {
  await init({ backend: 'reference' });
  manualSeed(5);
});

const values = async (t: Tensor) => Array.from(await t.data());
const clones = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.mul(1)]));

describe('nn.functionalCall', () => {
  test('swaps parameters by dotted name for one call, and leaves the module as it was', async () => {
    const net = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));
    const x = randn([5, 4]);
    const [W, b] = [randn([2, 3]), randn([2])];
    const own = net.stateDict();
    const ownValues = await Promise.all(Object.values(own).map(values));
    const out = nn.functionalCall(net, { '2.weight': W, '2.bias': b }, x);
    const h = nn.functional.relu(nn.functional.linear(x, own['0.weight'], own['0.bias']));
    expect(await values(out)).toEqual(await values(nn.functional.linear(h, W, b)));
    expect(net.stateDict()).toEqual(own); // the same tensors
    expect(await Promise.all(Object.values(net.stateDict()).map(values))).toEqual(ownValues);
    expect(await values(nn.functionalCall(net, clones(net), x))).toEqual(await values(net.forward(x)));
  });

  test('is differentiable in the given tensors (gradcheck, float64)', async () => {
    const layer = new nn.Linear(3, 2);
    const x = randn([4, 3]);
    const [W, b] = [tensor(Array.from({ length: 6 }, (_, i) => i / 7 - 0.4), { shape: [2, 3], requiresGrad: true }), tensor([0.3, -0.2], { requiresGrad: true })];
    await gradcheck((w, c) => nn.functionalCall(layer, { weight: w, bias: c }, x).tanh(), [W, b]);
  });

  test("MAML's inner step: the query loss through θ' = θ − α∇L(θ) reaches θ to second order", async () => {
    const net = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 1));
    const [xs, ys, xq, yq] = [randn([6, 2]), randn([6, 1]), randn([5, 2]), randn([5, 1])];
    const names = Object.keys(net.stateDict());
    const metaLoss = (...theta: Tensor[]) => {
      const params = Object.fromEntries(names.map((n, i) => [n, theta[i]]));
      const support = nn.functional.mseLoss(nn.functionalCall(net, params, xs), ys);
      const g = grad(support, theta, { createGraph: true });
      const adapted = Object.fromEntries(names.map((n, i) => [n, theta[i].sub(g[i].mul(0.1))]));
      return nn.functional.mseLoss(nn.functionalCall(net, adapted, xq), yq);
    };
    const start = await Promise.all(Object.values(net.stateDict()).map(async (p) => tensor(await p.data(), { shape: p.shape, requiresGrad: true })));
    await gradcheck(metaLoss, start, { rtol: 1e-3 });
  });

  test('a tensor held under two names is swapped under both; BatchNorm reads given buffers in eval', async () => {
    const shared = new nn.Linear(3, 3);
    const twice = new nn.Sequential(shared, new nn.Tanh(), shared);
    const W = randn([3, 3]);
    const x = randn([2, 3]);
    const b = shared.bias!;
    expect(await values(nn.functionalCall(twice, { '0.weight': W }, x))).toEqual(await values(nn.functional.linear(nn.functional.linear(x, W, b).tanh(), W, b)));
    const bn = new nn.BatchNorm1d(3).eval();
    const [mean, variance] = [tensor([1, -1, 0.5]), tensor([4, 1, 0.25])];
    const y = nn.functionalCall(bn, { running_mean: mean, running_var: variance }, x);
    expect(await values(y)).toEqual(await values(x.sub(mean).div(variance.add(1e-5).sqrt())));
    const net = new models.HardSharingNet({ trunk: new nn.Linear(3, 4), heads: [new nn.Linear(4, 1), new nn.Linear(4, 2)] });
    const via = nn.functionalCall(net, clones(net), x);
    const direct = net.forward(x).tasks;
    for (let t = 0; t < 2; t++) expect(await values(via.tasks[t])).toEqual(await values(direct[t]));
  });

  test('bad names, shapes and inputs are refused, and a failing forward still restores the module', () => {
    const layer = new nn.Linear(3, 2);
    const own = layer.weight;
    expect(() => nn.functionalCall(layer, { wieght: randn([2, 3]) }, randn([1, 3]))).toThrow(/no parameter or buffer 'wieght'; it has weight, bias/);
    expect(() => nn.functionalCall(layer, { weight: randn([3, 2]) }, randn([1, 3]))).toThrow(/'weight' is \[2,3\] in the module, got \[3,2\]/);
    expect(() => nn.functionalCall(layer, { weight: randn([2, 3]) }, randn([1, 5]))).toThrow(/linear/);
    expect(layer.weight).toBe(own);
    expect(() => nn.functionalCall({} as never, {})).toThrow(/expects a module/);
  });
});

describe('nn.functionalCall on every module of nn and models', () => {
  test('the sweep lists every exported module class', () => {
    expect(sweep.map(([name]) => name).sort()).toEqual(exportedModuleClasses());
  });

  test.each(sweep)('%s: its forward with copies of every tensor swapped in, and the same gradients, to the copies', async (_, make, inputs) => {
    const module = make() as nn.Module & { forward(...a: Tensor[]): unknown };
    const args = inputs();
    const total = (out: unknown) => tensorsOf(out).map((t) => t.sum()).reduce((a, b) => a.add(b));
    const copies = clones(module);
    const via = tensorsOf(nn.functionalCall(module, copies, ...args));
    const direct = tensorsOf(module.forward(...args));
    expect(via.length).toBe(direct.length);
    for (let i = 0; i < via.length; i++) expect(await values(via[i])).toEqual(await values(direct[i]));
    const trained = Object.entries(module.stateDict()).filter(([, t]) => t.requiresGrad);
    const leaves = trained.map(([name]) => copies[name].detach());
    leaves.forEach((t) => (t.requiresGrad = true));
    if (leaves.length === 0) return;
    const viaLeaves = grad(total(nn.functionalCall(module, Object.fromEntries(trained.map(([name], i) => [name, leaves[i]])), ...args)), leaves, { allowUnused: true });
    const own = grad(total(module.forward(...args)), trained.map(([, t]) => t), { allowUnused: true });
    for (let i = 0; i < own.length; i++) expect(await values(viaLeaves[i])).toEqual(await values(own[i]));
  });
});

describe('nn.functionalCall and BatchNorm in train mode', () => {
  test('given running statistics are updated in place (torch.func semantics); the module keeps its own', async () => {
    const bn = new nn.BatchNorm1d(3);
    const x = randn([6, 3]);
    const own = await Promise.all(bn.buffers().map(values));
    const [mean, variance, tracked] = [tensor([0, 0, 0]), tensor([1, 1, 1]), tensor(0)];
    const y = nn.functionalCall(bn, { running_mean: mean, running_var: variance, num_batches_tracked: tracked }, x);
    const reference = new nn.BatchNorm1d(3);
    const expected = reference.forward(x);
    expect(await values(y)).toEqual(await values(expected));
    expect(await values(mean)).toEqual(await values(reference.running_mean!));
    expect(await values(variance)).toEqual(await values(reference.running_var!));
    expect(await values(tracked)).toEqual([1]);
    expect(await Promise.all(bn.buffers().map(values))).toEqual(own);
    // Without buffers given, the module's own running statistics take the update, as in torch.
    nn.functionalCall(bn, { weight: bn.weight!.mul(2) }, x);
    expect(await values(bn.running_mean!)).toEqual(await values(reference.running_mean!));
  });

  test('normalises with the batch statistics, differentiably in the given weight and bias (gradcheck)', async () => {
    const bn = new nn.BatchNorm2d(2);
    const x = randn([3, 2, 2, 2]);
    const [w, b] = [tensor([1.5, -0.5], { requiresGrad: true }), tensor([0.1, 0.2], { requiresGrad: true })];
    await gradcheck((weight, bias) => nn.functionalCall(bn, { weight, bias }, x).tanh(), [w, b]);
    const frozen = new nn.BatchNorm2d(2, { trackRunningStats: false }).eval();
    await gradcheck((weight, bias) => nn.functionalCall(frozen, { weight, bias }, x).tanh(), [w, b]);
  });
});
