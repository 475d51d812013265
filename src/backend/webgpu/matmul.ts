// Encoder of matmul.wgsl: picks the slab-loading modes (vec4 where the strides allow) per operand.
import type { MatmulArgs } from '../backend.js';
import type { Layout } from '../../shape.js';
import type { KernelContext } from './kernel-context.js';
import { asWebGpuStorage, type WebGpuStorage } from './storage.js';

const TILE = 64;
const MAX_BATCH = 65535;

/**
 * 1 or 2 when `layout` ([batch, rows, cols]) can be read as vec4 along its cols (1) or rows (2): unit
 * stride there, that dim's size a multiple of 4, the other strides and the offset multiples of 4.
 * 0 otherwise (scalar loads from any strides).
 */
function vec4Mode(layout: Layout): number {
  const [, rows, cols] = layout.shape;
  const [batchStride, rowStride, colStride] = layout.strides;
  const aligned = (...values: number[]) => values.every((v) => v % 4 === 0);
  if (colStride === 1 && aligned(cols, rowStride, batchStride, layout.offset)) return 1;
  if (rowStride === 1 && aligned(rows, colStride, batchStride, layout.offset)) return 2;
  return 0;
}

export function matmul(ctx: KernelContext, a: WebGpuStorage, b: WebGpuStorage, { a: al, b: bl, bias }: MatmulArgs): WebGpuStorage {
  const [batch, m, k] = al.shape;
  const n = bl.shape[2];
  const out = ctx.output(batch * m * n);
  if (batch * m * n === 0) return out;
  if (batch > MAX_BATCH) throw new Error(`webgpu matmul: a batch of ${batch} matrices exceeds ${MAX_BATCH}`);
  const [aMode, bMode] = [vec4Mode(al), vec4Mode(bl)];
  const kernel = ctx.kernel({
    file: 'matmul',
    variant: `a${aMode},b${bMode}${bias ? ',bias' : ''}`,
    inputs: 3,
    constants: { A_MODE: aMode, B_MODE: bMode, HAS_BIAS: Number(bias !== undefined) },
  });
  const params = [
    m, n, k, al.offset,
    bl.offset, bias?.layout.offset ?? 0, bias?.layout.strides[0] ?? 0, 0,
    ...al.strides, 0,
    ...bl.strides, 0,
  ];
  const biasStorage = bias ? asWebGpuStorage(bias.storage) : a; // an unused binding still needs a buffer
  ctx.dispatch(kernel, params, [a, b, biasStorage, out], [Math.ceil(n / TILE), Math.ceil(m / TILE), batch]);
  return out;
}
