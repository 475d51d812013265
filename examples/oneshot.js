// The article's one-shot example (section 4.2): one Linear layer fit to a single example with Adam
// on MSE. Run: npm run build && node examples/oneshot.js
import { init, manualSeed, models, nn, optim, randn, tidy } from 'webgrad';

const { backend } = await init(); // WebGPU through Dawn if an adapter exists, else CPU
manualSeed(0);

const [inputDim, outputDim] = [10, 3];
const model = new models.OneShotNet(inputDim, outputDim);
const optimizer = new optim.Adam(model.parameters()); // lr 1e-3
const criterion = new nn.MSELoss();

const xTrain = randn([1, inputDim]);
const yTrain = randn([1, outputDim]);

for (let epoch = 1; epoch <= 1000; epoch++) {
  const loss = tidy(() => {
    optimizer.zeroGrad();
    const loss = criterion.forward(model.forward(xTrain), yTrain);
    loss.backward();
    optimizer.step();
    return loss.detach();
  });
  // Reading a value back waits for the GPU: do it now and then, not every epoch.
  if (epoch % 100 === 0) console.log(`epoch ${epoch}: loss ${(await loss.item()).toExponential(3)}`);
  loss.dispose();
}
console.log(`trained on ${backend}`);
