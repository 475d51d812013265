// Few-shot classification on MNIST split by class: meta-train on 5-way episodes of digits 0–4,
// meta-test on 600 5-way episodes of the unseen digits 5–9, with a Conv-4 backbone (32 channels).
// ProtoNet, MatchingNet and SiameseNet (contrastive loss on every query–support pair) train the
// embedding with Adam; MAML and FOMAML adapt Conv-4 + a linear head (1 inner step of α = 0.4 while
// meta-training, 3 at test; batch statistics throughout, MAML's transductive setting; on WebGPU a
// meta-batch of episodes is one batched learner).
import { cdist, data, defaultDevice, meta, models, nn, optim, stack, tidy, type Tensor } from '../index.js';

const F = nn.functional;
export const FEW_SHOT_METHODS = ['ProtoNet', 'MatchingNet', 'SiameseNet', 'MAML', 'FOMAML'] as const;
export type FewShotMethod = (typeof FEW_SHOT_METHODS)[number];

// Test episodes are scored TEST_CHUNK at a time (on WebGPU, MAML adapts them as one batched learner).
const [WAYS, QUERIES, HIDDEN, TEST_EPISODES, TEST_CHUNK] = [5, 15, 32, 600, 10];
const [TRAIN_DIGITS, TEST_DIGITS] = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]];

export interface FewShotRun {
  /** Mean test accuracy over the episodes, and the half-width of its 95 % interval. */
  accuracy: number;
  interval: number;
  episodes: number;
  /** The training loss, averaged over each hundredth of the iterations. */
  losses: number[];
}

export interface FewShotTraining {
  method: FewShotMethod;
  shots: number;
  iterations: number;
  seed: number;
  episodes?: number;
  lr?: number;
  /** MAML: tasks per meta-batch (default 4). */
  metaBatch?: number;
  onProgress?: (done: number, loss: number) => void;
}

type Classifier = nn.Module & { forward(x: Tensor): Tensor };

/** The learner of a method: one meta-iteration's backward (returning its loss, detached), and test scores [E, Q, ways] of a batch of episodes. */
interface Method {
  parameters: Tensor[];
  backward(tasks: data.FewShotTasks): Tensor;
  scores(episodes: data.EpisodeBatch): Tensor;
  train(mode: boolean): void;
}

const backwardOf = (loss: Tensor): Tensor => {
  loss.backward();
  return loss.detach();
};

/** Episode e of a batch. */
const episodeOf = ({ support, supportLabels, query, queryLabels, classes }: data.EpisodeBatch, e: number): data.Episode => {
  const pick = (t: Tensor) => t.narrow(0, e, 1).squeeze(0);
  return { support: pick(support), supportLabels: pick(supportLabels), query: pick(query), queryLabels: pick(queryLabels), classes: classes[e] };
};

function metricMethod(method: 'ProtoNet' | 'MatchingNet' | 'SiameseNet'): Method {
  const embedding = new models.Conv4({ hidden: HIDDEN });
  const net = method === 'ProtoNet' ? new meta.ProtoNet(embedding) : method === 'MatchingNet' ? new meta.MatchingNet(embedding, { scale: 10 }) : new meta.SiameseNet(embedding);
  const scores = ({ support, supportLabels, query }: data.Episode) => net.forward(support, supportLabels, query, WAYS);
  const loss =
    method === 'SiameseNet'
      ? ({ support, supportLabels, query, queryLabels }: data.Episode) => {
          // Every query–support pair: label 0 for the same class, 1 for another.
          const distances = cdist(net.embed(query), net.embed(support));
          return F.contrastiveLoss(distances, queryLabels.unsqueeze(1).ne(supportLabels.unsqueeze(0)), { margin: 2 });
        }
      : (episode: data.Episode) => F.crossEntropy(scores(episode), episode.queryLabels);
  return {
    parameters: net.parameters(),
    backward: (tasks) => backwardOf(loss(tasks.sample())),
    scores: (episodes) => stack(episodes.classes.map((_, e) => scores(episodeOf(episodes, e)))),
    train: (mode) => net.train(mode),
  };
}

/**
 * MAML and FOMAML. On WebGPU a meta-batch of episodes is one batched learner (per-task weights
 * [E, ...]; bench meta/maml-conv4: 1,219 launches a meta-step against 3,169); on the CPU backends
 * one learner per episode, which was faster there at 15 queries a class (1.0 s against 1.4 s a
 * meta-step: one episode's activations stay in cache).
 */
function mamlMethod(firstOrder: boolean, metaBatch: number, batched: boolean): Method {
  const backbone = new models.Conv4({ hidden: HIDDEN, trackRunningStats: false });
  const model: Classifier = new nn.Sequential(backbone, new nn.Linear(backbone.outFeatures, WAYS));
  const maml = new meta.MAML(model, { lr: 0.4, firstOrder });
  const perTask = (logits: Tensor, labels: Tensor) => F.crossEntropy(logits.reshape([-1, WAYS]), labels.reshape([-1]), { reduction: 'none' }).reshape(labels.shape).mean(1);
  /** The query scores [E, Q, ways] of each episode after `steps` inner steps on its support set. */
  const adaptedScores = (episodes: data.EpisodeBatch, steps: number): Tensor => {
    if (batched) {
      const learner = maml.clone({ tasks: episodes.classes.length });
      for (let i = 0; i < steps; i++) learner.adapt(perTask(learner.forward(episodes.support), episodes.supportLabels));
      return learner.forward(episodes.query);
    }
    // Each episode's graph is let go before the next is built.
    const scores = episodes.classes.map((_, e) =>
      tidy(() => {
        const { support, supportLabels, query } = episodeOf(episodes, e);
        const learner = maml.clone();
        for (let i = 0; i < steps; i++) learner.adapt(F.crossEntropy(learner.forward(support), supportLabels));
        return learner.forward(query).detach();
      }),
    );
    return stack(scores);
  };
  return {
    parameters: maml.parameters(),
    backward: (tasks) => {
      if (batched) {
        const episodes = tasks.sampleBatch(metaBatch);
        return backwardOf(perTask(adaptedScores(episodes, 1), episodes.queryLabels).mean());
      }
      // A backward per episode frees its graph before the next one is built.
      return Array.from({ length: metaBatch }, () => {
        const { support, supportLabels, query, queryLabels } = tasks.sample();
        const learner = maml.clone();
        learner.adapt(F.crossEntropy(learner.forward(support), supportLabels));
        return backwardOf(F.crossEntropy(learner.forward(query), queryLabels).div(metaBatch));
      }).reduce((a, b) => a.add(b));
    },
    scores: (episodes) => adaptedScores(episodes, 3),
    train: (mode) => maml.train(mode),
  };
}

/** Meta-trains `method` on digits 0–4 and tests it on 600 episodes of digits 5–9. */
export async function trainFewShot({ method, shots, iterations, seed, episodes = TEST_EPISODES, lr = 1e-3, metaBatch = 4, onProgress }: FewShotTraining): Promise<FewShotRun> {
  const mnist = data.mnist();
  const train = data.fewShotTasks(mnist, { ways: WAYS, shots, queries: QUERIES, classes: TRAIN_DIGITS, seed });
  const test = data.fewShotTasks(mnist, { ways: WAYS, shots, queries: QUERIES, classes: TEST_DIGITS, seed: seed + 1_000_003 });
  const isMaml = method === 'MAML' || method === 'FOMAML';
  const learner = isMaml ? mamlMethod(method === 'FOMAML', metaBatch, defaultDevice() === 'webgpu') : metricMethod(method);
  const adam = new optim.Adam(learner.parameters, { lr });
  const losses: number[] = [];
  const every = Math.max(1, Math.floor(iterations / 100));
  let window: Tensor[] = [];
  for (let i = 1; i <= iterations; i++) {
    const loss = tidy(() => {
      adam.zeroGrad();
      const loss = learner.backward(train);
      adam.step();
      return loss;
    });
    window.push(loss);
    if (i % every === 0 || i === iterations) {
      const values = await Promise.all(window.map((l) => l.item()));
      window.forEach((l) => l.dispose());
      window = [];
      losses.push(values.reduce((a, b) => a + b, 0) / values.length);
      onProgress?.(i, losses.at(-1)!);
    }
  }
  learner.train(false);
  const correct: number[] = [];
  for (let e = 0; e < episodes; e += TEST_CHUNK) {
    const accuracy = tidy(() => {
      const batch = test.sampleBatch(Math.min(TEST_CHUNK, episodes - e));
      return learner.scores(batch).argmax(2).eq(batch.queryLabels).mean(1).detach();
    });
    correct.push(...(await accuracy.data()));
    accuracy.dispose();
  }
  const mean = correct.reduce((a, b) => a + b, 0) / episodes;
  const sd = Math.sqrt(correct.reduce((a, b) => a + (b - mean) ** 2, 0) / (episodes - 1));
  return { accuracy: mean, interval: (1.96 * sd) / Math.sqrt(episodes), episodes, losses };
}
