// Meta-learning: one second-order MAML meta-step of the sinusoid setup (Finn et al. 2017, §5.1):
// MLP 1-40-40-1 (ReLU), meta-batch 25, K = 10 support and 10 query points per task, inner SGD
// α = 0.01, Adam on the meta-gradient. webgrad: meta.MAML with a batched learner (per-task weights
// [25, ...], one forward and one backward for the whole meta-batch), and the same step with 25
// learners one after another; tfjs: the same batched computation written by hand, the inner
// gradient by tf.grads inside tf.variableGrads (nested tapes: a second-order gradient). Each step
// reads back the mean query loss and Σ of the squared meta-gradient. Then few-shot Conv-4 on MNIST
// episodes (below): the batched learner against one learner per episode.
import { data as datasets, manualSeed, meta, models, nn, optim, stack, tensor, tidy } from 'webgrad';
import { ADAM, readBack, tfjsVariables } from './common.js';

const [TASKS, K, ALPHA] = [25, 10, 0.01];
const SEED = 0;
const F = nn.functional;
const mlp = () => new nn.Sequential(new nn.Linear(1, 40), new nn.ReLU(), new nn.Linear(40, 40), new nn.ReLU(), new nn.Linear(40, 1));
const perTask = (prediction, target) => F.mseLoss(prediction, target, { reduction: 'none' }).mean([1, 2]);

async function prepare() {
  manualSeed(SEED);
  const model = mlp();
  const batch = datasets.sinusoidTasks({ shots: K, seed: SEED }).sampleBatch(TASKS);
  const values = async (t) => {
    const v = await t.data();
    t.dispose();
    return v;
  };
  return {
    params: await Promise.all(model.parameters().map(async (p) => ({ shape: [...p.shape], values: await values(p) }))),
    xs: await values(batch.support),
    ys: await values(batch.supportTargets),
    xq: await values(batch.query),
    yq: await values(batch.queryTargets),
  };
}

/** webgrad's side: `model` (made after the seed, so with prepare()'s weights), the data's tensors, and a meta-step built from `queryLoss(maml, tensors)`. */
function metaStep(model, tensors, queryLoss) {
  const maml = new meta.MAML(model, { lr: model.alpha });
  const adam = new optim.Adam(maml.parameters(), { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
  return {
    step: () =>
      readBack(
        tidy(() => {
          adam.zeroGrad();
          const loss = queryLoss(maml, tensors);
          loss.backward();
          const summary = stack([loss, maml.parameters().map((p) => p.grad.square().sum()).reduce((a, b) => a.add(b))]);
          adam.step();
          return summary;
        }),
      ),
    dispose: () => [...model.parameters(), ...Object.values(tensors)].forEach((t) => t.dispose()),
  };
}

function webgradMetaStep(data, queryLoss) {
  manualSeed(SEED);
  const model = Object.assign(mlp(), { alpha: ALPHA });
  const shape = [TASKS, K, 1];
  return metaStep(model, { xs: tensor(data.xs, { shape }), ys: tensor(data.ys, { shape }), xq: tensor(data.xq, { shape }), yq: tensor(data.yq, { shape }) }, queryLoss);
}

/** The batched learner: `steps` inner steps for all 25 tasks at once. */
const batched = (steps) => (maml, { xs, ys, xq, yq }) => {
  const learner = maml.clone({ tasks: TASKS });
  for (let i = 0; i < steps; i++) learner.adapt(perTask(learner.forward(xs), ys));
  return perTask(learner.forward(xq), yq).mean();
};

/** The same meta-step by hand in tfjs, batched the same way (per-task weights [25, out, in]). */
function tfjsMetaStep(tf, data, steps) {
  const vars = tfjsVariables(tf, data.params, 'maml');
  const shape = [TASKS, K, 1];
  const [xs, ys, xq, yq] = [data.xs, data.ys, data.xq, data.yq].map((v) => tf.tensor(v, shape));
  const optimizer = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const forward = (weights, x) => {
    let h = x;
    for (let layer = 0; layer < 3; layer++) {
      h = tf.add(tf.matMul(h, weights[2 * layer], false, true), tf.expandDims(weights[2 * layer + 1], 1));
      if (layer < 2) h = tf.relu(h);
    }
    return h;
  };
  // Σ over tasks of each task's MSE: its gradient is each task's own.
  const supportLoss = (...weights) => tf.mul(tf.mean(tf.squaredDifference(forward(weights, xs), ys)), TASKS);
  const innerGrads = tf.grads(supportLoss);
  return {
    step: () =>
      readBack(
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            let weights = vars.map((v) => tf.tile(tf.expandDims(v, 0), [TASKS, ...v.shape.map(() => 1)]));
            for (let i = 0; i < steps; i++) {
              const g = innerGrads(weights);
              weights = weights.map((w, j) => tf.sub(w, tf.mul(g[j], ALPHA)));
            }
            return tf.mean(tf.squaredDifference(forward(weights, xq), yq));
          }, vars);
          const summary = tf.stack([value, Object.values(grads).map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b))]);
          optimizer.applyGradients(grads);
          return summary;
        }),
      ),
    dispose: () => tf.dispose([...vars, xs, ys, xq, yq]),
  };
}


// Few-shot MAML on images: Conv-4 (32 channels, MAML's transductive batch norm) + a linear head,
// 4 MNIST episodes a meta-batch, 5-way 1-shot with 5 queries a class, α = 0.4 (webgrad only: the
// batched learner against one learner per episode).
const CONV = { tasks: 4, ways: 5, shots: 1, queries: 5, alpha: 0.4 };
const convNet = () => {
  const backbone = new models.Conv4({ hidden: 32, trackRunningStats: false });
  return Object.assign(new nn.Sequential(backbone, new nn.Linear(backbone.outFeatures, CONV.ways)), { alpha: CONV.alpha });
};

async function prepareConv() {
  const tasks = datasets.fewShotTasks(datasets.mnist(), { ways: CONV.ways, shots: CONV.shots, queries: CONV.queries, classes: [0, 1, 2, 3, 4], seed: SEED });
  const { classes, ...batch } = tasks.sampleBatch(CONV.tasks);
  const entries = await Promise.all(Object.entries(batch).map(async ([key, t]) => [key, { shape: [...t.shape], values: await t.data() }]));
  Object.values(batch).forEach((t) => t.dispose());
  return Object.fromEntries(entries);
}

function convMetaStep(data, queryLoss) {
  manualSeed(SEED);
  const tensors = Object.fromEntries(Object.entries(data).map(([key, { shape, values }]) => [key, tensor(values, { shape })]));
  return metaStep(convNet(), tensors, queryLoss);
}

const crossEntropyPerTask = (logits, labels) => F.crossEntropy(logits.reshape([-1, CONV.ways]), labels.reshape([-1]), { reduction: 'none' }).reshape(labels.shape).mean(1);
const webgradOnly = (side) => (side.startsWith('webgrad') ? undefined : 'webgrad only: batched against per-task learners');

const TOLERANCE = { rtol: 2e-3, atol: 1e-5 };

export default {
  name: 'meta',
  title: 'Second-order MAML meta-steps: the sinusoid setup (MLP 1-40-40-1, meta-batch 25, K = 10, α = 0.01, Adam) and few-shot Conv-4 on MNIST',
  cases: [
    {
      id: 'meta/maml-sinusoid-step',
      label: 'MAML meta-step, 1 inner step (webgrad: a batched learner; tfjs: nested tf.grads, batched by hand)',
      tolerance: TOLERANCE,
      torch: { tasks: TASKS, shots: K, alpha: ALPHA, innerSteps: 1 },
      prepare,
      webgrad: async (data) => webgradMetaStep(data, batched(1)),
      tfjs: async (tf, data) => tfjsMetaStep(tf, data, 1),
    },
    {
      id: 'meta/maml-sinusoid-per-task',
      label: 'the same meta-step with 25 learners, one task after another',
      tolerance: TOLERANCE,
      skip: webgradOnly,
      prepare,
      webgrad: async (data) =>
        webgradMetaStep(data, (maml, { xs, ys, xq, yq }) =>
          Array.from({ length: TASKS }, (_, t) => {
            const learner = maml.clone();
            const task = (batch) => batch.narrow(0, t, 1).reshape([K, 1]);
            learner.adapt(F.mseLoss(learner.forward(task(xs)), task(ys)));
            return F.mseLoss(learner.forward(task(xq)), task(yq));
          })
            .reduce((a, b) => a.add(b))
            .div(TASKS),
        ),
    },
    {
      id: 'meta/maml-sinusoid-5-inner-steps',
      label: 'MAML meta-step, 5 inner steps (the unroll: cost against the 1-step row)',
      tolerance: { rtol: 5e-3, atol: 1e-5 },
      torch: { tasks: TASKS, shots: K, alpha: ALPHA, innerSteps: 5 },
      prepare,
      webgrad: async (data) => webgradMetaStep(data, batched(5)),
      tfjs: async (tf, data) => tfjsMetaStep(tf, data, 5),
    },
    {
      id: 'meta/maml-conv4-step',
      label: 'Conv-4 MAML meta-step, 4 MNIST episodes 5-way 1-shot, a batched learner',
      tolerance: TOLERANCE,
      skip: webgradOnly,
      prepare: prepareConv,
      webgrad: async (data) =>
        convMetaStep(data, (maml, { support, supportLabels, query, queryLabels }) => {
          const learner = maml.clone({ tasks: CONV.tasks });
          learner.adapt(crossEntropyPerTask(learner.forward(support), supportLabels));
          return crossEntropyPerTask(learner.forward(query), queryLabels).mean();
        }),
    },
    {
      id: 'meta/maml-conv4-per-task',
      label: 'the same Conv-4 meta-step with 4 learners, one episode after another',
      tolerance: TOLERANCE,
      skip: webgradOnly,
      prepare: prepareConv,
      webgrad: async (data) =>
        convMetaStep(data, (maml, { support, supportLabels, query, queryLabels }) =>
          Array.from({ length: CONV.tasks }, (_, t) => {
            const learner = maml.clone();
            const episode = (batch) => batch.narrow(0, t, 1).squeeze(0);
            learner.adapt(F.crossEntropy(learner.forward(episode(support)), episode(supportLabels)));
            return F.crossEntropy(learner.forward(episode(query)), episode(queryLabels));
          })
            .reduce((a, b) => a.add(b))
            .div(CONV.tasks),
        ),
    },
  ],
};
