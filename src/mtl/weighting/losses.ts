// The weightings that combine the losses into one: EW (equal weights), UW (Kendall et al. 2018,
// learned log-variances), RLW (Lin et al. 2021, random weights each step), GLS (Chennupati et al.
// 2019, the geometric mean) and DWA (Liu et al. 2019, the rate each loss fell at over the last two
// epochs). LibMTL's definitions and defaults.
import { checkOptions, numberOption } from '../../check.js';
import { full, tensor } from '../../creation.js';
import { keep, tidy } from '../../memory.js';
import { Parameter } from '../../nn/module.js';
import { stack } from '../../ops/dims.js';
import { normalValues, seededStream, type Stream } from '../../random.js';
import { softmax } from '../linalg.js';
import type { Tensor } from '../../tensor.js';
import { checkTaskCount, LossWeighting, taskCount } from './weighting.js';

const weightedSum = (losses: readonly Tensor[], w: readonly number[]): Tensor => tidy(() => stack(losses.map((l) => l.reshape([]))).mul(tensor([...w], { device: losses[0].device })).sum());

/** Equal weighting: the sum of the losses (the article's recipe). */
export class EW extends LossWeighting {
  protected combine(losses: readonly Tensor[]) {
    const weights = losses.map(() => 1);
    return { loss: weightedSum(losses, weights), weights };
  }
}

export interface UwOptions {
  tasks: number;
}

/**
 * Uncertainty weighting: Σₜ Lₜ / (2·e^{sₜ}) + sₜ / 2, with the log-variances s (init −0.5, as
 * LibMTL) learned with the model: pass parameters() to the optimizer.
 */
export class UW extends LossWeighting {
  readonly logVariance: Tensor;
  constructor(options: UwOptions) {
    super();
    this.logVariance = Parameter(full([taskCount('UW', options, [])], -0.5));
  }
  override parameters(): Tensor[] {
    return [this.logVariance];
  }
  protected combine(losses: readonly Tensor[]) {
    checkTaskCount('UW', losses, this.logVariance.size);
    const s = this.logVariance;
    const loss = tidy(() => stack(losses.map((l) => l.reshape([]))).div(s.exp().mul(2)).add(s.mul(0.5)).sum());
    return { loss, weights: null };
  }
  /** The current weights 1 / (2·e^{sₜ}). */
  async weights(): Promise<number[]> {
    return Array.from(await this.logVariance.data(), (s) => 1 / (2 * Math.exp(s)));
  }
}

export interface SeedOptions {
  seed?: number;
}

/** Random loss weighting: each step, weights softmax(z) with z ~ N(0, I). */
export class RLW extends LossWeighting {
  private readonly rng: Stream;
  constructor(options: SeedOptions = {}) {
    super();
    const { seed } = checkOptions('RLW', options, ['seed']);
    this.rng = seededStream('RLW', seed);
  }
  protected combine(losses: readonly Tensor[]) {
    const weights = softmax(Array.from(normalValues(losses.length, 0, 1, this.rng), Number));
    return { loss: weightedSum(losses, weights), weights };
  }
}

/** Geometric loss strategy: (Πₜ Lₜ)^{1/T}, as exp(mean(log Lₜ)) (the losses must be positive). */
export class GLS extends LossWeighting {
  protected combine(losses: readonly Tensor[]) {
    return { loss: tidy(() => stack(losses.map((l) => l.reshape([]))).log().mean().exp()), weights: null };
  }
}

export interface DwaOptions {
  tasks: number;
  /** The softmax temperature T of the loss ratios. */
  temperature?: number;
}

/**
 * Dynamic weight average: for epoch e ≥ 2, wₜ = T·softmax(rₜ / temperature) with rₜ the ratio of
 * task t's mean training loss in epochs e − 1 and e − 2; 1 before. Call endEpoch() after each epoch
 * (the losses are summed on the device meanwhile: nothing is read back per step).
 */
export class DWA extends LossWeighting {
  private readonly tasks: number;
  private readonly temperature: number;
  private readonly history: number[][] = [];
  private running: Tensor | null = null;
  private steps = 0;
  constructor(options: DwaOptions) {
    super();
    this.tasks = taskCount('DWA', options, ['temperature']);
    this.temperature = numberOption('DWA', 'temperature', options.temperature ?? 2, 0, { open: true });
  }
  /** This epoch's weights. */
  get epochWeights(): number[] {
    if (this.history.length < 2) return new Array<number>(this.tasks).fill(1);
    const [last, before] = [this.history.at(-1)!, this.history.at(-2)!];
    return softmax(last.map((l, t) => l / before[t] / this.temperature)).map((w) => w * this.tasks);
  }
  protected combine(losses: readonly Tensor[]) {
    checkTaskCount('DWA', losses, this.tasks);
    const weights = this.epochWeights;
    const current = tidy(() => stack(losses.map((l) => l.reshape([]).detach())));
    const previous = this.running;
    this.running = keep(previous ? tidy(() => previous.add(current)) : current);
    if (previous) [previous, current].forEach((t) => t.dispose());
    this.steps++;
    return { loss: weightedSum(losses, weights), weights };
  }
  override dispose(): void {
    this.running?.dispose();
    this.running = null;
  }
  /** Closes an epoch: its mean losses join the history the next weights come from. */
  async endEpoch(): Promise<void> {
    if (!this.running) throw new Error('DWA.endEpoch: no step was taken this epoch');
    const sums = await this.running.data();
    this.history.push(Array.from(sums, (s) => s / this.steps));
    this.running.dispose();
    [this.running, this.steps] = [null, 0];
  }
}
