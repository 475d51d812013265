// Adagrad (torch.optim.Adagrad): θ ← θ − clr·g / (√s + ε), s the running sum of g² (from
// initialAccumulatorValue), clr = lr / (1 + (step − 1)·lrDecay). Composed of tensor ops (see
// composedUpdate); a fused multi-tensor kernel, like Adam's, is the follow-up.
import { full } from '../creation.js';
import { checkNonNegative, withLr } from './options.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';
import { composedUpdate, type ParamUpdate, type StateKey } from './state.js';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  /** λ: adds λθ to the gradient. */
  weightDecay: number;
  /** The running sum's starting value. */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability. */
  eps: number;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  static readonly defaults: Readonly<AdagradOptions> = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 };

  /** `options` may be a number: the learning rate, as torch.optim.Adagrad(params, 0.01). */
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> | number = {}) {
    super(params, Adagrad.defaults, withLr(options));
  }

  protected checkOptions({ lr, lrDecay, weightDecay, initialAccumulatorValue, eps }: AdagradOptions, where: string): void {
    checkNonNegative(where, 'lr', lr);
    checkNonNegative(where, 'lrDecay', lrDecay);
    checkNonNegative(where, 'weightDecay', weightDecay);
    checkNonNegative(where, 'initialAccumulatorValue', initialAccumulatorValue);
    checkNonNegative(where, 'eps', eps);
  }

  protected requiredState(): readonly StateKey[] {
    return ['sum'];
  }

  protected update(updates: readonly ParamUpdate[], { lr, lrDecay, weightDecay, initialAccumulatorValue, eps }: ParamGroup<AdagradOptions>): void {
    composedUpdate(updates, ({ param, grad: g0, state }) => {
      const grad = weightDecay !== 0 ? g0.add(param.mul(weightDecay)) : g0;
      const clr = lr / (1 + (state.step - 1) * lrDecay);
      const sum = (state.sum ?? full([...param.shape], initialAccumulatorValue, { device: param.device })).add(grad.mul(grad));
      return { param: param.sub(grad.div(sum.sqrt().add(eps)).mul(clr)), state: { sum } };
    });
  }
}
