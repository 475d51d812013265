// SGD with optional momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD): one
// multi-tensor backend update per parameter group (two on a step where only some parameters have a
// momentum buffer).
import type { SgdHyper, SgdTensor } from '../backend/backend.js';
import { getBackend } from '../device.js';
import { checkNonNegative, withLr } from './options.js';
import { groupBy, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';
import { composedUpdate, ensureState, sliceOf, stepTensor, type ParamUpdate, type StateKey } from './state.js';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** λ: adds λθ to the gradient. */
  weightDecay: number;
}

export class SGD extends Optimizer<SgdOptions> {
  /** lr has none: it is required, as in torch.optim.SGD. */
  static readonly defaults: Readonly<Partial<SgdOptions>> = { lr: undefined, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 };

  /** `options` may be a number: the learning rate, as torch.optim.SGD(params, 0.1). */
  constructor(params: ParamsInput<SgdOptions>, options: (Partial<SgdOptions> & { lr: number }) | number) {
    super(params, SGD.defaults, withLr(options));
  }

  protected checkOptions({ lr, momentum, dampening, nesterov, weightDecay }: SgdOptions, where: string): void {
    if (lr === undefined) throw new Error(`${where}: lr is required: new SGD(params, 0.01) or new SGD(params, { lr: 0.01, momentum: 0.9 })`);
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

  protected update(updates: readonly ParamUpdate[], { lr, momentum, dampening, nesterov, weightDecay }: ParamGroup<SgdOptions>): void {
    const backend = getBackend(updates[0].param.device);
    // A parameter without a momentum buffer takes its first step: the buffer starts as its gradient.
    for (const batch of groupBy(updates, ({ state }) => state.momentumBuffer === undefined)) {
      const firstStep = batch[0].state.momentumBuffer === undefined;
      if (momentum > 0) ensureState(batch, ['momentumBuffer']);
      const hyper: SgdHyper = { lr, momentum, dampening, nesterov, weightDecay, firstStep };
      if (backend.sgdStep) backend.sgdStep(batch.map((update): SgdTensor => ({ ...stepTensor(update), momentumBuffer: momentum > 0 ? sliceOf(update.state.momentumBuffer!) : null })), hyper);
      else composedSgd(batch, hyper);
    }
  }
}

/** The fused kernel's update (kernels/sgd.wgsl), in tensor ops, for a backend without one. */
function composedSgd(updates: readonly ParamUpdate[], h: SgdHyper): void {
  composedUpdate(updates, ({ param, grad: g, state }) => {
    const grad = h.weightDecay === 0 ? g : g.add(param.mul(h.weightDecay));
    if (h.momentum === 0) return { param: param.sub(grad.mul(h.lr)), state: {} };
    const momentumBuffer = h.firstStep ? grad : state.momentumBuffer!.mul(h.momentum).add(grad.mul(1 - h.dampening));
    const direction = h.nesterov ? grad.add(momentumBuffer.mul(h.momentum)) : momentumBuffer;
    return { param: param.sub(direction.mul(h.lr)), state: { momentumBuffer } };
  });
}
