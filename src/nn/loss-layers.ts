// The losses of src/nn/losses.ts as modules (torch.nn.L1Loss, NLLLoss, …): options at construction.
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

/** A loss module of (input, target), calling its functional form with the options given at construction. */
abstract class TargetLoss<O extends object> extends Module {
  protected abstract readonly fn: (input: Tensor, target: Tensor, options?: O) => Tensor;
  constructor(readonly options: O = {} as O) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return this.fn(input, target, this.options);
  }
}

/** Mean absolute error (torch.nn.L1Loss). */
export class L1Loss extends TargetLoss<F.LossOptions> {
  protected readonly fn = F.l1Loss;
}
/** Negative log-likelihood of log-probabilities at class indices (torch.nn.NLLLoss). */
export class NLLLoss extends TargetLoss<F.NllOptions> {
  protected readonly fn = F.nllLoss;
}
/** Binary cross-entropy of probabilities, logs clamped at −100 (torch.nn.BCELoss). */
export class BCELoss extends TargetLoss<F.BinaryCrossEntropyOptions> {
  protected readonly fn = F.binaryCrossEntropy;
}
/** Smooth L1 with threshold beta (torch.nn.SmoothL1Loss). */
export class SmoothL1Loss extends TargetLoss<F.SmoothL1Options> {
  protected readonly fn = F.smoothL1Loss;
}
/** Huber loss with threshold delta (torch.nn.HuberLoss). */
export class HuberLoss extends TargetLoss<F.HuberOptions> {
  protected readonly fn = F.huberLoss;
}
/** KL divergence of log-probabilities from a target (torch.nn.KLDivLoss). */
export class KLDivLoss extends TargetLoss<F.KlDivOptions> {
  protected readonly fn = F.klDiv;
}

/** 1 − cos for similar pairs (y = 1), max(0, cos − margin) for dissimilar ones (y = −1) (torch.nn.CosineEmbeddingLoss). */
export class CosineEmbeddingLoss extends Module {
  constructor(readonly options: F.MarginOptions = {}) {
    super();
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return F.cosineEmbeddingLoss(x1, x2, y, this.options);
  }
}

/** Hadsell et al.'s contrastive loss of two embeddings, label 0 similar / 1 dissimilar (see F.contrastiveLoss). */
export class ContrastiveLoss extends Module {
  constructor(readonly options: F.MarginOptions = {}) {
    super();
  }
  forward(x1: Tensor, x2: Tensor, label: Tensor): Tensor {
    return F.contrastiveLoss(x1, x2, label, this.options);
  }
}
