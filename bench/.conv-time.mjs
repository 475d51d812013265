import { init } from 'webgrad';
import suite from '/work/main/bench/suites/conv.js';
import { loadTfjs } from '/work/main/bench/peers.js';
const which = process.argv[2] ?? 'cpu';
await init({ backend: 'cpu' });
const c = suite.cases[Number(process.argv[3] ?? 0)];
const data = await c.prepare();
const time = async (name, impl) => {
  const s = await impl;
  let v = await s.step();
  const t0 = performance.now(); const n = 3;
  for (let i = 0; i < n; i++) v = await s.step();
  console.log(name, ((performance.now() - t0) / n).toFixed(1), 'ms', v.slice(0, 3));
  s.dispose();
};
if (which === 'cpu' || which === 'webgpu') { await init({ backend: which }); await time('webgrad-' + which, c.webgrad(data)); }
else { const tf = await loadTfjs(); await tf.setBackend(which.replace('tfjs-', '')); await tf.ready(); await time('tfjs-' + which, c.tfjs(tf, data)); }
