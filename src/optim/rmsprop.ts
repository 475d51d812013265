// RMSprop (torch.optim.RMSprop): θ ← θ − lr·g / (√v + ε), v the running average of g² (centered:
// minus the squared running average of g), optionally through a momentum buffer. Composed of tensor
// ops (see composedUpdate); a fused multi-tensor kernel, like Adam's, is the follow-up.
import { checkBeta, checkNonNegative, withLr } from './options.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';
import { composedUpdate, type ParamUpdate, type StateKey } from './state.js';

export interface RmspropOptions {
  lr: number;
  /** Decay rate of the running averages. */
  alpha: number;
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** λ: adds λθ to the gradient. */
  weightDecay: number;
  momentum: number;
  /** Normalise by the estimated variance of the gradient instead of its second moment. */
  centered: boolean;
}

export class RMSprop extends Optimizer<RmspropOptions> {
  static readonly defaults: Readonly<RmspropOptions> = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };

  /** `options` may be a number: the learning rate, as torch.optim.RMSprop(params, 0.01). */
  constructor(params: ParamsInput<RmspropOptions>, options: Partial<RmspropOptions> | number = {}) {
    super(params, RMSprop.defaults, withLr(options));
  }

  protected checkOptions({ lr, alpha, eps, weightDecay, momentum, centered }: RmspropOptions, where: string): void {
    checkNonNegative(where, 'lr', lr);
    checkBeta(where, 'alpha', alpha);
    checkNonNegative(where, 'eps', eps);
    checkNonNegative(where, 'weightDecay', weightDecay);
    checkNonNegative(where, 'momentum', momentum);
    if (typeof centered !== 'boolean') throw new Error(`${where}: centered must be a boolean, got ${JSON.stringify(centered)}`);
  }

  protected requiredState({ momentum, centered }: RmspropOptions): readonly StateKey[] {
    return ['squareAvg', ...(momentum > 0 ? (['momentumBuffer'] as const) : []), ...(centered ? (['gradAvg'] as const) : [])];
  }

  protected update(updates: readonly ParamUpdate[], { lr, alpha, eps, weightDecay, momentum, centered }: ParamGroup<RmspropOptions>): void {
    composedUpdate(updates, ({ param, grad: g0, state }) => {
      const grad = weightDecay !== 0 ? g0.add(param.mul(weightDecay)) : g0;
      const squareAvg = (state.squareAvg ?? param.zerosLike()).mul(alpha).add(grad.mul(grad).mul(1 - alpha));
      const gradAvg = centered ? (state.gradAvg ?? param.zerosLike()).mul(alpha).add(grad.mul(1 - alpha)) : undefined;
      const avg = (gradAvg ? squareAvg.sub(gradAvg.mul(gradAvg)) : squareAvg).sqrt().add(eps);
      if (momentum > 0) {
        const momentumBuffer = (state.momentumBuffer ?? param.zerosLike()).mul(momentum).add(grad.div(avg));
        return { param: param.sub(momentumBuffer.mul(lr)), state: { squareAvg, momentumBuffer, ...(gradAvg && { gradAvg }) } };
      }
      return { param: param.sub(grad.div(avg).mul(lr)), state: { squareAvg, ...(gradAvg && { gradAvg }) } };
    });
  }
}
