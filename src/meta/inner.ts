// The inner loop's update rules, written with tensor ops so that, in a graph-recording step, the
// update itself is differentiable (higher's differentiable optimizers): SGD, and Adam whose moments
// are tensors of the graph, so the meta-gradient flows through them too.
import { numberOption } from '../check.js';
import { where } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

export type InnerOptimizer = 'sgd' | 'adam';
export const INNER_OPTIMIZERS: readonly InnerOptimizer[] = ['sgd', 'adam'];

export interface InnerAdamOptions {
  /** Adam's β₁, β₂ (default 0.9, 0.999, as torch.optim.Adam). */
  betas?: readonly [number, number];
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
}

/** One parameter's Adam moments and step count. */
export interface AdamMoments {
  m: Tensor;
  v: Tensor;
  step: number;
}

/** θ − lr·g: lr a number, or a tensor of θ's shape (Meta-SGD's learnt rates). */
export const sgdStep = (theta: Tensor, g: Tensor, lr: number | Tensor): Tensor => theta.sub(g.mul(lr));

/**
 * One Adam step from `state` (the first: none), with torch.optim.Adam's bias correction:
 * m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², θ − lr·m̂ / (√v̂ + ε). √ is taken where v̂ > 0 only, so a
 * zero second moment (an unused weight) has a zero derivative, not 0·∞.
 */
export function adamStep(op: string, theta: Tensor, g: Tensor, lr: number | Tensor, state: AdamMoments | undefined, options: InnerAdamOptions): [Tensor, AdamMoments] {
  const [beta1, beta2] = options.betas ?? [0.9, 0.999];
  numberOption(op, 'betas[0]', beta1, 0, { max: 0.999999 });
  numberOption(op, 'betas[1]', beta2, 0, { max: 0.999999 });
  const eps = numberOption(op, 'eps', options.eps ?? 1e-8, 0);
  const step = (state?.step ?? 0) + 1;
  const m = state ? state.m.mul(beta1).add(g.mul(1 - beta1)) : g.mul(1 - beta1);
  const v = state ? state.v.mul(beta2).add(g.square().mul(1 - beta2)) : g.square().mul(1 - beta2);
  const vHat = v.div(1 - beta2 ** step);
  const positive = vHat.gt(0);
  const root = where(positive, where(positive, vHat, 1).sqrt(), 0);
  const update = m.div(1 - beta1 ** step).div(root.add(eps));
  return [theta.sub(update.mul(lr)), { m, v, step }];
}
