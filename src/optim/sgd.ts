// SGD with optional momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD): one
// backend update per parameter.
import { getBackend } from '../device.js';
import type { Tensor } from '../tensor.js';
import { checkNonNegative } from './options.js';
import { Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';
import { zerosFor, type ParamState, type StateKey } from './state.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** λ: adds λθ to the gradient. */
  weightDecay: number;
}

const SGD_DEFAULTS: Omit<SgdOptions, 'lr'> = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };

export class SGD extends Optimizer<SgdOptions> {
  /** `lr` is required, as in torch.optim.SGD. */
  constructor(params: ParamsInput<SgdOptions>, options: Partial<SgdOptions> & { lr: number }) {
    super(params, SGD_DEFAULTS, options);
  }

  protected checkOptions({ lr, momentum, dampening, nesterov, weightDecay }: SgdOptions, where: string): void {
    if (lr === undefined) throw new Error(`${where}: lr is required`);
    checkNonNegative(where, 'lr', lr);
    checkNonNegative(where, 'momentum', momentum);
    checkNonNegative(where, 'weightDecay', weightDecay);
    if (typeof dampening !== 'number' || Number.isNaN(dampening)) throw new Error(`${where}: invalid dampening ${dampening} (must be a number)`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error(`${where}: nesterov requires momentum > 0 and dampening 0 (got momentum ${momentum}, dampening ${dampening})`);
    }
  }

  protected requiredState(): readonly StateKey[] {
    return []; // a missing momentum buffer starts again from the next gradient, as in PyTorch
  }

  protected update(param: Tensor, grad: Tensor, state: ParamState, { lr, momentum, dampening, nesterov, weightDecay }: ParamGroup<SgdOptions>): void {
    const firstStep = state.momentumBuffer === undefined;
    const momentumBuffer = momentum > 0 ? (state.momentumBuffer ??= zerosFor(param)) : null;
    getBackend(param.device).sgdStep(param.storage, grad.storage, grad.layout, momentumBuffer?.storage ?? null, { lr, momentum, dampening, nesterov, weightDecay, firstStep });
  }
}
