// Gradients on the GPU: fit w in y = x·w by gradient descent, then a second derivative.
// Run: npm run build && node examples/quickstart.js
import { init, grad, manualSeed, randn, tensor, tidy } from 'webgrad';

const { backend, adapter, reason } = await init(); // WebGPU through Dawn if an adapter exists, else CPU
console.log(`device: ${backend} (${adapter})${reason ? ` — ${reason}` : ''}`);

manualSeed(0);
const x = randn([256, 8]);
const y = x.matmul(randn([8, 1]));
let w = randn([8, 1], { requiresGrad: true });

for (let step = 0; step <= 300; step++) {
  const [loss, next] = tidy(() => {
    const loss = x.matmul(w).sub(y).pow(2).mean();
    const [dw] = grad(loss, w);
    return [loss, w.sub(dw.mul(0.1)).detach()];
  });
  w.dispose();
  w = next;
  w.requiresGrad = true;
  if (step % 100 === 0) console.log(`step ${step}: loss ${(await loss.item()).toExponential(3)}`);
  loss.dispose();
}

// Higher order: d²/dt² tanh(t) = -2·tanh(t)·(1 - tanh²(t)).
const t = tensor(0.5, { requiresGrad: true });
const [dt] = grad(t.tanh(), t, { createGraph: true });
const [d2t] = grad(dt, t);
console.log(`d²/dt² tanh(t) at 0.5 = ${(await d2t.item()).toFixed(6)} (exact ${(-2 * Math.tanh(0.5) * (1 - Math.tanh(0.5) ** 2)).toFixed(6)})`);
