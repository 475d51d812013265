// Encoder of the two matmul kernels: matmul.wgsl (workgroup-memory tiles, for GPUs) and
// matmul_registers.wgsl (register tiles, for adapters that run on the CPU). Picks the vec4 loading
// modes per operand from the strides, and the register tile's shape from C's.
import type { MatmulArgs } from '../backend.js';
import type { Layout } from '../../shape.js';
import { inBuffer, type KernelContext } from './kernel-context.js';
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

export function matmul(ctx: KernelContext, a: WebGpuStorage, b: WebGpuStorage, args: MatmulArgs): WebGpuStorage {
  const [al, bl] = [inBuffer(a, args.a), inBuffer(b, args.b)];
  const biasStorage = args.bias ? asWebGpuStorage(args.bias.storage) : a; // an unused binding still needs a buffer
  const bias = args.bias && inBuffer(biasStorage, args.bias.layout);
  const [batch, m, k] = al.shape;
  const n = bl.shape[2];
  const out = ctx.output(batch * m * n, [a, b, biasStorage]);
  if (batch * m * n === 0) return out;
  if (batch > MAX_BATCH) throw new Error(`webgpu matmul: a batch of ${batch} matrices exceeds ${MAX_BATCH}`);
  const [aMode, bMode] = [vec4Mode(al), vec4Mode(bl)];
  const constants = { A_MODE: aMode, B_MODE: bMode, HAS_BIAS: Number(bias !== undefined) };
  const modes = `a${aMode},b${bMode}${bias ? ',bias' : ''}`;
  const params = [
    m, n, k, al.offset,
    bl.offset, bias?.offset ?? 0, bias?.strides[0] ?? 0, out.offset,
    ...al.strides, 0,
    ...bl.strides, 0,
  ];
  if (ctx.tuning().matmulTiles === 'workgroup') {
    const kernel = ctx.kernel({ file: 'matmul', variant: modes, inputs: 3, constants });
    ctx.dispatch(kernel, params, [a, b, biasStorage, out], [Math.ceil(n / TILE), Math.ceil(m / TILE), batch]);
  } else {
    const { rows, quads, threads } = registerTile(m, n);
    const kernel = ctx.kernel({
      file: 'matmul_registers',
      variant: `${modes},${rows}×${quads * 4} per thread,${threads} threads`,
      inputs: 3,
      constants,
      substitutions: { ROWS: String(rows), QUADS: String(quads), THREADS: String(threads) },
    });
    ctx.dispatch(kernel, params, [a, b, biasStorage, out], [Math.ceil(n / (threads * quads * 4)), Math.ceil(m / rows), batch]);
  }
  return out;
}

/**
 * The register tile for an m×n C: 8 rows a workgroup (fewer for a shorter C, as rows past m are
 * computed and discarded), and as few columns as cover n, from 32 to 128. Eight threads are one SIMD
 * batch of an AVX2 CPU adapter (lavapipe); measured there, 8×8 per thread beat 4×4, 4×8 and 16×8.
 */
function registerTile(m: number, n: number): { rows: number; quads: number; threads: number } {
  const rows = m >= 8 ? 8 : m > 2 ? 4 : m;
  if (n > 64) return { rows, quads: 2, threads: 16 };
  if (n > 32) return { rows, quads: 2, threads: 8 };
  return { rows, quads: 1, threads: 8 };
}
