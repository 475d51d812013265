// The op table: every op the tensor front offers, grouped by family.
export { abs, add, div, equal, exp, greaterThan, log, maximum, mul, neg, pow, relu, rsub, sigmoid, sign, sqrt, sub, tanh } from './elementwise.js';
export { logSoftmax, max, mean, scaledSum, softmax, sum } from './reduce.js';
export { sumTo } from './sum-to.js';
export { matmul } from './matmul.js';
export { cat, contiguous, expand, narrow, reshape, t, transpose } from './views.js';
export { gather, indexSelect, scatterAdd } from './indexing.js';
export { linear } from './linear.js';
export { bceWithLogits, crossEntropyWithProbabilities, squaredError } from './loss.js';
