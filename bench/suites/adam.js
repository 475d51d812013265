// One Adam step over ≈1M parameters (the four tensors of an MLP 1024→512→1024) with fixed gradients:
// the optimizer alone, no forward or backward. A step reads back the last bias (1024 values); after
// the check steps every parameter is compared too (state()).
import { optim } from 'webgrad';
import { ADAM, inputData, tfjsVariables, webgradTensors } from './common.js';

const SHAPES = [[512, 1024], [512], [1024, 512], [1024]];
const COUNT = SHAPES.reduce((n, s) => n + s.reduce((a, b) => a * b), 0);
const indices = SHAPES.map((_, i) => i);

export default {
  name: 'adam',
  title: 'Adam step with given gradients; last parameter read back',
  cases: [{
    id: 'adam/1m',
    label: `Adam step, ${(COUNT / 1e6).toFixed(2)}M parameters in ${SHAPES.length} tensors`,
    tolerance: { rtol: 1e-5, atol: 1e-6 },
    prepare: () => inputData(5, Object.fromEntries(SHAPES.flatMap((shape, i) => [[`p${i}`, { shape, requiresGrad: true }], [`g${i}`, shape]]))),
    async webgrad(data) {
      const t = webgradTensors(data);
      const params = indices.map((i) => t[`p${i}`]);
      params.forEach((p, i) => { p.grad = t[`g${i}`]; }); // kept across steps; disposed with p
      const optimizer = new optim.Adam(params, { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
      return {
        step() {
          optimizer.step();
          return params.at(-1).data();
        },
        state: () => Promise.all(params.map((p) => p.data())),
        dispose() {
          params.forEach((p) => p.dispose());
          optimizer.dispose();
        },
      };
    },
    async tfjs(tf, data) {
      const vars = tfjsVariables(tf, indices.map((i) => data[`p${i}`]), 'adam');
      const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(data[`g${i}`].values, SHAPES[i])]));
      const optimizer = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
      return {
        step() {
          optimizer.applyGradients(grads);
          return vars.at(-1).data();
        },
        state: () => Promise.all(vars.map((v) => v.data())),
        dispose() {
          tf.dispose([...vars, ...Object.values(grads)]);
          optimizer.dispose();
        },
      };
    },
  }],
};
