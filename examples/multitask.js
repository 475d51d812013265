// The article's multi-task example (section 4.1): one shared Linear layer, one Linear head per task,
// trained with Adam on MSE. Run: npm run build && node examples/multitask.js
import { cat, init, manualSeed, models, nn, optim, randn, tidy } from 'webgrad';

const { backend } = await init(); // WebGPU through Dawn if an adapter exists, else CPU
manualSeed(0);

const [inputDim, taskNum, hiddenDim] = [10, 3, 5];
const model = new models.MultiTaskNet(inputDim, taskNum, hiddenDim);
const optimizer = new optim.Adam(model.parameters()); // lr 1e-3
const criterion = new nn.MSELoss();

const xTrain = randn([100, inputDim]);
const yTrain = randn([100, taskNum]);
// Each head's target is its own column, kept as [100,1]: y[:, i:i+1], not the article's y[:, i].
const targets = Array.from({ length: taskNum }, (_, i) => yTrain.narrow(1, i, 1));

const history = []; // history[epoch - 1] = [task 1's loss, task 2's, task 3's]
let pending = []; // the epochs since the last readback: one [taskNum] loss tensor each, on the device
for (let epoch = 1; epoch <= 1000; epoch++) {
  pending.push(tidy(() => {
    optimizer.zeroGrad();
    const { tasks } = model.forward(xTrain);
    const losses = tasks.map((output, i) => criterion.forward(output, targets[i]));
    losses.reduce((a, b) => a.add(b)).backward();
    optimizer.step();
    return cat(losses.map((l) => l.detach().reshape([1])));
  }));
  if (epoch % 100 === 0) {
    const block = cat(pending);
    const values = await block.data(); // one GPU sync for 100 epochs
    [block, ...pending].forEach((t) => t.dispose());
    pending = [];
    for (let at = 0; at < values.length; at += taskNum) history.push(Array.from(values.subarray(at, at + taskNum)));
    console.log(`epoch ${epoch}: ${history.at(-1).map((v, i) => `task${i + 1} ${v.toFixed(4)}`).join('  ')}`);
  }
}
console.log(`trained on ${backend}`);
