// Learning-rate schedulers (torch.optim.lr_scheduler, as in PyTorch 1.13): step() sets every
// parameter group's lr by PyTorch's own recurrence (its "chainable" get_lr), in the same float64
// operations, so the sequence matches PyTorch's step by step; the constructor makes the first step
// (epoch 0). State dicts hold plain data: the counters and the scheduler's settings.
import { checkChoice, checkOptions, describe, isPlainObject } from '../check.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

/** What a scheduler needs of an optimizer: an lr per parameter group. */
export interface LrOptions {
  lr: number;
}
type Scheduled = Optimizer<LrOptions>;

/** PyTorch's last_epoch, _step_count, base_lrs and _last_lr. */
export type SchedulerCounters = {
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
};
export type SchedulerStateDict<S extends object = object> = SchedulerCounters & S;

/** The options every scheduler takes besides its own: lastEpoch -1 starts the schedule. */
type Options<D> = Partial<D> & { lastEpoch?: number };

type Rule = readonly [test: (v: number) => boolean, expected: string];
const FINITE: Rule = [Number.isFinite, 'a finite number'];
const NON_NEGATIVE: Rule = [(v) => v >= 0 && v < Infinity, 'a finite number ≥ 0'];
const POSITIVE: Rule = [(v) => v > 0 && v < Infinity, 'a finite number > 0'];
const POSITIVE_INT: Rule = [(v) => Number.isInteger(v) && v > 0, 'a positive integer'];
const EPOCH: Rule = [(v) => Number.isInteger(v) && v >= -1, 'an integer ≥ -1'];

function check(where: string, what: string, value: unknown, [test, expected]: Rule): number {
  if (typeof value === 'number' && test(value)) return value;
  throw new Error(`${where}: ${what} must be ${expected}, got ${describe(value)}`);
}

function checkBoolean(where: string, what: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new Error(`${where}: ${what} must be true or false, got ${describe(value)}`);
}

/** A number or one per param group (PyTorch's _format_param), each checked by `rule`. */
function perGroup(where: string, what: string, value: number | readonly number[], groups: number, rule: Rule): number[] {
  const values = Array.isArray(value) ? value : Array<number>(groups).fill(value as number);
  if (values.length !== groups) throw new Error(`${where}: ${what} must be a number or one per param group (${groups}), got ${describe(value)}`);
  return values.map((v, i) => check(where, Array.isArray(value) ? `${what}[${i}]` : what, v, rule));
}

/** `options` over `defaults`, every key known. */
function withDefaults<D extends object>(where: string, options: Options<D> | undefined, defaults: D): D & { lastEpoch?: number } {
  const given = checkOptions(where, options, [...Object.keys(defaults), 'lastEpoch']);
  const defined = Object.entries(given).filter(([, v]) => v !== undefined);
  return { ...defaults, ...Object.fromEntries(defined) } as D & { lastEpoch?: number };
}

function checkOptimizer(where: string, optimizer: unknown): asserts optimizer is Scheduled {
  if (!(optimizer instanceof Optimizer)) throw new Error(`${where}: expects an optimizer (optim.SGD, optim.Adam, …), got ${describe(optimizer)}`);
}

/**
 * The base (PyTorch's _LRScheduler): S are the settings (saved in the state dict, except the keys
 * U), getLr the recurrence from the groups' current lrs.
 */
export abstract class LRScheduler<S extends object = object, U extends keyof S = never> {
  readonly optimizer: Scheduled;
  /** Each group's initialLr when the scheduler was made. */
  baseLrs: number[];
  /** The epoch of the current lrs (steps since epoch 0). */
  lastEpoch: number;
  /** step() calls, the constructor's included. */
  protected stepCount = 0;
  private lastLr: number[] = [];
  private readonly unsaved: readonly PropertyKey[];

  /**
   * lastEpoch -1 starts the schedule, setting each group's initialLr to its lr where it has none;
   * another value resumes it, from the initialLr the groups must have (an optimizer's loaded state).
   */
  protected constructor(optimizer: Scheduled, readonly options: S, lastEpoch = -1, unsaved: readonly U[] = []) {
    const where = new.target.name;
    checkOptimizer(where, optimizer);
    check(where, 'lastEpoch', lastEpoch, EPOCH);
    const groups = optimizer.paramGroups;
    if (lastEpoch === -1) for (const group of groups) group.initialLr ??= group.lr;
    const missing = groups.findIndex((group) => group.initialLr === undefined);
    if (missing >= 0) throw new Error(`${where}: lastEpoch ${lastEpoch} resumes a schedule, but param group ${missing} has no initialLr; load the optimizer's state dict first, or pass lastEpoch -1`);
    this.optimizer = optimizer;
    this.unsaved = unsaved;
    this.baseLrs = groups.map((group) => group.initialLr!);
    this.lastEpoch = lastEpoch;
    this.initialStep();
  }

  /** The lrs of the next epoch, from the groups' lrs and the counters (PyTorch's get_lr). */
  protected abstract getLr(): number[];

  /** The lrs at lastEpoch from baseLrs (PyTorch's _get_closed_form_lr; get_lr where it has none). */
  protected closedFormLr(): number[] {
    return this.getLr();
  }

  protected get groups(): ParamGroup<LrOptions>[] {
    return this.optimizer.paramGroups;
  }

  protected lrs(): number[] {
    return this.groups.map(({ lr }) => lr);
  }

  /** Moves to the next epoch and sets the groups' lrs. */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    this.setLrs(this.getLr());
  }

  /** @internal The first step, counted from scratch (SequentialLR remakes it). */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** @internal Jumps to epoch 0 (PyTorch's step(0), which SequentialLR calls at a milestone). */
  restart(): void {
    this.stepCount++;
    this.lastEpoch = 0;
    this.setLrs(this.closedFormLr());
  }

  private setLrs(lrs: readonly number[]): void {
    this.groups.forEach((group, i) => (group.lr = lrs[i]));
    this.lastLr = this.lrs();
  }

  /** The lrs the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict<Omit<S, U>> {
    const { lastEpoch, stepCount, baseLrs, lastLr } = this;
    return structuredClone({ lastEpoch, stepCount, baseLrs, lastLr, ...this.saved() }) as SchedulerStateDict<Omit<S, U>>;
  }

  /** Replaces the counters and settings by copies of `stateDict`'s; the groups' lrs stay (as in PyTorch). */
  loadStateDict(stateDict: SchedulerStateDict<Omit<S, U>>): void {
    const where = `${this.constructor.name}.loadStateDict`;
    const saved = this.saved();
    const lrsOk = (v: unknown) => Array.isArray(v) && v.length === this.groups.length && v.every((x) => typeof x === 'number');
    const given: unknown = stateDict;
    const ok =
      isPlainObject(given) &&
      Number.isInteger(given.lastEpoch) &&
      Number.isInteger(given.stepCount) &&
      lrsOk(given.baseLrs) &&
      lrsOk(given.lastLr) &&
      Object.entries(saved).every(([k, v]) => typeof given[k] === typeof v && Array.isArray(given[k]) === Array.isArray(v));
    if (!ok) {
      const keys = ['lastEpoch', 'stepCount', 'baseLrs', 'lastLr', ...Object.keys(saved)].join(', ');
      throw new Error(`${where}: expects what stateDict() returns, { ${keys} } with one lr per param group (${this.groups.length}), got ${describe(stateDict)}`);
    }
    const { lastEpoch, stepCount, baseLrs, lastLr, ...settings } = structuredClone(stateDict as SchedulerCounters);
    Object.assign(this.options, Object.fromEntries(Object.keys(saved).map((k) => [k, (settings as Record<string, unknown>)[k]])));
    Object.assign(this, { lastEpoch, stepCount, baseLrs, lastLr });
  }

  private saved(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.options).filter(([k]) => !this.unsaved.includes(k as U)));
  }
}

/** Multiplies the lrs by gamma every stepSize epochs. */
export class StepLR extends LRScheduler<{ stepSize: number; gamma: number }> {
  constructor(optimizer: Scheduled, stepSize: number, options?: Options<{ gamma: number }>) {
    const { gamma, lastEpoch } = withDefaults('StepLR', options, { gamma: 0.1 });
    super(optimizer, { stepSize: check('StepLR', 'stepSize', stepSize, POSITIVE_INT), gamma: check('StepLR', 'gamma', gamma, FINITE) }, lastEpoch);
  }

  protected getLr(): number[] {
    const { stepSize, gamma } = this.options;
    return this.lrs().map((lr) => (this.lastEpoch === 0 || this.lastEpoch % stepSize !== 0 ? lr : lr * gamma));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.options.gamma ** Math.floor(this.lastEpoch / this.options.stepSize));
  }
}

/** Multiplies the lrs by gamma at each milestone (by gamma^k at one listed k times). */
export class MultiStepLR extends LRScheduler<{ milestones: number[]; gamma: number }> {
  constructor(optimizer: Scheduled, milestones: readonly number[], options?: Options<{ gamma: number }>) {
    const { gamma, lastEpoch } = withDefaults('MultiStepLR', options, { gamma: 0.1 });
    if (!Array.isArray(milestones)) throw new Error(`MultiStepLR: milestones must be an array of epochs, got ${describe(milestones)}`);
    milestones.forEach((m, i) => check('MultiStepLR', `milestones[${i}]`, m, [(v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0']));
    super(optimizer, { milestones: [...milestones].sort((a, b) => a - b), gamma: check('MultiStepLR', 'gamma', gamma, FINITE) }, lastEpoch);
  }

  /** How many milestones are ≤ epoch (or = epoch). */
  private count(epoch: number, upTo: boolean): number {
    return this.options.milestones.filter((m) => (upTo ? m <= epoch : m === epoch)).length;
  }

  protected getLr(): number[] {
    const times = this.count(this.lastEpoch, false);
    return this.lrs().map((lr) => (times === 0 ? lr : lr * this.options.gamma ** times));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.options.gamma ** this.count(this.lastEpoch, true));
  }
}

/** Multiplies the lrs by gamma every epoch. */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  constructor(optimizer: Scheduled, gamma: number, options?: Options<object>) {
    const { lastEpoch } = withDefaults('ExponentialLR', options, {});
    super(optimizer, { gamma: check('ExponentialLR', 'gamma', gamma, FINITE) }, lastEpoch);
  }

  protected getLr(): number[] {
    return this.lrs().map((lr) => (this.lastEpoch === 0 ? lr : lr * this.options.gamma));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.options.gamma ** this.lastEpoch);
  }
}

/** Cosine annealing from the base lrs to etaMin over tMax epochs, then back up (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler<{ tMax: number; etaMin: number }> {
  constructor(optimizer: Scheduled, tMax: number, options?: Options<{ etaMin: number }>) {
    const { etaMin, lastEpoch } = withDefaults('CosineAnnealingLR', options, { etaMin: 0 });
    super(optimizer, { tMax: check('CosineAnnealingLR', 'tMax', tMax, POSITIVE_INT), etaMin: check('CosineAnnealingLR', 'etaMin', etaMin, FINITE) }, lastEpoch);
  }

  protected getLr(): number[] {
    const [{ tMax, etaMin }, e] = [this.options, this.lastEpoch];
    if (e === 0) return this.lrs();
    if (this.stepCount === 1 && e > 0) return this.closedFormLr();
    // Python's %: the floored remainder.
    if ((((e - 1 - tMax) % (2 * tMax)) + 2 * tMax) % (2 * tMax) === 0) {
      return this.lrs().map((lr, i) => lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    return this.lrs().map((lr) => ((1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax))) * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { tMax, etaMin } = this.options;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / tMax))) / 2);
  }
}

export type LrLambda = (epoch: number) => number;

/** lr = base lr × lrLambda(epoch), one function for all groups or one per group (not saved in the state dict). */
export class LambdaLR extends LRScheduler<{ lrLambdas: LrLambda[] }, 'lrLambdas'> {
  constructor(optimizer: Scheduled, lrLambda: LrLambda | readonly LrLambda[], options?: Options<object>) {
    const { lastEpoch } = withDefaults('LambdaLR', options, {});
    checkOptimizer('LambdaLR', optimizer);
    const groups = optimizer.paramGroups.length;
    const lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : Array<LrLambda>(groups).fill(lrLambda as LrLambda);
    if (lrLambdas.length !== groups || !lrLambdas.every((f) => typeof f === 'function')) {
      throw new Error(`LambdaLR: lrLambda must be a function of the epoch or one per param group (${groups}), got ${describe(lrLambda)}`);
    }
    super(optimizer, { lrLambdas }, lastEpoch, ['lrLambdas']);
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => {
      const factor = this.options.lrLambdas[i](this.lastEpoch);
      if (typeof factor !== 'number') throw new Error(`LambdaLR: lrLambda ${i} returned ${describe(factor)} for epoch ${this.lastEpoch}; it must return a number`);
      return base * factor;
    });
  }
}

/** Scales the lrs by a factor going linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler<{ startFactor: number; endFactor: number; totalIters: number }> {
  constructor(optimizer: Scheduled, options?: Options<{ startFactor: number; endFactor: number; totalIters: number }>) {
    const { startFactor, endFactor, totalIters, lastEpoch } = withDefaults('LinearLR', options, { startFactor: 1 / 3, endFactor: 1, totalIters: 5 });
    super(
      optimizer,
      {
        startFactor: check('LinearLR', 'startFactor', startFactor, [(v) => v > 0 && v <= 1, 'in (0, 1]']),
        endFactor: check('LinearLR', 'endFactor', endFactor, [(v) => v >= 0 && v <= 1, 'in [0, 1]']),
        totalIters: check('LinearLR', 'totalIters', totalIters, POSITIVE_INT),
      },
      lastEpoch,
    );
  }

  protected getLr(): number[] {
    const [{ startFactor: s, endFactor: f, totalIters: n }, e] = [this.options, this.lastEpoch];
    if (e === 0) return this.lrs().map((lr) => lr * s);
    if (e > n) return this.lrs();
    return this.lrs().map((lr) => lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this.options;
    return this.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, this.lastEpoch)) / n));
  }
}

interface OneCycleSettings {
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  threePhase: boolean;
  cycleMomentum: boolean;
  /** Per group (PyTorch keeps them in the param groups as max_lr, min_lr, max_momentum, base_momentum). */
  maxLrs: number[];
  minLrs: number[];
  maxMomentums: number[];
  baseMomentums: number[];
}

export interface OneCycleOptions {
  /** Either totalSteps, or epochs and stepsPerEpoch. */
  totalSteps: number;
  epochs: number;
  stepsPerEpoch: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  /** Cycles SGD's or RMSprop's momentum, or Adam's betas[0], inversely to the lr, between these two. */
  cycleMomentum: boolean;
  baseMomentum: number | number[];
  maxMomentum: number | number[];
  /** The initial lr is maxLr / divFactor, the final one that / finalDivFactor. */
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;
}

type MomentumGroup = ParamGroup<LrOptions> & { momentum?: number; betas?: [number, number] };
type LrKey = 'initial' | 'max' | 'min';
type MomentumKey = 'max' | 'base';
interface Phase {
  end: number;
  lr: readonly [LrKey, LrKey];
  momentum: readonly [MomentumKey, MomentumKey];
}

/** The 1cycle policy (Smith & Topin): the lr rises to maxLr, then anneals far below its start. */
export class OneCycleLR extends LRScheduler<OneCycleSettings> {
  constructor(optimizer: Scheduled, maxLr: number | readonly number[], options?: Options<OneCycleOptions>) {
    const where = 'OneCycleLR';
    const defaults = { pctStart: 0.3, annealStrategy: 'cos', cycleMomentum: true, baseMomentum: 0.85, maxMomentum: 0.95, divFactor: 25, finalDivFactor: 1e4, threePhase: false };
    const o = withDefaults(where, options, { totalSteps: undefined, epochs: undefined, stepsPerEpoch: undefined, ...defaults } as Partial<OneCycleOptions>);
    checkOptimizer(where, optimizer);
    const groups = optimizer.paramGroups as MomentumGroup[];
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = check(where, 'totalSteps', o.totalSteps, POSITIVE_INT);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) totalSteps = check(where, 'epochs', o.epochs, POSITIVE_INT) * check(where, 'stepsPerEpoch', o.stepsPerEpoch, POSITIVE_INT);
    else throw new Error(`${where}: give the schedule's length: { totalSteps } or { epochs, stepsPerEpoch }`);
    const maxLrs = perGroup(where, 'maxLr', maxLr, groups.length, NON_NEGATIVE);
    const [divFactor, finalDivFactor] = [check(where, 'divFactor', o.divFactor, POSITIVE), check(where, 'finalDivFactor', o.finalDivFactor, POSITIVE)];
    const settings: OneCycleSettings = {
      totalSteps,
      pctStart: check(where, 'pctStart', o.pctStart, [(v) => v >= 0 && v <= 1, 'in [0, 1]']),
      annealStrategy: checkChoice(where, 'annealStrategy', o.annealStrategy, ['cos', 'linear']),
      threePhase: checkBoolean(where, 'threePhase', o.threePhase),
      cycleMomentum: checkBoolean(where, 'cycleMomentum', o.cycleMomentum),
      maxLrs,
      minLrs: maxLrs.map((lr) => lr / divFactor / finalDivFactor),
      maxMomentums: perGroup(where, 'maxMomentum', o.maxMomentum!, groups.length, NON_NEGATIVE),
      baseMomentums: perGroup(where, 'baseMomentum', o.baseMomentum!, groups.length, NON_NEGATIVE),
    };
    if (settings.cycleMomentum && !groups.every((g) => Array.isArray(g.betas) || typeof g.momentum === 'number')) {
      throw new Error(`${where}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam); pass cycleMomentum: false`);
    }
    const lastEpoch = check(where, 'lastEpoch', o.lastEpoch ?? -1, EPOCH);
    if (lastEpoch === -1) groups.forEach((group, i) => (group.initialLr = maxLrs[i] / divFactor));
    super(optimizer, settings, lastEpoch);
  }

  private phases(): Phase[] {
    const { totalSteps: n, pctStart: p, threePhase } = this.options;
    const up: Phase = { end: p * n - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] };
    return threePhase
      ? [up, { end: 2 * p * n - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] }, { end: n - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] }]
      : [up, { end: n - 1, lr: ['max', 'min'], momentum: ['base', 'max'] }];
  }

  private anneal(start: number, end: number, pct: number): number {
    return this.options.annealStrategy === 'cos' ? end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const { totalSteps, cycleMomentum, maxLrs, minLrs, maxMomentums, baseMomentums } = this.options;
    const step = this.lastEpoch;
    if (step > totalSteps) throw new Error(`OneCycleLR: tried to step ${step + 1} times; the schedule has totalSteps ${totalSteps}`);
    const phases = this.phases();
    const k = phases.findIndex(({ end }, j) => step <= end || j === phases.length - 1);
    const [{ end, lr, momentum }, start] = [phases[k], k === 0 ? 0 : phases[k - 1].end];
    const pct = (step - start) / (end - start);
    return (this.groups as MomentumGroup[]).map((group, i) => {
      if (cycleMomentum) {
        const m = { max: maxMomentums[i], base: baseMomentums[i] };
        const value = this.anneal(m[momentum[0]], m[momentum[1]], pct);
        if (group.betas) group.betas = [value, group.betas[1]];
        else group.momentum = value;
      }
      const lrs = { initial: this.baseLrs[i], max: maxLrs[i], min: minLrs[i] };
      return this.anneal(lrs[lr[0]], lrs[lr[1]], pct);
    });
  }
}

export interface SequentialStateDict {
  lastEpoch: number;
  milestones: number[];
  lastLr: number[];
  schedulers: SchedulerStateDict[];
}

/** Runs schedulers one after another: schedulers[i + 1] takes over, from its epoch 0, at milestones[i]. */
export class SequentialLR {
  readonly optimizer: Scheduled;
  lastEpoch: number;
  private readonly schedulers: readonly LRScheduler[];
  private milestones: number[];
  private lastLr: number[];

  constructor(optimizer: Scheduled, schedulers: readonly LRScheduler[], milestones: readonly number[], options?: Options<object>) {
    const where = 'SequentialLR';
    const { lastEpoch = -1 } = withDefaults(where, options, {});
    checkOptimizer(where, optimizer);
    check(where, 'lastEpoch', lastEpoch, EPOCH);
    if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler)) {
      throw new Error(`${where}: schedulers must be a non-empty array of lr schedulers (StepLR, LinearLR, …), got ${describe(schedulers)}`);
    }
    const stray = schedulers.findIndex((s) => s.optimizer !== optimizer);
    if (stray >= 0) throw new Error(`${where}: schedulers[${stray}] belongs to another optimizer; every scheduler must be made on the optimizer passed in`);
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(`${where}: expects one milestone fewer than schedulers (${schedulers.length - 1}), got ${describe(milestones)}`);
    }
    milestones.forEach((m, i) => check(where, `milestones[${i}]`, m, [(v) => Number.isInteger(v) && v >= (milestones[i - 1] ?? 0), 'an integer ≥ 0 and ≥ the milestone before']));
    this.optimizer = optimizer;
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    // Undoes the schedulers' own first steps and makes the first scheduler's again.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr!;
    for (const s of schedulers) s.lastEpoch--;
    schedulers[0].initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }

  step(): void {
    this.lastEpoch++;
    const idx = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.restart();
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SequentialStateDict {
    const { lastEpoch, milestones, lastLr } = this;
    return { ...structuredClone({ lastEpoch, milestones, lastLr }), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Loads its own counters and each scheduler's state dict; all or nothing. */
  loadStateDict(stateDict: SequentialStateDict): void {
    const where = 'SequentialLR.loadStateDict';
    const ok = isPlainObject(stateDict) && Number.isInteger(stateDict.lastEpoch) && Array.isArray(stateDict.milestones) && Array.isArray(stateDict.lastLr) && Array.isArray(stateDict.schedulers);
    if (!ok || stateDict.schedulers.length !== this.schedulers.length) {
      throw new Error(`${where}: expects what stateDict() returns, { lastEpoch, milestones, lastLr, schedulers } with ${this.schedulers.length} scheduler state(s), got ${describe(stateDict)}`);
    }
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(stateDict.schedulers[i]));
    } catch (err) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]));
      throw err;
    }
    ({ lastEpoch: this.lastEpoch, milestones: this.milestones, lastLr: this.lastLr } = structuredClone(stateDict));
  }
}
