// The article's two experiments (section 4.1 multi-task, 4.2 one-shot) as functions that train a
// model and return its loss per epoch. They print nothing: the CLI, the examples and the tests share them.
import { cat, manualSeed, models, nn, optim, randn, tidy, type Tensor } from '../index.js';

export interface TrainOptions {
  /** Training epochs (full-batch steps). Default 1000, as in the article. */
  epochs?: number;
  /** Adam's learning rate. Default 1e-3, torch.optim.Adam's default the article relies on. */
  lr?: number;
  /** Seed for the initial weights and the random data. Default 0. */
  seed?: number;
  /** Epochs between readbacks of the recorded losses; each readback is a full GPU sync. Default 25. */
  readEvery?: number;
  /** Called after each readback with the epochs done so far and the latest epoch's losses. */
  onProgress?: (epochsDone: number, latest: readonly number[]) => void;
}

export interface LossHistory {
  /** What the losses are: one name per column (a task, or the single loss). */
  columns: string[];
  /** losses[epoch][column]. */
  losses: number[][];
  /** Training steps per second, timed after the warm-up epochs (see warmupEpochs). */
  stepsPerSecond: number;
  /** Epochs run before the clock started (the first ones compile the GPU pipelines). */
  warmupEpochs: number;
}

/** Epochs left out of the steps-per-second timing when there are enough epochs to spare. */
const WARMUP_EPOCHS = 5;

export interface MultiTaskOptions extends TrainOptions {
  inputDim?: number;
  tasks?: number;
  hidden?: number;
  samples?: number;
}

const FLOAT32_BYTES = 4;
/** A recorded loss in a JavaScript array of rows, and its CSV text: a rough upper bound. */
const RECORDED_LOSS_BYTES = 24;

/**
 * About how much memory trainMultiTask needs: each parameter with its gradient and Adam's two
 * moments, the data, the activations and their gradients, and the recorded losses.
 */
export function multiTaskBytes({ inputDim = 10, tasks = 3, hidden = 5, samples = 100, epochs = 1000 }: MultiTaskOptions): number {
  const parameters = hidden * (inputDim + 1) + tasks * (hidden + 1);
  const data = samples * (inputDim + 2 * tasks);
  const activations = 2 * samples * hidden + 4 * samples * tasks;
  return FLOAT32_BYTES * (4 * parameters + data + activations) + RECORDED_LOSS_BYTES * epochs * tasks;
}

/**
 * Section 4.1: MultiTaskNet (a shared Linear, one Linear head per task) fit to random data with Adam.
 * The article's loss, criterion(shared_output, y) + Σ criterion(task_output, y[:, i]), compares
 * [100,5] with [100,3] and [100,1] with [100]; webgrad's MSELoss rejects both. This trains on the
 * corrected loss Σ_i MSE(task_i, y[:, i:i+1]) and records each task's term.
 */
export async function trainMultiTask({ inputDim = 10, tasks = 3, hidden = 5, samples = 100, lr = 1e-3, seed = 0, ...train }: MultiTaskOptions = {}): Promise<LossHistory> {
  manualSeed(seed);
  const model = new models.MultiTaskNet(inputDim, tasks, hidden);
  const optimizer = new optim.Adam(model.parameters(), { lr });
  const criterion = new nn.MSELoss({ reduction: 'none' });
  const x = randn([samples, inputDim]);
  const y = randn([samples, tasks]);
  const targetsByTask = y.T.contiguous();

  // Each head's [samples, 1] output stacked into one [tasks, samples] block: task i's MSE is row i's
  // mean, so the loss and its gradient take a few launches, not a few per task, and each head's
  // gradient is a contiguous row (5,000 tasks are 5,000 heads on WebGPU).
  const step = (): Tensor => {
    optimizer.zeroGrad();
    const outputs = cat(model.forward(x).tasks, 0).reshape([tasks, samples]);
    const taskLosses = criterion.forward(outputs, targetsByTask).mean(1);
    taskLosses.sum().backward();
    optimizer.step();
    return taskLosses.detach();
  };
  const columns = Array.from({ length: tasks }, (_, i) => `task${i + 1}`);
  try {
    return await record(columns, step, train);
  } finally {
    [x, y, targetsByTask, ...model.parameters()].forEach((t) => t.dispose());
    optimizer.dispose();
  }
}

export interface OneShotOptions extends TrainOptions {
  inputDim?: number;
  outputDim?: number;
}

/** Section 4.2: OneShotNet (one Linear) fit to a single random example with Adam and MSE. */
export async function trainOneShot({ inputDim = 10, outputDim = 3, lr = 1e-3, seed = 0, ...train }: OneShotOptions = {}): Promise<LossHistory> {
  manualSeed(seed);
  const model = new models.OneShotNet(inputDim, outputDim);
  const optimizer = new optim.Adam(model.parameters(), { lr });
  const criterion = new nn.MSELoss();
  const x = randn([1, inputDim]);
  const y = randn([1, outputDim]);

  const step = (): Tensor => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss.detach().reshape([1]);
  };
  try {
    return await record(['loss'], step, train);
  } finally {
    [x, y, ...model.parameters()].forEach((t) => t.dispose());
    optimizer.dispose();
  }
}

/**
 * Runs `step` once per epoch inside tidy (so memory stays flat), keeps each epoch's losses as a small
 * detached tensor, and reads them back in one batch every `readEvery` epochs instead of syncing the
 * GPU every epoch.
 */
async function record(
  columns: string[],
  step: () => Tensor,
  { epochs = 1000, readEvery = 25, onProgress }: Omit<TrainOptions, 'lr' | 'seed'>,
): Promise<LossHistory> {
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`epochs must be a positive integer, got ${epochs}`);
  if (!(Number.isInteger(readEvery) && readEvery >= 1)) throw new Error(`readEvery must be a positive integer, got ${readEvery}`);
  const warmupEpochs = epochs > 2 * WARMUP_EPOCHS ? WARMUP_EPOCHS : 0;
  const losses: number[][] = [];
  let pending: Tensor[] = [];
  let started = performance.now();

  const readBack = async (): Promise<void> => {
    const block = tidy(() => cat(pending));
    const values = await block.data();
    [block, ...pending].forEach((t) => t.dispose());
    pending = [];
    for (let at = 0; at < values.length; at += columns.length) losses.push(Array.from(values.subarray(at, at + columns.length)));
    onProgress?.(losses.length, losses[losses.length - 1]);
  };

  for (let epoch = 1; epoch <= epochs; epoch++) {
    pending.push(tidy(step));
    if (epoch === warmupEpochs) {
      await readBack();
      started = performance.now();
    } else if (epoch % readEvery === 0 || epoch === epochs) {
      await readBack();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { columns, losses, stepsPerSecond: (epochs - warmupEpochs) / seconds, warmupEpochs };
}
