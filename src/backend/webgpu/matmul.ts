// Encoder of the matmul kernels: matmul.wgsl (workgroup-memory tiles, for GPUs) and
// matmul_registers.wgsl (register tiles, for adapters that run on the CPU), each optionally split
// along k with matmul_split_sum.wgsl adding the partials. The configuration comes from the context
// (tuned, forced by a test, or the default: matmul-configs.ts); the vec4 loading modes per operand
// come from the strides.
import type { MatmulArgs } from '../backend.js';
import type { Layout } from '../../shape.js';
import { grid2d, inBuffer, type KernelContext } from './kernel-context.js';
import { configName, kStep, tileOf, type MatmulConfig, type MatmulShape } from './matmul-configs.js';
import { asWebGpuStorage, type WebGpuStorage } from './storage.js';

const MAX_GRID_Z = 65535;

/**
 * 1 or 2 when `layout` ([batch, rows, cols]) can be read as vec4 along its cols (1) or rows (2): unit
 * stride there, that dim's size a multiple of 4, the other strides and the offset multiples of 4.
 * 0 otherwise (scalar loads from any strides).
 */
export function vec4Mode(layout: Layout): number {
  const [, rows, cols] = layout.shape;
  const [batchStride, rowStride, colStride] = layout.strides;
  const aligned = (...values: number[]) => values.every((v) => v % 4 === 0);
  if (colStride === 1 && aligned(cols, rowStride, batchStride, layout.offset)) return 1;
  if (rowStride === 1 && aligned(rows, colStride, batchStride, layout.offset)) return 2;
  return 0;
}

/** The shape and load modes of a product, counted from the start of the operands' buffers. */
export function matmulShape(a: WebGpuStorage, b: WebGpuStorage, args: MatmulArgs): MatmulShape {
  const [al, bl] = [inBuffer(a, args.a), inBuffer(b, args.b)];
  const [batch, m, k] = al.shape;
  return { batch, m, n: bl.shape[2], k, aMode: vec4Mode(al), bMode: vec4Mode(bl) };
}

export function matmul(ctx: KernelContext, a: WebGpuStorage, b: WebGpuStorage, args: MatmulArgs): WebGpuStorage {
  const shape = matmulShape(a, b, args);
  if (shape.batch > MAX_GRID_Z) throw new Error(`webgpu matmul: a batch of ${shape.batch} matrices exceeds ${MAX_GRID_Z}`);
  return matmulWith(ctx, a, b, args, ctx.matmulConfig(shape));
}

/** The product in configuration `config` (the tuner times each candidate through it). */
export function matmulWith(ctx: KernelContext, a: WebGpuStorage, b: WebGpuStorage, args: MatmulArgs, config: MatmulConfig): WebGpuStorage {
  const [al, bl] = [inBuffer(a, args.a), inBuffer(b, args.b)];
  const biasStorage = args.bias ? asWebGpuStorage(args.bias.storage) : a; // an unused binding still needs a buffer
  const bias = args.bias && inBuffer(biasStorage, args.bias.layout);
  const { batch, m, n, k, aMode, bMode } = matmulShape(a, b, args);
  // Each split's range of k is whole steps; fewer splits where k is short (none below two steps).
  const step = kStep(config);
  const kChunk = Math.max(step, Math.ceil(Math.ceil(k / Math.min(config.splits, Math.floor(MAX_GRID_Z / Math.max(1, batch)))) / step) * step);
  const splits = k > kChunk ? Math.ceil(k / kChunk) : 1;
  const target = ctx.output(batch * splits * m * n, [a, b, biasStorage]);
  if (batch * m * n === 0) return target;
  const fused = bias !== undefined && splits === 1;
  const constants = { A_MODE: aMode, B_MODE: bMode, HAS_BIAS: Number(fused) };
  const params = [
    m, n, k, al.offset,
    bl.offset, fused ? bias.offset : 0, fused ? bias.strides[0] : 0, target.offset,
    ...al.strides, 0,
    ...bl.strides, 0,
    splits, kChunk,
  ];
  const { rows, cols } = tileOf(config);
  const kernel = ctx.kernel({
    file: config.kind === 'workgroup' ? 'matmul' : 'matmul_registers',
    variant: `a${aMode},b${bMode}${fused ? ',bias' : ''},${configName({ ...config, splits: 1 })}`,
    inputs: 3,
    constants,
    substitutions: config.kind === 'workgroup'
      ? { BM: String(config.bm), BN: String(config.bn), BK: String(config.bk), TM: String(config.tm), TN: String(config.tn), STAGES: String(config.stages) }
      : { ROWS: String(config.rows), QUADS: String(config.quads), THREADS: String(config.threads) },
  });
  ctx.dispatch(kernel, params, [a, b, biasStorage, target], [Math.ceil(n / cols), Math.ceil(m / rows), batch * splits]);
  return splits === 1 ? target : sumSplits(ctx, target, batch, m, n, splits, bias && { storage: biasStorage, layout: bias });
}

/** C = Σ over the splits of the partial products (+ bias), one launch. */
function sumSplits(ctx: KernelContext, partial: WebGpuStorage, batch: number, m: number, n: number, splits: number, bias: { storage: WebGpuStorage; layout: Layout } | undefined): WebGpuStorage {
  const biasStorage = bias?.storage ?? partial;
  const out = ctx.output(batch * m * n, [partial, biasStorage]);
  const kernel = ctx.kernel({ file: 'matmul_split_sum', variant: bias ? 'bias' : 'plain', inputs: 2, constants: { HAS_BIAS: Number(bias !== undefined) } });
  const params = [m * n, n, splits, batch * m * n, partial.offset, bias?.layout.offset ?? 0, bias?.layout.strides[0] ?? 0, out.offset];
  ctx.dispatch(kernel, params, [partial, biasStorage, out], grid2d(Math.ceil((batch * m * n) / 256)));
  ctx.release(partial);
  return out;
}
