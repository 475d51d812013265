// Encoders of the in-place optimizer updates, kernels/adam.wgsl and kernels/sgd.wgsl: all the tensors
// of one call in few multi-tensor launches (see multi-tensor.ts).
import type { AdamHyper, AdamTensor, OptimizerTensor, SgdHyper, SgdTensor, StorageSlice } from '../backend.js';
import { f32Bits, type KernelContext } from './kernel-context.js';
import { dispatchUpdates, type TensorUpdate } from './multi-tensor.js';
import { asWebGpuStorage } from './storage.js';

/** Whether every tensor has the optional state slice, or none has (throws when some have). */
function everyOrNone(slices: readonly (StorageSlice | null)[], what: string): boolean {
  const given = slices.filter((s) => s !== null).length;
  if (given !== 0 && given !== slices.length) throw new Error(`webgpu ${what} must be given for every tensor of a call or for none`);
  return given > 0;
}

function tensorUpdate(t: OptimizerTensor, state: readonly (StorageSlice | null)[]): TensorUpdate {
  const operands = [t.param, ...state.filter((s) => s !== null)].map(({ storage, offset }) => ({ storage: asWebGpuStorage(storage), offset }));
  return { grad: asWebGpuStorage(t.grad), gradLayout: t.gradLayout, operands };
}

export function adamStep(ctx: KernelContext, tensors: readonly AdamTensor[], h: AdamHyper): void {
  const amsgrad = everyOrNone(tensors.map((t) => t.maxExpAvgSq), 'adamStep maxExpAvgSq');
  const kernel = {
    file: 'adam' as const,
    variant: amsgrad ? 'amsgrad' : 'adam',
    constants: { AMSGRAD: Number(amsgrad) },
    fields: amsgrad ? ['theta', 'm', 'v', 'v_max'] : ['theta', 'm', 'v'],
    hyper: [h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, h.stepSize, h.biasCorrection2Sqrt, h.gradDecay, h.paramScale, 0, 0, 0].map(f32Bits),
  };
  dispatchUpdates(ctx, kernel, tensors.map((t) => tensorUpdate(t, [t.expAvg, t.expAvgSq, t.maxExpAvgSq])));
}

export function sgdStep(ctx: KernelContext, tensors: readonly SgdTensor[], h: SgdHyper): void {
  const momentum = everyOrNone(tensors.map((t) => t.momentumBuffer), 'sgdStep momentumBuffer');
  const kernel = {
    file: 'sgd' as const,
    variant: momentum ? 'momentum' : 'sgd',
    constants: { MOMENTUM: Number(momentum) },
    fields: momentum ? ['theta', 'b'] : ['theta'],
    hyper: [...[h.lr, h.momentum, 1 - h.dampening, h.weightDecay].map(f32Bits), Number(h.firstStep), Number(h.nesterov), 0, 0],
  };
  dispatchUpdates(ctx, kernel, tensors.map((t) => tensorUpdate(t, [t.momentumBuffer])));
}
