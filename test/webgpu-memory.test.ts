// WebGPU memory in long sessions: live tensors that do not each cost a memory mapping, slabs and pools
// that give memory back, the mapping guard that throws instead of letting the driver crash the
// process, and the buddy allocator under them.
import { beforeAll, describe, expect, test } from 'vitest';
import { Buddy, MIN_BLOCK } from '../src/backend/webgpu/buddy.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { countMappings } from '../src/backend/webgpu/mappings.js';
import { getBackend } from '../src/device.js';
import { full, init, manualSeed, memory, models, nn, ones, optim, randn, tensor, tidy } from '../src/index.js';

let gpu: WebGpuBackend;

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // no adapter → this suite fails, it never skips
  gpu = getBackend('webgpu') as WebGpuBackend;
});

test('100,000 live tensors in one tidy: mappings and bind groups stay bounded, the values are right', async () => {
  const [tensorsBefore, mappingsBefore, groupsBefore] = [memory().tensors, countMappings(), gpu.stats().bindGroupsCreated];
  let peak = { mappings: 0, tensors: 0 };
  const result = tidy(() => {
    let a = ones([64]);
    for (let i = 0; i < 100_000; i++) {
      a = a.add(1);
      if (i % 10_000 === 0) peak = { mappings: Math.max(peak.mappings, countMappings()), tensors: memory().tensors };
    }
    return a;
  });
  expect(Array.from(await result.data())).toEqual(new Array(64).fill(100_001));
  expect(peak.tensors - tensorsBefore, 'tensors alive inside the tidy').toBeGreaterThan(90_000);
  // Before slabs every op created a bind group of its own tensors: one mapping each (≈100,000).
  expect(peak.mappings - mappingsBefore, 'mappings added').toBeLessThan(8_000);
  expect(gpu.stats().bindGroupsCreated - groupsBefore, 'bind groups created').toBeLessThan(8_000);
  const settled = memory().tensors; // after the readback's finalizers (which only ever free)
  result.dispose();
  expect(memory().tensors).toBe(settled - 1);
  expect(memory().tensors).toBeLessThanOrEqual(tensorsBefore);
}, 120_000);

test('4,000 few-shot episodes (a fresh OneShotNet and Adam, 20 steps, in tidy, nothing disposed by hand): tensors and mappings stay flat', async () => {
  manualSeed(1);
  const [x, y] = [randn([1, 10]), randn([1, 3])];
  const episode = () => tidy(() => {
    const net = new models.OneShotNet(10, 3);
    const opt = new optim.Adam(net.parameters(), 0.01);
    const before = nn.functional.mseLoss(net.forward(x), y);
    for (let step = 0; step < 20; step++) {
      tidy(() => {
        opt.zeroGrad();
        nn.functional.mseLoss(net.forward(x), y).backward();
        opt.step();
      });
    }
    return [before, nn.functional.mseLoss(net.forward(x), y)];
  });
  let last = episode();
  const [tensors, mappings] = [memory().tensors, countMappings()];
  for (let i = 1; i < 4_000; i++) {
    last.forEach((t) => t.dispose());
    last = episode();
  }
  // Before: 4 tensors leaked per episode, and the process died near 1,700 episodes at ≈33,000 mappings.
  expect(memory().tensors, 'live tensors').toBe(tensors);
  expect(countMappings() - mappings, 'mappings added').toBeLessThan(500);
  const [before, after] = await Promise.all(last.map((t) => t.item()));
  expect(after, 'the last episode fit its example').toBeLessThan(before);
}, 240_000);

test('10,000 PyTorch-style steps (no tidy, no dispose) with a readback every 100: tensors and mappings stay bounded', async () => {
  manualSeed(2);
  const net = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 1));
  const opt = new optim.Adam(net.parameters(), 0.01);
  const [x, y] = [randn([32, 8]), randn([32, 1])];
  const mappings = countMappings();
  let [peakTensors, peakMappings, firstLoss, lastLoss] = [0, 0, 0, 0];
  for (let step = 0; step < 10_000; step++) {
    opt.zeroGrad();
    const loss = nn.functional.mseLoss(net.forward(x), y);
    loss.backward();
    opt.step();
    if (step % 100 === 0) {
      lastLoss = await loss.item(); // lets the FinalizationRegistry free what the loop dropped
      if (step === 0) firstLoss = lastLoss;
      peakTensors = Math.max(peakTensors, memory().tensors);
      peakMappings = Math.max(peakMappings, countMappings());
    }
  }
  // Before: a segfault in 4 of 7 runs near steps 5–7k (≈1 bind group, 1 mapping a step, never reused).
  expect(peakMappings - mappings, 'mappings added').toBeLessThan(2_000);
  expect(peakTensors, 'live tensors at a readback (what the garbage collector has not reached yet)').toBeLessThan(40_000);
  expect(lastLoss).toBeLessThan(firstLoss);
}, 240_000);

test('empty slabs beyond four spare ones are destroyed, and free dedicated buffers beyond the budget', async () => {
  await gpu.flush();
  const alive = () => gpu.stats().buffersAlive;
  const start = alive();
  // 40 blocks of 8 MiB (the largest a 32 MiB slab takes) fill ten slabs.
  const blocks = Array.from({ length: 40 }, () => full([2 << 20], 1));
  expect(alive() - start, 'slabs for 320 MiB of blocks (some may have been spare)').toBeGreaterThanOrEqual(6);
  blocks.forEach((t) => t.dispose());
  await gpu.flush(); // blocks released while their fills were pending are freed at the submit
  expect(alive() - start, 'at most four empty slabs are kept').toBeLessThanOrEqual(4);

  // 40 MiB tensors get buffers of their own (64 MiB size class); 6 freed exceed the 256 MiB pool budget.
  const large = Array.from({ length: 6 }, () => full([10 << 20], 2));
  expect(await large[5].narrow(0, 10_485_750, 10).sum().item()).toBe(20);
  large.forEach((t) => t.dispose());
  await gpu.flush();
  expect(gpu.stats().pooledBytes, 'bytes kept in the pools (and a small readback buffer)').toBeLessThanOrEqual((256 << 20) + 4096);
  expect(alive() - start, 'buffers left: 4 spare slabs, 4 pooled 64 MiB buffers, a readback buffer').toBeLessThanOrEqual(4 + 4 + 1);
});

test('an op whose input and output share a slab, and a copy within one slab, give the right values', async () => {
  const x = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
  expect(await x.mul(x).add(x.T.T).array()).toEqual([[2, 6, 12], [20, 30, 42]]);
  expect(await x.T.contiguous().array()).toEqual([[1, 4], [2, 5], [3, 6]]);
  expect(await x.narrow(1, 1, 2).contiguous().sum(0).array()).toEqual([7, 9]);
});

test('near the mapping limit an op throws an Error that says what is alive and how to free it; the backend goes on', async () => {
  const limit = gpu.mappings.limit;
  expect(limit, 'this Linux machine has a vm.max_map_count').not.toBeNull();
  const x = ones([16]);
  try {
    gpu.mappings.limit = countMappings() + 4096 - 1; // the next op counts, and finds itself past it
    const run = () => tidy(() => x.add(1));
    expect(run).toThrow(/memory mappings, close to Linux's limit.*GPU storages are alive.*dispose\(\).*tidy\(\).*vm\.max_map_count/);
  } finally {
    gpu.mappings.limit = limit;
  }
  expect(await x.add(1).sum().item()).toBe(32);
});

describe('buddy allocator', () => {
  test('blocks are aligned to their size, lowest offset first, and coalesce back to one free slab', () => {
    const buddy = new Buddy(4096);
    const a = buddy.allocate(256)!;
    const b = buddy.allocate(1024)!;
    const c = buddy.allocate(256)!;
    expect([a, b, c]).toEqual([0, 1024, 256]);
    expect(buddy.allocate(4096)).toBeNull();
    for (const [offset, size] of [[b, 1024], [a, 256], [c, 256]] as const) buddy.release(offset, size);
    expect(buddy.isEmpty).toBe(true);
    expect(buddy.allocate(4096), 'the whole slab is free again').toBe(0);
  });

  test('the layout depends only on which blocks are live, not on the order they were freed', () => {
    const layoutAfter = (freeOrder: number[]) => {
      const buddy = new Buddy(1 << 16);
      const sizes = [256, 512, 256, 2048, 256, 1024, 512, 256];
      const offsets = sizes.map((s) => buddy.allocate(s)!);
      for (const i of freeOrder) buddy.release(offsets[i], sizes[i]);
      return [4096, 256, 512, 256].map((s) => buddy.allocate(s));
    };
    expect(layoutAfter([1, 3, 5, 7])).toEqual(layoutAfter([7, 5, 3, 1]));
    expect(layoutAfter([0, 2, 4, 6])).toEqual(layoutAfter([6, 0, 4, 2]));
  });

  test('refuses a slab that is not a power of two', () => {
    expect(() => new Buddy(3 * MIN_BLOCK)).toThrow(/not a power of two/);
  });
});
