// The new nn layers and losses against real PyTorch 1.13 (test/fixtures/layers.py), in float64 on the
// reference backend: forward values and input gradients of every functional case (each reduction of
// each loss), the running statistics batchNorm updates, BatchNorm modules over a few train steps then
// eval, the stateDict()/namedParameters() keys of a small model against torch's, and torch loading a
// webgrad checkpoint with BatchNorm buffers (test/fixtures/bn_checkpoint.py).
// Fails (does not skip) without /usr/bin/python3 and torch (.ci/run installs python3-torch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, manualSeed, nn, randn, save, tensor, type Tensor } from '../src/index.js';
import { normalValues, uniformValues } from '../src/random.js';

const F = nn.functional;

type Kind = 'normal' | 'positive' | 'probability';
interface Input {
  shape: number[];
  kind?: Kind;
  values?: number[];
  grad?: boolean;
}
type Inputs = Record<string, Tensor>;
interface Case {
  name: string;
  op: string;
  inputs: Record<string, Input>;
  options?: Record<string, unknown>;
  /** The webgrad computation; `extra` names tensors compared after the call (batchNorm's running stats). */
  fn: (i: Inputs) => Tensor;
  extra?: string[];
  tolerance?: number;
}

const n = (...shape: number[]): Input => ({ shape, kind: 'normal' });
const pos = (...shape: number[]): Input => ({ shape, kind: 'positive' });
const prob = (...shape: number[]): Input => ({ shape, kind: 'probability' });
const fixed = (values: number[], shape = [values.length], grad = false): Input => ({ shape, values, grad });
const constant = (input: Input): Input => ({ ...input, grad: false });
const REDUCTIONS = ['mean', 'sum', 'none'] as const;

const CASES: Case[] = [
  {
    name: 'batchNorm training [N, C], momentum 0.3',
    op: 'batch_norm',
    inputs: { x: n(6, 3), runningMean: constant(n(3)), runningVar: constant(pos(3)), weight: n(3), bias: n(3) },
    options: { training: true, momentum: 0.3 },
    fn: (i) => F.batchNorm(i.x, i.runningMean, i.runningVar, i.weight, i.bias, { training: true, momentum: 0.3 }),
    extra: ['runningMean', 'runningVar'],
  },
  {
    name: 'batchNorm training [N, C, H, W], no affine, eps 1e-3',
    op: 'batch_norm',
    inputs: { x: n(4, 2, 3, 3), runningMean: constant(n(2)), runningVar: constant(pos(2)) },
    options: { training: true, eps: 1e-3 },
    fn: (i) => F.batchNorm(i.x, i.runningMean, i.runningVar, null, null, { training: true, eps: 1e-3 }),
    extra: ['runningMean', 'runningVar'],
  },
  {
    name: 'batchNorm eval [N, C, L]',
    op: 'batch_norm',
    inputs: { x: n(3, 4, 5), runningMean: constant(n(4)), runningVar: constant(pos(4)), weight: n(4), bias: n(4) },
    options: { training: false },
    fn: (i) => F.batchNorm(i.x, i.runningMean, i.runningVar, i.weight, i.bias),
  },
  {
    name: 'batchNorm training without running statistics',
    op: 'batch_norm',
    inputs: { x: n(5, 3, 2), weight: n(3) },
    options: { training: true },
    fn: (i) => F.batchNorm(i.x, null, null, i.weight, null, { training: true }),
  },
  {
    name: 'layerNorm over the last dim',
    op: 'layer_norm',
    inputs: { x: n(4, 6), weight: n(6), bias: n(6) },
    options: { normalizedShape: [6] },
    fn: (i) => F.layerNorm(i.x, 6, i.weight, i.bias),
  },
  {
    name: 'layerNorm over two dims, no affine, eps 0.1',
    op: 'layer_norm',
    inputs: { x: n(2, 3, 4, 5) },
    options: { normalizedShape: [4, 5], eps: 0.1 },
    fn: (i) => F.layerNorm(i.x, [4, 5], null, null, 0.1),
  },
  { name: 'gelu', op: 'gelu', inputs: { x: n(64) }, fn: (i) => F.gelu(i.x), options: {}, tolerance: 1e-6 },
  { name: 'gelu tanh', op: 'gelu', inputs: { x: n(64) }, options: { approximate: 'tanh' }, fn: (i) => F.gelu(i.x, { approximate: 'tanh' }) },
  { name: 'leakyRelu', op: 'leaky_relu', inputs: { x: n(40) }, fn: (i) => F.leakyRelu(i.x) },
  { name: 'leakyRelu slope 1.5', op: 'leaky_relu', inputs: { x: n(40) }, options: { negativeSlope: 1.5 }, fn: (i) => F.leakyRelu(i.x, 1.5) },
  {
    name: 'embedding with paddingIdx (its row gets no gradient)',
    op: 'embedding',
    inputs: { indices: fixed([1, 4, 1, 0, 2, 4], [2, 3]), weight: n(5, 4) },
    options: { paddingIdx: 1 },
    fn: (i) => F.embedding(i.indices, i.weight, 1),
  },
  {
    name: 'embedding, negative paddingIdx',
    op: 'embedding',
    inputs: { indices: fixed([1, 4, 3, 4]), weight: n(5, 2) },
    options: { paddingIdx: 4 },
    fn: (i) => F.embedding(i.indices, i.weight, -1),
  },
  ...REDUCTIONS.flatMap((reduction): Case[] => [
    { name: `l1Loss ${reduction}`, op: 'l1_loss', inputs: { x: n(4, 5), target: n(4, 5) }, options: { reduction }, fn: (i) => F.l1Loss(i.x, i.target, { reduction }) },
    {
      name: `nllLoss ${reduction}, class weights, an ignored target`,
      op: 'nll_loss',
      inputs: { x: n(6, 4), target: fixed([0, 3, 1, -100, 3, 2]), weight: constant(pos(4)) },
      options: { reduction },
      fn: (i) => F.nllLoss(i.x, i.target, { reduction, weight: i.weight }),
    },
    {
      name: `nllLoss ${reduction}, [N, C, d], ignoreIndex 2`,
      op: 'nll_loss',
      inputs: { x: n(2, 3, 4), target: fixed([0, 2, 1, 1, 2, 0, 0, 1], [2, 4]) },
      options: { reduction, ignoreIndex: 2 },
      fn: (i) => F.nllLoss(i.x, i.target, { reduction, ignoreIndex: 2 }),
    },
    {
      name: `binaryCrossEntropy ${reduction}, weighted`,
      op: 'binary_cross_entropy',
      inputs: { x: prob(3, 4), target: prob(3, 4), weight: constant(pos(4)) },
      options: { reduction },
      fn: (i) => F.binaryCrossEntropy(i.x, i.target, { reduction, weight: i.weight }),
    },
    {
      name: `binaryCrossEntropy ${reduction}, logs clamped at −100`,
      op: 'binary_cross_entropy',
      inputs: { x: fixed([0, 1, 0.5, 0, 1]), target: fixed([1, 0, 0.5, 0, 1]) },
      options: { reduction },
      fn: (i) => F.binaryCrossEntropy(i.x, i.target, { reduction }),
    },
    { name: `smoothL1Loss ${reduction}`, op: 'smooth_l1_loss', inputs: { x: n(5, 4), target: n(5, 4) }, options: { reduction }, fn: (i) => F.smoothL1Loss(i.x, i.target, { reduction }) },
    {
      name: `smoothL1Loss ${reduction}, beta 0.5`,
      op: 'smooth_l1_loss',
      inputs: { x: n(5, 4), target: n(5, 4) },
      options: { reduction, beta: 0.5 },
      fn: (i) => F.smoothL1Loss(i.x, i.target, { reduction, beta: 0.5 }),
    },
    { name: `smoothL1Loss ${reduction}, beta 0`, op: 'smooth_l1_loss', inputs: { x: n(7), target: n(7) }, options: { reduction, beta: 0 }, fn: (i) => F.smoothL1Loss(i.x, i.target, { reduction, beta: 0 }) },
    { name: `huberLoss ${reduction}`, op: 'huber_loss', inputs: { x: n(5, 4), target: n(5, 4) }, options: { reduction }, fn: (i) => F.huberLoss(i.x, i.target, { reduction }) },
    {
      name: `huberLoss ${reduction}, delta 0.7`,
      op: 'huber_loss',
      inputs: { x: n(5, 4), target: n(5, 4) },
      options: { reduction, delta: 0.7 },
      fn: (i) => F.huberLoss(i.x, i.target, { reduction, delta: 0.7 }),
    },
    {
      name: `cosineEmbeddingLoss ${reduction}, margin 0.2`,
      op: 'cosine_embedding_loss',
      inputs: { x1: n(5, 4), x2: n(5, 4), y: fixed([1, -1, 1, -1, -1]) },
      options: { reduction, margin: 0.2 },
      fn: (i) => F.cosineEmbeddingLoss(i.x1, i.x2, i.y, { reduction, margin: 0.2 }),
    },
    {
      name: `contrastiveLoss ${reduction}, embeddings, margin 2`,
      op: 'contrastive_loss',
      inputs: { x1: n(6, 3), x2: n(6, 3), label: fixed([0, 1, 0, 1, 1, 0]) },
      options: { reduction, margin: 2 },
      fn: (i) => F.contrastiveLoss(i.x1, i.x2, i.label, { reduction, margin: 2 }),
    },
  ]),
  ...(['mean', 'sum', 'none', 'batchmean'] as const).flatMap((reduction): Case[] => [
    {
      name: `klDiv ${reduction}, a zero in the target`,
      op: 'kl_div',
      inputs: { x: n(3, 4), target: fixed([0.1, 0.2, 0.3, 0.4, 0, 0.5, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1], [3, 4]) },
      options: { reduction },
      fn: (i) => F.klDiv(i.x, i.target, { reduction }),
    },
    {
      name: `klDiv ${reduction}, logTarget`,
      op: 'kl_div',
      inputs: { x: n(3, 4), target: n(3, 4) },
      options: { reduction, logTarget: true },
      fn: (i) => F.klDiv(i.x, i.target, { reduction, logTarget: true }),
    },
  ]),
  { name: 'cosineEmbeddingLoss, 1-D', op: 'cosine_embedding_loss', inputs: { x1: n(6), x2: n(6), y: fixed([-1], []) }, fn: (i) => F.cosineEmbeddingLoss(i.x1, i.x2, i.y) },
  {
    name: 'contrastiveLoss of distances',
    op: 'contrastive_loss',
    inputs: { d: pos(5), label: fixed([1, 0, 1, 1, 0]) },
    fn: (i) => F.contrastiveLoss(i.d, i.label),
  },
];

interface ModuleRun {
  name: string;
  cls: 'BatchNorm1d' | 'BatchNorm2d';
  numFeatures: number;
  options: nn.BatchNormLayerOptions;
  shape: number[];
}
const MODULES: ModuleRun[] = [
  { name: 'BatchNorm2d, momentum 0.1', cls: 'BatchNorm2d', numFeatures: 3, options: {}, shape: [4, 3, 2, 2] },
  { name: 'BatchNorm1d [N, C], momentum null (cumulative average)', cls: 'BatchNorm1d', numFeatures: 5, options: { momentum: null }, shape: [6, 5] },
  { name: 'BatchNorm1d [N, C, L], no affine', cls: 'BatchNorm1d', numFeatures: 2, options: { affine: false, momentum: 0.5 }, shape: [3, 2, 4] },
  { name: 'BatchNorm2d, trackRunningStats false (batch statistics in eval too)', cls: 'BatchNorm2d', numFeatures: 2, options: { trackRunningStats: false }, shape: [2, 2, 3, 3] },
];
const STEPS = 3;

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Values as float32 holds them (what tensor() stores), so both sides compute on the same numbers. */
const f32 = (values: ArrayLike<number>): number[] => Array.from(values, Math.fround);

function draw({ shape, kind = 'normal', values }: Input): number[] {
  if (values) return f32(values);
  const count = sizeOf(shape);
  return Array.from(kind === 'normal' ? normalValues(count) : kind === 'positive' ? uniformValues(count, 0.5, 2) : uniformValues(count, 0.05, 0.95));
}

interface Drawn {
  inputs: Record<string, { values: number[]; input: Input }>;
  probe: number[];
}
interface CaseResult {
  out: number[];
  grads: Record<string, number[] | null>;
  extra: Record<string, number[]>;
}
interface ModuleResult {
  steps: { out: number[]; gradX: number[] }[];
  eval: number[];
  state: Record<string, number[]>;
  paramGrads: Record<string, number[]>;
}

manualSeed(7);
const DRAWN: Drawn[] = CASES.map((c) => {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, input]) => [k, { values: draw(input), input }]));
  return { inputs, probe: [] };
});
const MODULE_DATA = MODULES.map((m) => ({
  batches: Array.from({ length: STEPS }, () => f32(Array.from(normalValues(sizeOf(m.shape)), (v, i) => v * 2 + (i % 3)))),
  probes: Array.from({ length: STEPS }, () => Array.from(normalValues(sizeOf(m.shape)))),
  evalBatch: Array.from(normalValues(sizeOf(m.shape))),
}));

let torch: { cases: CaseResult[]; modules: ModuleResult[]; keys: { stateDict: string[]; parameters: string[] } };

const makeInputs = (d: Drawn): Inputs =>
  Object.fromEntries(Object.entries(d.inputs).map(([k, { values, input }]) => [k, tensor(values, { shape: input.shape, requiresGrad: input.grad !== false })]));

beforeAll(async () => {
  await init({ backend: 'reference' });
  // The output sizes decide the probes (the gradient of sum(out · probe)): one webgrad run finds them.
  DRAWN.forEach((d, i) => {
    const out = CASES[i].fn(makeInputs(d));
    d.probe = Array.from(normalValues(out.size));
  });
  const spec = {
    cases: CASES.map((c, i) => ({
      op: c.op,
      options: c.options ?? {},
      probe: DRAWN[i].probe,
      inputs: Object.fromEntries(Object.entries(DRAWN[i].inputs).map(([k, { values, input }]) => [k, [values, input.shape, input.grad !== false]])),
    })),
    modules: MODULES.map((m, i) => ({
      cls: m.cls,
      numFeatures: m.numFeatures,
      options: m.options,
      batches: MODULE_DATA[i].batches.map((b) => [b, m.shape, true]),
      probes: MODULE_DATA[i].probes,
      evalBatch: [MODULE_DATA[i].evalBatch, m.shape, false],
    })),
  };
  const script = fileURLToPath(new URL('./fixtures/layers.py', import.meta.url));
  torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 64 << 20 }));
}, 120_000);

function expectClose(actual: ArrayLike<number>, expected: readonly number[] | null, what: string, tolerance = 1e-9): void {
  expect(expected, `${what}: PyTorch gave no value`).not.toBeNull();
  expect(actual.length, `${what}: length`).toBe(expected!.length);
  expected!.forEach((e, k) => {
    const a = actual[k];
    expect(Math.abs(a - e), `${what}[${k}]: ${a} vs PyTorch ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
  });
}

describe('functional layers and losses match PyTorch (values and gradients, float64)', () => {
  test.each(CASES.map((c, i) => [c.name, i] as const))('%s', async (_, i) => {
    const c = CASES[i];
    const inputs = makeInputs(DRAWN[i]);
    const out = c.fn(inputs);
    const expected = torch.cases[i];
    expectClose(await out.rawData(), expected.out, 'output', c.tolerance);
    const wanted = Object.keys(inputs).filter((k) => inputs[k].requiresGrad);
    expect(wanted.sort()).toEqual(Object.keys(expected.grads).sort());
    if (wanted.length > 0) {
      out.mul(tensor(DRAWN[i].probe, { shape: [...out.shape] })).sum().backward();
      for (const k of wanted) expectClose(await inputs[k].grad!.rawData(), expected.grads[k], `gradient of ${k}`, c.tolerance);
    }
    for (const k of c.extra ?? []) expectClose(await inputs[k].rawData(), expected.extra[k], `updated ${k}`);
  });
});

describe('BatchNorm modules over three train steps, then eval, match PyTorch', () => {
  test.each(MODULES.map((m, i) => [m.name, i] as const))('%s', async (_, i) => {
    const m = MODULES[i];
    const layer = new nn[m.cls](m.numFeatures, m.options);
    const expected = torch.modules[i];
    for (let step = 0; step < STEPS; step++) {
      const x = tensor(MODULE_DATA[i].batches[step], { shape: m.shape, requiresGrad: true });
      const y = layer.forward(x);
      y.mul(tensor(MODULE_DATA[i].probes[step], { shape: m.shape })).sum().backward();
      expectClose(await y.rawData(), expected.steps[step].out, `step ${step} output`);
      expectClose(await x.grad!.rawData(), expected.steps[step].gradX, `step ${step} input gradient`);
    }
    layer.eval();
    expectClose(await layer.forward(tensor(MODULE_DATA[i].evalBatch, { shape: m.shape })).rawData(), expected.eval, 'eval output');
    const state = layer.stateDict();
    expect(Object.keys(state)).toEqual(Object.keys(expected.state));
    for (const [k, v] of Object.entries(state)) expectClose(await v.rawData(), expected.state[k], `state ${k}`);
    for (const [k, p] of layer.namedParameters()) expectClose(await p.grad!.rawData(), expected.paramGrads[k], `gradient of ${k}`);
  });
});

test("a small model's stateDict() and namedParameters() keys are torch's", () => {
  const model = new nn.Sequential(
    new nn.BatchNorm2d(3),
    new nn.Flatten(),
    new nn.Linear(48, 8),
    new nn.BatchNorm1d(8),
    new nn.ModuleDict({ head: new nn.Linear(8, 2), norm: new nn.LayerNorm(2) }),
    new nn.Embedding(4, 3, { paddingIdx: 0 }),
    new nn.BatchNorm1d(3, { affine: false }),
    new nn.BatchNorm1d(3, { trackRunningStats: false }),
  );
  expect(Object.keys(model.stateDict())).toEqual(torch.keys.stateDict);
  expect(model.namedParameters().map(([k]) => k)).toEqual(torch.keys.parameters);
  expect(model.buffers().length).toBe(9);
});

test('PyTorch loads a webgrad checkpoint with BatchNorm2d buffers (strict) and computes the same eval forward', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgrad-bn-'));
  try {
    const model = new nn.Sequential(new nn.BatchNorm2d(2), new nn.Flatten(), new nn.Linear(8, 3));
    for (let i = 0; i < 4; i++) model.forward(randn([5, 2, 2, 2]).mul(3).add(1));
    model.eval();
    const path = join(dir, 'bn.safetensors');
    await save(model.stateDict(), path);
    const x = f32(normalValues(16));
    const script = fileURLToPath(new URL('./fixtures/bn_checkpoint.py', import.meta.url));
    const torchOut = JSON.parse(execFileSync('/usr/bin/python3', [script, path], { input: JSON.stringify([x, [2, 2, 2, 2]]), encoding: 'utf8' }));
    const bn = model.children()[0] as nn.BatchNorm2d;
    expect(torchOut.numBatchesTracked).toBe(4);
    expectClose(f32(await bn.running_mean!.rawData()), torchOut.runningMean, 'running_mean', 1e-7);
    expectClose(f32(await bn.running_var!.rawData()), torchOut.runningVar, 'running_var', 1e-7);
    expectClose(await model.forward(tensor(x, { shape: [2, 2, 2, 2] })).rawData(), torchOut.out, 'eval forward', 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
