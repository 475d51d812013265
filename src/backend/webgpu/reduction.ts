// Encoders of the kernels that run along the middle axis of [outer, size, inner]: reduce.wgsl and
// softmax.wgsl. Both give each output (row) a power-of-two number of threads that tree-reduce.
import type { AxisView, ReduceOp } from '../backend.js';
import { f32Bits, grid2d, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

const WORKGROUP = 256;

/** Threads per output: enough that each folds a few elements serially, at most the tuning's. */
function threadsPerOutput(ctx: KernelContext, size: number): number {
  return Math.min(ctx.tuning().maxThreadsPerOutput, WORKGROUP, 2 ** Math.ceil(Math.log2(Math.max(1, size / 4))));
}

function rowGrid(rows: number, threads: number) {
  return grid2d(Math.ceil(rows / (WORKGROUP / threads)));
}

export function reduce(ctx: KernelContext, op: ReduceOp, x: WebGpuStorage, offset: number, { outer, size, inner }: AxisView, scale: number): WebGpuStorage {
  const out = ctx.output(outer * inner, [x]);
  if (outer * inner === 0) return out;
  const threads = threadsPerOutput(ctx, size);
  const kernel = ctx.kernel({
    file: 'reduce',
    variant: `${op},${threads} threads per output`,
    inputs: 1,
    constants: { THREADS_PER_OUTPUT: threads, IS_MAX: Number(op === 'max') },
  });
  ctx.dispatch(kernel, [x.offset + offset, outer, size, inner, f32Bits(scale), out.offset], [x, out], rowGrid(outer * inner, threads));
  return out;
}

export function softmax(ctx: KernelContext, x: WebGpuStorage, offset: number, { outer, size, inner }: AxisView, log: boolean): WebGpuStorage {
  const out = ctx.output(outer * size * inner, [x]);
  if (outer * size * inner === 0) return out;
  const threads = threadsPerOutput(ctx, size);
  const kernel = ctx.kernel({
    file: 'softmax',
    variant: `${log ? 'log' : 'exp'},${threads} threads per row`,
    inputs: 1,
    constants: { THREADS_PER_OUTPUT: threads, LOG: Number(log) },
  });
  ctx.dispatch(kernel, [x.offset + offset, outer, size, inner, 0, out.offset], [x, out], rowGrid(outer * inner, threads));
  return out;
}
