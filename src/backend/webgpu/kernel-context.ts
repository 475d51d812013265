// What the kernel encoders (elementwise, reduction, matmul, indexing, optimizer) need from the
// backend, and the helpers they share to pack parameters and size grids.
import type { Layout } from '../../shape.js';
import type { MatmulConfig, MatmulShape } from './matmul-configs.js';
import type { ComputeKernel, KernelVariant } from './pipelines.js';
import type { Grid } from './queue.js';
import type { WebGpuStorage } from './storage.js';

/**
 * The kernel choices that depend on the adapter. A fallback adapter (lavapipe, SwiftShader, WARP)
 * runs a workgroup on one CPU thread, its threads as SIMD lanes: workgroup memory is ordinary cache
 * and every barrier a coroutine switch. There, register-tiled matmuls measured 2–4× and reductions
 * with 4 threads per output 5× faster than the GPU forms (bench/README.md).
 */
export interface Tuning {
  /** The matmul kernel family: its default configurations and the tuner's candidates (matmul-configs.ts). */
  matmulTiles: MatmulConfig['kind'];
  /** A matmul configuration every product uses, ahead of the tuner's choice (tests run each one); null: none. */
  matmul: MatmulConfig | null;
  /** At most this many threads cooperate on one reduced output or softmax row (a power of two ≤ 256). */
  maxThreadsPerOutput: number;
  /** Sleep between Dawn's polls while waiting for the GPU, which then shares the CPU (wait.ts). */
  napWhileWaiting: boolean;
}

export const tuningFor = (isFallbackAdapter: boolean): Tuning =>
  isFallbackAdapter
    ? { matmulTiles: 'registers', matmul: null, maxThreadsPerOutput: 4, napWhileWaiting: true }
    : { matmulTiles: 'workgroup', matmul: null, maxThreadsPerOutput: 256, napWhileWaiting: false };

export interface KernelContext {
  /** The adapter's tuning (tests change it to run every form). */
  tuning(): Tuning;
  kernel(spec: KernelVariant): ComputeKernel;
  /** The configuration for a product of this shape: forced by the tuning, tuned, or the default. */
  matmulConfig(shape: MatmulShape): MatmulConfig;
  /** Records a dispatch; the buffers of `bound` bind at 1…n in order, the kernel's inputs before its outputs. */
  dispatch(kernel: ComputeKernel, params: readonly number[], bound: readonly { readonly buffer: GPUBuffer }[], grid: Grid): void;
  /**
   * A fresh contiguous storage of `length` f32 elements that the next dispatch will write, in a
   * buffer none of that dispatch's `inputs` is in (WebGPU forbids binding one buffer read-only and
   * writable in a dispatch).
   */
  output(length: number, inputs: readonly WebGpuStorage[]): WebGpuStorage;
  release(storage: WebGpuStorage): void;
  /** Storage buffers one dispatch may bind (the device's maxStorageBuffersPerShaderStage). */
  maxStorageBuffers(): number;
}

/** `layout` counted from the start of the buffer `storage` is in: kernels bind whole buffers. */
export const inBuffer = (storage: WebGpuStorage, layout: Layout): Layout =>
  storage.offset === 0 ? layout : { ...layout, offset: layout.offset + storage.offset };

/** Rank the WGSL view helpers index (two vec4s per shape/stride array). */
export const MAX_RANK = 8;

const bits = new DataView(new ArrayBuffer(4));

/** The u32 word holding `x` as an f32, for a parameter block. */
export function f32Bits(x: number): number {
  bits.setFloat32(0, x, true);
  return bits.getUint32(0, true);
}

/** `values` padded with zeros to MAX_RANK entries (an `array<vec4<…>, 2>` in WGSL). */
export function dims(values: readonly number[]): number[] {
  return [...values, ...new Array<number>(MAX_RANK - values.length).fill(0)];
}

export function assertRank(kernel: string, layout: Layout): void {
  if (layout.shape.length > MAX_RANK) {
    throw new Error(`webgpu ${kernel}: views of rank ${layout.shape.length} are not supported (at most ${MAX_RANK} dims after merging contiguous ones)`);
  }
}

const MAX_GROUPS_PER_DIM = 65535;

/** Spreads `workgroups` over x and y (at most 65535 each); kernels flatten y · num_workgroups.x + x. */
export function grid2d(workgroups: number): Grid {
  if (workgroups <= MAX_GROUPS_PER_DIM) return [workgroups, 1];
  const y = Math.ceil(workgroups / MAX_GROUPS_PER_DIM);
  return [Math.ceil(workgroups / y), y];
}
