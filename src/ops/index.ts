// The op table: every op the tensor front offers, grouped by family.
export * from './elementwise.js';
export { logSoftmax, mean, scaledSum, softmax, sum } from './reduce.js';
export { sumTo } from './sum-to.js';
export { matmul } from './matmul.js';
export { cat, contiguous, expand, narrow, reshape, t, transpose } from './views.js';
export { gather, indexSelect, scatterAdd } from './indexing.js';
export { linear } from './linear.js';
export { bceWithLogits, crossEntropyWithProbabilities, squaredError } from './loss.js';
export { flatten, permute, repeat, squeeze, stack, unsqueeze } from './dims.js';
export { amax, amin, argmax, argmin, max, min, topk, type ValuesIndices } from './search.js';
export { clamp, clampMax, clampMin, oneHot, where } from './select.js';
export { cumsum, logsumexp, norm, std, var_, type VarOptions } from './stats.js';
export { cdist, cosineSimilarity, normalize, type NormalizeOptions } from './distance.js';
export { conv2d, type Conv2dOptions } from './conv.js';
export { adaptiveAvgPool2d, avgPool2d, maxPool2d, maxPool2dWithIndices, type AvgPool2dOptions, type MaxPool2dOptions } from './pool.js';
