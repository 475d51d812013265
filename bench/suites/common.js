// What the suites share: seeded input data, tensors on either side, steps that read their result back.
import { manualSeed, randn, tensor, tidy } from 'webgrad';

/** torch.optim.Adam's defaults; tfjs's Adam defaults to epsilon 1e-7, so it is set explicitly. */
export const ADAM = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** GEMMs sum in different orders: |Δ| grows with the length k of each dot product. */
export const gemmTolerance = (k) => ({ rtol: 1e-5, atol: 2e-5 * k });

/**
 * `{ name: { shape, values, int?, requiresGrad? } }` from `{ name: shape | entry }`: entries without
 * values are drawn from N(0, 1) by webgrad's RNG seeded with `seed`, in order (prepare() runs on the CPU).
 */
export async function inputData(seed, inputs) {
  manualSeed(seed);
  const data = {};
  for (const [name, spec] of Object.entries(inputs)) {
    const entry = Array.isArray(spec) ? { shape: spec } : { ...spec };
    if (!entry.values) {
      const t = randn(entry.shape);
      entry.values = await t.data();
      t.dispose();
    }
    data[name] = entry;
  }
  return data;
}

const mapValues = (object, fn) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fn(v)]));
export const webgradTensors = (data) => mapValues(data, (e) => tensor(e.values, { shape: e.shape, requiresGrad: e.requiresGrad }));
export const tfjsTensors = (tf, data) => mapValues(data, (e) => tf.tensor(e.values, e.shape, e.int ? 'int32' : 'float32'));

/** tf.variables for `{ shape, values }` entries; names are unique because tfjs registers them globally. */
export const tfjsVariables = (tf, entries, prefix) =>
  entries.map((e, i) => tf.variable(tf.tensor(e.values, e.shape), true, `${prefix}/${i}/${tf.getBackend()}/${Math.random()}`));

/** Values of `t`, which is then disposed. */
export async function readBack(t) {
  const values = await t.data();
  t.dispose();
  return values;
}

/**
 * prepare/webgrad/tfjs of a case that computes one tensor from fixed inputs (see inputData): each
 * step runs `webgrad(tensors)` or `tfjs(tf, tensors)` under tidy and reads the result back.
 */
export function opCase({ seed, inputs, webgrad, tfjs }) {
  const impl = (tensors, run, dispose) => ({
    step: () => readBack(run(tensors)),
    dispose: () => dispose(Object.values(tensors)),
  });
  return {
    prepare: () => inputData(seed, inputs),
    webgrad: async (data) => impl(webgradTensors(data), (t) => tidy(() => webgrad(t)), (ts) => ts.forEach((t) => t.dispose())),
    tfjs: async (tf, data) => impl(tfjsTensors(tf, data), (t) => tf.tidy(() => tfjs(tf, t)), (ts) => tf.dispose(ts)),
  };
}
