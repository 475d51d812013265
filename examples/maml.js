// MAML on the sinusoid tasks of Finn et al. 2017 (§5.1): meta-train a 1-40-40-1 MLP so that one SGD
// step on 10 points of a new sine fits it, then show the test MSE before and after that step.
// Run: npm run build && node examples/maml.js
import { data, init, manualSeed, meta, nn, optim, tidy } from 'webgrad';

await init({ backend: 'cpu' }); // small nets run fastest on the native CPU backend
manualSeed(0);
const model = new nn.Sequential(new nn.Linear(1, 40), new nn.ReLU(), new nn.Linear(40, 40), new nn.ReLU(), new nn.Linear(40, 1));
const maml = new meta.MAML(model, { lr: 0.01 }); // firstOrder: true for FOMAML
const adam = new optim.Adam(maml.parameters(), { lr: 1e-3 });
const tasks = data.sinusoidTasks({ shots: 10, seed: 0 });
const perTask = (y, t) => nn.functional.mseLoss(y, t, { reduction: 'none' }).mean([1, 2]);

for (let step = 1; step <= 3000; step++) {
  const loss = tidy(() => {
    adam.zeroGrad();
    const { support, supportTargets, query, queryTargets } = tasks.sampleBatch(25);
    const learner = maml.clone({ tasks: 25 }); // the meta-batch as one computation
    learner.adapt(perTask(learner.forward(support), supportTargets));
    const queryLoss = perTask(learner.forward(query), queryTargets).mean();
    queryLoss.backward(); // second order: through the inner step to the model
    adam.step();
    return queryLoss.detach();
  });
  if (step % 500 === 0) console.log(`meta-iteration ${step}: query MSE after one step ${(await loss.item()).toFixed(3)}`);
  loss.dispose();
}

const test = data.sinusoidTasks({ shots: 10, queries: 100, seed: 1 }).sampleBatch(100);
const [before, after] = tidy(() => {
  const learner = maml.clone({ tasks: 100 });
  const mse = () => perTask(learner.forward(test.query), test.queryTargets).mean().detach();
  const first = mse();
  learner.adapt(perTask(learner.forward(test.support), test.supportTargets));
  return [first, mse()];
});
console.log(`100 new tasks: MSE ${(await before.item()).toFixed(3)} before adapting, ${(await after.item()).toFixed(3)} after one step`);
