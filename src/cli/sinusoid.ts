// The sinusoid regression of the MAML paper (Finn et al. 2017, §5.1): an MLP 1-40-40-1 (ReLU)
// meta-trained on tasks y = A·sin(x − φ) with K support points, meta-batch 25, inner SGD α = 0.01,
// Adam meta-optimizer lr 1e-3; then, on 600 new tasks, fine-tuned by SGD on K points and scored by
// the MSE on 100 query points after 0 … 10 steps. Every meta-batch is one batched computation
// (per-task weights [25, ...]); so is the evaluation of all 600 tasks.
import { data, meta, nn, optim, tidy, type Tensor } from '../index.js';

const F = nn.functional;
type Mlp = nn.Sequential;

export const mlp = (): Mlp => new nn.Sequential(new nn.Linear(1, 40), new nn.ReLU(), new nn.Linear(40, 40), new nn.ReLU(), new nn.Linear(40, 1));

/** One MSE per task of [T, N, 1] predictions. */
const perTask = (prediction: Tensor, target: Tensor): Tensor => F.mseLoss(prediction, target, { reduction: 'none' }).mean([1, 2]);

export const SINUSOID_METHODS = ['MAML', 'FOMAML', 'Reptile', 'MetaSGD', 'ANIL', 'Pretrained'] as const;
export type SinusoidMethod = (typeof SINUSOID_METHODS)[number];

export interface SinusoidSetup {
  method: SinusoidMethod;
  /** K, support points per task. */
  shots: number;
  iterations: number;
  seed: number;
  metaBatch?: number;
  /** The inner SGD step α (default 0.01). */
  innerLr?: number;
  /** Adam's meta learning rate (default 1e-3). */
  metaLr?: number;
  /** Reptile: inner SGD steps per task (default 5) and outer step ε (default 1, on the Adam-free interpolation). */
  reptileSteps?: number;
  /** Called every `every` iterations with the meta-batch's mean query loss (a readback). */
  onProgress?: (done: number, loss: number) => void;
  every?: number;
}

/** What a method is fine-tuned with at test time: a batched learner for T tasks, and what it reads. */
export interface Trained {
  model: Mlp;
  /** A learner for T tasks taking SGD steps of α (Meta-SGD: its learnt rates; ANIL: on the head). */
  learner(tasks: number): meta.Learner<Mlp>;
  /** Inputs to the learner: the body's features for ANIL, the points themselves for the rest. */
  inputs(x: Tensor): Tensor;
}

/** Meta-trains `method` and returns what the evaluation needs. */
export async function trainSinusoid(setup: SinusoidSetup): Promise<Trained & { losses: number[] }> {
  const { method, shots, iterations, seed, metaBatch = 25, innerLr = 0.01, metaLr = 1e-3, reptileSteps = 5, onProgress, every = 100 } = setup;
  const tasks = data.sinusoidTasks({ shots, queries: shots, seed });
  const model = mlp();
  const losses: number[] = [];
  const record = async (done: number, loss: Tensor) => {
    const value = await loss.item();
    loss.dispose();
    losses.push(value);
    onProgress?.(done, value);
  };

  if (method === 'Reptile') {
    const reptile = new meta.Reptile(model, { lr: innerLr, epsilon: 1 });
    for (let i = 1; i <= iterations; i++) {
      const loss = tidy(() => {
        const { support, supportTargets, query, queryTargets } = tasks.sampleBatch(metaBatch);
        const learner = reptile.clone({ tasks: metaBatch });
        for (let k = 0; k < reptileSteps; k++) learner.adapt(perTask(learner.forward(support), supportTargets));
        reptile.step([learner], { epsilon: 1 - (i - 1) / iterations });
        return perTask(learner.forward(query), queryTargets).mean();
      });
      if (i % every === 0 || i === iterations) await record(i, loss);
      else loss.dispose();
    }
    return { model, losses, learner: plainSgd(model, innerLr), inputs: (x) => x };
  }

  const [learners, parameters, inputs] = prepare(method, model, innerLr);
  const adam = new optim.Adam(parameters, { lr: metaLr });
  for (let i = 1; i <= iterations; i++) {
    const loss = tidy(() => {
      adam.zeroGrad();
      const { support, supportTargets, query, queryTargets } = tasks.sampleBatch(metaBatch);
      let queryLoss: Tensor;
      if (method === 'Pretrained') {
        // One net regressing every task's points: no adaptation while training.
        queryLoss = perTask(model.forward(support), supportTargets).mean();
      } else {
        const learner = learners(metaBatch);
        learner.adapt(perTask(learner.forward(inputs(support)), supportTargets));
        queryLoss = perTask(learner.forward(inputs(query)), queryTargets).mean();
      }
      queryLoss.backward();
      adam.step();
      return queryLoss.detach();
    });
    if (i % every === 0 || i === iterations) await record(i, loss);
    else loss.dispose();
  }
  return { model, losses, learner: method === 'FOMAML' || method === 'MAML' ? plainSgd(model, innerLr) : learners, inputs };
}

/** Fine-tuning by plain SGD, first order: no second-order graph is kept at test time. */
function plainSgd(model: Mlp, lr: number): (tasks: number) => meta.Learner<Mlp> {
  const sgd = new meta.MAML(model, { lr, firstOrder: true });
  return (tasks) => sgd.clone({ tasks });
}

/** The meta-learner of each method: how it clones learners, what the meta-optimizer trains, and its inputs. */
function prepare(method: SinusoidMethod, model: Mlp, lr: number): [(tasks: number) => meta.Learner<Mlp>, Tensor[], (x: Tensor) => Tensor] {
  switch (method) {
    case 'MAML':
    case 'FOMAML': {
      const maml = new meta.MAML(model, { lr, firstOrder: method === 'FOMAML' });
      return [(t) => maml.clone({ tasks: t }), maml.parameters(), (x) => x];
    }
    case 'MetaSGD': {
      const metaSgd = new meta.MetaSGD(model, { lr });
      return [(t) => metaSgd.clone({ tasks: t }), metaSgd.parameters(), (x) => x];
    }
    case 'ANIL': {
      // The body is the model's first four layers, the head its last: the learner adapts the head.
      const layers = model.children() as (nn.Module & { forward(x: Tensor): Tensor })[];
      const anil = new meta.ANIL(new nn.Sequential(...layers.slice(0, 4)), layers[4], { lr });
      return [(t) => anil.clone({ tasks: t }) as unknown as meta.Learner<Mlp>, anil.parameters(), (x) => anil.features(x)];
    }
    default:
      // Pretrained: the net itself is trained; it is fine-tuned by plain SGD at test time.
      return [plainSgd(model, lr), model.parameters(), (x) => x];
  }
}

export interface SinusoidCurve {
  /** Mean query MSE after 0 … steps SGD steps, over the test tasks. */
  mse: number[];
  /** Half-width of the 95 % interval of each mean (1.96 · standard error). */
  interval: number[];
}

/** Test tasks fine-tuned at once: a tidy of its own each, so that memory stays bounded. */
const CHUNK = 100;

/** Fine-tunes on the K support points of `count` test tasks (batched learners) and scores 100 query points after each step. */
export async function evaluateSinusoid(trained: Trained, { shots, steps = 10, count = 600, seed = 1_000_003 }: { shots: number; steps?: number; count?: number; seed?: number }): Promise<SinusoidCurve> {
  const tasks = data.sinusoidTasks({ shots, queries: 100, seed });
  const perStep: number[][] = Array.from({ length: steps + 1 }, () => []);
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const scores = tidy(() => {
      const { support, supportTargets, query, queryTargets } = tasks.sampleBatch(n);
      const learner = trained.learner(n);
      const [fs, fq] = [trained.inputs(support), trained.inputs(query)];
      const after = [perTask(learner.forward(fq), queryTargets).detach()];
      for (let k = 1; k <= steps; k++) {
        learner.adapt(perTask(learner.forward(fs), supportTargets));
        after.push(perTask(learner.forward(fq), queryTargets).detach());
      }
      return after;
    });
    for (const [k, mse] of scores.entries()) {
      perStep[k].push(...(await mse.data()));
      mse.dispose();
    }
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    mse: perStep.map(mean),
    interval: perStep.map((v) => {
      const m = mean(v);
      return 1.96 * Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) / v.length);
    }),
  };
}
