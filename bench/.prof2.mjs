import { init, nn, randn, tidy } from 'webgrad';
import { getBackend } from '../dist/device.js';
await init({ backend: process.argv[2] ?? 'cpu' });
const blocks = [];
const CH = [1, 64, 64, 64, 64];
for (let i = 0; i < 4; i++) blocks.push(new nn.Conv2d(CH[i], CH[i + 1], 3, { padding: 1 }), new nn.BatchNorm2d(CH[i + 1]), new nn.ReLU(), new nn.MaxPool2d(2));
const x = randn([100, 1, 28, 28]);
const times = new Array(blocks.length).fill(0);
for (let rep = 0; rep < 4; rep++) {
  let h = x;
  const made = [];
  for (const [i, m] of blocks.entries()) {
    const t0 = performance.now();
    h = m.forward(h); await h.data();
    if (rep > 0) times[i] += performance.now() - t0;
    made.push(h);
  }
  made.forEach((t) => t.dispose());
}
console.log(blocks.map((m, i) => `${m.constructor.name} ${(times[i] / 3).toFixed(1)}`).join('\n'));
console.log('total', (times.reduce((a, b) => a + b) / 3).toFixed(1));
