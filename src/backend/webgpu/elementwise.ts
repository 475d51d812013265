// Encoders of the elementwise kernels: unary.wgsl, binary.wgsl, copy.wgsl (views per strided.wgsl)
// and fill.wgsl.
import type { BinaryOp, UnaryOp } from '../backend.js';
import { BINARY_OPS, UNARY_OPS } from '../elementwise-ops.js';
import { coalesce, contiguousLayout, type Layout } from '../../shape.js';
import { assertRank, dims, f32Bits, grid2d, inBuffer, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

/** Elements per workgroup of the elementwise kernels (256 threads × 4). */
export const ELEMENTS_PER_GROUP = 1024;

/** A coalesced view is a contiguous run when it has at most one dim, walked with stride 1. */
export const isRun = (layout: Layout): boolean => layout.shape.length === 0 || (layout.shape.length === 1 && layout.strides[0] === 1);

/**
 * When a is a contiguous [rows, cols] and b one contiguous row repeated down it (a bias add), with
 * cols and both offsets multiples of 4: the quads in that row (binary_vec4 reads b modulo it). Else 0.
 */
function repeatedRowQuads(a: Layout, b: Layout): number {
  if (a.shape.length !== 2) return 0;
  const cols = a.shape[1];
  const aligned = cols % 4 === 0 && a.offset % 4 === 0 && b.offset % 4 === 0;
  return aligned && a.strides[0] === cols && a.strides[1] === 1 && b.strides[0] === 0 && b.strides[1] === 1 ? cols / 4 : 0;
}

/**
 * Two layouts of one shape coalesced together for a strided_views.wgsl kernel: the views, a variant
 * tag, and the overrides (which view is a contiguous run, and their rank).
 */
export function pairedViews(kernel: string, al: Layout, bl: Layout) {
  const [va, vb] = coalesce([al, bl]);
  assertRank(kernel, va);
  const [ca, cb] = [isRun(va), isRun(vb)];
  return {
    va, vb, ca, cb,
    tag: `${ca ? 'a run' : 'a strided'},${cb ? 'b run' : 'b strided'},rank ${va.shape.length}`,
    constants: { A_CONTIGUOUS: Number(ca), B_CONTIGUOUS: Number(cb), RANK: va.shape.length },
  };
}

/**
 * The strided_views.wgsl parameter block for up to two coalesced views of one shape (offsets counted
 * from their buffers' starts), a third binding's offset and the output's.
 */
export function viewParams(count: number, a: Layout, b: Layout | null, { alpha = 0, thirdOffset = 0, outOffset = 0 } = {}): number[] {
  return [
    count, a.shape.length, f32Bits(alpha), 0,
    a.offset, b?.offset ?? 0, thirdOffset, outOffset,
    ...dims(a.shape), ...dims(a.strides), ...dims(b?.strides ?? []),
  ];
}

/** The grid of the kernels that cover 1024 elements per workgroup (see view.wgsl). */
export const elementGrid = (count: number) => grid2d(Math.ceil(count / ELEMENTS_PER_GROUP));
/** The grid of the vec4 kernels (quads.wgsl): 1024 quads per workgroup. */
const quadGrid = (count: number) => elementGrid(Math.ceil(count / 4));

export function unary(ctx: KernelContext, op: UnaryOp, x: WebGpuStorage, layout: Layout, alpha: number): WebGpuStorage {
  const count = layout.shape.reduce((p, s) => p * s, 1);
  const out = ctx.output(count, [x]);
  if (count === 0) return out;
  const [view] = coalesce([inBuffer(x, layout)]);
  assertRank(`unary ${op}`, view);
  const contiguous = isRun(view);
  const substitutions = { OP: UNARY_OPS[op].wgsl };
  const params = viewParams(count, view, null, { alpha, outOffset: out.offset });
  if (contiguous && view.offset % 4 === 0) {
    ctx.dispatch(ctx.kernel({ file: 'unary_vec4', variant: op, inputs: 1, substitutions }), params, [x, out], quadGrid(count));
    return out;
  }
  const kernel = ctx.kernel({
    file: 'unary',
    variant: `${op}${contiguous ? '' : ',strided'},rank ${view.shape.length}`,
    inputs: 1,
    substitutions,
    constants: { A_CONTIGUOUS: Number(contiguous), RANK: view.shape.length },
  });
  ctx.dispatch(kernel, params, [x, out], elementGrid(count));
  return out;
}

export function binary(ctx: KernelContext, op: BinaryOp, a: WebGpuStorage, al: Layout, b: WebGpuStorage, bl: Layout): WebGpuStorage {
  const count = al.shape.reduce((p, s) => p * s, 1);
  const out = ctx.output(count, [a, b]);
  if (count === 0) return out;
  const { va, vb, ca, cb, tag, constants } = pairedViews(`binary ${op}`, inBuffer(a, al), inBuffer(b, bl));
  const substitutions = { OP: BINARY_OPS[op].wgsl };
  const runs = ca && cb && va.offset % 4 === 0 && vb.offset % 4 === 0;
  const rowQuads = runs ? 0 : repeatedRowQuads(va, vb);
  if (runs || rowQuads > 0) {
    const params = viewParams(count, va, vb, { outOffset: out.offset });
    params[3] = rowQuads;
    ctx.dispatch(ctx.kernel({ file: 'binary_vec4', variant: op, inputs: 2, substitutions }), params, [a, b, out], quadGrid(count));
    return out;
  }
  const kernel = ctx.kernel({ file: 'binary', variant: `${op},${tag}`, inputs: 2, substitutions, constants });
  ctx.dispatch(kernel, viewParams(count, va, vb, { outOffset: out.offset }), [a, b, out], elementGrid(count));
  return out;
}

/** Writes src's view into dst's view in place (dst is the kernel's read-write binding). */
export function copy(ctx: KernelContext, src: WebGpuStorage, srcLayout: Layout, dst: WebGpuStorage, dstLayout: Layout): void {
  const count = srcLayout.shape.reduce((p, s) => p * s, 1);
  if (count === 0) return;
  if (src.buffer === dst.buffer) {
    // One buffer cannot be bound both read-only and writable in a dispatch: stage through a copy.
    const staged = unary(ctx, 'copy', src, srcLayout, 0);
    copy(ctx, staged, contiguousLayout(srcLayout.shape), dst, dstLayout);
    ctx.release(staged);
    return;
  }
  const { va: vs, vb: vd, tag, constants } = pairedViews('copy', inBuffer(src, srcLayout), inBuffer(dst, dstLayout));
  const kernel = ctx.kernel({ file: 'copy', variant: tag, inputs: 1, constants });
  ctx.dispatch(kernel, viewParams(count, vs, vd), [src, dst], elementGrid(count));
}

export function fill(ctx: KernelContext, length: number, value: number): WebGpuStorage {
  const out = ctx.output(length, []);
  if (length === 0) return out;
  ctx.dispatch(ctx.kernel({ file: 'fill', variant: 'f32', inputs: 0 }), [length, f32Bits(value), out.offset], [out], elementGrid(length));
  return out;
}
