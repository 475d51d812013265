// The three matmuls of a Linear(512→1024) layer at batch 256, with transposed operands as strided
// views (webgrad: `.T`; tfjs: matMul's transposeA/transposeB flags), plus xᵀ·dY, the weight gradient
// when W is stored [in, out] as tfjs-layers does, with and without materialising xᵀ first.
import { gemmTolerance, opCase } from './common.js';

const [B, I, O] = [256, 512, 1024]; // batch, in features, out features; W is [O, I] as in webgrad and torch
const INPUTS = { x: [B, I], w: [O, I], dy: [B, O] };

const CASES = [
  { id: 'fwd', label: `Linear fwd x·Wᵀ: [${B},${I}]·[${O},${I}]ᵀ`, k: I, inputs: ['x', 'w'],
    webgrad: ({ x, w }) => x.matmul(w.T), tfjs: (tf, { x, w }) => tf.matMul(x, w, false, true) },
  { id: 'dx', label: `Linear dX = dY·W: [${B},${O}]·[${O},${I}]`, k: O, inputs: ['dy', 'w'],
    webgrad: ({ dy, w }) => dy.matmul(w), tfjs: (tf, { dy, w }) => tf.matMul(dy, w) },
  { id: 'dw', label: `Linear dW = dYᵀ·x: [${B},${O}]ᵀ·[${B},${I}]`, k: B, inputs: ['dy', 'x'],
    webgrad: ({ dy, x }) => dy.T.matmul(x), tfjs: (tf, { dy, x }) => tf.matMul(dy, x, true, false) },
  { id: 'xt-dy', label: `xᵀ·dY: [${B},${I}]ᵀ·[${B},${O}]`, k: B, inputs: ['x', 'dy'],
    webgrad: ({ x, dy }) => x.T.matmul(dy), tfjs: (tf, { x, dy }) => tf.matMul(x, dy, true, false) },
  { id: 'xt-dy-copy', label: `xᵀ·dY, xᵀ copied first: transpose([${B},${I}])·[${B},${O}]`, k: B, inputs: ['x', 'dy'],
    webgrad: ({ x, dy }) => x.T.contiguous().matmul(dy), tfjs: (tf, { x, dy }) => tf.matMul(tf.transpose(x), dy) },
];

export default {
  name: 'linear-matmul',
  title: "Matmuls of a Linear layer's forward and backward, transposed operands as views; result read back",
  cases: CASES.map((c) => ({
    id: `linear-mm/${c.id}`,
    label: c.label,
    flops: 2 * B * I * O,
    dispatchSteps: 1,
    tolerance: gemmTolerance(c.k),
    ...opCase({
      seed: 1,
      inputs: Object.fromEntries(c.inputs.map((name) => [name, INPUTS[name]])),
      webgrad: c.webgrad,
      tfjs: c.tfjs,
    }),
  })),
};
