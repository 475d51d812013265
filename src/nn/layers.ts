// Layers and activations as modules.
import { checkOptions, describe } from '../check.js';
import { randn, zeros } from '../creation.js';
import { tidy } from '../memory.js';
import { formatShape, normalizeDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { kaimingUniform, kaimingUniformLinear, zeros as fillZeros } from './init.js';
import { Module, Parameter } from './module.js';
import { taskDim, taskShifted } from './tasks.js';

/**
 * y = x·Wᵀ + b, weight [out, in], bias [out], with PyTorch's default init: the weight by
 * kaiming_uniform(a = √5), which is U(−1/√in, 1/√in), and the bias U(−1/√in, 1/√in).
 */
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
    this.weight = Parameter(inFeatures > 0 ? kaimingUniform(zeros([outFeatures, inFeatures]), { a: Math.sqrt(5) }) : zeros([outFeatures, inFeatures]));
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


/** Returns its input (torch.nn.Identity). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim … endDim into one (torch.nn.Flatten; by default all but the batch dim). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    if (!Number.isInteger(startDim) || !Number.isInteger(endDim)) throw new Error(`Flatten: startDim and endDim must be integers, got ${describe(startDim)} and ${describe(endDim)}`);
  }
  forward(x: Tensor): Tensor {
    if (x.ndim === 0) return x.reshape([1]);
    const [start, end] = [normalizeDim('Flatten', taskShifted(this.startDim), x.ndim), normalizeDim('Flatten', taskShifted(this.endDim), x.ndim)];
    if (start > end) throw new Error(`Flatten: startDim ${this.startDim} comes after endDim ${this.endDim} for input ${formatShape(x.shape)}`);
    return x.reshape([...x.shape.slice(0, start), -1, ...x.shape.slice(end + 1)]);
  }
}

export class GELU extends Module {
  constructor(readonly options: F.GeluOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.gelu(x, this.options);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope);
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.softmax(x, taskShifted(this.dim));
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.logSoftmax(x, taskShifted(this.dim));
  }
}

/** Dropout with probability p while training; the identity after eval() (torch.nn.Dropout). */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be a probability in [0, 1], got ${describe(p)}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}

/**
 * A lookup table of numEmbeddings vectors of embeddingDim (torch.nn.Embedding), weight drawn from
 * N(0, 1); the row paddingIdx starts at zero and gets no gradient.
 */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options?: { paddingIdx?: number | null },
  ) {
    super();
    const { paddingIdx = null } = checkOptions('Embedding', options, ['paddingIdx']);
    if (!Number.isInteger(numEmbeddings) || !Number.isInteger(embeddingDim) || numEmbeddings < 0 || embeddingDim < 0) {
      throw new Error(`Embedding: numEmbeddings and embeddingDim must be non-negative integers, got (${describe(numEmbeddings)}, ${describe(embeddingDim)})`);
    }
    if (paddingIdx !== null && !(Number.isInteger(paddingIdx) && paddingIdx >= -numEmbeddings && paddingIdx < numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings}), got ${describe(paddingIdx)}`);
    }
    this.paddingIdx = paddingIdx === null || paddingIdx >= 0 ? paddingIdx : paddingIdx + numEmbeddings;
    const weight = randn([numEmbeddings, embeddingDim]);
    const pad = this.paddingIdx;
    if (pad !== null) tidy(() => void fillZeros(weight.narrow(0, pad, 1)));
    this.weight = Parameter(weight);
  }

  forward(indices: Tensor): Tensor {
    const tasks = taskDim();
    if (tasks !== null) throw new Error(`Embedding: per-task weights [${tasks}, ${this.numEmbeddings}, ${this.embeddingDim}] are not supported in a learner batched over ${tasks} tasks; clone one learner per task`);
    return F.embedding(indices, this.weight, this.paddingIdx);
  }
}
