// The Conv-4 few-shot backbone (ProtoNets, MAML): 4 × [conv 3×3 (64 channels, padding 1, bias) +
// BatchNorm (batch statistics) + ReLU + max-pool 2], on 28×28×1 images, batch 100: one forward and
// backward; the gradient of the first conv's weight is read back (it depends on every layer). Each
// framework in its own layout: webgrad NCHW / OIHW, tfjs NHWC / HWIO (its only conv layout);
// both start from the same weights and see the same images.
import { manualSeed, nn, randn, tensor, tidy } from 'webgrad';

const BATCH = 100;
const SIZE = 28;
const CHANNELS = [1, 64, 64, 64, 64];
const EPS = 1e-5;
const SEED = 0;

/** The backbone as webgrad modules (PyTorch's Conv-4). */
function backbone() {
  const blocks = [];
  for (let i = 0; i < 4; i++) {
    blocks.push(new nn.Conv2d(CHANNELS[i], CHANNELS[i + 1], 3, { padding: 1 }), new nn.BatchNorm2d(CHANNELS[i + 1], { eps: EPS }), new nn.ReLU(), new nn.MaxPool2d(2));
  }
  return new nn.Sequential(...blocks);
}

/** OIHW → HWIO (tfjs's filter layout). */
function toHwio(values, [o, i, h, w]) {
  const out = new Float32Array(values.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let c = 0; c < h; c++) for (let d = 0; d < w; d++) out[((c * w + d) * i + b) * o + a] = values[((a * i + b) * h + c) * w + d];
  return out;
}

/** Conv MACs of the forward: 2·MACs is its FLOPs, backward twice that. */
const forwardFlops = () => {
  let flops = 0;
  let size = SIZE;
  for (let i = 0; i < 4; i++) {
    flops += 2 * BATCH * size * size * CHANNELS[i + 1] * CHANNELS[i] * 9;
    size = Math.floor(size / 2);
  }
  return flops;
};

export default {
  name: 'conv',
  title: 'Conv-4 backbone (4 × [conv3×3 64 + BN + ReLU + maxpool 2]), 28×28×1, batch 100: forward + backward',
  cases: [true, false].map((backward) => ({
    id: backward ? 'conv/conv4-fwd-bwd' : 'conv/conv4-fwd',
    label: `Conv-4, 28×28×1, batch 100, ${backward ? 'fwd+bwd' : 'fwd (train-mode BN)'}`,
    flops: (backward ? 3 : 1) * forwardFlops(),
    torch: { batch: BATCH, size: SIZE, eps: EPS, backward },
    // fwd+bwd: the first conv's weight gradient, summed over 100·28·28 positions through four BN layers.
    tolerance: backward ? { rtol: 2e-3, atol: 2e-4 } : { rtol: 1e-4, atol: 1e-4 },
    skip: (side) => {
      if (backward && side === 'tfjs-wasm') return 'tfjs-wasm 4.22 has no Conv2DBackpropFilter kernel (a conv weight gradient throws)';
      if (backward && side === 'tfjs-cpu') return 'too slow: 138 s a call (measured once on the dev VM), ≈25 min to sample';
      return undefined;
    },
    async prepare() {
      manualSeed(SEED);
      const net = backbone();
      const x = randn([BATCH, 1, SIZE, SIZE]);
      const convs = net.children().filter((m) => m instanceof nn.Conv2d);
      const data = {
        x: await x.data(),
        convs: await Promise.all(convs.map(async (c) => ({ shape: [...c.weight.shape], weight: await c.weight.data(), bias: await c.bias.data() }))),
      };
      x.dispose();
      return data;
    },
    async webgrad(data) {
      const net = backbone();
      const convs = net.children().filter((m) => m instanceof nn.Conv2d);
      const weights = Object.fromEntries(convs.flatMap((c, i) => [
        [`${4 * i}.weight`, tensor(data.convs[i].weight, { shape: data.convs[i].shape })],
        [`${4 * i}.bias`, tensor(data.convs[i].bias)],
      ]));
      net.loadStateDict(weights, { strict: false }); // copies the values in
      Object.values(weights).forEach((t) => t.dispose());
      const x = tensor(data.x, { shape: [BATCH, 1, SIZE, SIZE] });
      const first = convs[0].weight;
      return {
        async step() {
          const g = tidy(() => {
            if (!backward) return net.forward(x);
            net.zeroGrad();
            net.forward(x).square().mean().backward();
            return first.grad.detach();
          });
          const values = await g.data();
          g.dispose();
          return values;
        },
        dispose() {
          x.dispose();
          net.parameters().forEach((p) => p.dispose());
        },
      };
    },
    async tfjs(tf, data) {
      const x = tf.tensor4d(data.x, [BATCH, SIZE, SIZE, 1]); // NCHW with one channel is NHWC
      const filters = data.convs.map((c, i) => tf.variable(tf.tensor4d(toHwio(c.weight, c.shape), [3, 3, c.shape[1], c.shape[0]]), true, `conv4/${i}/${tf.getBackend()}/${Math.random()}`));
      const biases = data.convs.map((c, i) => tf.variable(tf.tensor1d(c.bias), true, `conv4/b${i}/${tf.getBackend()}/${Math.random()}`));
      const gammas = CHANNELS.slice(1).map((c) => tf.variable(tf.ones([c])));
      const betas = CHANNELS.slice(1).map((c) => tf.variable(tf.zeros([c])));
      const features = () => {
        let h = x;
        for (let i = 0; i < 4; i++) {
          h = tf.add(tf.conv2d(h, filters[i], 1, 'same'), biases[i]);
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          h = tf.maxPool(tf.relu(tf.batchNorm(h, mean, variance, betas[i], gammas[i], EPS)), 2, 2, 'valid');
        }
        return h;
      };
      const loss = () => tf.mean(tf.square(features()));
      const varList = [...filters, ...biases, ...gammas, ...betas];
      return {
        async step() {
          const g = tf.tidy(() => {
            if (!backward) return features(); // [100, 1, 1, 64]: the same order as NCHW [100, 64, 1, 1]
            const { grads } = tf.variableGrads(loss, varList);
            const first = grads[filters[0].name]; // [3, 3, 1, 64] HWIO → OIHW for the comparison
            return tf.transpose(first, [3, 2, 0, 1]);
          });
          const values = await g.data();
          g.dispose();
          return values;
        },
        dispose() {
          tf.dispose([x, ...varList]);
        },
      };
    },
  })),
};
