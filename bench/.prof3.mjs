import { init, nn, randn, tidy } from 'webgrad';
await init({ backend: 'webgpu' });
const F = nn.functional;
const time = async (name, fn) => { for (let i = 0; i < 1; i++) { const r = tidy(fn); await r.data(); r.dispose(); }
  const t0 = performance.now(); for (let i = 0; i < 2; i++) { const r = tidy(fn); await r.data(); r.dispose(); } console.log(name, ((performance.now()-t0)/2).toFixed(1), 'ms'); };
const x1 = randn([100, 1, 28, 28]), w1 = randn([64, 1, 3, 3]), b = randn([64]);
const x2 = randn([100, 64, 14, 14]), w2 = randn([64, 64, 3, 3]);
const h = randn([100, 64, 28, 28]);
const bn = new nn.BatchNorm2d(64);
await time('conv1 28x28 1->64', () => F.conv2d(x1, w1, b, { padding: 1 }));
await time('conv2 14x14 64->64', () => F.conv2d(x2, w2, b, { padding: 1 }));
await time('x2 @ (matmul 64x576x19600 equiv)', () => randn([64, 576]).matmul(randn([576, 19600])));
await time('bn 64x28x28', () => bn.forward(h));
await time('relu', () => h.relu());
await time('maxpool', () => F.maxPool2d(h, 2));
