#!/usr/bin/env node
// webgrad vs TensorFlow.js and PyTorch: `npm run bench [-- <filter>…]`.
// Two pairings: webgrad-cpu vs tfjs-wasm/tfjs-cpu (in this process) and torch-cpu (a Python child,
// torch-peer.js), and webgrad-webgpu vs tfjs-webgpu on the same Dawn adapter. For every case and
// every side: same data, cross-check against webgrad's result, warm up, then benchmark.js samples of one call each ending in a readback (`await t.data()`), for both sides;
// WebGPU sides also report compute dispatches per call.
// Writes bench/results/latest.{json,md} (filtered runs: filtered.{json,md}; --out=NAME: NAME.{json,md}),
// then, after an unfiltered run, regenerates README.md's Performance tables (readme.js).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from 'webgrad';
// Internals of the built package (dist is built by `npm run bench`): the WebGPU dispatch counter.
import { getBackend } from '../dist/device.js';
import { UNAVAILABLE, activate, tfjsPeers, tfjsWebgpuPeer } from './peers.js';
import { torchPeer } from './torch-peer.js';
import { updateReadme } from './readme.js';
import { fmtMs, markdown } from './report.js';
import { SUITES } from './suites/index.js';

const require = createRequire(import.meta.url);
const Benchmark = require('benchmark');
// benchmark.js inlines a test's source when it can, which loses closures: call fn by reference.
Benchmark.support.decompilation = false;

const ROUNDS = 3;                               // turns each side takes per case (sides interleaved)
const BENCH = { maxTime: 1, minSamples: 5 };   // seconds of sampling per round; ≥5 samples
const WARMUP = { calls: 3, seconds: 1 };        // before the first round: ≥3 calls, and ≥1 s unless one call is slower
const REWARM = { calls: 3, seconds: 0.25 };     // before each later round (the other sides ran in between)
const CHECK_STEPS = 3;                          // calls whose results are compared before timing
const DISPATCH_STEPS = 10;                      // calls (after timing) over which dispatches per call are counted
/** tfjs-webgpu segfaults after ≈65k launches in a loop that never yields (Dawn's buffer mappings). */
const YIELD_EVERY = 500;

/** Table order and what each table compares: the webgrad side first, then its peers. */
const PAIRINGS = [
  { id: 'cpu', title: 'CPU', webgrad: 'webgrad-cpu' },
  { id: 'webgpu', title: 'WebGPU (same Dawn adapter)', webgrad: 'webgrad-webgpu', dispatches: true },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-')).map((f) => f.toLowerCase());
/** --sides=a,b: only these sides (e.g. webgrad-cpu,torch-cpu while working on one); results go to filtered.*. */
const onlySides = process.argv.find((a) => a.startsWith('--sides='))?.slice('--sides='.length).split(',');
/** Results file name: another machine's run is kept as its own <name>.json, shown in the README too. */
const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? (filters.length || onlySides ? 'filtered' : 'latest');
if (process.argv.includes('--help')) {
  console.log('usage: npm run bench [-- [--out=NAME] [--sides=NAME,…] <filter>…]   (a case runs when its id contains any filter;');
  console.log('       results go to bench/results/NAME.{json,md}, default latest, or filtered when filtered or --sides is given)');
  console.log(`cases: ${SUITES.flatMap((s) => s.cases.map((c) => c.id)).join(', ')}`);
  process.exit(0);
}

let maxAbsDiff = 0; // of the last compare()
function compare(got, want, { rtol, atol }) {
  maxAbsDiff = 0;
  if (got.length !== want.length) return `length ${got.length} ≠ ${want.length}`;
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - want[i]));
    const excess = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(excess <= worst)) { worst = Number.isNaN(excess) ? Infinity : excess; at = i; }
  }
  return at < 0 ? undefined : `element ${at}: ${got[at]} vs webgrad ${want[at]} (tolerance rtol ${rtol}, atol ${atol})`;
}

const quantile = (sorted, q) => {
  const at = (sorted.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
};

/** The first CHECK_STEPS results of `step`, then impl.state() if any, concatenated. */
async function firstResults(impl, step) {
  const outs = [];
  for (let i = 0; i < CHECK_STEPS; i++) outs.push(await step());
  if (impl.state) outs.push(...(await impl.state()));
  const values = new Float32Array(outs.reduce((n, o) => n + o.length, 0));
  outs.reduce((at, o) => (values.set(o, at), at + o.length), 0);
  return values;
}

async function measure(name, step, warmup) {
  const t0 = performance.now();
  for (let i = 0; i < warmup.calls || performance.now() - t0 < warmup.seconds * 1000; i++) await step();
  let failure;
  const bench = new Benchmark(name, {
    ...BENCH,
    defer: true,
    fn(deferred) {
      step().then(() => deferred.resolve(), (err) => { failure = err; deferred.resolve(); });
    },
  });
  await new Promise((resolve) => bench.on('complete', resolve).run());
  if (failure || bench.error) throw failure ?? bench.error;
  const sample = [...bench.stats.sample].sort((a, b) => a - b).map((s) => s * 1000);
  return {
    medianMs: quantile(sample, 0.5),
    meanMs: bench.stats.mean * 1000,
    iqrMs: quantile(sample, 0.75) - quantile(sample, 0.25),
    rmePct: bench.stats.rme,
    samples: sample.length,
    callsPerSample: bench.count,
  };
}

/**
 * Opens case `c` on `side` (activating its backend), runs body(impl, step), disposes it. A failure is
 * recorded in row.sides[side.name] (which takes the side out of the row's later rounds) and printed.
 */
async function use(side, c, data, row, body) {
  let impl;
  try {
    await activate(side);
    impl = side.kind === 'webgrad' ? await c.webgrad(data) : side.kind === 'torch' ? await side.open(c, data) : await c.tfjs(side.tf, data);
    let calls = 0;
    const step = side.dispatches
      ? async () => { if (++calls % YIELD_EVERY === 0) await new Promise(setImmediate); return impl.step(); }
      : impl.step;
    await body(impl, step);
  } catch (err) {
    row.sides[side.name] = { error: String(err?.message ?? err) };
    console.log(`  ${side.name.padEnd(14)} ERROR: ${err?.message ?? err}`);
  } finally {
    impl?.dispose();
  }
}

async function main() {
  const webgrad = await init({ backend: 'cpu' });
  if (webgrad.reason) console.warn(`webgrad: ${webgrad.reason}`);
  // A side that --sides leaves out is never loaded: tfjs alone in the heap makes every full GC slower and skews the rest.
  const wanted = (...names) => !onlySides || names.some((n) => onlySides.includes(n));
  const sides = [];
  if (wanted('webgrad-cpu')) {
    sides.push({ name: 'webgrad-cpu', kind: 'webgrad', pairing: 'cpu', description: `webgrad ${webgrad.backend}: ${webgrad.adapter}`,
      activate: () => init({ backend: 'cpu' }) });
  }
  if (wanted('tfjs-wasm', 'tfjs-cpu')) sides.push(...(await tfjsPeers()).filter((p) => wanted(p.name)));
  if (wanted('torch-cpu')) {
    const torch = await torchPeer(getBackend('cpu').threads ?? os.cpus().length);
    if (torch.unavailable) UNAVAILABLE.push({ name: 'torch-cpu', reason: `unavailable: ${torch.unavailable}` });
    else sides.push(torch);
  }
  let gpu;
  if (wanted('webgrad-webgpu', 'tfjs-webgpu')) {
    try {
      gpu = await init({ backend: 'webgpu' });
    } catch (err) {
      UNAVAILABLE.push({ name: 'webgrad-webgpu, tfjs-webgpu', reason: `unavailable: webgrad init({ backend: 'webgpu' }): ${err?.message ?? err}` });
    }
    await init({ backend: 'cpu' });
  }
  if (gpu && wanted('webgrad-webgpu')) {
    sides.push({ name: 'webgrad-webgpu', kind: 'webgrad', pairing: 'webgpu', description: `webgrad ${gpu.backend}: ${gpu.adapter}`,
      activate: () => init({ backend: 'webgpu' }), dispatches: () => getBackend('webgpu').stats().dispatches });
  }
  if (gpu && wanted('tfjs-webgpu')) {
    const peer = await tfjsWebgpuPeer();
    if (peer.unavailable) UNAVAILABLE.push({ name: 'tfjs-webgpu', reason: `unavailable: ${peer.unavailable}` });
    else sides.push(peer);
  }
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version,
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`);
  for (const s of sides) console.log(`  ${s.name}: ${s.description}`);
  for (const u of UNAVAILABLE) console.log(`  ${u.name}: ${u.reason}`);

  const results = [];
  for (const suite of SUITES) {
    for (const c of suite.cases.filter((c) => filters.length === 0 || filters.some((f) => c.id.toLowerCase().includes(f)))) {
      console.log(`\n${c.id} — ${c.label}`);
      await init({ backend: 'cpu' }); // prepare() builds its data (host RNG) on the CPU
      const data = await c.prepare();
      const row = { suite: suite.name, id: c.id, label: c.label, flops: c.flops, sides: {} };
      // Each pairing's webgrad side is its peers' reference; webgrad-webgpu is itself checked against webgrad-cpu.
      const references = {};
      const timed = [];
      for (const side of sides) {
        const skipped = c.skip?.(side.name) ?? side.skip?.(c);
        if (skipped) { row.sides[side.name] = { skipped }; console.log(`  ${side.name.padEnd(14)} ${skipped}`); continue; }
        await use(side, c, data, row, async (impl, step) => {
          const values = impl.check ? await impl.check(CHECK_STEPS) : await firstResults(impl, step);
          const reference = side.kind === 'webgrad' && side.pairing === 'cpu' ? undefined : references[side.pairing] ?? references.cpu;
          if (side.kind === 'webgrad') references[side.pairing] = values;
          const checked = side.pairing !== 'cpu' || side.kind !== 'webgrad';
          if (checked && !reference) throw new Error('no webgrad result to cross-check against');
          const mismatch = checked ? compare(values, reference, c.tolerance) : undefined;
          if (mismatch) {
            if (side.kind === 'webgrad') delete references[side.pairing];
            throw new Error(`cross-check failed: ${mismatch}`);
          }
          timed.push({ side, rounds: [], diff: checked ? maxAbsDiff : undefined });
        });
      }
      // Sides take turns, ROUNDS times, so a burst of noise from the machine (2 shared cores) hits one
      // round of one side, not all of a side's samples; each side keeps its fastest round.
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of timed.filter((t) => !row.sides[t.side.name])) {
          const { side } = t;
          const warmup = round === 0 ? WARMUP : REWARM;
          await use(side, c, data, row, async (impl, step) => {
            t.rounds.push(impl.measure ? await impl.measure({ warmup, bench: BENCH }) : await measure(`${c.id} ${side.name}`, step, warmup));
            if (round === ROUNDS - 1 && side.dispatches) {
              const n = c.dispatchSteps ?? DISPATCH_STEPS;
              const before = side.dispatches();
              for (let i = 0; i < n; i++) await step();
              t.dispatchesPerCall = (side.dispatches() - before) / n;
            }
          });
        }
      }
      for (const t of timed.filter((t) => !row.sides[t.side.name])) {
        const m = t.rounds.reduce((best, r) => (r.medianMs < best.medianMs ? r : best));
        m.roundMediansMs = t.rounds.map((r) => +r.medianMs.toPrecision(4));
        if (t.diff !== undefined) m[t.side.kind === 'webgrad' ? 'maxAbsDiffVsWebgradCpu' : 'maxAbsDiffVsWebgrad'] = t.diff;
        if (c.flops) m.gflops = c.flops / (m.medianMs * 1e6);
        if (t.dispatchesPerCall !== undefined) m.dispatchesPerCall = t.dispatchesPerCall;
        row.sides[t.side.name] = m;
        console.log(`  ${t.side.name.padEnd(14)} ${fmtMs(m.medianMs).padStart(8)} ms  ±${m.rmePct.toFixed(1)}%` +
          (m.gflops ? `  ${m.gflops.toFixed(1).padStart(6)} GFLOP/s` : '') + `  (${m.samples} samples; rounds ${m.roundMediansMs.join(', ')} ms)` +
          (m.dispatchesPerCall !== undefined ? `  ${m.dispatchesPerCall} dispatches/call` : ''));
      }
      results.push(row);
    }
  }

  const pairings = PAIRINGS.map((p) => ({ ...p, sides: sides.filter((s) => s.pairing === p.id).map((s) => s.name) }))
    .filter((p) => p.sides.length > 0);
  const report = { date: new Date().toISOString(), filters, machine, backends: sides.map(({ name, description }) => ({ name, description })),
    unavailable: UNAVAILABLE, pairings: pairings.map(({ id, title, webgrad, dispatches = false, sides }) => ({ id, title, webgrad, dispatches, sides })),
    settings: { ...BENCH, rounds: ROUNDS, warmup: WARMUP, rewarm: REWARM, checkSteps: CHECK_STEPS, dispatchSteps: DISPATCH_STEPS, yieldEvery: YIELD_EVERY }, results };
  for (const s of sides) s.close?.();
  const md = markdown(report);
  console.log(`\n${md}`);
  const dir = path.join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${out}.json`), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(dir, `${out}.md`), md);
  console.log(`wrote bench/results/${out}.json and ${out}.md`);
  if (!filters.length && !onlySides) console.log(updateReadme() ? 'README.md: Performance tables regenerated' : 'README.md: Performance tables unchanged');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
