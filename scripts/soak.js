#!/usr/bin/env node
// The long versions of the memory tests (test/webgpu-memory.test.ts, test/memory.test.ts), as a user's
// session would run them: 1,000,000 ops on live tensors in one tidy, 100,000 few-shot episodes,
// 100,000 no-tidy training steps, and 10,000 second-order MAML meta-iterations (test/meta.test.ts).
// Prints live tensors and memory mappings as it goes and exits 1 if either grows past its bound. `npm run soak [-- --device cpu] [--scale 0.1]` (after npm run build).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { data, init, manualSeed, memory, meta, models, nn, ones, optim, randn, tidy } from '../dist/index.js';

const { values } = parseArgs({ options: { device: { type: 'string', default: 'webgpu' }, scale: { type: 'string', default: '1' } } });
const scale = Number(values.scale);
if (!(scale > 0)) throw new Error(`soak: --scale must be a positive number, got ${values.scale}`);
const { backend } = await init({ backend: values.device });
const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
let failed = false;
const tenth = (n) => Math.max(1, Math.round(n / 10));

function report(name, i, total, start) {
  const m = memory();
  console.log(`${name} ${i}/${total}: ${m.tensors} tensors, ${(m.bytes / 2 ** 20).toFixed(1)} MiB, ${mappings()} mappings (${mappings() - start} added)`);
}

function expectBounded(name, what, value, bound) {
  const ok = value <= bound;
  console.log(`${ok ? 'ok' : 'FAILED'}: ${name}: ${what} ${value} (bound ${bound})`);
  failed ||= !ok;
}

async function liveOps(n) {
  const start = mappings();
  const result = tidy(() => {
    let a = ones([64]);
    for (let i = 1; i <= n; i++) {
      a = a.add(1);
      if (i % tenth(n) === 0) report('ops', i, n, start);
    }
    return a;
  });
  expectBounded('ops', 'value error', Math.abs((await result.data())[0] - (n + 1)), 0);
  expectBounded('ops', 'mappings added', mappings() - start, 20_000);
  result.dispose();
}

async function episodes(n) {
  manualSeed(0);
  const [x, y] = [randn([1, 10]), randn([1, 3])];
  const [start, tensors] = [mappings(), memory().tensors];
  for (let i = 1; i <= n; i++) {
    tidy(() => {
      const net = new models.OneShotNet(10, 3);
      const opt = new optim.Adam(net.parameters(), 0.01);
      for (let step = 0; step < 20; step++) {
        tidy(() => {
          opt.zeroGrad();
          nn.functional.mseLoss(net.forward(x), y).backward();
          opt.step();
        });
      }
    });
    if (i % tenth(n) === 0) report('episodes', i, n, start);
  }
  expectBounded('episodes', 'tensors added', memory().tensors - tensors, 0);
  expectBounded('episodes', 'mappings added', mappings() - start, 2_000);
}

async function untidySteps(n) {
  manualSeed(1);
  const net = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 1));
  const opt = new optim.Adam(net.parameters(), 0.01);
  const [x, y] = [randn([32, 8]), randn([32, 1])];
  const start = mappings();
  let [peakTensors, peakMappings] = [0, 0];
  for (let i = 1; i <= n; i++) {
    opt.zeroGrad();
    const loss = nn.functional.mseLoss(net.forward(x), y);
    loss.backward();
    opt.step();
    if (i % 100 === 0) {
      await loss.item();
      [peakTensors, peakMappings] = [Math.max(peakTensors, memory().tensors), Math.max(peakMappings, mappings())];
    }
    if (i % tenth(n) === 0) report('no-tidy steps', i, n, start);
  }
  expectBounded('no-tidy steps', 'peak live tensors', peakTensors, 40_000);
  expectBounded('no-tidy steps', 'peak mappings added', peakMappings - start, 5_000);
}

/** MAML on sinusoids (meta-batch 25 as one batched learner, 2 second-order inner steps, Adam): live tensors flat. */
async function metaIterations(n) {
  manualSeed(2);
  const model = new nn.Sequential(new nn.Linear(1, 40), new nn.ReLU(), new nn.Linear(40, 40), new nn.ReLU(), new nn.Linear(40, 1));
  const maml = new meta.MAML(model, { lr: 0.01 });
  const adam = new optim.Adam(maml.parameters(), { lr: 1e-3 });
  const tasks = data.sinusoidTasks({ shots: 10, seed: 2 });
  const perTask = (y, t) => nn.functional.mseLoss(y, t, { reduction: 'none' }).mean([1, 2]);
  const start = mappings();
  let settled = null;
  for (let i = 1; i <= n; i++) {
    const loss = tidy(() => {
      adam.zeroGrad();
      const { support, supportTargets, query, queryTargets } = tasks.sampleBatch(25);
      const learner = maml.clone({ tasks: 25 });
      learner.adapt(perTask(learner.forward(support), supportTargets)).adapt(perTask(learner.forward(support), supportTargets));
      const q = perTask(learner.forward(query), queryTargets).mean();
      q.backward();
      adam.step();
      return q.detach();
    });
    if (i % 100 === 0) await loss.item();
    loss.dispose();
    if (i === Math.min(100, n)) settled = memory().tensors;
    if (i % tenth(n) === 0) report('meta-iterations', i, n, start);
  }
  expectBounded('meta-iterations', 'tensors added after the first 100', memory().tensors - settled, 0);
  expectBounded('meta-iterations', 'mappings added', mappings() - start, 2_000);
}

console.log(`soak on ${backend}, scale ${scale}`);
await liveOps(Math.round(1_000_000 * scale));
await episodes(Math.round(100_000 * scale));
await untidySteps(Math.round(100_000 * scale));
await metaIterations(Math.round(10_000 * scale));
process.exit(failed ? 1 : 0);
