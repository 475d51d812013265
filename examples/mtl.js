// Multi-task learning with conflicting gradients: the article's shared trunk and three heads, each
// task's gradient kept apart (one backward for the Jacobian) and combined by UPGrad instead of summed.
// Swap the method line for another aggregator or a loss weighting. Run: npm run build && node examples/mtl.js
import { init, manualSeed, models, mtl, nn, optim, randn, tidy } from 'webgrad';

const { backend } = await init(); // WebGPU through Dawn if an adapter exists, else CPU
manualSeed(0);

const model = new models.HardSharingNet({
  trunk: new nn.Sequential(new nn.Linear(10, 32), new nn.ReLU()),
  heads: [0, 1, 2].map(() => new nn.Linear(32, 1)),
});
const method = { aggregator: new mtl.aggregators.UPGrad() }; // or { weighting: new mtl.weighting.DWA({ tasks: 3 }) }
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });

const x = randn([128, 10]);
// Three regression tasks that pull the shared features apart.
const targets = tidy(() => [x.narrow(1, 0, 1).mul(2), x.narrow(1, 0, 1).mul(-1).add(x.narrow(1, 1, 1)), x.narrow(1, 2, 1).square()]);

for (let step = 1; step <= 300; step++) {
  optimizer.zeroGrad();
  const { shared, losses } = tidy(() => {
    const { shared, tasks } = model.forward(x);
    return { shared, losses: tasks.map((out, t) => nn.functional.mseLoss(out, targets[t])) };
  });
  const { weights } = await mtl.backward(losses, { shared: model.trunk, features: shared, ...method });
  optimizer.step();
  if (step % 100 === 0) {
    const values = await Promise.all(losses.map((l) => l.item()));
    console.log(`step ${step}: losses ${values.map((v) => v.toFixed(4)).join(', ')}; UPGrad's weights ${weights.map((w) => w.toFixed(3)).join(', ')}`);
  }
  [shared, ...losses].forEach((t) => t.dispose());
}
console.log(`trained on ${backend}`);
