// Convolution and pooling modules (torch.nn.Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d).
import { describe } from '../check.js';
import type { Pair } from '../ops/window.js';
import type { Tensor } from '../tensor.js';
import * as F from './functional.js';
import { kaimingUniformLinear } from './init.js';
import { Module, Parameter } from './module.js';
import { foldTasks } from './tasks.js';

export interface Conv2dModuleOptions extends F.Conv2dOptions {
  bias?: boolean;
}

/**
 * 2-D convolution, weight [out, in/groups, kh, kw] and bias [out], both with PyTorch's default init
 * U(±1/√fanIn), fanIn = in/groups · kh · kw (kaiming_uniform with a = √5 for the weight).
 */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  private readonly options: F.Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: Pair,
    { bias = true, ...options }: Conv2dModuleOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    const counts = [inChannels, outChannels, groups];
    if (!counts.every((v) => Number.isInteger(v) && v >= 1) || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: inChannels (${describe(inChannels)}) and outChannels (${describe(outChannels)}) must be positive integers divisible by groups (${describe(groups)})`);
    }
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (![kh, kw].every((k) => Number.isInteger(k) && k >= 1)) throw new Error(`Conv2d: kernelSize must be a positive integer or a pair of them, got ${describe(kernelSize)}`);
    const fanIn = (inChannels / groups) * kh * kw;
    this.options = options;
    this.weight = Parameter(kaimingUniformLinear([outChannels, inChannels / groups, kh, kw], fanIn));
    this.bias = bias ? Parameter(kaimingUniformLinear([outChannels], fanIn)) : null;
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options);
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: F.MaxPool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return foldTasks('MaxPool2d', x, '[N, C, H, W]', (v) => F.maxPool2d(v, this.kernelSize, this.options));
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly options: F.AvgPool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return foldTasks('AvgPool2d', x, '[N, C, H, W]', (v) => F.avgPool2d(v, this.kernelSize, this.options));
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return foldTasks('AdaptiveAvgPool2d', x, '[N, C, H, W]', (v) => F.adaptiveAvgPool2d(v, this.outputSize));
  }
}
