// Encoders of the window kernels: conv2d.wgsl (the convolution and its two gradients as implicit
// GEMMs, one launch each) and max_pool_indices.wgsl (max-pooling's argmax). Operands contiguous.
import type { Dense } from '../axis.js';
import type { Conv2dGeometry } from '../backend.js';
import { grid2d, type KernelContext } from './kernel-context.js';
import type { WebGpuStorage } from './storage.js';

export type ConvProduct = 'forward' | 'inputGrad' | 'weightGrad';
const MODE: Record<ConvProduct, number> = { forward: 0, inputGrad: 1, weightGrad: 2 };
/** conv2d.wgsl's rows per workgroup. */
const ROWS = 8;

/** Threads and columns per thread: as few columns a workgroup as cover n, from 16 to 128 (8 threads are one AVX2 batch on lavapipe). */
const columnTile = (n: number): { threads: number; cols: number } => (n > 64 ? { threads: 16, cols: 8 } : n > 32 ? { threads: 8, cols: 8 } : n > 16 ? { threads: 8, cols: 4 } : { threads: 8, cols: 2 });

const windowParams = (g: Conv2dGeometry, a: Dense<WebGpuStorage>, b: Dense<WebGpuStorage> | null, out: WebGpuStorage): number[] => [
  g.batch, g.inChannels, ...g.input, g.outChannels, ...g.kernel, ...g.output,
  a.storage.offset + a.offset, b ? b.storage.offset + b.offset : 0, out.offset,
  ...g.stride, ...g.padding, ...g.dilation, 0, 0,
];

/** The product C [m, n] per image (or one, summed over the batch, for the weight gradient). */
function product(g: Conv2dGeometry, which: ConvProduct): { m: number; n: number; images: number } {
  const [positions, pixels, window] = [g.output[0] * g.output[1], g.input[0] * g.input[1], g.kernel[0] * g.kernel[1]];
  if (which === 'forward') return { m: g.outChannels, n: positions, images: g.batch };
  if (which === 'inputGrad') return { m: g.inChannels, n: pixels, images: g.batch };
  return { m: g.outChannels, n: g.inChannels * window, images: 1 };
}

/** forward: (weight, x) → y; inputGrad: (weight, gy) → gx; weightGrad: (gy, x) → gw. */
export function conv2d(ctx: KernelContext, which: ConvProduct, a: Dense<WebGpuStorage>, b: Dense<WebGpuStorage>, g: Conv2dGeometry): WebGpuStorage {
  const { m, n, images } = product(g, which);
  const out = ctx.output(images * m * n, [a.storage, b.storage]);
  if (images * m * n === 0) return out;
  const { threads, cols } = columnTile(n);
  const kernel = ctx.kernel({
    file: 'conv2d',
    variant: `${which},${threads} threads × ${cols} columns`,
    inputs: 2,
    constants: { MODE: MODE[which] },
    substitutions: { THREADS: String(threads), COLS: String(cols) },
  });
  ctx.dispatch(kernel, windowParams(g, a, b, out), [a.storage, b.storage, out], [Math.ceil(n / (threads * cols)), Math.ceil(m / ROWS), images]);
  return out;
}

export function maxPool2dIndices(ctx: KernelContext, x: Dense<WebGpuStorage>, g: Conv2dGeometry): WebGpuStorage {
  const count = g.batch * g.inChannels * g.output[0] * g.output[1];
  const out = ctx.output(count, [x.storage]);
  if (count === 0) return out;
  const kernel = ctx.kernel({ file: 'max_pool_indices', variant: 'f32', inputs: 1 });
  ctx.dispatch(kernel, windowParams(g, x, null, out), [x.storage, out], grid2d(Math.ceil(count / 256)));
  return out;
}
