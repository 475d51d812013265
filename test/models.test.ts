// The article's experiments as tests: MultiTaskNet and OneShotNet trained with Adam + MSE for 1000
// epochs on a fixed seed, on the CPU reference and on WebGPU.
import { describe, expect, test } from 'vitest';
import { init, manualSeed, models, nn, optim, randn, tidy, type DeviceName, type Tensor } from '../src/index.js';

/** Σ_i MSE(task_i, y[:, i:i+1]): the article's loss with its two shape bugs fixed. */
const multiTaskLoss = (tasks: Tensor[], y: Tensor, criterion: nn.MSELoss): Tensor =>
  tasks.map((out, i) => criterion.forward(out, y.narrow(1, i, 1))).reduce((a, b) => a.add(b));

async function trainMultiTask(device: DeviceName): Promise<{ first: number; last: number }> {
  await init({ backend: device });
  manualSeed(0);
  const model = new models.MultiTaskNet(10, 3, 5);
  const optimizer = new optim.Adam(model.parameters());
  const criterion = new nn.MSELoss();
  const [x, y] = [randn([100, 10]), randn([100, 3])];
  const losses: Tensor[] = [];
  for (let epoch = 0; epoch < 1000; epoch++) {
    optimizer.zeroGrad();
    const loss = tidy(() => {
      const loss = multiTaskLoss(model.forward(x).tasks, y, criterion);
      loss.backward();
      return loss.detach();
    });
    optimizer.step();
    if (epoch === 0 || epoch === 999) losses.push(loss);
    else loss.dispose();
  }
  const [first, last] = await Promise.all(losses.map((l) => l.item()));
  return { first, last };
}

async function trainOneShot(device: DeviceName): Promise<number> {
  await init({ backend: device });
  manualSeed(1);
  const model = new models.OneShotNet(10, 3);
  const optimizer = new optim.Adam(model.parameters());
  const criterion = new nn.MSELoss();
  const [x, y] = [randn([1, 10]), randn([1, 3])];
  for (let epoch = 0; epoch < 1000; epoch++) {
    optimizer.zeroGrad();
    tidy(() => criterion.forward(model.forward(x), y).backward());
    optimizer.step();
  }
  return tidy(() => criterion.forward(model.forward(x), y)).item();
}

describe.each<DeviceName>(['cpu', 'webgpu'])('the article on %s', (device) => {
  test('MultiTaskNet: 1000 epochs of Adam lower the summed task loss', async () => {
    const { first, last } = await trainMultiTask(device);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first * 0.9);
  }, 120_000);

  test('OneShotNet drives its single-example loss below 1e-4', async () => {
    expect(await trainOneShot(device)).toBeLessThan(1e-4);
  }, 120_000);
});
