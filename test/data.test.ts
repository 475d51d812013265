// data.batches: mini-batches of rows cut on the device (narrow views, or one indexSelect per tensor
// when shuffled), orders drawn from the seeded RNG, the argument checks, and no leak.
import { describe, expect, test } from 'vitest';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { arange, data, init, manualSeed, memory, rand, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';

const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];

const rows = async (t: Tensor): Promise<unknown> => t.array();
/** The y values of each batch of an unchanged [x, y] pass: the order batches visited the rows in. */
const orderOf = async (pass: Iterable<readonly Tensor[]>): Promise<number[]> => {
  const order: number[] = [];
  for (const [, y] of pass) order.push(...(await y.data()));
  return order;
};

describe.each(DEVICES)('on %s', (device) => {
  // x row i is [2i, 2i + 1] and y[i] = i, so every batch can be checked by hand.
  const dataset = (n: number): [Tensor, Tensor] => [arange(2 * n, undefined, 1, { device }).reshape([n, 2]), arange(n, undefined, 1, { device })];

  test('in order: contiguous batches of rows as views (no copy), the last one partial', async () => {
    await init({ backend: device });
    const [x, y] = dataset(5);
    const bytes = memory(device).bytes;
    const got = [...data.batches([x, y], { batchSize: 2 })];
    expect(memory(device).bytes, 'no storage allocated').toBe(bytes);
    expect(await Promise.all(got.map(([xb]) => rows(xb)))).toEqual([
      [[0, 1], [2, 3]],
      [[4, 5], [6, 7]],
      [[8, 9]],
    ]);
    expect(await Promise.all(got.map(([, yb]) => rows(yb)))).toEqual([[0, 1], [2, 3], [4]]);
  });

  test('dropLast drops the partial batch, and only it', async () => {
    await init({ backend: device });
    const [x] = dataset(5);
    expect([...data.batches(x, { batchSize: 2, dropLast: true })].map((b) => b.shape)).toEqual([[2, 2], [2, 2]]);
    expect([...data.batches(x, { batchSize: 5, dropLast: true })].map((b) => b.shape)).toEqual([[5, 2]]);
    expect([...data.batches(x, { batchSize: 6, dropLast: true })]).toEqual([]);
    expect([...data.batches(x, { batchSize: 6 })].map((b) => b.shape)).toEqual([[5, 2]]);
    expect([...data.batches(arange(0, undefined, 1, { device }), { batchSize: 2 })]).toEqual([]);
  });

  test('shuffled: the rows of manualSeed’s permutation, each once per epoch, rows kept together, reproducible', async () => {
    await init({ backend: device });
    const [x, y] = dataset(10);
    manualSeed(3);
    const expected = data.randperm(10);
    manualSeed(3);
    const got = [...data.batches([x, y], { batchSize: 4, shuffle: true })];
    expect(got.map(([xb]) => xb.shape)).toEqual([[4, 2], [4, 2], [2, 2]]);
    expect(await orderOf(got)).toEqual(expected);
    expect([...expected].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    for (const [xb, yb] of got) {
      expect(await rows(xb)).toEqual(Array.from(await yb.data(), (i) => [2 * i, 2 * i + 1]));
    }
    manualSeed(3);
    expect(await orderOf(data.batches([x, y], { batchSize: 3, shuffle: true }))).toEqual(expected);
  });

  test('shuffled: a new permutation every epoch, each a permutation', async () => {
    await init({ backend: device });
    const [x, y] = dataset(20);
    manualSeed(0);
    const epochs = [];
    for (let epoch = 0; epoch < 3; epoch++) epochs.push(await orderOf(data.batches([x, y], { batchSize: 8, shuffle: true })));
    for (const order of epochs) expect([...order].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(new Set(epochs.map(String)).size).toBe(3);
  });

  test('seed: the same order for the same seed, another for another, manualSeed’s stream untouched', async () => {
    await init({ backend: device });
    const [x, y] = dataset(12);
    const withSeed = (seed: number) => orderOf(data.batches([x, y], { batchSize: 5, shuffle: true, seed }));
    manualSeed(1);
    const a = await rand([4]).data();
    manualSeed(1);
    const first = await withSeed(7);
    expect(await rand([4]).data(), 'the global stream goes on as if no batches were drawn').toEqual(a);
    manualSeed(99);
    expect(await withSeed(7)).toEqual(first);
    expect(first).toEqual(data.randperm(12, { seed: 7 }));
    expect(await withSeed(8)).not.toEqual(first);
  });

  test('an object of tensors gives objects with the same keys; a single tensor gives tensors', async () => {
    await init({ backend: device });
    const [x, y] = dataset(3);
    manualSeed(5);
    const order = data.randperm(3);
    manualSeed(5);
    const got = [...data.batches({ inputs: x, labels: y }, { batchSize: 2, shuffle: true })];
    expect(got.map(Object.keys)).toEqual([['inputs', 'labels'], ['inputs', 'labels']]);
    expect(await Promise.all(got.map((b) => rows(b.labels)))).toEqual([order.slice(0, 2), order.slice(2)]);
    expect(await rows(got[1].inputs)).toEqual([[2 * order[2], 2 * order[2] + 1]]);
    const single = [...data.batches(y, { batchSize: 2 })];
    expect(await Promise.all(single.map(rows))).toEqual([[0, 1], [2]]);
  });

  test('gradients flow through a shuffled batch back to the rows it took', async () => {
    await init({ backend: device });
    const x = tensor([[1, 2], [3, 4], [5, 6]], { device, requiresGrad: true });
    const [first] = data.batches(x, { batchSize: 2, shuffle: true, seed: 4 });
    first.mul(first).sum().backward();
    const [i, j] = data.randperm(3, { seed: 4 });
    const expected = [[0, 0], [0, 0], [0, 0]];
    for (const r of [i, j]) expected[r] = [2 * (2 * r + 1), 2 * (2 * r + 2)];
    expect(await rows(x.grad!)).toEqual(expected);
  });

  test('no leak: a full pass in tidy leaves no tensor behind; batches returned from tidy survive it; outside tidy only the batches remain', async () => {
    await init({ backend: device });
    const [x, y] = dataset(10);
    for (const shuffle of [false, true]) {
      const before = memory(device).tensors;
      tidy(() => {
        for (const [xb, yb] of data.batches([x, y], { batchSize: 3, shuffle })) xb.sum().add(yb.sum());
      });
      expect(memory(device).tensors, `shuffle ${shuffle}`).toBe(before);
      const kept = tidy(() => [...data.batches([x, y], { batchSize: 4, shuffle })]);
      expect(memory(device).tensors, 'only the 6 batch tensors').toBe(before + 6);
      expect((await rows(kept[2][1])) as number[]).toHaveLength(2);
      // The readback let finalizers run (they may free what earlier tests dropped): count from here.
      const settled = memory(device).tensors - 6;
      kept.flat().forEach((t) => t.dispose());
      expect(memory(device).tensors).toBe(settled);
      // Outside any tidy: the caller disposes the batches, nothing else is left (no index tensor).
      for (const batch of data.batches([x, y], { batchSize: 4, shuffle })) batch.forEach((t) => t.dispose());
      expect(memory(device).tensors, 'after a pass outside tidy').toBe(settled);
    }
  });
});

test('on webgpu a shuffled batch costs one launch per tensor and no submit (no readback); an unshuffled one none', async () => {
  await init({ backend: 'webgpu' });
  const gpu = getBackend('webgpu') as WebGpuBackend;
  const x = arange(64, undefined, 1, { device: 'webgpu' }).reshape([16, 4]);
  const y = arange(16, undefined, 1, { device: 'webgpu' });
  tidy(() => {
    const shuffled = data.batches([x, y], { batchSize: 8, shuffle: true, seed: 0 });
    const before = gpu.stats();
    shuffled.next();
    expect(gpu.stats().dispatches - before.dispatches).toBe(2);
    expect(gpu.stats().submits).toBe(before.submits);
    const inOrder = data.batches([x, y], { batchSize: 8 });
    const dispatches = gpu.stats().dispatches;
    inOrder.next();
    expect(gpu.stats().dispatches).toBe(dispatches);
  });
});

test('argument checks name what was expected and what was got', async () => {
  await init({ backend: 'reference' });
  const x = tensor([[1, 2], [3, 4], [5, 6]]);
  const y = tensor([1, 2]);
  const call = (tensors: unknown, options: unknown) => () => data.batches(tensors as Tensor, options as { batchSize: number });
  expect(call(x, { batchSize: 0 })).toThrow('data.batches: batchSize must be a positive integer, got the number 0');
  expect(call(x, { batchSize: 1.5 })).toThrow('batchSize must be a positive integer, got the number 1.5');
  expect(call(x, { batchSize: '2' })).toThrow('batchSize must be a positive integer, got the string "2"');
  expect(call(x, {})).toThrow('batchSize must be a positive integer, got undefined');
  expect(call(x, undefined)).toThrow('batchSize must be a positive integer, got undefined');
  expect(call(x, { batchSize: 2, shufle: true })).toThrow("data.batches: unknown option(s) 'shufle'; the options are batchSize, shuffle, seed, dropLast");
  expect(call(x, { batchSize: 2, shuffle: 1 })).toThrow('data.batches: shuffle must be true or false, got the number 1');
  expect(call(x, { batchSize: 2, dropLast: 'yes' })).toThrow('data.batches: dropLast must be true or false, got the string "yes"');
  expect(call(x, { batchSize: 2, shuffle: true, seed: 0.5 })).toThrow('data.batches: seed must be an integer, got the number 0.5');
  expect(call([x, y], { batchSize: 2 })).toThrow('data.batches: the tensors must share their first dimension (the rows), got shapes [3,2], [2]');
  expect(call({ a: x, b: y }, { batchSize: 2 })).toThrow('got shapes [3,2], [2]');
  expect(call([], { batchSize: 2 })).toThrow('data.batches: tensors must be a Tensor, a non-empty array of tensors or a non-empty object of tensors, got an array of 0 item(s)');
  expect(call({}, { batchSize: 2 })).toThrow('got an object with keys {}');
  expect(call(undefined, { batchSize: 2 })).toThrow('a non-empty object of tensors, got undefined');
  expect(call([x, [1, 2]], { batchSize: 2 })).toThrow('data.batches: tensors[1] must be a Tensor, got an array of 2 item(s)');
  expect(call({ x, y: 3 }, { batchSize: 2 })).toThrow('data.batches: tensors.y must be a Tensor, got the number 3');
  expect(call(tensor(3), { batchSize: 2 })).toThrow('data.batches: tensors is 0-d; batches cut along the first dimension');
  const gone = tensor([1, 2]);
  gone.dispose();
  expect(call([x, gone], { batchSize: 2 })).toThrow('data.batches: tensors[1] [2] was disposed');
  expect(() => data.randperm(-1)).toThrow('data.randperm: n must be a non-negative integer, got the number -1');
  expect(() => data.randperm(3, { seed: 'a' } as unknown as { seed: number })).toThrow('data.randperm: seed must be an integer, got the string "a"');
  expect(() => data.randperm(3, { sed: 1 } as unknown as { seed: number })).toThrow("data.randperm: unknown option(s) 'sed'; the options are seed");
});
