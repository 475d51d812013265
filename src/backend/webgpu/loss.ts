// Encoders of mseLoss's fused kernels: squared_error_sum.wgsl (the forward, one launch) and
// squared_error_grad.wgsl (the gradient, one launch).
import { coalesce, sizeOf, type Layout } from '../../shape.js';
import { elementGrid, isRun, viewParams } from './elementwise.js';
import { assertRank, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

function views(file: string, al: Layout, bl: Layout) {
  const [va, vb] = coalesce([al, bl]);
  assertRank(file, va);
  const [ca, cb] = [isRun(va), isRun(vb)];
  return {
    va, vb,
    variant: `${ca ? '' : 'a strided,'}${cb ? '' : 'b strided,'}rank ${va.shape.length}`,
    constants: { A_CONTIGUOUS: Number(ca), B_CONTIGUOUS: Number(cb), RANK: va.shape.length },
  };
}

export function squaredErrorSum(ctx: KernelContext, a: WebGpuStorage, al: Layout, b: WebGpuStorage, bl: Layout, alpha: number): WebGpuStorage {
  const out = ctx.output(1);
  const { va, vb, variant, constants } = views('squared_error_sum', al, bl);
  const kernel = ctx.kernel({ file: 'squared_error_sum', variant, inputs: 2, constants });
  ctx.dispatch(kernel, viewParams(sizeOf(al.shape), va, vb, alpha), [a, b, out], [1]);
  return out;
}

export function squaredErrorGrad(
  ctx: KernelContext, a: WebGpuStorage, al: Layout, b: WebGpuStorage, bl: Layout, g: WebGpuStorage, gOffset: number, alpha: number,
): WebGpuStorage {
  const count = sizeOf(al.shape);
  const out = ctx.output(count);
  if (count === 0) return out;
  const { va, vb, variant, constants } = views('squared_error_grad', al, bl);
  const kernel = ctx.kernel({ file: 'squared_error_grad', variant, inputs: 3, constants });
  ctx.dispatch(kernel, viewParams(count, va, vb, alpha, gOffset), [a, b, g, out], elementGrid(count));
  return out;
}
