// Encoders of the in-place optimizer updates, adam.wgsl and sgd.wgsl: one dispatch per parameter.
import type { AdamHyper, SgdHyper } from '../backend.js';
import { coalesce, sizeOf, type Layout } from '../../shape.js';
import { elementGrid, isRun } from './elementwise.js';
import { assertRank, dims, f32Bits, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

interface Update {
  readonly file: 'adam' | 'sgd';
  /** The kernel's one placeholder and its expression, which decides the state buffers it uses. */
  readonly placeholder: string;
  readonly expression: string;
  /** The parameter, then the state buffers that expression uses, all bound read-write. */
  readonly buffers: readonly WebGpuStorage[];
  /** The kernel's Params after the grad view, as u32 words. */
  readonly hyper: readonly number[];
}

function dispatchUpdate(ctx: KernelContext, grad: WebGpuStorage, gradLayout: Layout, update: Update): void {
  const count = sizeOf(gradLayout.shape);
  if (count === 0) return;
  const [view] = coalesce([gradLayout]);
  assertRank(update.file, view);
  const contiguous = isRun(view);
  const kernel = ctx.kernel({
    file: update.file,
    variant: `${update.expression}${contiguous ? '' : ',strided grad'}`,
    inputs: 1,
    outputs: update.buffers.length,
    substitutions: { [update.placeholder]: update.expression },
    constants: { GRAD_CONTIGUOUS: Number(contiguous) },
  });
  const gradView = [count, view.shape.length, view.offset, 0, ...dims(view.shape), ...dims(view.strides)];
  ctx.dispatch(kernel, [...gradView, ...update.hyper], [grad, ...update.buffers], elementGrid(count));
}

export function adamStep(
  ctx: KernelContext,
  param: WebGpuStorage,
  grad: WebGpuStorage,
  gradLayout: Layout,
  expAvg: WebGpuStorage,
  expAvgSq: WebGpuStorage,
  maxExpAvgSq: WebGpuStorage | null,
  h: AdamHyper,
): void {
  dispatchUpdate(ctx, grad, gradLayout, {
    file: 'adam',
    placeholder: 'SECOND_MOMENT',
    expression: maxExpAvgSq ? 'running_max(i, v)' : 'v',
    buffers: maxExpAvgSq ? [param, expAvg, expAvgSq, maxExpAvgSq] : [param, expAvg, expAvgSq],
    hyper: [h.beta1, h.beta2, h.eps, h.stepSize, h.biasCorrection2Sqrt, h.gradDecay, h.paramScale, 0].map(f32Bits),
  });
}

export function sgdStep(ctx: KernelContext, param: WebGpuStorage, grad: WebGpuStorage, gradLayout: Layout, momentumBuffer: WebGpuStorage | null, h: SgdHyper): void {
  dispatchUpdate(ctx, grad, gradLayout, {
    file: 'sgd',
    placeholder: 'DIRECTION',
    expression: momentumBuffer ? 'with_momentum(i, g)' : 'g',
    buffers: momentumBuffer ? [param, momentumBuffer] : [param],
    hyper: [...[h.lr, h.momentum, h.dampening, h.weightDecay].map(f32Bits), Number(h.firstStep), Number(h.nesterov), 0, 0],
  });
}
