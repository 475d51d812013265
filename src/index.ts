// webgrad: a deep-learning engine in TypeScript — reverse-mode autograd driving WGSL kernels on the
// GPU through Dawn, with a float64 CPU reference backend.
import type { DeviceName } from './backend/backend.js';
import { defaultDevice } from './device.js';
import { memoryOf, type MemoryInfo } from './memory.js';

export { Tensor, type NestedArray, type Scalar } from './tensor.js';
export { tensor, zeros, ones, full, arange, randn, rand, randint, randperm, type TensorOptions } from './creation.js';
export { manualSeed } from './random.js';
export { setPrintOptions, type PrintOptions } from './format.js';
export { init, flush, defaultDevice, type BackendChoice, type InitResult } from './device.js';
export { tune, type MatmulTuneShape, type TuneResult } from './tune.js';
export { tidy, keep, type MemoryInfo } from './memory.js';
export { backward, grad, type GradOptions } from './autograd/engine.js';
export { noGrad, GradNode } from './autograd/node.js';
export { gradcheck, type GradcheckOptions } from './autograd/gradcheck.js';
export { cat, gather, indexSelect, matmul, scatterAdd } from './ops/index.js';
export {
  amax, amin, argmax, argmin, cdist, clamp, clampMax, clampMin, cosineSimilarity, cumsum, flatten, logsumexp, max, min, norm, normalize,
  oneHot, permute, squeeze, stack, std, topk, unsqueeze, var_ as var, where, type NormalizeOptions, type ValuesIndices, type VarOptions,
} from './ops/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as mtl from './mtl/index.js';
export * as meta from './meta/index.js';
export { save, load, loadMetadata, loadOptimizerState, loadSchedulerState, type SaveOptions, type LoadOptions } from './io/checkpoint.js';
export type { DeviceName } from './backend/backend.js';
export type { Shape } from './shape.js';

/** Live tensor handles and bytes of storage on `device` (default: the one init() chose). */
export const memory = (device: DeviceName = defaultDevice()): MemoryInfo => memoryOf(device);
