// Softmax cross-entropy of logits [256,1000] against integer class labels, mean over the batch:
// the loss alone, and its gradient with respect to the logits (the backward pass of a classifier head).
// Both sides take the labels as integers each call (webgrad's crossEntropy one-hot-encodes them
// internally; tfjs's softmaxCrossEntropy needs tf.oneHot first).
import { grad, nn } from 'webgrad';
import { opCase } from './common.js';

const [N, C] = [256, 1000];
const LABELS = Float32Array.from({ length: N }, (_, i) => (i * 7919) % C); // spread over the classes

const webgradLoss = (logits, labels) => nn.functional.crossEntropy(logits, labels);
const tfjsLoss = (tf, logits, labels) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, C), logits);

const CASES = [
  { id: 'loss', label: `cross-entropy loss, logits [${N},${C}], integer labels`,
    webgrad: ({ logits, labels }) => webgradLoss(logits, labels),
    tfjs: (tf, { logits, labels }) => tfjsLoss(tf, logits, labels) },
  { id: 'grad', requiresGrad: true, label: `cross-entropy ∂loss/∂logits, logits [${N},${C}]`,
    webgrad: ({ logits, labels }) => grad(webgradLoss(logits, labels), logits)[0],
    tfjs: (tf, { logits, labels }) => tf.grad((l) => tfjsLoss(tf, l, labels))(logits) },
];

export default {
  name: 'cross-entropy',
  title: 'Softmax cross-entropy with integer labels (mean), forward and gradient; result read back',
  cases: CASES.map((c) => ({
    id: `cross-entropy/${c.id}`,
    label: c.label,
    tolerance: { rtol: 1e-5, atol: 1e-7 },
    ...opCase({
      seed: 4,
      inputs: { logits: { shape: [N, C], requiresGrad: c.requiresGrad }, labels: { shape: [N], values: LABELS, int: true } },
      webgrad: c.webgrad,
      tfjs: c.tfjs,
    }),
  })),
};
