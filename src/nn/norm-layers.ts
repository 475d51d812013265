// Normalisation layers: BatchNorm1d, BatchNorm2d and LayerNorm (torch.nn's, same buffer and parameter names).
import { checkOptions, describe } from '../check.js';
import { ones, zeros } from '../creation.js';
import { tidy } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assign, Buffer, Module, Parameter } from './module.js';
import { batchNormWith, layerNorm } from './normalization.js';
import { checkTaskInput, taskDim } from './tasks.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** The running statistics' update factor (default 0.1); null for their cumulative average, 1 / num_batches_tracked. */
  momentum?: number | null;
  /** A learnt per-channel weight (ones) and bias (zeros); default true. */
  affine?: boolean;
  /**
   * Keep running_mean, running_var and num_batches_tracked and normalise with them in eval();
   * false: no buffers, batch statistics in train and eval alike (the transductive BN of MAML).
   */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the channels of [N, C, ...] (torch's _BatchNorm). In train() it
 * normalises with the batch statistics and updates the running ones in place (the unbiased batch
 * variance, as PyTorch); in eval() it normalises with the running ones.
 */
abstract class BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  // PyTorch's names, so that stateDict() keys match a torch state_dict.
  readonly running_mean: Tensor | null;
  readonly running_var: Tensor | null;
  /** The number of training batches seen, as a float32 tensor holding an integer (torch: int64). */
  readonly num_batches_tracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  protected abstract readonly name: string;
  /** The input ranks this layer accepts, and how to say it in an error. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly layout: string;

  constructor(
    readonly numFeatures: number,
    options?: BatchNormLayerOptions,
  ) {
    super();
    const op = new.target.name;
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = checkOptions(op, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`${op}: numFeatures must be a positive integer, got ${describe(numFeatures)}`);
    if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`${op}: eps must be a number ≥ 0, got ${describe(eps)}`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new Error(`${op}: momentum must be a number in [0, 1] or null, got ${describe(momentum)}`);
    this.weight = affine ? Parameter(ones([numFeatures])) : null;
    this.bias = affine ? Parameter(zeros([numFeatures])) : null;
    this.running_mean = trackRunningStats ? Buffer(zeros([numFeatures])) : null;
    this.running_var = trackRunningStats ? Buffer(ones([numFeatures])) : null;
    this.num_batches_tracked = trackRunningStats ? Buffer(zeros([])) : null;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
  }

  forward(x: Tensor): Tensor {
    const tasks = taskDim();
    const lead = tasks === null ? 0 : 1;
    if (!this.ranks.includes(x.ndim - lead) || x.shape[1 + lead] !== this.numFeatures || (tasks !== null && x.shape[0] !== tasks)) {
      const layout = tasks === null ? this.layout : this.layout.replace(/\[N/g, `[${tasks}, N`);
      throw new Error(`${this.name}(${this.numFeatures}): input ${formatShape(x.shape)} must be ${layout} with C = ${this.numFeatures}${tasks === null ? '' : ` (a learner batched over ${tasks} tasks)`}`);
    }
    if (tasks !== null && this.training && this.running_mean !== null) {
      throw new Error(
        `${this.name}(${this.numFeatures}): a learner batched over ${tasks} tasks normalises each task with its own batch statistics and cannot update the shared running statistics in train mode; construct it with trackRunningStats: false (MAML's transductive batch norm), call eval(), or clone one learner per task`,
      );
    }
    return tidy(() => {
      const updating = this.training && this.num_batches_tracked !== null;
      let factor: number | Tensor = this.momentum ?? 0;
      if (updating) {
        const tracked = this.num_batches_tracked!;
        assign(tracked, tracked.add(1));
        if (this.momentum === null) factor = tracked.pow(-1);
      }
      // With running statistics: batch ones while training, running ones in eval; without: batch ones always.
      const training = this.training || this.running_mean === null;
      return batchNormWith(x, this.running_mean, this.running_var, this.weight, this.bias, training, factor, this.eps, tasks);
    });
  }
}

/** BatchNorm over [N, C] or [N, C, L] (torch.nn.BatchNorm1d). */
export class BatchNorm1d extends BatchNorm {
  protected readonly name = 'BatchNorm1d';
  protected readonly ranks = [2, 3];
  protected readonly layout = '[N, C] or [N, C, L]';
}

/** BatchNorm over [N, C, H, W] (torch.nn.BatchNorm2d). */
export class BatchNorm2d extends BatchNorm {
  protected readonly name = 'BatchNorm2d';
  protected readonly ranks = [4];
  protected readonly layout = '[N, C, H, W]';
}

/** Layer normalisation over the trailing normalizedShape dims (torch.nn.LayerNorm); weight ones, bias zeros. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options?: { eps?: number; elementwiseAffine?: boolean }) {
    super();
    const { eps = 1e-5, elementwiseAffine = true } = checkOptions('LayerNorm', options, ['eps', 'elementwiseAffine']);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
      throw new Error(`LayerNorm: normalizedShape must be a positive integer or a non-empty array of them, got ${describe(normalizedShape)}`);
    }
    this.normalizedShape = [...shape];
    this.weight = elementwiseAffine ? Parameter(ones(shape)) : null;
    this.bias = elementwiseAffine ? Parameter(zeros(shape)) : null;
    this.eps = eps;
  }

  forward(x: Tensor): Tensor {
    const tasks = taskDim();
    if (tasks === null || (this.weight === null && this.bias === null)) return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
    checkTaskInput('LayerNorm', x, tasks, `[..., ${this.normalizedShape.join(', ')}]`);
    // Per-task weight and bias [T, ...normalizedShape], broadcast over each task's leading dims.
    const perTask = (t: Tensor | null) => t?.reshape([tasks, ...x.shape.slice(1, x.ndim - this.normalizedShape.length).map(() => 1), ...this.normalizedShape]);
    return tidy(() => {
      const y = layerNorm(x, this.normalizedShape, null, null, this.eps);
      const [weight, bias] = [perTask(this.weight), perTask(this.bias)];
      const scaled = weight ? y.mul(weight) : y;
      return bias ? scaled.add(bias) : scaled;
    });
  }
}
