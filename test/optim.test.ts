// Optimizers: Adam, AdamW and SGD against float64 implementations of PyTorch's update rules written
// out here, on the CPU reference (tightly) and on WebGPU (against the CPU); param groups, zeroGrad,
// skipped parameters, packed state, state dicts, option errors, and one dispatch for all four
// parameters on the GPU (more parameters, views and launch counts: optim-webgpu.test.ts).
import { beforeAll, describe, expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { flush, init, noGrad, optim, tensor, tidy, zeros, type DeviceName, type Tensor } from '../src/index.js';

// ---- Fixed parameters and gradients --------------------------------------------------------------

/** p0 and p2 get contiguous gradients, p1 and p3 transposed (strided) views; p2 and p3 span several workgroups. */
const SHAPES: readonly number[][] = [[5], [3, 4], [2000], [30, 40]];
const STEPS = 6;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Values tensor() stores exactly (it takes float32). */
const initialValues = (p: number): number[] => Array.from({ length: sizeOf(SHAPES[p]) }, (_, i) => Math.fround(Math.sin(p * 7 + i * 0.37) * 0.8));
/** Large gradients for three steps, then small ones, so AMSGrad's running max matters. */
const gradValues = (p: number, step: number): number[] =>
  Array.from({ length: sizeOf(SHAPES[p]) }, (_, i) => Math.fround(Math.cos(p * 3 + i * 0.91 + step * 1.7) * (step < 3 ? 1.5 : 0.2)));

/** `values` (row-major over `shape`) as a tensor; 2-D ones as the transpose of a [cols, rows] tensor. */
function gradTensor(device: DeviceName, shape: readonly number[], values: number[]): Tensor {
  if (shape.length !== 2) return tensor(Float32Array.from(values), { shape: [...shape], device });
  const [rows, cols] = shape;
  const transposed = Float32Array.from({ length: values.length }, (_, k) => values[(k % rows) * cols + Math.floor(k / rows)]);
  return tensor(transposed, { shape: [cols, rows], device }).T;
}

const makeParams = (device: DeviceName): Tensor[] =>
  SHAPES.map((shape, p) => tensor(Float32Array.from(initialValues(p)), { shape: [...shape], device, requiresGrad: true }));

function setGrads(device: DeviceName, params: readonly Tensor[], step: number, which = params.map((_, p) => p)): void {
  for (const p of which) params[p].grad = gradTensor(device, SHAPES[p], gradValues(p, step));
}

/** Runs `steps` (fromStep on) zeroGrad / set gradients / step rounds. */
function train(device: DeviceName, optimizer: optim.Optimizer<object>, params: Tensor[], steps: number, fromStep = 0): void {
  for (let step = fromStep; step < fromStep + steps; step++) {
    optimizer.zeroGrad();
    setGrads(device, params, step);
    optimizer.step();
  }
}

const values = (params: readonly Tensor[]): Promise<number[][]> => Promise.all(params.map(async (p) => Array.from(await p.rawData())));

function expectNear(actual: number[][], expected: number[][], rtol: number): void {
  expected.forEach((e, p) => {
    expect(actual[p].length, `parameter ${p} size`).toBe(e.length);
    let worst = 0;
    let at = 0;
    e.forEach((v, i) => {
      const err = Math.abs(actual[p][i] - v) / Math.max(Math.abs(v), 1);
      if (!(err <= worst)) [worst, at] = [err, i];
    });
    expect(worst, `parameter ${p}, element ${at}: ${actual[p][at]} vs ${e[at]}`).toBeLessThanOrEqual(rtol);
  });
}

// ---- The rules, in float64, straight from the torch.optim docs -------------------------------------

interface RefState {
  t: number;
  m: number[];
  v: number[];
  vMax: number[];
  b: number[] | null;
}
type Rule = (theta: number[], grad: number[], s: RefState) => void;

interface AdamRef {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  decoupled?: boolean;
}

const adamRule = ({ lr, betas: [b1, b2] = [0.9, 0.999], eps = 1e-8, weightDecay = 0, amsgrad = false, decoupled = false }: AdamRef): Rule => (theta, grad, s) => {
  s.t++;
  for (let i = 0; i < theta.length; i++) {
    let g = grad[i];
    if (decoupled) theta[i] *= 1 - lr * weightDecay;
    else g += weightDecay * theta[i];
    s.m[i] = b1 * s.m[i] + (1 - b1) * g;
    s.v[i] = b2 * s.v[i] + (1 - b2) * g * g;
    s.vMax[i] = Math.max(s.vMax[i], s.v[i]);
    const v = amsgrad ? s.vMax[i] : s.v[i];
    theta[i] -= (lr / (1 - b1 ** s.t)) * s.m[i] / (Math.sqrt(v) / Math.sqrt(1 - b2 ** s.t) + eps);
  }
};

interface SgdRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

const sgdRule = ({ lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 }: SgdRef): Rule => (theta, grad, s) => {
  const first = s.b === null;
  s.b ??= new Array<number>(theta.length).fill(0);
  for (let i = 0; i < theta.length; i++) {
    let g = grad[i] + weightDecay * theta[i];
    if (momentum !== 0) {
      s.b[i] = first ? g : momentum * s.b[i] + (1 - dampening) * g;
      g = nesterov ? g + momentum * s.b[i] : s.b[i];
    }
    theta[i] -= lr * g;
  }
};

/** The parameters after `steps` steps of `rules[p]` for each parameter p that `hasGrad(p, step)`. */
function reference(rules: readonly Rule[], steps: number, hasGrad = (_p: number, _step: number) => true): number[][] {
  const thetas = SHAPES.map((_, p) => initialValues(p));
  const states = thetas.map((theta): RefState => {
    const zero = () => new Array<number>(theta.length).fill(0);
    return { t: 0, m: zero(), v: zero(), vMax: zero(), b: null };
  });
  for (let step = 0; step < steps; step++) {
    thetas.forEach((theta, p) => hasGrad(p, step) && rules[p](theta, gradValues(p, step), states[p]));
  }
  return thetas;
}

const everyParam = (rule: Rule): Rule[] => SHAPES.map(() => rule);

interface Case {
  name: string;
  make: (params: Tensor[]) => optim.Optimizer<object>;
  rules: Rule[];
}

const cases: Case[] = [
  { name: 'Adam', make: (ps) => new optim.Adam(ps, { lr: 0.01 }), rules: everyParam(adamRule({ lr: 0.01 })) },
  {
    name: 'Adam, coupled weight decay, custom betas and eps',
    make: (ps) => new optim.Adam(ps, { lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }),
    rules: everyParam(adamRule({ lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 })),
  },
  {
    name: 'Adam, amsgrad',
    make: (ps) => new optim.Adam(ps, { lr: 0.01, betas: [0.9, 0.6], amsgrad: true, weightDecay: 0.05 }),
    rules: everyParam(adamRule({ lr: 0.01, betas: [0.9, 0.6], amsgrad: true, weightDecay: 0.05 })),
  },
  {
    name: 'AdamW, default decoupled weight decay 1e-2',
    make: (ps) => new optim.AdamW(ps, { lr: 0.01 }),
    rules: everyParam(adamRule({ lr: 0.01, weightDecay: 1e-2, decoupled: true })),
  },
  {
    name: 'AdamW, amsgrad',
    make: (ps) => new optim.AdamW(ps, { lr: 0.05, weightDecay: 0.2, amsgrad: true }),
    rules: everyParam(adamRule({ lr: 0.05, weightDecay: 0.2, amsgrad: true, decoupled: true })),
  },
  { name: 'SGD', make: (ps) => new optim.SGD(ps, { lr: 0.1 }), rules: everyParam(sgdRule({ lr: 0.1 })) },
  {
    name: 'SGD, momentum with dampening and weight decay',
    make: (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }),
    rules: everyParam(sgdRule({ lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 })),
  },
  {
    name: 'SGD, nesterov',
    make: (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02 }),
    rules: everyParam(sgdRule({ lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02 })),
  },
  {
    name: 'param groups with their own lr and options',
    make: ([p0, p1, p2, p3]) =>
      new optim.SGD([{ params: [p0, p2] }, { params: [p1, p3], lr: 0.01, momentum: 0.5 }], { lr: 0.1, weightDecay: 0.1 }),
    rules: [0, 1, 2, 3].map((p) => sgdRule(p % 2 === 0 ? { lr: 0.1, weightDecay: 0.1 } : { lr: 0.01, momentum: 0.5, weightDecay: 0.1 })),
  },
];

async function trained(device: DeviceName, make: Case['make'], steps = STEPS): Promise<number[][]> {
  const params = makeParams(device);
  train(device, make(params), params, steps);
  return values(params);
}

describe('optimizers on the CPU match the float64 rules', () => {
  test.each(cases)('$name', async ({ make, rules }) => {
    expectNear(await trained('reference', make), reference(rules, STEPS), 1e-10);
  });
});

describe('optimizers on the CPU', () => {
  test('a param group lr changed between steps applies from the next step (schedules)', async () => {
    const [p] = makeParams('reference');
    const optimizer = new optim.SGD([p], { lr: 0.1 });
    for (const [step, lr] of [[0, 0.1], [1, 0.5]]) {
      optimizer.paramGroups[0].lr = lr;
      p.grad = gradTensor('reference', SHAPES[0], gradValues(0, step));
      optimizer.step();
    }
    const expected = initialValues(0).map((v, i) => v - 0.1 * gradValues(0, 0)[i] - 0.5 * gradValues(0, 1)[i]);
    expectNear(await values([p]), [expected], 1e-12);
  });

  test('zeroGrad disposes every gradient and sets it to null', () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam([{ params: params.slice(0, 2) }, { params: params.slice(2) }]);
    setGrads('reference', params, 0);
    const grads = params.map((p) => p.grad!);
    optimizer.zeroGrad();
    expect(params.map((p) => p.grad)).toEqual([null, null, null, null]);
    expect(grads.every((g) => g.isDisposed)).toBe(true);
  });

  test('dispose frees the state tensors and the next step starts afresh', () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam(params, { amsgrad: true });
    setGrads('reference', params, 0);
    optimizer.step();
    const held = Object.values(optimizer.stateDict().state).flatMap((s) => [s.expAvg!, s.expAvgSq!, s.maxExpAvgSq!]);
    optimizer.dispose();
    expect(held.every((t) => t.isDisposed)).toBe(true);
    expect(optimizer.stateDict().state).toEqual({});
    optimizer.step();
    expect(Object.values(optimizer.stateDict().state).map((s) => s.step)).toEqual([1, 1, 1, 1]);
  });

  test('parameters without a gradient keep their values and state', async () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam(params, { lr: 0.01, amsgrad: true });
    // p1 has no gradient in steps 0–2, p3 never has one.
    const hasGrad = (p: number, step: number) => p !== 3 && (p !== 1 || step >= 3);
    for (let step = 0; step < STEPS; step++) {
      optimizer.zeroGrad();
      setGrads('reference', params, step, [0, 1, 2].filter((p) => hasGrad(p, step)));
      optimizer.step();
    }
    expectNear(await values(params), reference(everyParam(adamRule({ lr: 0.01, amsgrad: true })), STEPS, hasGrad), 1e-10);
    const { state } = optimizer.stateDict();
    expect(Object.keys(state)).toEqual(['0', '1', '2']);
    expect([state[0].step, state[1].step, state[2].step]).toEqual([6, 3, 6]);
  });

  test('state lives across tidy scopes', () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam(params);
    tidy(() => {
      setGrads('reference', params, 0);
      optimizer.step();
    });
    const { state } = optimizer.stateDict();
    expect([state[0].expAvg!.isDisposed, state[0].expAvgSq!.isDisposed]).toEqual([false, false]);
  });

  test('a group\'s state is packed: one storage per key, each parameter\'s tensor a view at its offset', async () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam(params, { amsgrad: true });
    train('reference', optimizer, params, 2);
    const { state } = optimizer.stateDict();
    for (const key of ['expAvg', 'expAvgSq', 'maxExpAvgSq'] as const) {
      const tensors = params.map((_, p) => state[p][key]!);
      expect(tensors.map((t) => t.layout.offset)).toEqual([0, 5, 17, 2017]);
      expect(new Set(tensors.map((t) => t.storage)).size).toBe(1);
    }
    expect(Array.from(await state[1].expAvg!.rawData())).toHaveLength(12);
  });

  test('stateDict has PyTorch\'s layout', () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam([{ params: params.slice(0, 3) }, { params: params.slice(3), lr: 0.5 }], { amsgrad: true });
    train('reference', optimizer, params, 2);
    const { state, paramGroups } = optimizer.stateDict();
    expect(paramGroups).toEqual([
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, params: [0, 1, 2] },
      { lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, params: [3] },
    ]);
    expect(Object.keys(state[3]).sort()).toEqual(['expAvg', 'expAvgSq', 'maxExpAvgSq', 'step']);
    expect(state[3].expAvg!.shape).toEqual([30, 40]);
  });
});

/** Clones of `params` as new leaves that require grad. */
const cloned = (params: readonly Tensor[]): Tensor[] =>
  params.map((p) => {
    const copy = noGrad(() => p.mul(1));
    copy.requiresGrad = true;
    return copy;
  });

const roundTripCases: [string, (ps: Tensor[], lr: number) => optim.Optimizer<object>][] = [
  ['Adam (amsgrad)', (ps, lr) => new optim.Adam([{ params: ps.slice(0, 2) }, { params: ps.slice(2), weightDecay: 0.1 }], { lr, amsgrad: true })],
  ['AdamW', (ps, lr) => new optim.AdamW(ps, { lr })],
  ['SGD (momentum)', (ps, lr) => new optim.SGD(ps, { lr, momentum: 0.9, dampening: 0.1 })],
];

describe.each<DeviceName>(['cpu', 'webgpu'])('stateDict round trip on %s', (device) => {
  beforeAll(async () => {
    await init({ backend: device }); // no adapter → the webgpu suite fails, it never skips
  });

  test.each(roundTripCases)('%s: 3 steps, save, load into a fresh optimizer, 3 more = 6 steps', async (_, make) => {
    const uninterrupted = makeParams(device);
    train(device, make(uninterrupted, 0.02), uninterrupted, 6);

    const original = makeParams(device);
    const first = make(original, 0.02);
    train(device, first, original, 3);
    const saved = first.stateDict();
    const resumed = cloned(original);
    const second = make(resumed, 0.7); // its lr is replaced by the saved one
    second.loadStateDict(saved);
    expect(second.paramGroups[0]).toMatchObject({ lr: 0.02 });
    expect(second.stateDict().state[0].step).toBe(3);
    train(device, first, original, 3, 3);
    train(device, second, resumed, 3, 3);

    const expected = await values(uninterrupted);
    expect(await values(original)).toEqual(expected);
    expect(await values(resumed)).toEqual(expected);
  });
});

describe('loadStateDict checks before it changes anything', () => {
  const trainedAdam = () => {
    const params = makeParams('reference');
    const optimizer = new optim.Adam(params);
    train('reference', optimizer, params, 1);
    return { params, optimizer, saved: optimizer.stateDict() };
  };

  test('group count', () => {
    const { params, saved } = trainedAdam();
    const twoGroups = new optim.Adam([{ params: params.slice(0, 2) }, { params: params.slice(2) }]);
    expect(() => twoGroups.loadStateDict(saved)).toThrow(/Adam\.loadStateDict: the state dict has 1 parameter group\(s\), this optimizer 2/);
  });

  test('parameter count per group', () => {
    const { params, saved } = trainedAdam();
    expect(() => new optim.Adam(params.slice(1)).loadStateDict(saved)).toThrow(/parameter group 0 has 4 parameter\(s\) in the state dict, 3 in this optimizer/);
  });

  test('state tensor shapes, naming the parameter and the key', () => {
    const { optimizer, saved } = trainedAdam();
    const before = optimizer.stateDict().state[0].expAvg;
    const wrong = { ...saved, state: { ...saved.state, 1: { ...saved.state[1], expAvgSq: zeros([4, 3], { device: 'reference' }) } } };
    expect(() => optimizer.loadStateDict(wrong)).toThrow(/state of parameter 1 \(group 0\): expAvgSq has shape \[4,3\], the parameter \[3,4\]/);
    expect(optimizer.stateDict().state[0].expAvg).toBe(before);
  });

  test('missing state tensors and invalid options', () => {
    const { optimizer, saved } = trainedAdam();
    const { expAvg: _, ...rest } = saved.state[2];
    expect(() => optimizer.loadStateDict({ ...saved, state: { ...saved.state, 2: rest } })).toThrow(/state of parameter 2 \(group 0\): expAvg is missing/);
    const badLr = { ...saved, paramGroups: [{ ...saved.paramGroups[0], lr: -1 }] };
    expect(() => optimizer.loadStateDict(badLr)).toThrow(/parameter group 0: invalid lr -1/);
  });
});

describe('errors', () => {
  const param = () => makeParams('reference')[1];

  test('bad options name the option', () => {
    expect(() => new optim.Adam([param()], { lr: -1 })).toThrow(/Adam: invalid lr -1/);
    expect(() => new optim.Adam([param()], { betas: [1, 0.999] })).toThrow(/invalid betas\[0\] 1 \(must be in \[0, 1\)\)/);
    expect(() => new optim.AdamW([param()], { betas: [0.9, -0.1] })).toThrow(/AdamW: invalid betas\[1\] -0.1/);
    expect(() => new optim.Adam([param()], { eps: -1e-8 })).toThrow(/invalid eps/);
    expect(() => new optim.Adam([{ params: [param()] }, { params: [param()], lr: -0.1 }])).toThrow(/Adam: param group 1: invalid lr -0.1/);
    expect(() => new optim.SGD([param()], {} as { lr: number })).toThrow(/SGD: lr is required/);
    expect(() => new optim.SGD([param()], { lr: 0.1, nesterov: true })).toThrow(/nesterov requires momentum > 0 and dampening 0/);
    expect(() => new optim.SGD([param()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/nesterov requires/);
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
  });

  test('parameters must be leaves (frozen ones, requiresGrad off, are skipped: robustness.test.ts)', () => {
    const p = param();
    expect(() => new optim.Adam([p.mul(2)])).toThrow(/parameter 0 \(group 0, \[3,4\]\) is not a leaf tensor/);
    expect(() => new optim.Adam([p, p.mul(2)])).toThrow(/parameter 1 \(group 0, \[3,4\]\) is not a leaf/);
    expect(() => new optim.Adam([p, p])).toThrow(/parameter 1 .* appears more than once/);
  });

  test('a gradient of another shape names both shapes', () => {
    const p = param();
    const optimizer = new optim.SGD([p], { lr: 0.1 });
    p.grad = zeros([4, 3], { device: 'reference' });
    expect(() => optimizer.step()).toThrow(/SGD\.step: the gradient of parameter 0 \(group 0, \[3,4\]\) has shape \[4,3\], the parameter \[3,4\]/);
  });
});

describe('optimizers on WebGPU', () => {
  beforeAll(async () => {
    await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  });

  test.each(cases)('$name matches the CPU', async ({ make }) => {
    expectNear(await trained('webgpu', make), await trained('reference', make), 1e-5);
  });

  test.each<[string, (ps: Tensor[]) => optim.Optimizer<object>]>([
    ['Adam (amsgrad)', (ps) => new optim.Adam(ps, { amsgrad: true, weightDecay: 0.1 })],
    ['AdamW', (ps) => new optim.AdamW(ps)],
    ['SGD (nesterov)', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })],
    ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1 })],
  ])('%s: a step over 4 parameters is one dispatch and no submit (no readback)', async (_, make) => {
    const gpu = getBackend('webgpu') as WebGpuBackend;
    const params = makeParams('webgpu');
    const optimizer = make(params);
    for (let step = 0; step < 2; step++) {
      setGrads('webgpu', params, step);
      await flush();
      const before = gpu.stats();
      optimizer.step(); // the first step also creates the state
      const after = gpu.stats();
      expect(after.dispatches - before.dispatches).toBe(1);
      expect(after.submits).toBe(before.submits);
    }
  });
});
