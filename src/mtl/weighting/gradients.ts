// The weightings that look at the tasks' gradients: GradNorm (Chen et al. 2018) learns loss weights
// that equalise the gradient norms' training rates, through the gradient of the gradient norms (a
// second-order use of createGraph); DB-MTL (Lin et al. 2023) balances log-loss gradients by norm.
import { accumulateGrad, grad } from '../../autograd/engine.js';
import { checkOptions, numberOption } from '../../check.js';
import { ones } from '../../creation.js';
import { keep, tidy } from '../../memory.js';
import { Parameter } from '../../nn/module.js';
import { stack } from '../../ops/dims.js';
import type { Tensor } from '../../tensor.js';
import { addToShared, sharedJacobian } from '../backward.js';
import { checkTaskCount, taskCount, Weighting, type TaskProblem } from './weighting.js';

/** ‖row‖ of each row of a [T, P] matrix. */
const rowNorms = (J: Tensor): Tensor => J.square().sum(1).sqrt();

export interface GradNormOptions {
  tasks: number;
  /** The asymmetry α: how strongly a task that trains slower gets a larger gradient. */
  alpha?: number;
}

/**
 * GradNorm: losses weighted by w = T·softmax(θ) (θ learned: pass parameters() to the optimizer, as
 * LibMTL). Each step, Gₜ = ‖∇_shared wₜLₜ‖ (the Jacobian recorded with createGraph), rₜ the
 * inverse training rate (Lₜ / Lₜ(0)) / mean, and θ's gradient is that of Σₜ |Gₜ − mean(G)·rₜ^α|
 * (the target held constant), reaching θ back through the recorded backward. The shared
 * parameters get Σₜ wₜ∇Lₜ, each head its wₜ∇Lₜ. Lₜ(0): the first step's losses.
 */
export class GradNorm extends Weighting {
  readonly lossScale: Tensor;
  private readonly alpha: number;
  private initial: Tensor | null = null;
  constructor(options: GradNormOptions) {
    super();
    const tasks = taskCount('GradNorm', options, ['alpha']);
    this.alpha = numberOption('GradNorm', 'alpha', options.alpha ?? 1.5, 0);
    this.lossScale = Parameter(ones([tasks]));
  }
  override parameters(): Tensor[] {
    return [this.lossScale];
  }
  /** The current weights T·softmax(θ). */
  async weights(): Promise<number[]> {
    return Array.from(await tidy(() => this.lossScale.softmax(0).mul(this.lossScale.size)).data(), Number);
  }
  /** Forgets the initial losses (a new experiment). */
  reset(): void {
    this.initial?.dispose();
    this.initial = null;
  }
  override dispose(): void {
    this.reset();
    super.dispose();
  }
  backward(problem: TaskProblem): Promise<number[] | null> {
    const T = this.lossScale.size;
    checkTaskCount('GradNorm', problem.losses, T);
    tidy(() => {
      const w = this.lossScale.softmax(0).mul(T);
      const weighted = problem.losses.map((l, t) => l.reshape([]).mul(w.narrow(0, t, 1).reshape([])));
      const J = sharedJacobian(problem, weighted, { createGraph: true, exclude: [this.lossScale] });
      const L = stack(problem.losses.map((l) => l.reshape([]).detach()));
      this.initial ??= keep(L.alias());
      const rate = L.div(this.initial);
      const G = rowNorms(J);
      const target = G.mean().mul(rate.div(rate.mean()).pow(this.alpha)).detach();
      const [scaleGrad] = grad(G.sub(target).abs().sum(), [this.lossScale]);
      accumulateGrad(this.lossScale, scaleGrad.detach());
      addToShared(problem.shared, J.sum(0));
    });
    this.lastWeights = null;
    return Promise.resolve(null);
  }
}

export interface DbMtlOptions {
  /** The gradient buffer's EMA rate β. */
  beta?: number;
  /** β decays as β / step^betaSigma. */
  betaSigma?: number;
}

/**
 * DB-MTL: the gradients of log(Lₜ + 1e-8) (loss-scale balancing), kept in an EMA buffer
 * (buffer ← g + β/step^σ · (buffer − g), from zeros), then each scaled to the largest norm:
 * αₜ = max‖bufferᵢ‖ / (‖bufferₜ‖ + 1e-8); the shared parameters get Σₜ αₜ·bufferₜ, the heads their
 * log-loss gradients (LibMTL's definitions and defaults). Stateful: reset() between experiments.
 */
export class DBMTL extends Weighting {
  private readonly beta: number;
  private readonly betaSigma: number;
  private buffer: Tensor | null = null;
  private step = 0;
  constructor(options: DbMtlOptions = {}) {
    super();
    const { beta = 0.9, betaSigma = 0 } = checkOptions('DBMTL', options, ['beta', 'betaSigma']);
    this.beta = numberOption('DBMTL', 'beta', beta, 0, { max: 1 });
    this.betaSigma = numberOption('DBMTL', 'betaSigma', betaSigma, 0);
  }
  reset(): void {
    this.buffer?.dispose();
    [this.buffer, this.step] = [null, 0];
  }
  override dispose(): void {
    this.reset();
  }
  backward(problem: TaskProblem): Promise<number[] | null> {
    this.step++;
    const rate = this.beta / this.step ** this.betaSigma;
    const previous = this.buffer;
    this.buffer = keep(
      tidy(() => {
        const J = sharedJacobian(problem, tidy(() => problem.losses.map((l) => l.add(1e-8).log())));
        return previous ? J.add(previous.sub(J).mul(rate)) : J.mul(1 - rate);
      }),
    );
    previous?.dispose();
    const buffer = this.buffer;
    tidy(() => {
      const norms = rowNorms(buffer);
      const alpha = norms.max().div(norms.add(1e-8));
      addToShared(problem.shared, alpha.reshape([1, -1]).matmul(buffer).reshape([-1]));
    });
    this.lastWeights = null;
    return Promise.resolve(null);
  }
}
