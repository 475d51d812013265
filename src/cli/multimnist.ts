// MultiMNIST with a LeNet-style shared trunk (Sener & Koltun 2018's setup, small): conv 5×5 (10) →
// max-pool 2 → ReLU → conv 5×5 (20) → max-pool 2 → ReLU → Linear(720, 50) → ReLU, and one
// Linear(50, 10) head per task (left digit, right digit); cross-entropy per task, Adam, and the
// shared trunk's update from an aggregator or a loss weighting (mtl.backward from the features).
import { data, keep, manualSeed, mtl, nn, optim, stack, tidy, type Tensor } from '../index.js';
import { HardSharingNet } from '../models/index.js';

const A = mtl.aggregators;
const W = mtl.weighting;
type Method = { aggregator: InstanceType<typeof A.Aggregator> } | { weighting: InstanceType<typeof W.Weighting> };

/** The methods of the MultiMNIST table. */
export const MULTIMNIST_METHODS: Readonly<Record<string, (seed: number) => Method>> = {
  EW: () => ({ weighting: new W.EW() }),
  UW: () => ({ weighting: new W.UW({ tasks: 2 }) }),
  DWA: () => ({ weighting: new W.DWA({ tasks: 2 }) }),
  GradNorm: () => ({ weighting: new W.GradNorm({ tasks: 2, alpha: 1.5 }) }),
  PCGrad: (seed) => ({ aggregator: new A.PCGrad({ seed }) }),
  MGDA: () => ({ aggregator: new A.MGDA() }),
  CAGrad: () => ({ aggregator: new A.CAGrad() }),
  NashMTL: () => ({ aggregator: new A.NashMTL() }),
  UPGrad: () => ({ aggregator: new A.UPGrad() }),
  IMTLG: () => ({ aggregator: new A.IMTLG() }),
};

export const lenet = (): HardSharingNet =>
  new HardSharingNet({
    trunk: new nn.Sequential(
      new nn.Conv2d(1, 10, 5), new nn.MaxPool2d(2), new nn.ReLU(),
      new nn.Conv2d(10, 20, 5), new nn.MaxPool2d(2), new nn.ReLU(),
      new nn.Flatten(), new nn.Linear(720, 50), new nn.ReLU(),
    ),
    heads: [new nn.Linear(50, 10), new nn.Linear(50, 10)],
  });

export interface MultiMnistRun {
  /** Test accuracy of the left and right digit. */
  accuracy: [number, number];
  /** Mean training loss of each task, per epoch. */
  losses: number[][];
}

export interface MultiMnistTraining {
  method: string;
  seed: number;
  epochs: number;
  lr?: number;
  batchSize?: number;
  train?: number;
  test?: number;
  onEpoch?: (epoch: number, losses: number[]) => void;
}

/** Trains the LeNet on MultiMNIST with `method` (on the default device) and measures test accuracy. */
export async function trainMultiMnist({ method, seed, epochs, lr = 1e-3, batchSize = 256, train, test, onEpoch }: MultiMnistTraining): Promise<MultiMnistRun> {
  const sets = data.multiMnist({ train, test, seed });
  manualSeed(seed);
  const model = lenet();
  const chosen = MULTIMNIST_METHODS[method](seed);
  const extra = 'weighting' in chosen ? chosen.weighting.parameters() : [];
  const optimizer = new optim.Adam([...model.parameters(), ...extra], { lr });
  const losses: number[][] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sums: Tensor | null = null; // the epoch's summed losses, kept on the device: no readback per step
    let count = 0;
    for (const batch of data.batches(sets.train, { batchSize, shuffle: true, seed: seed * 1000 + epoch })) {
      optimizer.zeroGrad();
      const { shared, tasks } = tidy(() => {
        const out = model.forward(batch.images);
        return { shared: out.shared, tasks: [nn.functional.crossEntropy(out.tasks[0], batch.left), nn.functional.crossEntropy(out.tasks[1], batch.right)] };
      });
      await mtl.backward(tasks, { shared: model.trunk, features: shared, ...chosen });
      optimizer.step();
      const previous: Tensor | null = sums;
      sums = keep(tidy((): Tensor => stack(tasks.map((t) => t.detach().reshape([]))).add(previous ?? 0)));
      previous?.dispose();
      count++;
      [shared, ...tasks, batch.images, batch.left, batch.right].forEach((t) => t.dispose());
    }
    if ('weighting' in chosen && chosen.weighting instanceof W.DWA) await chosen.weighting.endEpoch();
    losses.push(Array.from(await sums!.data(), (s) => s / count));
    sums!.dispose();
    onEpoch?.(epoch + 1, losses.at(-1)!);
  }
  const accuracy = await testAccuracy(model, sets.test, batchSize);
  [sets.train, sets.test].forEach((s) => [s.images, s.left, s.right].forEach((t) => t.dispose()));
  model.dispose();
  optimizer.dispose();
  if ('weighting' in chosen) chosen.weighting.dispose();
  return { accuracy, losses };
}

async function testAccuracy(model: HardSharingNet, split: { images: Tensor; left: Tensor; right: Tensor }, batchSize: number): Promise<[number, number]> {
  model.eval();
  const correct = [0, 0];
  for (const batch of data.batches(split, { batchSize })) {
    const hits = tidy(() => {
      const { tasks } = model.forward(batch.images);
      return [tasks[0].argmax(1).eq(batch.left).sum(), tasks[1].argmax(1).eq(batch.right).sum()];
    });
    for (let t = 0; t < 2; t++) correct[t] += await hits[t].item();
    [...hits, batch.images, batch.left, batch.right].forEach((h) => h.dispose());
  }
  model.train();
  return [correct[0] / split.left.size, correct[1] / split.left.size];
}
