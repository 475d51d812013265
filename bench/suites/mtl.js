// Multi-task learning on the large net (Linear 512→1024 + ReLU trunk, 8 heads Linear 1024→1, batch
// 256, one MSE per head): the trunk's per-task Jacobian (webgrad: one batched backward; tfjs: one
// tf.variableGrads per task, its only way) against one summed backward and 8 separate ones, then a
// training step with each aggregator (mtl.backward from the features, then Adam) against the
// summed-loss (EW) step, and PCGrad written by hand in tfjs. Same weights and data on every side.
import { grad, manualSeed, models, mtl, nn, optim, randn, stack, tensor, tidy } from 'webgrad';
import { permutation, randomStream } from '../../dist/random.js';
import { ADAM, readBack, tfjsVariables } from './common.js';

const [BATCH, IN, HIDDEN, T] = [256, 512, 1024, 8];
const SEED = 0;
const PCGRAD_SEED = 7;
/** The Jacobian cases read back Σ of squared gradients (over 525k entries, summed in different orders). */
const SUMMARY = { rtol: 1e-3, atol: 1e-6 };
/** The net as bench/torch/cases.py builds it. */
const TORCH = { batch: BATCH, trunk: [{ relu: true }], heads: Array.from({ length: T }, (_, t) => ({ col: t, width: 1 })) };
/** PyTorch's PCGrad cycles through the projection orders webgrad's PCGrad draws in its first 256 steps. */
const pcgradOrders = () => {
  const rng = randomStream(PCGRAD_SEED);
  return Array.from({ length: 256 }, () => Array.from({ length: T }, () => permutation(T, rng)));
};

const build = () =>
  new models.HardSharingNet({
    trunk: new nn.Sequential(new nn.Linear(IN, HIDDEN), new nn.ReLU()),
    heads: Array.from({ length: T }, () => new nn.Linear(HIDDEN, 1)),
  });

async function prepare() {
  manualSeed(SEED);
  const model = build();
  const [x, y] = [randn([BATCH, IN]), randn([BATCH, T])];
  const data = {
    params: await Promise.all(model.parameters().map(async (p) => ({ shape: [...p.shape], values: await p.data() }))),
    x: await x.data(),
    y: await y.data(),
  };
  [...model.parameters(), x, y].forEach((t) => t.dispose());
  return data;
}

/** The model with prepare()'s weights, its data, and the T losses of one forward. */
function webgradNet(data) {
  manualSeed(SEED);
  const model = build();
  const x = tensor(data.x, { shape: [BATCH, IN] });
  const y = tensor(data.y, { shape: [BATCH, T] });
  const targets = Array.from({ length: T }, (_, t) => y.narrow(1, t, 1));
  const criterion = new nn.MSELoss();
  const forward = () => {
    const { shared, tasks } = model.forward(x);
    return { shared, losses: tasks.map((out, t) => criterion.forward(out, targets[t])) };
  };
  const trunk = model.trunk.parameters();
  return { model, trunk, forward, dispose: () => [x, y, ...targets, ...model.parameters()].forEach((t) => t.dispose()) };
}

/** The same net in tfjs: variables [W1, b1, W_head0, b_head0, …], and the T losses as functions. */
function tfjsNet(tf, data) {
  const vars = tfjsVariables(tf, data.params, 'mtl');
  const x = tf.tensor2d(data.x, [BATCH, IN]);
  const y = tf.tensor2d(data.y, [BATCH, T]);
  const targets = Array.from({ length: T }, (_, t) => tf.slice(y, [0, t], [BATCH, 1]));
  const layer = (h, k) => tf.add(tf.matMul(h, vars[2 * k], false, true), vars[2 * k + 1]);
  const features = () => tf.relu(layer(x, 0));
  const loss = (t, h = features()) => tf.mean(tf.squaredDifference(layer(h, 1 + t), targets[t]));
  return { vars, trunk: vars.slice(0, 2), loss, features, dispose: () => tf.dispose([x, y, ...targets, ...vars]) };
}

const sumSquares = (tensors) => tensors.map((g) => g.square().sum()).reduce((a, b) => a.add(b));
const tfSumSquares = (tf, grads) => grads.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b));
const tfOnly = (reason) => (side) => (side.startsWith('tfjs') ? reason : undefined);
const slowTfjsCpu = (side) => (side === 'tfjs-cpu' ? 'too slow: 8 backward passes of ≈1.7 s a call (see train/multitask-large)' : undefined);

const jacobianCases = [
  {
    id: 'mtl/large-summed-backward',
    label: 'forward + one backward of Σ losses to the trunk (the baseline)',
    tolerance: SUMMARY,
    torch: TORCH,
    skip: (side) => (side === 'tfjs-cpu' ? 'see train/multitask-large' : undefined),
    prepare,
    async webgrad(data) {
      const net = webgradNet(data);
      return {
        step: () => readBack(tidy(() => sumSquares(grad(net.forward().losses.reduce((a, b) => a.add(b)), net.trunk)).reshape([1]))),
        dispose: net.dispose,
      };
    },
    async tfjs(tf, data) {
      const net = tfjsNet(tf, data);
      return {
        step: () => readBack(tf.tidy(() => {
          const { grads } = tf.variableGrads(() => Array.from({ length: T }, (_, t) => net.loss(t)).reduce((a, b) => tf.add(a, b)), net.trunk);
          return tf.reshape(tfSumSquares(tf, Object.values(grads)), [1]);
        })),
        dispose: net.dispose,
      };
    },
  },
  {
    id: 'mtl/large-jacobian-T8',
    label: 'forward + the trunk Jacobian of 8 losses (webgrad: one backward; tfjs: 8 variableGrads)',
    tolerance: SUMMARY,
    torch: TORCH,
    skip: slowTfjsCpu,
    prepare,
    async webgrad(data) {
      const net = webgradNet(data);
      return {
        step: () => readBack(tidy(() => mtl.jacobian(net.forward().losses, net.trunk).map((j) => j.reshape([T, -1]).square().sum(1)).reduce((a, b) => a.add(b)))),
        dispose: net.dispose,
      };
    },
    async tfjs(tf, data) {
      const net = tfjsNet(tf, data);
      return {
        step: () => readBack(tf.tidy(() => tf.stack(Array.from({ length: T }, (_, t) => tfSumSquares(tf, Object.values(tf.variableGrads(() => net.loss(t), net.trunk).grads)))))),
        dispose: net.dispose,
      };
    },
  },
  {
    id: 'mtl/large-8-backward-passes',
    label: 'forward + the same Jacobian by 8 separate backward passes',
    tolerance: SUMMARY,
    torch: TORCH,
    skip: tfOnly('tfjs has only this way: see mtl/large-jacobian-T8'),
    prepare,
    async webgrad(data) {
      const net = webgradNet(data);
      return {
        step: () => readBack(tidy(() => stack(net.forward().losses.map((l, t) => sumSquares(grad(l, net.trunk, { retainGraph: t < T - 1 })))))),
        dispose: net.dispose,
      };
    },
  },
];

const AGGREGATORS = {
  Sum: () => new mtl.aggregators.Sum(),
  Mean: () => new mtl.aggregators.Mean(),
  UPGrad: () => new mtl.aggregators.UPGrad(),
  DualProj: () => new mtl.aggregators.DualProj(),
  PCGrad: () => new mtl.aggregators.PCGrad({ seed: PCGRAD_SEED }),
  GradVac: () => new mtl.aggregators.GradVac(),
  MGDA: () => new mtl.aggregators.MGDA(),
  CAGrad: () => new mtl.aggregators.CAGrad(),
  IMTLG: () => new mtl.aggregators.IMTLG(),
  AlignedMTL: () => new mtl.aggregators.AlignedMTL(),
  ConFIG: () => new mtl.aggregators.ConFIG(),
  NashMTL: () => new mtl.aggregators.NashMTL(),
  GradDrop: () => new mtl.aggregators.GradDrop({ seed: 1 }),
  Random: () => new mtl.aggregators.Random({ seed: 1 }),
};

/** A training step: forward, the trunk's gradient (summed backward, or mtl.backward with `aggregator`), Adam; the summed loss read back. */
function webgradStep(data, makeAggregator) {
  const net = webgradNet(data);
  const optimizer = new optim.Adam(net.model.parameters(), { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
  const aggregator = makeAggregator?.();
  return {
    async step() {
      optimizer.zeroGrad();
      const { shared, losses, total } = tidy(() => {
        const out = net.forward();
        return { ...out, total: out.losses.reduce((a, b) => a.add(b)) };
      });
      if (aggregator) await mtl.backward(losses, { shared: net.trunk, features: shared, aggregator });
      else total.backward();
      optimizer.step();
      [shared, ...losses].forEach((t) => t.dispose());
      return readBack(total);
    },
    dispose() {
      net.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * PCGrad by hand in tfjs: one tf.variableGrads per task (trunk and its head), the trunk gradients
 * projected pairwise without readbacks (coefficient min(gᵢ·gⱼ, 0)/‖gⱼ‖²) in webgrad's seeded order,
 * summed; each head keeps its task's gradient; Adam applies them.
 */
function tfjsPcgrad(tf, data) {
  const net = tfjsNet(tf, data);
  const optimizer = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const rng = randomStream(PCGRAD_SEED);
  const flat = (grads, vars) => tf.concat(vars.map((v) => tf.reshape(grads[v.name], [-1])));
  return {
    async step() {
      const order = Array.from({ length: T }, () => permutation(T, rng));
      const total = tf.tidy(() => {
        const perTask = Array.from({ length: T }, (_, t) => tf.variableGrads(() => net.loss(t), [...net.trunk, ...net.vars.slice(2 + 2 * t, 4 + 2 * t)]));
        const g = perTask.map(({ grads }) => flat(grads, net.trunk));
        const sq = g.map((gj) => tf.sum(tf.square(gj)));
        let direction = tf.zerosLike(g[0]);
        g.forEach((gi, i) => {
          let projected = gi;
          for (const j of order[i]) {
            if (j === i) continue;
            projected = tf.sub(projected, tf.mul(tf.div(tf.minimum(tf.sum(tf.mul(projected, g[j])), 0), sq[j]), g[j]));
          }
          direction = tf.add(direction, projected);
        });
        const named = {};
        let offset = 0;
        for (const v of net.trunk) {
          named[v.name] = tf.reshape(tf.slice(direction, offset, v.size), v.shape);
          offset += v.size;
        }
        perTask.forEach(({ grads }, t) => net.vars.slice(2 + 2 * t, 4 + 2 * t).forEach((v) => (named[v.name] = grads[v.name])));
        optimizer.applyGradients(named);
        return perTask.map(({ value }) => value).reduce((a, b) => tf.add(a, b));
      });
      return readBack(total);
    },
    dispose() {
      net.dispose();
      optimizer.dispose();
    },
  };
}

const stepCases = [
  {
    id: 'mtl/step-EW',
    label: 'training step, Σ losses backward (equal weighting) + Adam',
    aggregator: undefined,
  },
  ...Object.keys(AGGREGATORS).map((name) => ({ id: `mtl/step-${name}`, label: `training step, mtl.backward with ${name} (features) + Adam`, aggregator: AGGREGATORS[name] })),
].map(({ id, label, aggregator }) => ({
  id,
  label,
  tolerance: { rtol: 1e-4, atol: 1e-6 },
  torch: id === 'mtl/step-PCGrad' ? { ...TORCH, orders: pcgradOrders() } : TORCH,
  skip: id === 'mtl/step-PCGrad' ? slowTfjsCpu : tfOnly('no tfjs counterpart (PCGrad by hand is the tfjs peer: mtl/step-PCGrad)'),
  prepare,
  webgrad: async (data) => webgradStep(data, aggregator),
  tfjs: async (tf, data) => tfjsPcgrad(tf, data),
}));

export default {
  name: 'mtl',
  title: 'Multi-task: the trunk Jacobian of 8 losses, and training steps with each aggregator (Linear 512→1024 + ReLU, 8 heads, batch 256)',
  cases: [...jacobianCases, ...stepCases],
};
