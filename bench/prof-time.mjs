import { init } from 'webgrad';
import { getBackend } from '../dist/device.js';
import training from './suites/training.js';
await init({ backend: 'cpu' });
const c = training.cases.find((c) => c.id === (process.argv[2] ?? 'train/multitask-large'));
const impl = await c.webgrad(await c.prepare());
for (let i = 0; i < 30; i++) await impl.step();
const b = getBackend('cpu');
const time = {};
const proto = Object.getPrototypeOf(b);
for (const name of Object.getOwnPropertyNames(proto)) {
  const f = b[name]; if (typeof f !== 'function' || name === 'constructor' || name.startsWith('view') || name === 'alloc' || name === 'wrap' || name === 'axis') continue;
  b[name] = function (...args) {
    const key = name === 'matmul' ? `matmul ${args[2].a.shape}·${args[2].b.shape}` : name;
    const t0 = performance.now(); const r = f.apply(this, args); const t = time[key] ??= [0, 0]; t[0] += performance.now() - t0; t[1]++; return r;
  };
}
const N = 100;
const t0 = performance.now();
for (let i = 0; i < N; i++) await impl.step();
const total = (performance.now() - t0) / N;
let sum = 0;
for (const [k, [t, n]] of Object.entries(time).sort((a, b) => b[1][0] - a[1][0])) { sum += t / N; console.log((t / N).toFixed(3).padStart(7), 'ms', String(n / N).padStart(4), 'x', k); }
console.log(total.toFixed(3), 'ms/step;', sum.toFixed(3), 'in backend calls');
