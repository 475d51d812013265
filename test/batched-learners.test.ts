// Batched learners (MAML.clone({ tasks: T })) on every module of nn and models: each layer either
// gives what T learners give — outputs, adapted weights and meta-gradients, after an inner step that
// makes every task's weights its own — or refuses with an error that names it. Conv-4 with MAML's
// transductive batch norm, the few-shot case, is checked the same way.
import { beforeAll, describe, expect, test } from 'vitest';
import { grad, init, manualSeed, memory, meta, models, nn, optim, randn, stack, tensor, tidy, type Tensor } from '../src/index.js';
import { exportedModuleClasses, sweep, tensorsOf, type Sweep } from './module-sweep.js';

beforeAll(async () => {
  await init({ backend: 'reference' });
  manualSeed(21);
});

const TASKS = 3;
const F = nn.functional;
const values = async (t: Tensor) => Array.from(await t.rawData());
async function expectNear(actual: Tensor, expected: Tensor, what: string): Promise<void> {
  const [a, e] = [await values(actual), await values(expected)];
  expect(actual.shape, what).toEqual(expected.shape);
  a.forEach((v, i) => expect(Math.abs(v - e[i]), `${what}, element ${i}: ${v} vs ${e[i]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e[i]))));
}

// Losses reduce over the whole batch, tasks included: a batched learner's per-task losses are computed
// outside its forward (reduction 'none', then a mean per task).
const LOSSES = sweep.map(([name]) => name).filter((name) => name.endsWith('Loss'));
/** The layers a batched learner refuses, each with what its error says. */
const REFUSED: Record<string, RegExp> = {
  Embedding: /Embedding: per-task weights \[3, 6, 3\] are not supported in a learner batched over 3 tasks; clone one learner per task/,
  CrossStitchNet: /MAML \(batched over 3 tasks\)/,
  MMoE: /MMoE: expects an input \[N, 3\], got \[3,2,3\]/,
  CGC: /CGC: expects an input \[N, 3\], got \[3,2,3\]/,
  PLE: /PLE: expects an input \[N, 3\], got \[3,2,3\]/,
};

/** A layer with weights that keeps x's shape, put before a layer without weights so that there is something to adapt. */
const shapeKeeping = (x: Tensor): Layer => (x.ndim === 4 ? new nn.Conv2d(x.shape[1], x.shape[1], 1) : new nn.Linear(x.shape[x.ndim - 1], x.shape[x.ndim - 1]));

type Net = nn.Module & { forward(...inputs: Tensor[]): unknown };
type Layer = nn.Module & { forward(x: Tensor): Tensor };
/** Task t's loss: a fixed random projection of every output, so each task's weights step apart. */
const projections = new Map<string, Tensor[]>();
function taskLoss(key: string, out: unknown, t: number | null): Tensor {
  const outs = tensorsOf(out);
  if (!projections.has(key)) projections.set(key, outs.map((o) => randn(t === null ? o.shape : [TASKS, ...o.shape.slice(1)])));
  return outs
    .map((o, i) => {
      const p = projections.get(key)![i];
      const own = t === null ? p : p.narrow(0, t, 1).reshape(o.shape);
      const product = o.mul(own).tanh();
      return t === null ? product.reshape([TASKS, -1]).sum(1) : product.sum();
    })
    .reduce((a, b) => a.add(b));
}

async function expectAsTLearners(name: string, make: () => nn.Module, inputs: () => Tensor[]): Promise<void> {
  const maml = new meta.MAML(make() as Net, { lr: 0.2, allowUnused: true });
  const perTask = Array.from({ length: TASKS }, inputs);
  const batchedInputs = perTask[0].map((_, i) => stack(perTask.map((args) => args[i])));
  projections.delete(name);
  const batched = maml.clone({ tasks: TASKS });
  batched.adapt(taskLoss(name, batched.forward(...batchedInputs), null));
  const out = tensorsOf(batched.forward(...batchedInputs));
  const query = out.map((o) => o.square().reshape([TASKS, -1]).sum(1)).reduce((a, b) => a.add(b));
  const learners = perTask.map((args, t) => {
    const one = maml.clone();
    one.adapt(taskLoss(name, one.forward(...args), t));
    const outs = tensorsOf(one.forward(...args));
    return { one, outs, query: outs.map((o) => o.square().sum()).reduce((a, b) => a.add(b)) };
  });
  for (let i = 0; i < out.length; i++) await expectNear(out[i], stack(learners.map(({ outs }) => outs[i])), `${name}: output ${i}`);
  for (const key of Object.keys(batched.weights)) await expectNear(batched.weights[key], stack(learners.map(({ one }) => one.weights[key])), `${name}: adapted ${key}`);
  const params = maml.parameters();
  const batchedGrads = grad(query.sum(), params, { allowUnused: true });
  const loopGrads = grad(learners.map((l) => l.query).reduce((a, b) => a.add(b)), params, { allowUnused: true });
  for (let i = 0; i < params.length; i++) await expectNear(batchedGrads[i], loopGrads[i], `${name}: meta-gradient ${i}`);
}

// First in the file: later tests leave tensors for the finalizers, which would move the live count.
describe('a long loop', () => {
  test('a meta-training loop of batched Conv-4 learners keeps the live tensors flat and lowers the loss', async () => {
    const backbone = new models.Conv4({ hidden: 3, depth: 2, imageSize: 8, trackRunningStats: false });
    const maml = new meta.MAML(new nn.Sequential(backbone, new nn.Linear(backbone.outFeatures, 2)), { lr: 0.5 });
    const adam = new optim.Adam(maml.parameters(), { lr: 0.02 });
    const [xs, xq] = [randn([TASKS, 4, 1, 8, 8]), randn([TASKS, 4, 1, 8, 8])];
    const labels = tensor([0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1], { shape: [TASKS, 4] });
    const perTask = (logits: Tensor) => F.crossEntropy(logits.reshape([-1, 2]), labels.reshape([-1]), { reduction: 'none' }).reshape([TASKS, 4]).mean(1);
    const losses: number[] = [];
    let live = 0;
    for (let i = 0; i < 40; i++) {
      const loss = tidy(() => {
        adam.zeroGrad();
        const learner = maml.clone({ tasks: TASKS });
        learner.adapt(perTask(learner.forward(xs)));
        const query = perTask(learner.forward(xq)).mean();
        query.backward();
        adam.step();
        return query.detach();
      });
      losses.push(await loss.item());
      loss.dispose();
      if (i === 1) live = memory().tensors;
      if (i > 1) expect(memory().tensors).toBe(live);
    }
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
  });
});

describe('batched learners on every module of nn and models', () => {
  test('every exported class is in the sweep: as T learners, refused, or a loss', () => {
    expect(sweep.map(([name]) => name).sort()).toEqual(exportedModuleClasses());
    expect(Object.keys(REFUSED).every((name) => sweep.some(([n]) => n === name))).toBe(true);
  });

  const layers = sweep.filter(([name]) => !LOSSES.includes(name) && !(name in REFUSED));
  test.each(layers)('%s: outputs, adapted weights and meta-gradients equal T learners', async (name, make, inputs) => {
    await expectAsTLearners(name, make().parameters().length > 0 ? make : () => new nn.Sequential(shapeKeeping(inputs()[0]), make() as Layer), inputs);
  });

  test.each(sweep.filter(([name]) => name in REFUSED))('%s: refused, naming the layer', (name, make, inputs) => {
    const learner = new meta.MAML(make() as Net, { lr: 0.2 }).clone({ tasks: TASKS });
    const batchedInputs = inputs().map((x) => stack(Array.from({ length: TASKS }, () => x)));
    expect(() => learner.forward(...batchedInputs)).toThrow(REFUSED[name]);
  });
});

describe('batched convolutional learners', () => {
  const extra: Sweep[] = [
    ['Conv2d, groups 2, stride 2, bias', () => new nn.Conv2d(4, 6, 3, { groups: 2, stride: 2, padding: 1 }), () => [randn([2, 4, 5, 5])]],
    ['Conv2d on CHW inputs', () => new nn.Conv2d(2, 3, 2, { bias: false }), () => [randn([2, 4, 4])]],
    ['BatchNorm2d, batch statistics', () => new nn.BatchNorm2d(3, { trackRunningStats: false }), () => [randn([4, 3, 2, 2])]],
    ['BatchNorm1d [N, C, L], batch statistics', () => new nn.BatchNorm1d(2, { trackRunningStats: false }), () => [randn([3, 2, 4])]],
    ['LayerNorm over 2 dims', () => new nn.LayerNorm([2, 3]), () => [randn([2, 4, 2, 3])]],
    ['Flatten(0)', () => new nn.Sequential(new nn.Linear(3, 2), new nn.Flatten(0)), () => [randn([4, 3])]],
    ['Conv-4, transductive batch norm (few-shot MAML)', () => new models.Conv4({ hidden: 4, depth: 2, imageSize: 8, trackRunningStats: false }), () => [randn([5, 1, 8, 8])]],
    ['Conv-4 + head', () => new nn.Sequential(new models.Conv4({ hidden: 3, depth: 2, imageSize: 8, trackRunningStats: false }), new nn.Linear(12, 5)), () => [randn([5, 1, 8, 8])]],
  ];
  test.each(extra)('%s: as T learners', async (name, make, inputs) => {
    await expectAsTLearners(name, make, inputs);
  });

  test('BatchNorm with running statistics in train mode is refused before it changes them', async () => {
    const bn = new nn.BatchNorm2d(2);
    const learner = new meta.MAML(bn, { lr: 0.1 }).clone({ tasks: TASKS });
    expect(() => learner.forward(randn([TASKS, 4, 2, 3, 3]))).toThrow(/BatchNorm2d\(2\): a learner batched over 3 tasks .* trackRunningStats: false .* eval\(\)/);
    expect(await values(bn.num_batches_tracked!)).toEqual([0]);
    expect(await values(bn.running_mean!)).toEqual([0, 0]);
    expect(() => learner.forward(randn([4, 2, 3, 3]))).toThrow(/BatchNorm2d\(2\): input \[4,2,3,3\] must be \[3, N, C, H, W\] with C = 2 \(a learner batched over 3 tasks\)/);
  });

  test('per-entry conv2d checks its shapes', () => {
    expect(() => F.conv2d(randn([2, 1, 3, 4, 4]), randn([3, 2, 3, 3, 3]))).toThrow(/conv2d: input \[2,1,3,4,4\] does not fit per-entry weight \[3,2,3,3,3\] .*expected input \[3, N, C, H, W\]/);
    expect(() => F.conv2d(randn([3, 1, 3, 4, 4]), randn([3, 2, 3, 3, 3]), randn([2]))).toThrow(/bias \[3, 2\]/);
    expect(() => F.conv2d(randn([3, 1, 2, 4, 4]), randn([3, 2, 3, 3, 3]))).toThrow(/conv2d: given groups=1, weight of size \[2,3,3,3\], expected input \[3,2,4,4\] to have 3 channels/);
  });
});
