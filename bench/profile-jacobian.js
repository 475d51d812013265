#!/usr/bin/env node
// Where the time of the trunk Jacobian (bench case mtl/large-jacobian-T8) goes, on one backend:
// `node bench/profile-jacobian.js cpu|webgpu`. Times (medians of 20 after 5 warm-ups, each ending in
// a readback) the forward alone, forward + the summed backward, forward + the Jacobian, and the
// products that bound them: the weight gradient's GEMM once ([1024, 256]·[256, 512], what the summed
// backward does) and batched over the 8 tasks (what the Jacobian must do: 8× the FLOPs).
import { init, manualSeed, models, mtl, grad, nn, randn, tidy } from 'webgrad';

const device = process.argv[2] ?? 'cpu';
await init({ backend: device });
manualSeed(0);
const [B, IN, H, T] = [256, 512, 1024, 8];
const net = new models.HardSharingNet({ trunk: new nn.Sequential(new nn.Linear(IN, H), new nn.ReLU()), heads: Array.from({ length: T }, () => new nn.Linear(H, 1)) });
const [x, y] = [randn([B, IN]), randn([B, T])];
const trunk = net.trunk.parameters();
const losses = () => net.forward(x).tasks.map((o, t) => nn.functional.mseLoss(o, y.narrow(1, t, 1)));
const gOut = randn([B, H]);
const gBatch = randn([T, B, H]);

async function time(label, fn, flops) {
  const once = async () => {
    const out = tidy(fn);
    await out.data();
    out.dispose();
  };
  for (let i = 0; i < 5; i++) await once();
  const samples = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[10];
  console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(8)} ms${flops ? `  ${(flops / ms / 1e6).toFixed(1)} GFLOP/s` : ''}`);
  return ms;
}

const sumSq = (gs) => gs.map((g) => g.square().sum()).reduce((a, b) => a.add(b));
console.log(`device ${device}; Linear ${IN}→${H} + ReLU, ${T} heads, batch ${B}`);
const fwd = await time('forward (8 losses, summed)', () => losses().reduce((a, b) => a.add(b)));
const summed = await time('forward + backward of Σ losses to the trunk', () => sumSq(grad(losses().reduce((a, b) => a.add(b)), trunk)));
const jac = await time('forward + mtl.jacobian (8 losses, the trunk)', () => sumSq(mtl.jacobian(losses(), trunk)));
const flops = 2 * H * B * IN;
const one = await time('weight-gradient GEMM gᵀ·x, once', () => gOut.T.matmul(x), flops);
const batched = await time('the same GEMM batched over 8 tasks', () => gBatch.transpose(1, 2).matmul(x), T * flops);
console.log(`\nJacobian / summed backward: ${(jac / summed).toFixed(2)}×; (Jacobian − forward) / (summed − forward): ${((jac - fwd) / (summed - fwd)).toFixed(2)}×`);
console.log(`the 8 GEMMs alone take ${(batched / summed).toFixed(2)}× the whole summed step; the floor (forward + 8 GEMMs) is ${((fwd + batched) / summed).toFixed(2)}× it`);
process.exit(0);
