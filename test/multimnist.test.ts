// MultiMNIST: the images as Sener & Koltun build them (two digits, top-left and bottom-right, up to
// 4 pixels of shift, the brighter pixel wins), deterministic under a seed; and the LeNet trainer
// learning both tasks with a weighting and with an aggregator.
import { describe, expect, test } from 'vitest';
import { data, init, memory } from '../src/index.js';
import { trainMultiMnist } from '../src/cli/multimnist.js';

describe('data.multiMnist', () => {
  test('shapes, labels, pixels, and the same images for the same seed', async () => {
    await init({ backend: 'cpu' });
    const { train, test: held } = data.multiMnist({ train: 50, test: 20, seed: 3 });
    expect(train.images.shape).toEqual([50, 1, 36, 36]);
    expect(held.images.shape).toEqual([20, 1, 36, 36]);
    for (const labels of [train.left, train.right, held.left]) {
      const v = await labels.data();
      expect(v.every((l) => Number.isInteger(l) && l >= 0 && l < 10)).toBe(true);
    }
    const px = await train.images.data();
    expect(px.every((p) => p >= 0 && p <= 1)).toBe(true);
    const image = Array.from(px.subarray(0, 36 * 36));
    expect(image.some((p) => p > 0)).toBe(true);
    const again = data.multiMnist({ train: 50, test: 20, seed: 3 });
    expect(await again.train.images.data()).toEqual(px);
    expect(await again.train.right.data()).toEqual(await train.right.data());
    const other = data.multiMnist({ train: 50, test: 20, seed: 4 });
    expect(await other.train.images.data()).not.toEqual(px);
  });

  test('bad options are refused', () => {
    expect(() => data.multiMnist({ train: 0 })).toThrow(/multiMnist: train must be a finite integer ≥ 1/);
    expect(() => data.multiMnist({ size: 28 } as never)).toThrow(/unknown option\(s\) 'size'/);
  });
});

describe('the MultiMNIST trainer', () => {
  test.each(['EW', 'UPGrad', 'GradNorm'])('%s learns both digits above chance, memory flat across runs', async (method) => {
    await init({ backend: 'cpu' });
    const before = memory('cpu').tensors;
    const run = await trainMultiMnist({ method, seed: 0, epochs: 3, train: 1200, test: 300, batchSize: 100, lr: 3e-3 });
    expect(run.losses).toHaveLength(3);
    expect(run.losses[2][0]).toBeLessThan(run.losses[0][0]);
    run.accuracy.forEach((a) => expect(a).toBeGreaterThan(0.2));
    expect(memory('cpu').tensors).toBeLessThanOrEqual(before);
  }, 300_000);
});
