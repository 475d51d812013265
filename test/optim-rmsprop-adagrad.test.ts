// optim.RMSprop and optim.Adagrad against real PyTorch 1.13 (test/fixtures/optimizers.py, float64):
// 10-step trajectories on reference (float64), cpu and webgpu (float32); no tensors leak per step;
// a stateDict round trip mid-run continues identically; argument errors. Fails, not skips, without
// /usr/bin/python3 and torch.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, memory, optim, tensor, type DeviceName, type Tensor } from '../src/index.js';

const SHAPES = [[5], [3, 4], [2, 1, 3]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const PARAMS = SHAPES.map((shape, p) => [Array.from({ length: size(shape) }, (_, i) => Math.fround(Math.sin(p * 5 + i * 0.7))), shape] as const);
const STEPS = 10;
const GRADS = Array.from({ length: STEPS }, (_, t) => SHAPES.map((shape, p) => Array.from({ length: size(shape) }, (_, i) => Math.fround(Math.cos(p * 3 + i * 0.91 + t * 1.3) * (t < 3 ? 1.5 : 0.3)))));

/** `options`: the constructor's (torch's Adagrad reads initial_accumulator_value there, not per group). */
type Case = { name: string; optimizer: 'RMSprop' | 'Adagrad'; groups: Record<string, unknown>[]; options?: Record<string, unknown> };
const all = (options: Record<string, unknown>): Record<string, unknown>[] => [{ params: [0, 1, 2], ...options }];
const CASES: Case[] = [
  { name: 'RMSprop defaults', optimizer: 'RMSprop', groups: all({}) },
  { name: 'RMSprop weightDecay, momentum', optimizer: 'RMSprop', groups: all({ lr: 0.05, alpha: 0.9, weightDecay: 0.1, momentum: 0.8 }) },
  { name: 'RMSprop centered, momentum, eps', optimizer: 'RMSprop', groups: all({ lr: 0.02, centered: true, momentum: 0.5, eps: 1e-3 }) },
  { name: 'RMSprop two groups', optimizer: 'RMSprop', groups: [{ params: [0], lr: 0.1, centered: true }, { params: [1, 2], lr: 0.01, momentum: 0.9 }] },
  { name: 'Adagrad defaults', optimizer: 'Adagrad', groups: all({}) },
  { name: 'Adagrad lrDecay, weightDecay, initialAccumulatorValue', optimizer: 'Adagrad', groups: all({ lr: 0.1, lrDecay: 0.05, weightDecay: 0.2, eps: 1e-6 }), options: { initialAccumulatorValue: 0.3 } },
  { name: 'Adagrad two groups', optimizer: 'Adagrad', groups: [{ params: [0, 2], lr: 0.3 }, { params: [1], lr: 0.05, lrDecay: 0.1 }] },
];
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

let torch: number[][][][];
beforeAll(async () => {
  await init({ backend: 'cpu' });
  await init({ backend: 'webgpu' });
  const script = fileURLToPath(new URL('./fixtures/optimizers.py', import.meta.url));
  const snakeKeys = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), v]));
  const cases = CASES.map(({ optimizer, groups, options = {} }) => ({ optimizer, groups: groups.map(snakeKeys), options: snakeKeys(options) }));
  torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify({ params: PARAMS, grads: GRADS, cases }), encoding: 'utf8' }));
});

const makeParams = (device: DeviceName): Tensor[] => PARAMS.map(([values, shape]) => tensor(values, { shape, device, requiresGrad: true }));

function make(c: Case, params: Tensor[]): optim.Optimizer<object> {
  const groups = c.groups.map(({ params: ids, ...options }) => ({ ...options, params: (ids as number[]).map((i) => params[i]) }));
  return c.optimizer === 'RMSprop' ? new optim.RMSprop(groups, c.options) : new optim.Adagrad(groups, c.options);
}

function setGrads(device: DeviceName, params: Tensor[], t: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = tensor(GRADS[t][i], { shape: [...p.shape], device });
  });
}

async function expectStep(params: Tensor[], expected: number[][], tolerance: number, what: string): Promise<void> {
  for (const [i, p] of params.entries()) {
    const actual = await p.rawData();
    expected[i].forEach((e, k) => expect(Math.abs(actual[k] - e), `${what} param ${i}[${k}]: ${actual[k]} vs ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e))));
  }
}

describe.each([['reference', 1e-10], ['cpu', 2e-6], ['webgpu', 2e-6]] as const)('on %s, as PyTorch', (device, tolerance) => {
  CASES.forEach((c, n) =>
    test(c.name, async () => {
      const params = makeParams(device);
      const optimizer = make(c, params);
      setGrads(device, params, 0);
      optimizer.step(); // the state exists from here on
      await expectStep(params, torch[n][0], tolerance, 'step 0');
      const before = memory(device).tensors;
      for (let t = 1; t < STEPS; t++) {
        setGrads(device, params, t);
        optimizer.step();
        await expectStep(params, torch[n][t], tolerance, `step ${t}`);
      }
      expect(memory(device).tensors, 'tensors leaked by steps').toBe(before);
      optimizer.dispose();
      params.forEach((p) => p.dispose());
    }),
  );
});

describe('RMSprop and Adagrad', () => {
  test.each([CASES[2], CASES[5]])('$name: a stateDict round trip mid-run continues identically', async (c) => {
    const [a, b] = [makeParams('reference'), makeParams('reference')];
    const [oa, ob] = [make(c, a), make(c, b)];
    for (let t = 0; t < 4; t++) {
      setGrads('reference', a, t);
      oa.step();
      setGrads('reference', b, t);
      ob.step();
    }
    const fresh = make(c, b);
    fresh.loadStateDict(ob.stateDict());
    ob.dispose();
    for (let t = 4; t < STEPS; t++) {
      setGrads('reference', a, t);
      oa.step();
      setGrads('reference', b, t);
      fresh.step();
    }
    for (let i = 0; i < a.length; i++) expect(Array.from(await b[i].rawData())).toEqual(Array.from(await a[i].rawData()));
  });

  test('argument errors name the option', () => {
    const p = () => [tensor([1, 2], { device: 'reference', requiresGrad: true })];
    expect(() => new optim.RMSprop(p(), { lr: -1 })).toThrow('RMSprop: invalid lr -1 (must be a finite number ≥ 0)');
    expect(() => new optim.RMSprop(p(), { alpha: 1 })).toThrow('RMSprop: invalid alpha 1 (must be in [0, 1))');
    expect(() => new optim.RMSprop(p(), { alpha: -0.1 })).toThrow('RMSprop: invalid alpha -0.1');
    expect(() => new optim.RMSprop(p(), { momentm: 0.9 } as never)).toThrow("RMSprop: unknown option(s) 'momentm'");
    expect(() => new optim.RMSprop([{ params: p(), lr: -0.1 }])).toThrow('RMSprop: param group 0: invalid lr -0.1');
    expect(() => new optim.Adagrad(p(), -0.5)).toThrow('Adagrad: invalid lr -0.5');
    expect(() => new optim.Adagrad(p(), { lrDecay: -1 })).toThrow('Adagrad: invalid lrDecay -1');
    expect(() => new optim.Adagrad(p(), { initialAccumulatorValue: -1 })).toThrow('Adagrad: invalid initialAccumulatorValue -1');
    expect(() => new optim.Adagrad(p(), { betas: [0.9, 0.9] } as never)).toThrow("Adagrad: unknown option(s) 'betas'");
    expect(new optim.Adagrad(p(), 0.3).paramGroups[0].lr).toBe(0.3);
  });
});

test('OneCycleLR cycles RMSprop\'s momentum and lr as PyTorch does', () => {
  const code = `
import json, torch
p = torch.zeros(2, requires_grad=True)
o = torch.optim.RMSprop([p], lr=0.01, momentum=0.9)
s = torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=8)
out = []
for _ in range(7):
    p.grad = torch.ones(2); o.step(); s.step()
    out.append([o.param_groups[0]['lr'], o.param_groups[0]['momentum']])
print(json.dumps(out))`;
  const expected: number[][] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' }));
  const p = tensor([0, 0], { device: 'reference', requiresGrad: true });
  const o = new optim.RMSprop([p], { lr: 0.01, momentum: 0.9 });
  const s = new optim.lrScheduler.OneCycleLR(o, 0.1, { totalSteps: 8 });
  expected.forEach(([lr, momentum], t) => {
    p.grad = tensor([1, 1], { device: 'reference' });
    o.step();
    s.step();
    expect(o.paramGroups[0].lr, `lr after step ${t}`).toBeCloseTo(lr, 12);
    expect(o.paramGroups[0].momentum, `momentum after step ${t}`).toBeCloseTo(momentum, 12);
  });
});
