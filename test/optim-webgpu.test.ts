// Multi-tensor optimizer steps on WebGPU: many parameters of different sizes and gradient views
// (contiguous, transposed, narrowed from one shared storage, broadcast) updated in few launches
// match the reference backend, and a step takes ⌈parameters / tensors per launch⌉ dispatches.
import { beforeAll, describe, expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { flush, init, manualSeed, models, nn, optim, randn, tensor, type DeviceName, type Tensor } from '../src/index.js';

type GradKind = 'contiguous' | 'transposed' | 'narrowed' | 'broadcast';

/**
 * 18 parameters (more than one launch takes), from a scalar to several workgroups' worth; [200,180]
 * is large enough (≥ 2^15 elements) to get a launch of its own.
 */
const PARAMS: readonly [shape: number[], grad: GradKind][] = [
  [[5], 'contiguous'], [[3, 4], 'transposed'], [[2000], 'narrowed'], [[30, 40], 'transposed'],
  [[], 'contiguous'], [[1025], 'narrowed'], [[7, 3], 'broadcast'], [[1023], 'contiguous'],
  [[64, 17], 'transposed'], [[2, 3, 4], 'narrowed'], [[9], 'broadcast'], [[100, 3], 'contiguous'],
  [[200, 180], 'transposed'], [[11, 13], 'narrowed'], [[1], 'contiguous'], [[6, 6], 'broadcast'],
  [[300], 'transposed'], [[16, 1], 'contiguous'],
];
const STEPS = 4;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

const initialValues = (p: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(p * 7 + i * 0.37) * 0.8);
/** Large gradients for two steps, then small ones, so AMSGrad's running maximum matters. */
const gradValues = (p: number, step: number, n: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(p * 3 + i * 0.91 + step * 1.7) * (step < 2 ? 1.5 : 0.2));

const makeParams = (device: DeviceName, count = PARAMS.length): Tensor[] =>
  PARAMS.slice(0, count).map(([shape], p) => tensor(initialValues(p, sizeOf(shape)), { shape, device, requiresGrad: true }));

/** Sets every parameter's gradient as a view of the kind its row of PARAMS names. */
function setGrads(device: DeviceName, params: readonly Tensor[], step: number): void {
  const narrowed = params.map((p, i) => (PARAMS[i][1] === 'narrowed' ? p.size : 0));
  const block = tensor(gradValues(99, step, narrowed.reduce((a, b) => a + b, 0) + 3), { device }); // one storage for every narrowed gradient
  let offset = 3;
  params.forEach((param, p) => {
    const shape = [...param.shape];
    const kind = PARAMS[p][1];
    if (kind === 'narrowed') {
      param.grad = block.narrow(0, offset, param.size).reshape(shape);
      offset += param.size;
    } else if (kind === 'transposed' && shape.length === 2) {
      param.grad = tensor(gradValues(p, step, param.size), { shape: [shape[1], shape[0]], device }).T;
    } else if (kind === 'broadcast') {
      param.grad = tensor(gradValues(p, step, sizeOf(shape.slice(1))), { shape: shape.slice(1), device }).expand(shape);
    } else {
      param.grad = tensor(gradValues(p, step, param.size), { shape, device });
    }
  });
}

type Make = (params: Tensor[]) => optim.Optimizer<object>;

async function trained(device: DeviceName, make: Make, hasGrad: (p: number, step: number) => boolean = () => true): Promise<Float32Array[]> {
  const params = makeParams(device);
  const optimizer = make(params);
  for (let step = 0; step < STEPS; step++) {
    optimizer.zeroGrad();
    setGrads(device, params, step);
    params.forEach((p, i) => {
      if (!hasGrad(i, step)) p.grad = null;
    });
    optimizer.step();
  }
  return Promise.all(params.map((p) => p.data()));
}

function expectNear(actual: Float32Array[], expected: Float32Array[], rtol: number): void {
  expected.forEach((e, p) => {
    const worst = e.reduce((w, v, i) => Math.max(w, Math.abs(actual[p][i] - v) / Math.max(Math.abs(v), 1)), 0);
    expect(worst, `parameter ${p} ${JSON.stringify(PARAMS[p][0])}`).toBeLessThanOrEqual(rtol);
  });
}

const cases: [string, Make][] = [
  ['Adam', (ps) => new optim.Adam(ps, { lr: 0.01 })],
  ['Adam, amsgrad, coupled weight decay', (ps) => new optim.Adam(ps, { lr: 0.01, betas: [0.9, 0.6], amsgrad: true, weightDecay: 0.05 })],
  ['AdamW', (ps) => new optim.AdamW(ps, { lr: 0.02 })],
  ['AdamW, amsgrad', (ps) => new optim.AdamW(ps, { lr: 0.05, weightDecay: 0.2, amsgrad: true })],
  ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1, weightDecay: 0.01 })],
  ['SGD, momentum with dampening', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 })],
  ['SGD, nesterov', (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02 })],
  ['param groups with their own options', (ps) => new optim.Adam([{ params: ps.slice(0, 11) }, { params: ps.slice(11), lr: 0.03, amsgrad: true }], { lr: 0.01 })],
];

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
});

describe('multi-tensor steps on WebGPU match the reference', () => {
  test.each(cases)('%s over 18 parameters, 4 steps', async (_, make) => {
    expectNear(await trained('webgpu', make), await trained('reference', make), 1e-5);
  });

  test.each(cases.filter(([name]) => name.startsWith('Adam') || name.includes('momentum')))(
    '%s, parameters that skip steps (several step counts and first steps in one step)',
    async (_, make) => {
      const hasGrad = (p: number, step: number) => p % 5 !== 4 && (p % 3 !== 1 || step >= 2);
      expectNear(await trained('webgpu', make, hasGrad), await trained('reference', make, hasGrad), 1e-5);
    },
  );

  test.each([8, 40000])('a gradient that is a view of a later parameter (%i elements) gives the result of updating one after another', async (size) => {
    const run = async (device: DeviceName) => {
      const [a, b] = [8, size].map((n, p) => tensor(initialValues(p, n), { device, requiresGrad: true }));
      const optimizer = new optim.SGD([a, b], { lr: 0.5 });
      a.grad = b.detach().narrow(0, size - 8, 8); // a reads b before b is updated: two launches on WebGPU
      b.grad = tensor(gradValues(1, 0, size), { device });
      optimizer.step();
      return Promise.all([a.data(), b.data()]);
    };
    expectNear(await run('webgpu'), await run('reference'), 1e-6);
  });
});

describe('dispatches per step', () => {
  const gpu = () => getBackend('webgpu') as WebGpuBackend;

  /** Dispatches of each of two steps (the first also makes the state), checking that none submits. */
  async function stepDispatches(optimizer: optim.Optimizer<object>, setGradients: (step: number) => void): Promise<number[]> {
    const counts: number[] = [];
    for (let step = 0; step < 2; step++) {
      setGradients(step);
      await flush();
      const before = gpu().stats();
      optimizer.step();
      const after = gpu().stats();
      counts.push(after.dispatches - before.dispatches);
      expect(after.submits, 'no submit (no readback)').toBe(before.submits);
    }
    return counts;
  }

  /**
   * One per large parameter (≥ 2^15 elements), then ⌈small ones / 16⌉ (multi-tensor.ts's
   * MAX_TENSORS): small parameters, gradients and state are blocks of a few slabs, one binding each,
   * so the storage-binding limit does not cap a launch (before slabs: 8 small parameters took 2).
   */
  const launches = (params: readonly Tensor[]) => {
    const large = params.filter((p) => p.size >= 2 ** 15).length;
    return large + Math.ceil((params.length - large) / 16);
  };

  test.each<[string, Make]>([
    ['Adam', (ps) => new optim.Adam(ps)],
    ['Adam (amsgrad)', (ps) => new optim.Adam(ps, { amsgrad: true, weightDecay: 0.1 })],
    ['AdamW', (ps) => new optim.AdamW(ps)],
    ['SGD', (ps) => new optim.SGD(ps, { lr: 0.1 })],
    ['SGD (nesterov)', (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ])('%s: 8 and 18 parameters (one large) with contiguous gradients', async (_, make) => {
    for (const n of [8, 18]) {
      const params = makeParams('webgpu', n);
      const setGradients = (step: number) => params.forEach((p, i) => (p.grad = tensor(gradValues(i, step, p.size), { shape: [...p.shape], device: 'webgpu' })));
      const counts = await stepDispatches(make(params), setGradients);
      expect(counts, `${n} parameters`).toEqual([launches(params), launches(params)]);
    }
  });

  test('the article\'s MultiTaskNet (8 parameters) and the benchmark\'s large net (18) after backward', async () => {
    manualSeed(3);
    const large = new models.HardSharingNet({
      trunk: new nn.Sequential(new nn.Linear(512, 1024), new nn.ReLU()),
      heads: Array.from({ length: 8 }, () => new nn.Linear(1024, 1)),
    });
    const nets = [new models.MultiTaskNet(10, 3, 5), large];
    for (const net of nets) {
      const params = net.parameters();
      const x = randn([16, params[0].shape[1]]);
      const optimizer = new optim.Adam(params, { lr: 0.01 });
      const counts = await stepDispatches(optimizer, () => {
        optimizer.zeroGrad();
        net.forward(x).tasks.reduce((total, t) => total.add(t)).pow(2).mean().backward();
      });
      expect(counts, `${params.length} parameters`).toEqual([launches(params), launches(params)]);
    }
  });
});
