// Adam and AdamW (torch.optim.Adam / AdamW): one fused multi-tensor backend update per parameter
// group and step count (composed of tensor ops on a backend without the kernel), with the bias
// corrections and weight-decay form computed here, on the host.
import type { AdamHyper, AdamTensor } from '../backend/backend.js';
import { getBackend } from '../device.js';
import { checkBeta, checkNonNegative, withLr } from './options.js';
import { groupBy, Optimizer, type ParamGroup, type ParamsInput } from './optimizer.js';
import { composedUpdate, ensureState, sliceOf, stepTensor, type ParamUpdate, type StateKey } from './state.js';

export interface AdamOptions {
  lr: number;
  /** Decay rates of the moving averages of the gradient and of its square. */
  betas: [number, number];
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** λ: Adam adds λθ to the gradient; AdamW decays θ by lr·λ instead. */
  weightDecay: number;
  /** Normalise by the running maximum of the second moment (AMSGrad). */
  amsgrad: boolean;
}

export class Adam extends Optimizer<AdamOptions> {
  static readonly defaults: Readonly<AdamOptions> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false };
  /** AdamW's decoupled weight decay, θ ← θ·(1 − lr·λ), in place of Adam's g ← g + λθ. */
  protected readonly decoupledWeightDecay: boolean = false;

  /** `options` may be a number: the learning rate, as torch.optim.Adam(params, 0.01). */
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> | number = {}) {
    super(params, (new.target as typeof Adam).defaults, withLr(options));
  }

  protected checkOptions({ lr, betas, eps, weightDecay }: AdamOptions, where: string): void {
    checkNonNegative(where, 'lr', lr);
    checkNonNegative(where, 'eps', eps);
    checkNonNegative(where, 'weightDecay', weightDecay);
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${where}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
    checkBeta(where, 'betas[0]', betas[0]);
    checkBeta(where, 'betas[1]', betas[1]);
  }

  protected requiredState({ amsgrad }: AdamOptions): readonly StateKey[] {
    return amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'];
  }

  protected update(updates: readonly ParamUpdate[], group: ParamGroup<AdamOptions>): void {
    const { lr, betas: [beta1, beta2], eps, weightDecay, amsgrad } = group;
    ensureState(updates, this.requiredState(group));
    const backend = getBackend(updates[0].param.device);
    // One backend call per step count (normally one for all): the bias corrections depend on it.
    for (const batch of groupBy(updates, ({ state }) => state.step)) {
      const t = batch[0].state.step;
      const tensors = (members: readonly ParamUpdate[]) =>
        members.map((update): AdamTensor => {
          const { expAvg, expAvgSq, maxExpAvgSq } = update.state;
          return { ...stepTensor(update), expAvg: sliceOf(expAvg!), expAvgSq: sliceOf(expAvgSq!), maxExpAvgSq: amsgrad ? sliceOf(maxExpAvgSq!) : null };
        });
      const hyper: AdamHyper = {
        beta1,
        beta2,
        eps,
        stepSize: lr / (1 - beta1 ** t),
        biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** t),
        gradDecay: this.decoupledWeightDecay ? 0 : weightDecay,
        paramScale: this.decoupledWeightDecay ? 1 - lr * weightDecay : 1,
      };
      if (backend.adamStep) backend.adamStep(tensors(batch), hyper);
      else composedAdam(batch, hyper, amsgrad);
    }
  }
}

/** The fused kernel's update (kernels/adam.wgsl), in tensor ops, for a backend without one. */
function composedAdam(updates: readonly ParamUpdate[], h: AdamHyper, amsgrad: boolean): void {
  composedUpdate(updates, ({ param: theta, grad: g, state }) => {
    const param = h.paramScale === 1 ? theta : theta.mul(h.paramScale);
    const grad = h.gradDecay === 0 ? g : g.add(param.mul(h.gradDecay));
    const expAvg = state.expAvg!.mul(h.beta1).add(grad.mul(1 - h.beta1));
    const expAvgSq = state.expAvgSq!.mul(h.beta2).add(grad.square().mul(1 - h.beta2));
    const maxExpAvgSq = amsgrad ? state.maxExpAvgSq!.maximum(expAvgSq) : undefined;
    const denominator = (maxExpAvgSq ?? expAvgSq).sqrt().div(h.biasCorrection2Sqrt).add(h.eps);
    return { param: param.sub(expAvg.div(denominator).mul(h.stepSize)), state: { expAvg, expAvgSq, ...(maxExpAvgSq && { maxExpAvgSq }) } };
  });
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); weightDecay defaults to 1e-2. */
export class AdamW extends Adam {
  static override readonly defaults: Readonly<AdamOptions> = { ...Adam.defaults, weightDecay: 1e-2 };
  protected override readonly decoupledWeightDecay = true;
}
