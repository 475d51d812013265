// Meta-learning data: sinusoid tasks and N-way K-shot episodes are deterministic under a seed,
// follow their definitions, and keep to their split's classes; MNIST by class; PNG folders.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, test } from 'vitest';
import { data, init, type Tensor } from '../src/index.js';

beforeAll(async () => {
  await init({ backend: 'reference' });
});

const values = async (t: Tensor) => Array.from(await t.data());

describe('data.sinusoidTasks', () => {
  test('y = A·sin(x − φ) with A, φ and x in their ranges; the same seed gives the same tasks', async () => {
    const tasks = data.sinusoidTasks({ shots: 5, queries: 7, seed: 3 });
    const batch = tasks.sampleBatch(25);
    expect([batch.support.shape, batch.query.shape, batch.supportTargets.shape]).toEqual([[25, 5, 1], [25, 7, 1], [25, 5, 1]]);
    const [xs, ys] = [await values(batch.support), await values(batch.supportTargets)];
    xs.forEach((x, i) => {
      const t = Math.floor(i / 5);
      expect(ys[i]).toBeCloseTo(batch.amplitudes[t] * Math.sin(x - batch.phases[t]), 5);
      expect(Math.abs(x)).toBeLessThanOrEqual(5);
    });
    expect(batch.amplitudes.every((a) => a >= 0.1 && a <= 5) && batch.phases.every((p) => p >= 0 && p <= Math.PI)).toBe(true);
    const again = data.sinusoidTasks({ shots: 5, queries: 7, seed: 3 });
    const [first, second] = [again.sample(), again.sample()];
    expect(first.support.shape).toEqual([5, 1]);
    expect([first.amplitude, second.amplitude]).toEqual(batch.amplitudes.slice(0, 2));
    expect(await values(second.query)).toEqual((await values(batch.query)).slice(7, 14));
    const other = data.sinusoidTasks({ shots: 5, seed: 4 }).sample();
    expect(other.amplitude).not.toBe(first.amplitude);
  });

  test('options are checked', () => {
    expect(() => data.sinusoidTasks({ shots: 0 })).toThrow(/sinusoidTasks: shots must be a finite integer ≥ 1/);
    expect(() => data.sinusoidTasks({ shots: 5, amplitude: [5, 1] })).toThrow(/amplitude must be \[low, high\] with finite low ≤ high/);
    expect(() => data.sinusoidTasks({ shots: 5, shot: 3 } as never)).toThrow(/unknown option\(s\) 'shot'/);
  });
});

/** A dataset whose example values say their class and index: class c, example i is filled with c·100 + i. */
const labelled = (classes: number, perClass: number): data.ClassDataset => ({
  shape: [2],
  names: Array.from({ length: classes }, (_, c) => `c${c}`),
  examples: Array.from({ length: classes }, (_, c) => Array.from({ length: perClass }, (__, i) => Float32Array.from([c * 100 + i, c * 100 + i]))),
});

describe('data.fewShotTasks', () => {
  test('N-way K-shot episodes: grouped by class, labels 0 … N−1, support and query distinct, deterministic', async () => {
    const tasks = data.fewShotTasks(labelled(8, 12), { ways: 3, shots: 2, queries: 4, seed: 1 });
    for (let e = 0; e < 20; e++) {
      const { support, supportLabels, query, queryLabels, classes } = tasks.sample();
      expect([support.shape, query.shape]).toEqual([[6, 2], [12, 2]]);
      expect(await values(supportLabels)).toEqual([0, 0, 1, 1, 2, 2]);
      expect(await values(queryLabels)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
      expect(new Set(classes).size).toBe(3);
      const ids = (v: number[]) => v.filter((_, i) => i % 2 === 0);
      const [s, q] = [ids(await values(support)), ids(await values(query))];
      s.forEach((id, i) => expect(Math.floor(id / 100)).toBe(classes[Math.floor(i / 2)]));
      q.forEach((id, i) => expect(Math.floor(id / 100)).toBe(classes[Math.floor(i / 4)]));
      expect(new Set([...s, ...q]).size).toBe(18);
    }
    const replay = async (seed: number) => {
      const sampler = data.fewShotTasks(labelled(8, 12), { ways: 3, shots: 2, queries: 4, seed });
      return Promise.all(Array.from({ length: 5 }, async () => values(sampler.sample().support)));
    };
    expect(await replay(7)).toEqual(await replay(7));
    expect(await replay(7)).not.toEqual(await replay(8));
  });

  test('sampleBatch(E) stacks the episodes E sample() calls draw', async () => {
    const options = { ways: 3, shots: 2, queries: 4, seed: 3 };
    const [batched, single] = [data.fewShotTasks(labelled(8, 12), options), data.fewShotTasks(labelled(8, 12), options)];
    const batch = batched.sampleBatch(4);
    expect([batch.support.shape, batch.supportLabels.shape, batch.query.shape, batch.queryLabels.shape]).toEqual([[4, 6, 2], [4, 6], [4, 12, 2], [4, 12]]);
    const episodes = Array.from({ length: 4 }, () => single.sample());
    expect(batch.classes).toEqual(episodes.map((e) => e.classes));
    for (const key of ['support', 'supportLabels', 'query', 'queryLabels'] as const) {
      expect(await values(batch[key])).toEqual((await Promise.all(episodes.map((e) => values(e[key])))).flat());
    }
    expect(await values(batched.sample().support)).toEqual(await values(single.sample().support));
    expect(() => batched.sampleBatch(0)).toThrow(/fewShotTasks.sampleBatch: episodes must be a finite integer ≥ 1, got the number 0/);
  });

  test('meta-train and meta-test splits never share a class', async () => {
    const dataset = labelled(10, 20);
    const train = data.fewShotTasks(dataset, { ways: 5, shots: 1, queries: 3, classes: [0, 1, 2, 3, 4], seed: 0 });
    const test_ = data.fewShotTasks(dataset, { ways: 5, shots: 1, queries: 3, classes: [5, 6, 7, 8, 9], seed: 0 });
    for (let e = 0; e < 10; e++) {
      expect(train.sample().classes.every((c) => c < 5)).toBe(true);
      const episode = test_.sample();
      expect(episode.classes.every((c) => c >= 5)).toBe(true);
      expect((await values(episode.query)).every((v) => v >= 500)).toBe(true);
    }
  });

  test('bad splits and datasets are refused, naming what is short', () => {
    const dataset = labelled(4, 3);
    expect(() => data.fewShotTasks(dataset, { ways: 5, shots: 1 })).toThrow(/5-way episodes need at least 5 classes, the split has 4/);
    expect(() => data.fewShotTasks(dataset, { ways: 2, shots: 1, queries: 5 })).toThrow(/each class needs shots \+ queries = 6 examples; 'c0' has 3/);
    expect(() => data.fewShotTasks(dataset, { ways: 2, shots: 1, queries: 1, classes: [0, 0] })).toThrow(/classes must be distinct class ids in 0 … 3/);
    expect(() => data.fewShotTasks({ shape: [2], names: ['a'], examples: [[new Float32Array(3)]] }, { ways: 1, shots: 1 })).toThrow(/example 0 of class 'a' must be a Float32Array of 2 values/);
    expect(() => data.fewShotTasks([] as never, { ways: 1, shots: 1 })).toThrow(/expects a dataset \{ shape, names, examples \}/);
  });
});

describe('data.mnist and data.imageFolder', () => {
  test("MNIST's 10,000 digits by class, [1, 28, 28] in [0, 1]", () => {
    const mnist = data.mnist();
    expect(mnist.shape).toEqual([1, 28, 28]);
    expect(mnist.names).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(mnist.examples.reduce((n, pool) => n + pool.length, 0)).toBe(10000);
    expect(mnist.examples.every((pool) => pool.length > 800 && pool.every((e) => e.length === 784 && e.every((v) => v >= 0 && v <= 1)))).toBe(true);
  });

  /** Writes a width×height PNG whose pixel (x, y) has grey level `grey(x, y)`, and red = 255 − grey. */
  function writePng(path: string, width: number, height: number, grey: (x: number, y: number) => number): void {
    const png = new PNG({ width, height });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        const v = grey(x, y);
        [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]] = [v, v, v, 255];
      }
    }
    writeFileSync(path, PNG.sync.write(png));
  }

  test('classes are the folders holding PNGs (nested too), sorted; pixels as [C, H, W] in [0, 1]', () => {
    const root = mkdtempSync(join(tmpdir(), 'webgrad-images-'));
    for (const dir of ['Latin/character01', 'Latin/character02', 'Greek/character01']) {
      mkdirSync(join(root, dir), { recursive: true });
      for (let i = 0; i < 3; i++) writePng(join(root, dir, `${i}.png`), 3, 2, (x, y) => 10 * i + 40 * y + x);
    }
    const folder = data.imageFolder(root);
    expect(folder.names).toEqual(['Greek/character01', 'Latin/character01', 'Latin/character02']);
    expect(folder.shape).toEqual([1, 2, 3]);
    expect(Array.from(folder.examples[1][2])).toEqual([20, 21, 22, 60, 61, 62].map((v) => Math.fround(v / 255)));
    expect(Array.from(data.imageFolder(root, { invert: true }).examples[0][0]).map((v) => Math.round(v * 255))).toEqual([255, 254, 253, 215, 214, 213]);
    expect(data.imageFolder(root, { channels: 3 }).shape).toEqual([3, 2, 3]);
    const episode = data.fewShotTasks(folder, { ways: 2, shots: 1, queries: 2, seed: 0 }).sample();
    expect(episode.support.shape).toEqual([2, 1, 2, 3]);
  });

  test('mixed sizes, corrupt files and empty folders are refused, naming the file', () => {
    const root = mkdtempSync(join(tmpdir(), 'webgrad-images-'));
    mkdirSync(join(root, 'a'));
    expect(() => data.imageFolder(root)).toThrow(/no \.png files under/);
    writePng(join(root, 'a', '0.png'), 3, 2, () => 0);
    writePng(join(root, 'a', '1.png'), 4, 2, () => 0);
    expect(() => data.imageFolder(root)).toThrow(/1\.png is 4×2, the first image 3×2; every image must have one size/);
    writeFileSync(join(root, 'a', '1.png'), 'not a png');
    expect(() => data.imageFolder(root)).toThrow(/1\.png is not a readable PNG/);
    expect(() => data.imageFolder(join(root, 'missing'))).toThrow(/path must be a directory of class folders of \.png files/);
  });
});
