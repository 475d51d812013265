// The losses of src/nn/losses.ts as modules (torch.nn.L1Loss, NLLLoss, …): options at construction.
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { Module } from './module.js';

/** A loss module calling its functional form on its tensors with the options given at construction. */
abstract class FunctionalLoss<O extends object, A extends Tensor[] = [input: Tensor, target: Tensor]> extends Module {
  protected abstract readonly fn: (...args: [...A, O | undefined]) => Tensor;
  constructor(readonly options: O = {} as O) {
    super();
  }
  forward(...args: A): Tensor {
    return this.fn(...args, this.options);
  }
}

/** Mean absolute error (torch.nn.L1Loss). */
export class L1Loss extends FunctionalLoss<F.LossOptions> {
  protected readonly fn = F.l1Loss;
}
/** Negative log-likelihood of log-probabilities at class indices (torch.nn.NLLLoss). */
export class NLLLoss extends FunctionalLoss<F.NllOptions> {
  protected readonly fn = F.nllLoss;
}
/** Binary cross-entropy of probabilities, logs clamped at −100 (torch.nn.BCELoss). */
export class BCELoss extends FunctionalLoss<F.BinaryCrossEntropyOptions> {
  protected readonly fn = F.binaryCrossEntropy;
}
/** Smooth L1 with threshold beta (torch.nn.SmoothL1Loss). */
export class SmoothL1Loss extends FunctionalLoss<F.SmoothL1Options> {
  protected readonly fn = F.smoothL1Loss;
}
/** Huber loss with threshold delta (torch.nn.HuberLoss). */
export class HuberLoss extends FunctionalLoss<F.HuberOptions> {
  protected readonly fn = F.huberLoss;
}
/** KL divergence of log-probabilities from a target (torch.nn.KLDivLoss). */
export class KLDivLoss extends FunctionalLoss<F.KlDivOptions> {
  protected readonly fn = F.klDiv;
}

/** 1 − cos for similar pairs (y = 1), max(0, cos − margin) for dissimilar ones (y = −1) (torch.nn.CosineEmbeddingLoss). */
export class CosineEmbeddingLoss extends FunctionalLoss<F.MarginOptions, [x1: Tensor, x2: Tensor, y: Tensor]> {
  protected readonly fn = F.cosineEmbeddingLoss;
}

/** Hadsell et al.'s contrastive loss of two embeddings, label 0 similar / 1 dissimilar (see F.contrastiveLoss). */
export class ContrastiveLoss extends FunctionalLoss<F.MarginOptions, [x1: Tensor, x2: Tensor, label: Tensor]> {
  protected readonly fn = (x1: Tensor, x2: Tensor, label: Tensor, options?: F.MarginOptions) => F.contrastiveLoss(x1, x2, label, options);
}
