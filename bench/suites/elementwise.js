// A chain of elementwise ops over 1M elements, y = tanh(relu(x·a + b)·c) with the bias b broadcast
// over rows: launch count and memory traffic, result (4 MB) read back.
import { opCase } from './common.js';

const [R, C] = [1024, 1024];

export default {
  name: 'elementwise',
  title: 'Elementwise chain over 1M elements, result read back',
  cases: [{
    id: 'elementwise/chain',
    label: `tanh(relu(x·a + b)·c), x a c [${R},${C}], b [${C}]`,
    tolerance: { rtol: 1e-5, atol: 1e-6 },
    ...opCase({
      seed: 2,
      inputs: { x: [R, C], a: [R, C], b: [C], c: [R, C] },
      webgrad: ({ x, a, b, c }) => x.mul(a).add(b).relu().mul(c).tanh(),
      tfjs: (tf, { x, a, b, c }) => tf.tanh(tf.mul(tf.relu(tf.add(tf.mul(x, a), b)), c)),
    }),
  }],
};
