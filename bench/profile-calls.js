#!/usr/bin/env node
// Where one bench case's time goes, by backend call: `node bench/profile-calls.js <case id> [cpu|webgpu]`
// (e.g. train/multitask-large). Runs the case's webgrad side, then times every call into the backend
// (matmuls by shape) over 100 calls of the case and prints ms per call of the case, slowest first,
// beside the case's own time. On webgpu a call's time is its encoding, not the GPU's work.
import { init } from 'webgrad';
import { getBackend } from '../dist/device.js';
import { SUITES } from './suites/index.js';

const [id, device = 'cpu'] = process.argv.slice(2);
const c = SUITES.flatMap((s) => s.cases).find((c) => c.id === id);
if (!c) {
  console.error(`usage: node bench/profile-calls.js <case id> [cpu|webgpu]; case ids: ${SUITES.flatMap((s) => s.cases.map((c) => c.id)).join(', ')}`);
  process.exit(1);
}
await init({ backend: 'cpu' }); // prepare() builds its data on the CPU, as run.js does
const data = await c.prepare();
await init({ backend: device });
const impl = await c.webgrad(data);
for (let i = 0; i < 30; i++) await impl.step();

const backend = getBackend(device);
const time = new Map();
const HELPERS = new Set(['constructor', 'alloc', 'wrap', 'axis', 'recent', 'release', 'view']);
for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(backend))) {
  const f = backend[name];
  if (typeof f !== 'function' || HELPERS.has(name)) continue;
  backend[name] = function (...args) {
    const key = name === 'matmul' ? `matmul [${args[2].a.shape}]·[${args[2].b.shape}]` : typeof args[0] === 'string' ? `${name} ${args[0]}` : name;
    const t0 = performance.now();
    const out = f.apply(this, args);
    const t = time.get(key) ?? time.set(key, { ms: 0, calls: 0 }).get(key);
    t.ms += performance.now() - t0;
    t.calls++;
    return out;
  };
}
const N = 100;
const t0 = performance.now();
for (let i = 0; i < N; i++) await impl.step();
const perCall = (performance.now() - t0) / N;
impl.dispose();
for (const [key, t] of [...time].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(t.ms / N).toFixed(3).padStart(8)} ms  ${String(t.calls / N).padStart(4)}×  ${key}`);
}
console.log(`${perCall.toFixed(3)} ms per call of ${id} on ${device} (calls nest: read includes readSync, softmax its axis pass)`);
