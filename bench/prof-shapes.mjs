import { init } from 'webgrad';
import { getBackend } from '../dist/device.js';
import training from './suites/training.js';
await init({ backend: 'cpu' });
const c = training.cases.find((c) => c.id === (process.argv[2] ?? 'train/multitask-large'));
const impl = await c.webgrad(await c.prepare());
await impl.step();
const b = getBackend('cpu');
const counts = {};
for (const name of ['matmul', 'unary', 'binary', 'reduce', 'fill', 'copy', 'adamStep', 'scatterAdd', 'gather']) {
  const f = b[name]; if (!f) continue;
  b[name] = function (...args) {
    const key = name === 'matmul' ? `matmul ${args[2].a.shape}·${args[2].b.shape} a[${args[2].a.strides}] b[${args[2].b.strides}]${args[2].bias ? ' +bias' : ''}` : name;
    counts[key] = (counts[key] ?? 0) + 1; return f.apply(this, args);
  };
}
await impl.step();
for (const [k, v] of Object.entries(counts)) console.log(v, k);
