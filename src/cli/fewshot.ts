// Few-shot classification on MNIST split by class: meta-train on 5-way episodes of digits 0–4,
// meta-test on 600 5-way episodes of the unseen digits 5–9, with a Conv-4 backbone (32 channels).
// ProtoNet, MatchingNet and SiameseNet (contrastive loss on every query–support pair) train the
// embedding with Adam; MAML and FOMAML adapt Conv-4 + a linear head (1 inner step of α = 0.4 while
// meta-training, 3 at test; batch statistics throughout, MAML's transductive setting).
import { cdist, data, meta, models, nn, optim, tidy, type Tensor } from '../index.js';

const F = nn.functional;
export const FEW_SHOT_METHODS = ['ProtoNet', 'MatchingNet', 'SiameseNet', 'MAML', 'FOMAML'] as const;
export type FewShotMethod = (typeof FEW_SHOT_METHODS)[number];

const [WAYS, QUERIES, HIDDEN, TEST_EPISODES] = [5, 15, 32, 600];
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

/** The learner of a method: its training loss on an episode, and its test scores [Q, ways]. */
interface Method {
  parameters: Tensor[];
  loss(episode: data.Episode): Tensor;
  scores(episode: data.Episode): Tensor;
  train(mode: boolean): void;
}

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
  return { parameters: net.parameters(), loss, scores, train: (mode) => net.train(mode) };
}

function mamlMethod(firstOrder: boolean, metaBatch: number): Method {
  const backbone = new models.Conv4({ hidden: HIDDEN, trackRunningStats: false });
  const model: Classifier = new nn.Sequential(backbone, new nn.Linear(backbone.outFeatures, WAYS));
  const maml = new meta.MAML(model, { lr: 0.4, firstOrder });
  const adapted = ({ support, supportLabels }: data.Episode, steps: number) => {
    const learner = maml.clone();
    for (let i = 0; i < steps; i++) learner.adapt(F.crossEntropy(learner.forward(support), supportLabels));
    return learner;
  };
  return {
    parameters: maml.parameters(),
    loss: (episode) => F.crossEntropy(adapted(episode, 1).forward(episode.query), episode.queryLabels).div(metaBatch),
    scores: (episode) => adapted(episode, 3).forward(episode.query),
    train: (mode) => maml.train(mode),
  };
}

/** Meta-trains `method` on digits 0–4 and tests it on 600 episodes of digits 5–9. */
export async function trainFewShot({ method, shots, iterations, seed, episodes = TEST_EPISODES, lr = 1e-3, metaBatch = 4, onProgress }: FewShotTraining): Promise<FewShotRun> {
  const mnist = data.mnist();
  const train = data.fewShotTasks(mnist, { ways: WAYS, shots, queries: QUERIES, classes: TRAIN_DIGITS, seed });
  const test = data.fewShotTasks(mnist, { ways: WAYS, shots, queries: QUERIES, classes: TEST_DIGITS, seed: seed + 1_000_003 });
  const isMaml = method === 'MAML' || method === 'FOMAML';
  const learner = isMaml ? mamlMethod(method === 'FOMAML', metaBatch) : metricMethod(method);
  const adam = new optim.Adam(learner.parameters, { lr });
  const losses: number[] = [];
  const every = Math.max(1, Math.floor(iterations / 100));
  let window: Tensor[] = [];
  for (let i = 1; i <= iterations; i++) {
    const loss = tidy(() => {
      adam.zeroGrad();
      let total: Tensor | null = null;
      for (let t = 0; t < (isMaml ? metaBatch : 1); t++) {
        const l = learner.loss(train.sample());
        l.backward();
        total = total ? total.add(l.detach()) : l.detach();
      }
      adam.step();
      return total!;
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
  for (let e = 0; e < episodes; e++) {
    const accuracy = tidy(() => {
      const episode = test.sample();
      return learner.scores(episode).argmax(1).eq(episode.queryLabels).mean().detach();
    });
    correct.push(await accuracy.item());
    accuracy.dispose();
  }
  const mean = correct.reduce((a, b) => a + b, 0) / episodes;
  const sd = Math.sqrt(correct.reduce((a, b) => a + (b - mean) ** 2, 0) / (episodes - 1));
  return { accuracy: mean, interval: (1.96 * sd) / Math.sqrt(episodes), episodes, losses };
}
