// Encoders of mseLoss's fused kernels: squared_error_sum.wgsl (the forward, one launch) and
// squared_error_grad.wgsl (the gradient, one launch).
import { sizeOf, type Layout } from '../../shape.js';
import { elementGrid, pairedViews, viewParams } from './elementwise.js';
import { inBuffer, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

export function squaredErrorSum(ctx: KernelContext, a: WebGpuStorage, al: Layout, b: WebGpuStorage, bl: Layout, alpha: number): WebGpuStorage {
  const out = ctx.output(1, [a, b]);
  const { va, vb, tag, constants } = pairedViews('squared_error_sum', inBuffer(a, al), inBuffer(b, bl));
  const kernel = ctx.kernel({ file: 'squared_error_sum', variant: tag, inputs: 2, constants });
  ctx.dispatch(kernel, viewParams(sizeOf(al.shape), va, vb, { alpha, outOffset: out.offset }), [a, b, out], [1]);
  return out;
}

export function squaredErrorGrad(
  ctx: KernelContext, a: WebGpuStorage, al: Layout, b: WebGpuStorage, bl: Layout, g: WebGpuStorage, gOffset: number, alpha: number,
): WebGpuStorage {
  const count = sizeOf(al.shape);
  const out = ctx.output(count, [a, b, g]);
  if (count === 0) return out;
  const { va, vb, tag, constants } = pairedViews('squared_error_grad', inBuffer(a, al), inBuffer(b, bl));
  const kernel = ctx.kernel({ file: 'squared_error_grad', variant: tag, inputs: 3, constants });
  const params = viewParams(count, va, vb, { alpha, thirdOffset: g.offset + gOffset, outOffset: out.offset });
  ctx.dispatch(kernel, params, [a, b, g, out], elementGrid(count));
  return out;
}
