// Layers and activations as modules.
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { kaimingUniformLinear } from './init.js';
import { Module, Parameter } from './module.js';

/** y = x·Wᵀ + b, weight [out, in], bias [out], PyTorch's default init U(−1/√in, 1/√in) for both. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true }: { bias?: boolean } = {},
  ) {
    super();
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 0 || outFeatures < 0) {
      throw new Error(`Linear: feature counts must be non-negative integers, got (${inFeatures}, ${outFeatures})`);
    }
    this.weight = Parameter(kaimingUniformLinear([outFeatures, inFeatures], inFeatures));
    this.bias = bias ? Parameter(kaimingUniformLinear([outFeatures], inFeatures)) : null;
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

/** Mean squared error module (torch.nn.MSELoss). */
export class MSELoss extends Module {
  constructor(readonly options: F.MseOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.options);
  }
}

/** Cross-entropy on logits with class indices or probabilities (torch.nn.CrossEntropyLoss). */
export class CrossEntropyLoss extends Module {
  constructor(readonly options: F.CrossEntropyOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.options);
  }
}

/** Sigmoid + binary cross-entropy, fused and stable (torch.nn.BCEWithLogitsLoss). */
export class BCEWithLogitsLoss extends Module {
  constructor(readonly options: F.BceOptions = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, this.options);
  }
}

