#!/usr/bin/env node
// A researcher's long session, for leaks and drift: `node bench/long-loop.js <training case id> [cpu|webgpu] [steps]`
// runs the case's training step `steps` times (default 3000) and prints, five times, the time per step,
// the loss, webgrad's live tensors and bytes (memory()), and the process's RSS, JS heap and external memory
// (run it with `node --expose-gc` to read them after a full collection).
import { init, memory } from 'webgrad';
import training from './suites/training.js';
const [id, device, steps] = [process.argv[2], process.argv[3] ?? 'cpu', +(process.argv[4] ?? 3000)];
await init({ backend: 'cpu' });
const c = training.cases.find((c) => c.id === id);
const data = await c.prepare();
await init({ backend: device });
const impl = await c.webgrad(data);
let t0 = performance.now(), last;
for (let i = 1; i <= steps; i++) {
  last = await impl.step();
  if (i % (steps / 5) === 0) {
    globalThis.gc?.(); // with node --expose-gc: RSS and heap after a full collection, so growth means a leak
    const m = memory(device);
    console.log(`step ${i}: ${((performance.now() - t0) / (steps / 5)).toFixed(3)} ms/step, loss ${last[0].toFixed(5)}, live ${JSON.stringify(m)}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(1)} MiB`);
    t0 = performance.now();
  }
}
