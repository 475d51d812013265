// meta: what each meta-learner's update is, against the update computed by hand (the meta-losses'
// gradients are checked against finite differences, and across devices, in the device table's
// metaCases); the metric learners' scores against their formulas; arguments; and a long
// second-order MAML loop whose live tensors stay flat.
import { beforeAll, describe, expect, test } from 'vitest';
import { cdist, grad, init, manualSeed, memory, meta, models, nn, optim, randn, stack as stackTensors, tensor, tidy, type Tensor } from '../src/index.js';

const F = nn.functional;

beforeAll(async () => {
  await init({ backend: 'reference' });
  manualSeed(12);
});

const values = async (t: Tensor) => Array.from(await t.rawData());
async function expectNear(actual: Tensor, expected: Tensor | number[], tolerance = 1e-10): Promise<void> {
  const [a, e] = [await values(actual), Array.isArray(expected) ? expected : await values(expected)];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => expect(Math.abs(v - e[i]), `element ${i}: ${v} vs ${e[i]}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e[i]))));
}

const tanhNet = () => new nn.Sequential(new nn.Linear(2, 5), new nn.Tanh(), new nn.Linear(5, 1));
const task = () => ({ xs: randn([8, 2]), ys: randn([8, 1]), xq: randn([6, 2]), yq: randn([6, 1]) });
/** Fresh leaves with the values of `ts` (a hand computation's own copy of the weights). */
const leaves = (ts: readonly Tensor[]) => ts.map((t) => t.detach().mul(1).detach()).map((t) => ((t.requiresGrad = true), t));
/** The net's forward with weights [W1, b1, W2, b2]. */
const forwardWith = (w: readonly Tensor[], x: Tensor) => F.linear(F.linear(x, w[0], w[1]).tanh(), w[2], w[3]);

describe('MAML', () => {
  test('adapt() is θ − α∇L(θ); the query backward() fills the model grads with the meta-gradient', async () => {
    const net = tanhNet();
    const maml = new meta.MAML(net, { lr: 0.4 });
    const { xs, ys, xq, yq } = task();
    const learner = maml.clone();
    expect(learner.weights).toEqual(net.stateDict());
    learner.adapt(F.mseLoss(learner.forward(xs), ys));
    F.mseLoss(learner.forward(xq), yq).backward();

    const theta = leaves(net.parameters());
    const g = grad(F.mseLoss(forwardWith(theta, xs), ys), theta, { createGraph: true });
    const adapted = theta.map((t, i) => t.sub(g[i].mul(0.4)));
    for (const [i, name] of Object.keys(net.stateDict()).entries()) await expectNear(learner.weights[name], adapted[i]);
    const meta2 = grad(F.mseLoss(forwardWith(adapted, xq), yq), theta);
    for (const [i, p] of net.parameters().entries()) await expectNear(p.grad!, meta2[i]);
    expect(learner.steps).toBe(1);
  });

  test('FOMAML: the model gets the query gradient at the adapted weights', async () => {
    const net = tanhNet();
    const fomaml = new meta.MAML(net, { lr: 0.3, firstOrder: true });
    const { xs, ys, xq, yq } = task();
    const learner = fomaml.clone();
    for (let i = 0; i < 3; i++) learner.adapt(F.mseLoss(learner.forward(xs), ys));
    F.mseLoss(learner.forward(xq), yq).backward();

    let phi = leaves(net.parameters());
    for (let i = 0; i < 3; i++) {
      const g = grad(F.mseLoss(forwardWith(phi, xs), ys), phi);
      phi = leaves(phi.map((t, j) => t.sub(g[j].mul(0.3))));
    }
    const expected = grad(F.mseLoss(forwardWith(phi, xq), yq), phi);
    for (const [i, p] of net.parameters().entries()) await expectNear(p.grad!, expected[i]);
  });

  test("inner Adam's steps are torch.optim.Adam's (bias-corrected), and differentiable", async () => {
    const net = tanhNet();
    const learner = new meta.MAML(net, { lr: 0.05 }).clone();
    const { xs, ys } = task();
    const copy = leaves(net.parameters());
    const adam = new optim.Adam(copy, { lr: 0.05 });
    for (let i = 0; i < 4; i++) {
      learner.adapt(F.mseLoss(learner.forward(xs), ys), { optimizer: 'adam' });
      adam.zeroGrad();
      F.mseLoss(forwardWith(copy, xs), ys).backward();
      adam.step();
    }
    for (const [i, w] of Object.values(learner.weights).entries()) await expectNear(w, copy[i], 1e-9);
    expect(Object.values(learner.weights).every((w) => w.gradFn !== null)).toBe(true);
  });

  test('a meta-training loop with Adam lowers the post-adaptation loss of new tasks', async () => {
    manualSeed(3);
    const net = tanhNet();
    const maml = new meta.MAML(net, { lr: 0.1 });
    const outer = new optim.Adam(maml.parameters(), { lr: 0.01 });
    // Tasks y = a·x₀: adapting the scale a in one step is what MAML must learn to make easy.
    const sample = () => {
      const a = randn([1]);
      const [xs, xq] = [randn([10, 2]), randn([10, 2])];
      return { xs, ys: xs.narrow(1, 0, 1).mul(a), xq, yq: xq.narrow(1, 0, 1).mul(a) };
    };
    const adaptedLoss = ({ xs, ys, xq, yq }: ReturnType<typeof sample>) => {
      const learner = maml.clone();
      learner.adapt(F.mseLoss(learner.forward(xs), ys));
      return F.mseLoss(learner.forward(xq), yq);
    };
    const evaluate = async () => {
      manualSeed(99);
      const losses = tidy(() => Array.from({ length: 20 }, () => adaptedLoss(sample()).detach()));
      return (await Promise.all(losses.map((l) => l.item()))).reduce((a, b) => a + b) / 20;
    };
    const before = await evaluate();
    manualSeed(4);
    for (let step = 0; step < 150; step++) {
      tidy(() => {
        outer.zeroGrad();
        for (let t = 0; t < 4; t++) adaptedLoss(sample()).div(4).backward();
        outer.step();
      });
    }
    const after = await evaluate();
    expect(after).toBeLessThan(before * 0.5);
  });
});

describe('a batched meta-batch: T tasks as one computation', () => {
  const perTask = (a: Tensor, b: Tensor) => F.mseLoss(a, b, { reduction: 'none' }).mean([1, 2]);
  test.each([
    ['MAML', (net: nn.Module) => new meta.MAML(net as ReturnType<typeof tanhNet>, { lr: 0.3 }), {}],
    ['FOMAML', (net: nn.Module) => new meta.MAML(net as ReturnType<typeof tanhNet>, { lr: 0.3, firstOrder: true }), {}],
    ['Meta-SGD', (net: nn.Module) => new meta.MetaSGD(net as ReturnType<typeof tanhNet>, { lr: 0.3 }), {}],
    ['MAML, inner Adam', (net: nn.Module) => new meta.MAML(net as ReturnType<typeof tanhNet>, { lr: 0.03 }), { optimizer: 'adam' }],
  ] as const)('%s: the same adapted weights, query losses and meta-gradients as T learners', async (_, make, options) => {
    const learner = make(tanhNet());
    const tasks = Array.from({ length: 4 }, task);
    const tasksStacked = (pick: (t: ReturnType<typeof task>) => Tensor) => stackTensors(tasks.map(pick));
    const batched = learner.clone({ tasks: 4 });
    const [xs, ys, xq, yq] = [tasksStacked((t) => t.xs), tasksStacked((t) => t.ys), tasksStacked((t) => t.xq), tasksStacked((t) => t.yq)];
    for (let i = 0; i < 2; i++) batched.adapt(perTask(batched.forward(xs), ys), options);
    const batchedLosses = perTask(batched.forward(xq), yq);
    const batchedGrads = grad(batchedLosses.sum(), learner.parameters());
    const separate = tasks.map(({ xs, ys, xq, yq }) => {
      const one = learner.clone();
      for (let i = 0; i < 2; i++) one.adapt(F.mseLoss(one.forward(xs), ys), options);
      return { one, loss: F.mseLoss(one.forward(xq), yq) };
    });
    await expectNear(batchedLosses, await Promise.all(separate.map(async ({ loss }) => (await loss.rawData())[0])), 1e-9);
    for (const name of Object.keys(separate[0].one.weights)) await expectNear(batched.weights[name], stackTensors(separate.map(({ one }) => one.weights[name])), 1e-9);
    const loopGrads = grad(separate.map(({ loss }) => loss).reduce((a, b) => a.add(b)), learner.parameters());
    for (let i = 0; i < loopGrads.length; i++) await expectNear(batchedGrads[i], loopGrads[i], 1e-9);
  });

  test('a batched learner takes one loss per task and inputs with the task dim', () => {
    const learner = new meta.MAML(tanhNet(), { lr: 0.1 }).clone({ tasks: 3 });
    const [x, y] = [randn([3, 4, 2]), randn([3, 4, 1])];
    expect(() => learner.adapt(F.mseLoss(learner.forward(x), y))).toThrow(/batched over 3 tasks takes one loss per task, \[3\] .*got shape \[\]/);
    expect(() => learner.forward(randn([4, 2]))).toThrow(/MAML \(batched over 3 tasks\): linear: input \[4,2\] does not fit per-entry weight \[3,5,2\]/);
    expect(() => new meta.MAML(tanhNet(), { lr: 0.1 }).clone({ tasks: 0 })).toThrow(/MAML.clone: tasks must be a finite integer ≥ 1/);
  });
});

describe('Meta-SGD, ANIL, Reptile', () => {
  test('Meta-SGD steps θ − α⊙∇L with α learnt: α.grad = −∇L(θ) ⊙ ∇_θ′ L_query', async () => {
    const net = tanhNet();
    const metaSgd = new meta.MetaSGD(net, { lr: 0.2 });
    expect(Object.keys(metaSgd.stateDict())).toEqual(['module.0.weight', 'module.0.bias', 'module.2.weight', 'module.2.bias', 'lrs.0', 'lrs.1', 'lrs.2', 'lrs.3']);
    await expectNear(metaSgd.lrs[0], Array(10).fill(0.2));
    const { xs, ys, xq, yq } = task();
    const learner = metaSgd.clone();
    learner.adapt(F.mseLoss(learner.forward(xs), ys));
    F.mseLoss(learner.forward(xq), yq).backward();

    const theta = leaves(net.parameters());
    const g = grad(F.mseLoss(forwardWith(theta, xs), ys), theta);
    const adapted = leaves(theta.map((t, i) => t.sub(g[i].mul(0.2))));
    for (const [i, w] of Object.values(learner.weights).entries()) await expectNear(w, adapted[i]);
    const query = grad(F.mseLoss(forwardWith(adapted, xq), yq), adapted);
    for (let i = 0; i < 4; i++) await expectNear(metaSgd.lrs[i].grad!, g[i].neg().mul(query[i]));
  });

  test('ANIL adapts only the head, on features computed once; the body gets the meta-gradient', async () => {
    const body = new nn.Sequential(new nn.Linear(2, 5), new nn.Tanh());
    const anil = new meta.ANIL(body, new nn.Linear(5, 1), { lr: 0.5 });
    expect(Object.keys(anil.stateDict())).toEqual(['body.0.weight', 'body.0.bias', 'head.module.weight', 'head.module.bias']);
    const { xs, ys, xq, yq } = task();
    const learner = anil.clone();
    const [fs, fq] = [anil.features(xs), anil.features(xq)];
    learner.adapt(F.mseLoss(learner.forward(fs), ys));
    expect(Object.keys(learner.weights)).toEqual(['weight', 'bias']);
    F.mseLoss(learner.forward(fq), yq).backward();

    const theta = leaves(anil.parameters());
    const features = (x: Tensor) => F.linear(x, theta[0], theta[1]).tanh();
    const g = grad(F.mseLoss(F.linear(features(xs), theta[2], theta[3]), ys), [theta[2], theta[3]], { createGraph: true });
    const head = [theta[2].sub(g[0].mul(0.5)), theta[3].sub(g[1].mul(0.5))];
    await expectNear(learner.weights.weight, head[0]);
    const expected = grad(F.mseLoss(F.linear(features(xq), head[0], head[1]), yq), theta);
    for (const [i, p] of anil.parameters().entries()) await expectNear(p.grad!, expected[i]);
    await expectNear(anil.forward(xq), F.linear(features(xq), theta[2], theta[3]));
  });

  test('Reptile: detached inner SGD or Adam steps, then θ ← θ + ε(mean φ − θ)', async () => {
    const net = tanhNet();
    const reptile = new meta.Reptile(net, { lr: 0.1, epsilon: 0.25 });
    const tasks = [task(), task()];
    const theta = leaves(net.parameters());
    const learners = tasks.map(({ xs, ys }, t) => {
      const learner = reptile.clone();
      for (let i = 0; i < 3; i++) learner.adapt(F.mseLoss(learner.forward(xs), ys), t === 1 ? { optimizer: 'adam' } : {});
      return learner;
    });
    expect(Object.values(learners[0].weights).every((w) => w.isLeaf)).toBe(true);
    // By hand: plain SGD on one copy, torch.optim.Adam on the other.
    const phis = tasks.map(({ xs, ys }, t) => {
      const phi = leaves(theta);
      const step = t === 1 ? new optim.Adam(phi, { lr: 0.1 }) : new optim.SGD(phi, { lr: 0.1 });
      for (let i = 0; i < 3; i++) {
        step.zeroGrad();
        F.mseLoss(forwardWith(phi, xs), ys).backward();
        step.step();
      }
      return phi;
    });
    for (const t of [0, 1]) for (const [i, w] of Object.values(learners[t].weights).entries()) await expectNear(w, phis[t][i], 1e-9);
    reptile.step(learners);
    for (const [i, p] of net.parameters().entries()) await expectNear(p, theta[i].add(phis[0][i].add(phis[1][i]).div(2).sub(theta[i]).mul(0.25)), 1e-9);
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
  test('a batched Reptile learner steps the model as T learners do', async () => {
    const [one, many] = [tanhNet(), tanhNet()];
    many.loadStateDict(one.stateDict());
    const tasks = Array.from({ length: 3 }, task);
    const [batched, separate] = [new meta.Reptile(one, { lr: 0.1, epsilon: 0.5 }), new meta.Reptile(many, { lr: 0.1, epsilon: 0.5 })];
    const perTask = (a: Tensor, b: Tensor) => F.mseLoss(a, b, { reduction: 'none' }).mean([1, 2]);
    const learner = batched.clone({ tasks: 3 });
    const [xs, ys] = [stackTensors(tasks.map((t) => t.xs)), stackTensors(tasks.map((t) => t.ys))];
    for (let i = 0; i < 3; i++) learner.adapt(perTask(learner.forward(xs), ys));
    batched.step([learner]);
    separate.step(
      tasks.map(({ xs, ys }) => {
        const l = separate.clone();
        for (let i = 0; i < 3; i++) l.adapt(F.mseLoss(l.forward(xs), ys));
        return l;
      }),
    );
    for (const [i, p] of one.parameters().entries()) await expectNear(p, many.parameters()[i], 1e-9);
  });
});

describe('metric learners: scores against their formulas', () => {
  const embedding = () => new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh());
  // A 3-way 2-shot episode, support not sorted by class.
  const episode = () => ({ support: randn([6, 3]), labels: tensor([2, 0, 1, 1, 0, 2]), query: randn([5, 3]) });
  const rows = async (t: Tensor) => {
    const v = await values(t);
    const width = t.shape[1];
    return Array.from({ length: t.shape[0] }, (_, i) => v.slice(i * width, (i + 1) * width));
  };
  const byClass = [[1, 4], [2, 3], [0, 5]];
  const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]));

  test('ProtoNet: −‖f(q) − cₖ‖² with cₖ the class mean', async () => {
    const net = new meta.ProtoNet(embedding());
    const { support, labels, query } = episode();
    const [s, q] = [await rows(net.embed(support)), await rows(net.embed(query))];
    const protos = byClass.map((members) => s[0].map((_, d) => members.reduce((sum, i) => sum + s[i][d], 0) / members.length));
    await expectNear(net.forward(support, labels, query, 3), q.flatMap((qi) => protos.map((c) => -(dist(qi, c) ** 2))));
  });

  test('MatchingNet: log Σ_{i∈k} softmax(scale·cos)ᵢ, log-probabilities that sum to 1', async () => {
    const net = new meta.MatchingNet(embedding(), { scale: 2 });
    const { support, labels, query } = episode();
    const [s, q] = [await rows(net.embed(support)), await rows(net.embed(query))];
    const cos = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));
    const expected = q.flatMap((qi) => {
      const e = s.map((si) => Math.exp(2 * cos(qi, si)));
      const total = e.reduce((a, b) => a + b);
      return byClass.map((members) => Math.log(members.reduce((sum, i) => sum + e[i], 0) / total));
    });
    const scores = net.forward(support, labels, query, 3);
    await expectNear(scores, expected, 1e-9);
    await expectNear(scores.exp().sum(1), Array(5).fill(1), 1e-12);
  });

  test('SiameseNet: −(nearest support distance) per class; contrastive loss and distances of pairs', async () => {
    const net = new meta.SiameseNet(embedding());
    const { support, labels, query } = episode();
    const [s, q] = [await rows(net.embed(support)), await rows(net.embed(query))];
    await expectNear(net.forward(support, labels, query, 3), q.flatMap((qi) => byClass.map((members) => -Math.min(...members.map((i) => dist(qi, s[i]))))));
    const [a, b] = [randn([4, 3]), randn([4, 3])];
    const pair = tensor([0, 1, 1, 0]);
    await expectNear(net.loss(a, b, pair, { margin: 2 }), F.contrastiveLoss(net.embed(a), net.embed(b), pair, { margin: 2 }));
    await expectNear(net.distance(a, b), cdist(net.embed(a).unsqueeze(1), net.embed(b).unsqueeze(1)).flatten());
  });

  test('a class without support examples scores −∞ (MatchingNet, SiameseNet) or NaN (ProtoNet)', async () => {
    const { support, query } = episode();
    const labels = tensor([0, 0, 1, 1, 0, 1]);
    const column = async (t: Tensor) => (await rows(t)).map((r) => r[2]);
    expect(await column(new meta.ProtoNet(embedding()).forward(support, labels, query, 3))).toEqual(Array(5).fill(NaN));
    expect(await column(new meta.MatchingNet(embedding()).forward(support, labels, query, 3))).toEqual(Array(5).fill(-Infinity));
    expect(await column(new meta.SiameseNet(embedding()).forward(support, labels, query, 3))).toEqual(Array(5).fill(-Infinity));
  });
});

describe('meta: arguments', () => {
  test('options, losses and learners are checked, naming the fix', () => {
    const net = tanhNet();
    expect(() => new meta.MAML(net, { lr: -1 })).toThrow(/MAML: lr must be a finite number ≥ 0, got the number -1/);
    expect(() => new meta.MAML(net, { lr: 0.1, first_order: true } as never)).toThrow(/MAML: unknown option\(s\) 'first_order'/);
    expect(() => new meta.MAML({} as never, { lr: 0.1 })).toThrow(/MAML: expects a model \(an nn.Module\)/);
    const learner = new meta.MAML(net, { lr: 0.1 }).clone();
    const { xs, ys } = task();
    expect(() => learner.adapt(learner.forward(xs))).toThrow(/MAML.adapt: loss must be one element .*got shape \[8,1\]/);
    expect(() => learner.adapt(F.mseLoss(xs, xs))).toThrow(/does not depend on the learner's weights/);
    learner.adapt(F.mseLoss(learner.forward(xs), ys));
    expect(() => learner.adapt(F.mseLoss(learner.forward(xs), ys), { optimizer: 'adam' })).toThrow(/steps with 'sgd'.*clone a new learner to use 'adam'/);
    expect(() => learner.adapt(F.mseLoss(learner.forward(xs), ys), { optimizer: 'rmsprop' as never })).toThrow(/optimizer must be one of sgd, adam/);
    const metaSgd = new meta.MetaSGD(tanhNet(), { lr: 0.1 }).clone();
    expect(() => metaSgd.adapt(F.mseLoss(metaSgd.forward(xs), ys), { lr: 0.5 })).toThrow(/learnt parameters here; lr cannot be overridden/);
    const reptile = new meta.Reptile(net, { lr: 0.1 });
    expect(() => reptile.step([])).toThrow(/Reptile.step: expects a non-empty array of this Reptile's learners/);
    expect(() => reptile.step([new meta.Reptile(tanhNet(), { lr: 0.1 }).clone()])).toThrow(/this Reptile's learners/);
    expect(() => new meta.ProtoNet(tanhNet()).forward(xs, tensor([0, 1]), xs, 2)).toThrow(/supportLabels \[2\] must be \[8\]/);
  });

  test('frozen and unused parameters: refused unless allowNograd / allowUnused', async () => {
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 1));
    net.parameters()[0].requiresGrad = false;
    expect(() => new meta.MAML(net, { lr: 0.1 }).clone()).toThrow(/parameters 0.weight do not require grad; pass allowNograd: true/);
    const learner = new meta.MAML(net, { lr: 0.1, allowNograd: true }).clone();
    const { xs, ys } = task();
    learner.adapt(F.mseLoss(learner.forward(xs), ys));
    expect(learner.weights['0.weight']).toBe(net.parameters()[0]);
    // Two heads, and a support loss of the first only: the second head is unused.
    const twoHeads = new models.HardSharingNet({ trunk: new nn.Linear(2, 3), heads: [new nn.Linear(3, 1), new nn.Linear(3, 1)] });
    const strict = new meta.MAML(twoHeads, { lr: 0.1 }).clone();
    expect(() => strict.adapt(F.mseLoss(strict.forward(xs).tasks[0], ys))).toThrow(/MAML.adapt: grad: input 4 \[1,3\] was not used.*pass allowUnused: true/);
    const lenient = new meta.MAML(twoHeads, { lr: 0.1, allowUnused: true }).clone();
    lenient.adapt(F.mseLoss(lenient.forward(xs).tasks[0], ys));
    await expectNear(lenient.weights['heads.1.weight'], twoHeads.parameters()[4]);
  });
});

describe('meta: a long second-order loop', () => {
  test('300 meta-iterations of MAML (2 inner steps, Adam outer) leave the live tensors flat', async () => {
    const net = tanhNet();
    const maml = new meta.MAML(net, { lr: 0.05 });
    const outer = new optim.Adam(maml.parameters(), { lr: 1e-3 });
    const counts: number[] = [];
    for (let i = 0; i < 300; i++) {
      tidy(() => {
        outer.zeroGrad();
        const { xs, ys, xq, yq } = task();
        const learner = maml.clone();
        learner.adapt(F.mseLoss(learner.forward(xs), ys)).adapt(F.mseLoss(learner.forward(xs), ys));
        F.mseLoss(learner.forward(xq), yq).backward();
        outer.step();
      });
      if (i % 50 === 49) counts.push(memory('reference').tensors);
    }
    expect(new Set(counts).size).toBe(1);
  });
});
