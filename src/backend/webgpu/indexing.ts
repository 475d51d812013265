// Encoders of gather.wgsl and scatter_add.wgsl (torch.gather / scatter_add along one dim).
import { sizeOf, type Layout, type Shape } from '../../shape.js';
import { assertRank, dims, grid2d, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

const WORKGROUP = 256;

export function gather(ctx: KernelContext, x: WebGpuStorage, xl: Layout, dim: number, index: WebGpuStorage, il: Layout): WebGpuStorage {
  const count = sizeOf(il.shape);
  const out = ctx.output(count, [x, index]);
  if (count === 0) return out;
  assertRank('gather', il);
  const params = [
    count, il.shape.length, dim, x.offset + xl.offset, index.offset + il.offset, xl.shape[dim], out.offset, 0,
    ...dims(il.shape), ...dims(xl.strides), ...dims(il.strides),
  ];
  ctx.dispatch(ctx.kernel({ file: 'gather', variant: 'f32', inputs: 2 }), params, [x, index, out], grid2d(Math.ceil(count / WORKGROUP)));
  return out;
}

export function scatterAdd(ctx: KernelContext, shape: Shape, dim: number, index: WebGpuStorage, il: Layout, src: WebGpuStorage, sl: Layout): WebGpuStorage {
  const count = sizeOf(shape);
  const out = ctx.output(count, [index, src]);
  if (count === 0) return out;
  assertRank('scatterAdd', il);
  const params = [
    count, shape.length, dim, index.offset + il.offset, src.offset + sl.offset, out.offset, 0, 0,
    ...dims(shape), ...dims(il.shape), ...dims(il.strides), ...dims(sl.strides),
  ];
  ctx.dispatch(ctx.kernel({ file: 'scatter_add', variant: 'f32', inputs: 2 }), params, [index, src, out], grid2d(Math.ceil(count / WORKGROUP)));
  return out;
}
