// The suites in table order (run.js, profile-calls.js).
import adam from './adam.js';
import crossEntropy from './cross-entropy.js';
import elementwise from './elementwise.js';
import linearMatmul from './linear-matmul.js';
import matmul from './matmul.js';
import reduce from './reduce.js';
import training from './training.js';
import conv from './conv.js';
import mtl from './mtl.js';
import metaLearning from './meta.js';

export const SUITES = [matmul, linearMatmul, elementwise, reduce, crossEntropy, adam, training, conv, mtl, metaLearning];
