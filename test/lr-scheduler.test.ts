// lr schedulers against real PyTorch 1.13: test/fixtures/lr_schedules.py runs the same cases in
// torch.optim.lr_scheduler (float64 on both sides) and every step's lr, getLastLr() and momentum must
// agree to 1e-12; a state dict taken mid-schedule, loaded into fresh objects, continues identically.
// Fails (does not skip) without /usr/bin/python3 and torch (.ci/run installs python3-torch).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { init, optim, zeros } from '../src/index.js';
import type { LRScheduler, LrLambda, SequentialStateDict, SchedulerStateDict } from '../src/optim/lr-scheduler.js';

const { StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LambdaLR, LinearLR, OneCycleLR, SequentialLR } = optim.lrScheduler;

type Spec = { kind: string } & Record<string, unknown>;
interface Case {
  name: string;
  lrs: number[];
  optimizer: ['SGD' | 'Adam', Record<string, unknown>];
  stages: { scheduler: Spec; steps: number }[];
}
interface Record_ {
  lrs: number[];
  lastLr: number[];
  momenta: number[];
}

const SGD: Case['optimizer'] = ['SGD', { lr: 0.1, momentum: 0.9 }];
const ADAM: Case['optimizer'] = ['Adam', { lr: 0.1, betas: [0.9, 0.999] }];
const LRS = [0.1, 0.05];
const one = (name: string, scheduler: Spec, steps = 30, optimizer = SGD): Case => ({ name, lrs: LRS, optimizer, stages: [{ scheduler, steps }] });

const CASES: Case[] = [
  one('StepLR', { kind: 'StepLR', stepSize: 7, gamma: 0.5 }),
  one('MultiStepLR (a repeated milestone)', { kind: 'MultiStepLR', milestones: [20, 5, 12, 12], gamma: 0.3 }),
  one('ExponentialLR', { kind: 'ExponentialLR', gamma: 0.9 }),
  one('CosineAnnealingLR past tMax', { kind: 'CosineAnnealingLR', tMax: 10, etaMin: 0.001 }),
  one('CosineAnnealingLR to 0', { kind: 'CosineAnnealingLR', tMax: 7 }),
  one('LambdaLR, one lambda', { kind: 'LambdaLR', lrLambda: 'pow095' }),
  one('LambdaLR, one per group', { kind: 'LambdaLR', lrLambda: ['pow095', 'inverse'] }),
  one('LinearLR defaults', { kind: 'LinearLR' }),
  one('LinearLR down', { kind: 'LinearLR', startFactor: 0.5, endFactor: 0.1, totalIters: 8 }),
  one('OneCycleLR, SGD momentum', { kind: 'OneCycleLR', maxLr: [1, 0.5], totalSteps: 30 }, 29),
  one('OneCycleLR, Adam beta1, three phases, linear', { kind: 'OneCycleLR', maxLr: 0.3, epochs: 3, stepsPerEpoch: 10, threePhase: true, annealStrategy: 'linear', pctStart: 0.25 }, 30, ADAM),
  one('OneCycleLR, no momentum cycling', { kind: 'OneCycleLR', maxLr: 0.3, totalSteps: 40, cycleMomentum: false, divFactor: 10, finalDivFactor: 100 }, 30, ADAM),
  one('SequentialLR warm-up then decay', {
    kind: 'SequentialLR',
    schedulers: [
      { kind: 'LinearLR', startFactor: 0.1, totalIters: 4 },
      { kind: 'ExponentialLR', gamma: 0.9 },
    ],
    milestones: [5],
  }),
  one('SequentialLR of three', {
    kind: 'SequentialLR',
    schedulers: [
      { kind: 'LinearLR', startFactor: 0.2, totalIters: 4 },
      { kind: 'CosineAnnealingLR', tMax: 8, etaMin: 0.01 },
      { kind: 'MultiStepLR', milestones: [0, 3, 6] },
    ],
    milestones: [4, 15],
  }),
  {
    name: 'a second scheduler resumes at lastEpoch 5 from the first one\'s initialLr',
    lrs: LRS,
    optimizer: SGD,
    stages: [
      { scheduler: { kind: 'StepLR', stepSize: 3 }, steps: 6 },
      { scheduler: { kind: 'CosineAnnealingLR', tMax: 10, lastEpoch: 5 }, steps: 12 },
    ],
  },
];

const LAMBDAS: Record<string, LrLambda> = { pow095: (e) => 0.95 ** e, inverse: (e) => 1 / (e + 1) };

type Scheduler = LRScheduler | InstanceType<typeof SequentialLR>;
type Opt = optim.Optimizer<{ lr: number }>;

function build(optimizer: Opt, { kind, ...s }: Spec): Scheduler {
  const a = s as Record<string, never>;
  switch (kind) {
    case 'StepLR': {
      const { stepSize, ...rest } = a;
      return new StepLR(optimizer, stepSize, rest);
    }
    case 'MultiStepLR': {
      const { milestones, ...rest } = a;
      return new MultiStepLR(optimizer, milestones, rest);
    }
    case 'ExponentialLR': {
      const { gamma, ...rest } = a;
      return new ExponentialLR(optimizer, gamma, rest);
    }
    case 'CosineAnnealingLR': {
      const { tMax, ...rest } = a;
      return new CosineAnnealingLR(optimizer, tMax, rest);
    }
    case 'LambdaLR': {
      const { lrLambda, ...rest } = s as { lrLambda: string | string[] };
      return new LambdaLR(optimizer, Array.isArray(lrLambda) ? lrLambda.map((n) => LAMBDAS[n]) : LAMBDAS[lrLambda], rest);
    }
    case 'LinearLR':
      return new LinearLR(optimizer, a);
    case 'OneCycleLR': {
      const { maxLr, ...rest } = a;
      return new OneCycleLR(optimizer, maxLr, rest);
    }
    case 'SequentialLR': {
      const { schedulers, milestones, ...rest } = s as { schedulers: Spec[]; milestones: number[] };
      return new SequentialLR(optimizer, schedulers.map((spec) => build(optimizer, spec) as LRScheduler), milestones, rest);
    }
  }
  throw new Error(`no scheduler ${kind}`);
}

function makeOptimizer({ lrs, optimizer: [name, options] }: Case): Opt {
  const groups = lrs.map((lr) => ({ params: [zeros([1], { device: 'reference', requiresGrad: true })], lr }));
  return (name === 'SGD' ? new optim.SGD(groups, options as { lr: number }) : new optim.Adam(groups, options)) as unknown as Opt;
}

function record(optimizer: Opt, scheduler: Scheduler): Record_ {
  const groups = optimizer.paramGroups as unknown as { lr: number; momentum?: number; betas?: number[] }[];
  return { lrs: groups.map((g) => g.lr), lastLr: scheduler.getLastLr(), momenta: groups.map((g) => g.betas?.[0] ?? g.momentum!) };
}

/** The case's trajectory in webgrad; with `resumeAt`, the last stage's objects are remade from state dicts after that many steps. */
function run(c: Case, resumeAt?: number): Record_[] {
  let optimizer = makeOptimizer(c);
  const records: Record_[] = [];
  for (const [i, { scheduler: spec, steps }] of c.stages.entries()) {
    let scheduler = build(optimizer, spec);
    records.push(record(optimizer, scheduler));
    for (let step = 0; step < steps; step++) {
      if (step === resumeAt && i === c.stages.length - 1) {
        const saved = JSON.parse(JSON.stringify({ optimizer: optimizer.stateDict(), scheduler: scheduler.stateDict() }));
        // The optimizer's state first (a lastEpoch ≥ 0 spec needs its initialLr), then again after the
        // scheduler's constructor has stepped it.
        optimizer = makeOptimizer(c);
        optimizer.loadStateDict(saved.optimizer);
        scheduler = build(optimizer, spec);
        optimizer.loadStateDict(saved.optimizer);
        scheduler.loadStateDict(saved.scheduler as SchedulerStateDict & SequentialStateDict);
      }
      scheduler.step();
      records.push(record(optimizer, scheduler));
    }
  }
  return records;
}

function expectSame(actual: Record_[], expected: Record_[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, step) =>
    (['lrs', 'lastLr', 'momenta'] as const).forEach((key) =>
      a[key].forEach((v, g) => {
        const e = expected[step][key][g];
        expect(Math.abs(v - e), `step ${step}, ${key}[${g}]: ${v} vs PyTorch's ${e}`).toBeLessThanOrEqual(1e-12 * Math.abs(e) + 1e-300);
      }),
    ),
  );
}

let torch: Record_[][];

beforeAll(async () => {
  await init({ backend: 'reference' });
  const script = fileURLToPath(new URL('./fixtures/lr_schedules.py', import.meta.url));
  torch = JSON.parse(execFileSync('/usr/bin/python3', [script], { input: JSON.stringify(CASES), encoding: 'utf8' }));
});

describe('lr schedulers match PyTorch 1.13 step by step', () => {
  CASES.forEach((c, i) => {
    test(c.name, () => expectSame(run(c), torch[i]));
    test(`${c.name}: state dict round trip mid-schedule`, () => expectSame(run(c, 11), torch[i]));
  });
});

describe('lr scheduler errors', () => {
  const opt = () => makeOptimizer(CASES[0]);
  test.each([
    ['StepLR stepSize', () => new StepLR(opt(), 0), /StepLR: stepSize must be a positive integer, got the number 0/],
    ['an unknown option', () => new StepLR(opt(), 3, { gama: 0.5 } as never), /StepLR: unknown option\(s\) 'gama'/],
    ['not an optimizer', () => new ExponentialLR({} as never, 0.9), /ExponentialLR: expects an optimizer/],
    ['LinearLR startFactor', () => new LinearLR(opt(), { startFactor: 0 }), /LinearLR: startFactor must be in \(0, 1\], got the number 0/],
    ['MultiStepLR milestones', () => new MultiStepLR(opt(), [3, 1.5]), /MultiStepLR: milestones\[1\] must be an integer ≥ 0, got the number 1.5/],
    ['LambdaLR count', () => new LambdaLR(opt(), [LAMBDAS.pow095]), /LambdaLR: lrLambda must be a function of the epoch or one per param group \(2\)/],
    ['OneCycleLR length', () => new OneCycleLR(opt(), 0.1), /OneCycleLR: give the schedule's length/],
    ['OneCycleLR maxLr count', () => new OneCycleLR(opt(), [0.1, 0.2, 0.3], { totalSteps: 5 }), /OneCycleLR: maxLr must be a number or one per param group \(2\)/],
    ['OneCycleLR threePhase', () => new OneCycleLR(opt(), 0.1, { totalSteps: 5, threePhase: 1 as never }), /OneCycleLR: threePhase must be true or false, got the number 1/],
    ['resuming without initialLr', () => new CosineAnnealingLR(opt(), 10, { lastEpoch: 3 }), /param group 0 has no initialLr/],
    ['SequentialLR milestones', () => new SequentialLR(opt(), [new ExponentialLR(opt(), 0.9)], [2]), /SequentialLR: schedulers\[0\] belongs to another optimizer/],
  ])('%s', (_, make, message) => expect(make).toThrow(message));

  test('OneCycleLR past totalSteps', () => {
    const s = new OneCycleLR(opt(), 0.1, { totalSteps: 2 });
    s.step();
    s.step();
    expect(() => s.step()).toThrow(/tried to step 4 times; the schedule has totalSteps 2/);
  });

  test('SequentialLR.loadStateDict is all or nothing: a bad inner state leaves every scheduler as it was', () => {
    const o = opt();
    const seq = new SequentialLR(o, [new LinearLR(o, { totalIters: 2 }), new ExponentialLR(o, 0.5)], [2]);
    seq.step();
    const before = seq.stateDict();
    const bad = { ...seq.stateDict(), lastEpoch: 9 };
    bad.schedulers = [{ ...bad.schedulers[0], lastEpoch: 7 }, { lastEpoch: 1 } as SchedulerStateDict];
    expect(() => seq.loadStateDict(bad)).toThrow(/ExponentialLR.loadStateDict: expects what stateDict\(\) returns/);
    expect(seq.stateDict()).toEqual(before);
  });

  test('loadStateDict checks its argument', () => {
    const s = new StepLR(opt(), 3);
    expect(() => s.loadStateDict({ lastEpoch: 1 } as never)).toThrow(/StepLR.loadStateDict: expects what stateDict\(\) returns, \{ lastEpoch, stepCount, baseLrs, lastLr, stepSize, gamma \}/);
  });
});
