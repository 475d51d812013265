// Checks analytical gradients against central finite differences, in float64 on the
// reference backend (like torch.autograd.gradcheck).
import { getBackend } from '../device.js';
import { tidy } from '../memory.js';
import { normalValues } from '../random.js';
import { contiguousLayout, formatShape } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';
import { grad } from './engine.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

const referenceTensor = (values: Float64Array, like: Tensor, requiresGrad: boolean): Tensor => {
  const t = TensorHandle.fromStorage('reference', getBackend('reference').upload(values), contiguousLayout(like.shape));
  t.requiresGrad = requiresGrad;
  return t;
};

/**
 * Compares d(fn·v)/d(input) for a random fixed v against finite differences, for every input that
 * requires grad. Inputs must be on the 'reference' device. Throws naming the input and element on mismatch;
 * returns the largest absolute error.
 */
export async function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): Promise<number> {
  const { eps = 1e-6, atol = 1e-6, rtol = 1e-4 } = options;
  if (inputs.some((t) => t.device !== 'reference')) throw new Error("gradcheck: inputs must be on the 'reference' device (the float64 backend); make them with { device: 'reference' }");
  const values = await Promise.all(inputs.map(async (t) => Float64Array.from(await t.rawData())));
  const base = values.map((v, i) => referenceTensor(v, inputs[i], inputs[i].requiresGrad));
  const probe = tidy(() => fn(...base));
  const v = referenceTensor(Float64Array.from(normalValues(probe.size)), probe, false);
  probe.dispose();
  const scalar = (out: Tensor): Tensor => out.mul(v).sum();

  const wanted = base.filter((t) => t.requiresGrad);
  const analytical = await Promise.all(tidy(() => grad(scalar(fn(...base)), wanted, { allowUnused: true })).map((g) => g.rawData()));

  const evaluate = async (at: Float64Array[]): Promise<number> => {
    const shifted = at.map((vals, i) => referenceTensor(vals, inputs[i], inputs[i].requiresGrad));
    const out = tidy(() => scalar(fn(...shifted)));
    const value = (await out.rawData())[0];
    out.dispose();
    shifted.forEach((t) => t.dispose());
    return value;
  };

  let worst = 0;
  let w = 0;
  for (let i = 0; i < inputs.length; i++) {
    if (!inputs[i].requiresGrad) continue;
    const g = analytical[w++];
    for (let j = 0; j < values[i].length; j++) {
      const plus = values.map((x) => x.slice());
      const minus = values.map((x) => x.slice());
      plus[i][j] += eps;
      minus[i][j] -= eps;
      const numeric = ((await evaluate(plus)) - (await evaluate(minus))) / (2 * eps);
      const error = Math.abs(numeric - g[j]);
      if (error > atol + rtol * Math.abs(numeric)) {
        throw new Error(`gradcheck: input ${i} ${formatShape(inputs[i].shape)}, element ${j}: analytical ${g[j]} vs numerical ${numeric}`);
      }
      worst = Math.max(worst, error);
    }
  }
  base.forEach((t) => t.dispose());
  v.dispose();
  return worst;
}
