// One full training step (forward, per-task MSE summed, backward, Adam) of three multi-task nets.
// Both sides start from the same weights (webgrad's init, copied to tfjs) and see the same data.
import { manualSeed, models, nn, optim, randn, tensor, tidy } from 'webgrad';
import { ADAM, readBack, tfjsVariables } from './common.js';

/**
 * Each net is a trunk (Linear layers, optional ReLU) feeding heads, head i fit to target columns
 * heads[i].cols of y. `build` makes the webgrad model; its parameters() are trunk W,b… then head W,b….
 */
const NETS = [
  {
    id: 'train/multitask-article',
    label: 'MultiTaskNet(10, 3, 5), batch 100',
    batch: 100, inputDim: 10, outputs: 3,
    trunk: [{ relu: false }],
    heads: [0, 1, 2].map((i) => ({ col: i, width: 1 })),
    build: () => new models.MultiTaskNet(10, 3, 5),
    forward: (model, x) => model.forward(x).tasks,
  },
  {
    id: 'train/multitask-large',
    label: 'Linear(512→1024)+ReLU, 8 heads Linear(1024→1), batch 256',
    batch: 256, inputDim: 512, outputs: 8,
    trunk: [{ relu: true }],
    heads: Array.from({ length: 8 }, (_, i) => ({ col: i, width: 1 })),
    build: () => new models.HardSharingNet({
      trunk: new nn.Sequential(new nn.Linear(512, 1024), new nn.ReLU()),
      heads: Array.from({ length: 8 }, () => new nn.Linear(1024, 1)),
    }),
    forward: (model, x) => model.forward(x).tasks,
  },
  {
    id: 'train/oneshot',
    label: 'OneShotNet(10, 3), one example',
    batch: 1, inputDim: 10, outputs: 3,
    trunk: [],
    heads: [{ col: 0, width: 3 }],
    build: () => new models.OneShotNet(10, 3),
    forward: (model, x) => [model.forward(x)],
  },
];

const SEED = 0;

export default {
  name: 'train',
  title: 'Training step: forward, Σ per-task MSE, backward, Adam; loss read back',
  cases: NETS.map((net) => ({
    id: net.id,
    label: net.label,
    // Compared: the losses of the first CHECK_STEPS steps (so Adam's updates are checked too).
    tolerance: { rtol: 1e-4, atol: 1e-6 },
    torch: { batch: net.batch, trunk: net.trunk, heads: net.heads },
    async prepare() {
      manualSeed(SEED);
      const model = net.build();
      const params = model.parameters();
      const x = randn([net.batch, net.inputDim]);
      const y = randn([net.batch, net.outputs]);
      const data = {
        params: await Promise.all(params.map(async (p) => ({ shape: [...p.shape], values: await p.data() }))),
        x: await x.data(),
        y: await y.data(),
      };
      [...params, x, y].forEach((t) => t.dispose());
      return data;
    },
    async webgrad(data) {
      manualSeed(SEED);
      const model = net.build();
      const params = model.parameters();
      // Same seed, same weights: checked here so the cross-check compares like with like.
      for (const [i, p] of params.entries()) {
        const got = await p.data();
        if (!got.every((v, j) => v === data.params[i].values[j])) throw new Error(`${net.id}: parameter ${i} differs from prepare()'s`);
      }
      const optimizer = new optim.Adam(params, { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
      const criterion = new nn.MSELoss();
      const x = tensor(data.x, { shape: [net.batch, net.inputDim] });
      const y = tensor(data.y, { shape: [net.batch, net.outputs] });
      const targets = net.heads.map((h) => y.narrow(1, h.col, h.width));
      return {
        async step() {
          return readBack(tidy(() => {
            optimizer.zeroGrad();
            const total = net.forward(model, x).map((out, i) => criterion.forward(out, targets[i])).reduce((a, b) => a.add(b));
            total.backward();
            optimizer.step();
            return total.detach();
          }));
        },
        dispose() {
          [x, y, ...targets, ...params].forEach((t) => t.dispose());
          optimizer.dispose();
        },
      };
    },
    async tfjs(tf, data) {
      const vars = tfjsVariables(tf, data.params, net.id);
      const layer = (h, k) => tf.add(tf.matMul(h, vars[2 * k], false, true), vars[2 * k + 1]); // x·Wᵀ + b, W [out, in]
      const x = tf.tensor2d(data.x, [net.batch, net.inputDim]);
      const y = tf.tensor2d(data.y, [net.batch, net.outputs]);
      const targets = net.heads.map((h) => tf.slice(y, [0, h.col], [net.batch, h.width]));
      const optimizer = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
      const lossFn = () => {
        let h = x;
        net.trunk.forEach((t, k) => {
          h = layer(h, k);
          if (t.relu) h = tf.relu(h);
        });
        const losses = net.heads.map((_, i) => tf.mean(tf.squaredDifference(layer(h, net.trunk.length + i), targets[i])));
        return losses.reduce((a, b) => tf.add(a, b));
      };
      return {
        async step() {
          return readBack(tf.tidy(() => optimizer.minimize(lossFn, true, vars)));
        },
        dispose() {
          tf.dispose([x, y, ...targets, ...vars]);
          optimizer.dispose();
        },
      };
    },
  })),
};
