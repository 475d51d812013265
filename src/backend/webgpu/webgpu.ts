// The WebGPU backend: storages sub-allocated from slabs (allocator.ts), kernels batched into one
// pending command encoder, results read back through pooled staging buffers. Every entry point first
// checks that the device is alive and the process is not near its memory-mapping limit; Dawn's
// asynchronous validation errors surface at the next flush or read.
import type { AdamHyper, AdamTensor, Backend, BinaryOp, Conv2dGeometry, MatmulArgs, MatmulProblem, ReduceOp, SgdHyper, SgdTensor, Storage, TuneResult, UnaryOp } from '../backend.js';
import type { Layout, Shape } from '../../shape.js';
import { StorageAllocator } from './allocator.js';
import { UniformArena } from './arena.js';
import { BindGroupCache } from './bind-groups.js';
import type { AcquiredDevice } from './device.js';
import * as elementwise from './elementwise.js';
import { DeviceErrors } from './errors.js';
import { gather, scatterAdd } from './indexing.js';
import * as loss from './loss.js';
import { tuningFor, type KernelContext, type Tuning } from './kernel-context.js';
import { MappingGuard } from './mappings.js';
import { matmul, matmulWith } from './matmul.js';
import { candidates, defaultConfig, shapeClass, type MatmulConfig, type MatmulShape } from './matmul-configs.js';
import { MatmulTuner, tuneMode } from './matmul-tuner.js';
import * as optimizer from './optimizer.js';
import { PipelineCache, type ComputeKernel, type KernelVariant } from './pipelines.js';
import { BufferPool } from './pool.js';
import { CommandQueue, SUBMIT_EVERY, type Grid } from './queue.js';
import { reduce, softmax } from './reduction.js';
import { alongAxis, onDense, reduceAlong, softmaxPlan, type Dense } from '../axis.js';
import * as conv from './conv.js';
import { asWebGpuStorage, WebGpuStorage } from './storage.js';
import { waitNapping } from './wait.js';

export interface WebGpuStats {
  /** Compute dispatches recorded since creation. */
  readonly dispatches: number;
  readonly submits: number;
  /** Reads back to the host (read calls), and the bytes they copied. */
  readonly readbacks: number;
  readonly readbackBytes: number;
  /** GPU buffers ever created for storages (slabs and dedicated ones) and readback (steady state: no growth). */
  readonly buffersCreated: number;
  /** GPU buffers not destroyed yet. */
  readonly buffersAlive: number;
  /** Bytes in pooled whole buffers waiting for reuse. */
  readonly pooledBytes: number;
  /** Live storages, and the bytes they hold (rounded up to their block size). */
  readonly liveStorages: number;
  readonly liveBytes: number;
  /** Bind groups ever created, and cached now. */
  readonly bindGroupsCreated: number;
  readonly bindGroupsCached: number;
}

/** Elements up to which fill() uploads instead of launching fill.wgsl. */
const SMALL_FILL = 4096;
/** Free readback buffers kept for reuse at most. */
const STAGING_BUDGET_BYTES = 64 << 20;

/** The shape and load modes of a product to tune for (matmul.ts' vec4Mode of its contiguous or transposed operands). */
function problemShape({ batch, m, k, n, transposeA, transposeB }: MatmulProblem): MatmulShape {
  const mode = (transposed: boolean, along: number) => (along % 4 !== 0 ? 0 : transposed ? 2 : 1);
  return { batch, m, n, k, aMode: mode(transposeA, transposeA ? m : k), bMode: mode(transposeB, transposeB ? k : n) };
}

const onGpu = ({ storage, offset }: Dense<Storage>): Dense<WebGpuStorage> => ({ storage: asWebGpuStorage(storage), offset });

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  readonly device: GPUDevice;
  /** dawn.node's instance, held so it lives as long as this backend (see AcquiredDevice.gpu). */
  readonly gpu: GPU;
  /** The pipeline cache, exposed so tests can compile a deliberately broken kernel. */
  readonly pipelines: PipelineCache;
  /** Kernel choices for this adapter (see Tuning); tests change it to check every form. */
  readonly tuning: Tuning;
  /** The matmul configurations chosen per shape class (matmul-tuner.ts). */
  readonly matmulTuner: MatmulTuner;
  /** The first product of each shape class used, for tune() without problems. */
  private readonly matmulShapesUsed = new Map<string, MatmulShape>();
  private readonly errors: DeviceErrors;
  /** Counts the process's memory mappings now and then; tests lower its limit. */
  readonly mappings = new MappingGuard();
  private readonly storages: StorageAllocator;
  private readonly stagingPool: BufferPool;
  private readonly bindGroups: BindGroupCache;
  private readonly queue: CommandQueue;
  private readonly maxBindingBytes: number;
  private liveStorages = 0;
  private liveBytes = 0;
  private bindGroupsCreated = 0;
  private readbacks = 0;
  private readbackBytes = 0;
  private readonly context: KernelContext = {
    kernel: (spec: KernelVariant) => this.pipelines.get(spec),
    matmulConfig: (shape) => this.matmulConfig(shape),
    dispatch: (kernel, params, storages, grid) => this.dispatch(kernel, params, storages, grid),
    output: (length, inputs) => this.allocate(length, new Set(inputs.map((s) => s.buffer))),
    release: (storage) => this.release(storage),
    maxStorageBuffers: () => this.device.limits.maxStorageBuffersPerShaderStage,
    tuning: () => this.tuning,
  };

  constructor({ gpu, device, description, isFallbackAdapter }: AcquiredDevice) {
    this.gpu = gpu;
    this.tuning = tuningFor(isFallbackAdapter);
    this.device = device;
    this.description = description;
    this.maxBindingBytes = device.limits.maxStorageBufferBindingSize;
    this.errors = new DeviceErrors(device);
    this.pipelines = new PipelineCache(device, this.errors);
    const arena = new UniformArena(device, SUBMIT_EVERY);
    this.bindGroups = new BindGroupCache(device, arena.buffer, this.maxBindingBytes, () => {
      this.bindGroupsCreated++;
      this.mappings.created();
    });
    // GPUBufferUsage is one of the globals acquireDevice installs, so it is read here, not at load.
    const storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.storages = new StorageAllocator(device, storageUsage, this.maxBindingBytes, (buffer) => this.bindGroups.forget(buffer));
    this.stagingPool = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback', STAGING_BUDGET_BYTES);
    this.queue = new CommandQueue(device, arena, this.storages, this.bindGroups);
    this.matmulTuner = new MatmulTuner(
      tuneMode(isFallbackAdapter),
      description,
      (shape) => candidates(shape, this.tuning.matmulTiles, device.limits),
      (shape, config) => this.timeMatmul(shape, config),
    );
  }

  stats(): WebGpuStats {
    return {
      dispatches: this.queue.dispatches,
      submits: this.queue.submits,
      readbacks: this.readbacks,
      readbackBytes: this.readbackBytes,
      buffersCreated: this.storages.buffersCreated + this.stagingPool.buffersCreated,
      buffersAlive: this.storages.buffersAlive + this.stagingPool.buffersCreated - this.stagingPool.buffersDestroyed,
      pooledBytes: this.storages.pooledBytes + this.stagingPool.pooledBytes,
      liveStorages: this.liveStorages,
      liveBytes: this.liveBytes,
      bindGroupsCreated: this.bindGroupsCreated,
      bindGroupsCached: this.bindGroups.size,
    };
  }

  /** Destroys the device: every later call fails with `device lost: …` (also a test hook for loss). */
  destroy(): void {
    this.errors.markLost('the device was destroyed (WebGpuBackend.destroy)');
    this.device.destroy();
  }

  upload(data: Float32Array | Float64Array): Storage {
    this.ready();
    const storage = this.allocate(data.length, null);
    if (data.length > 0) {
      const values = data instanceof Float32Array ? data : new Float32Array(data);
      this.device.queue.writeBuffer(storage.buffer, storage.block.byteOffset, values.buffer, values.byteOffset, values.byteLength);
    }
    return storage;
  }

  fill(length: number, value: number): Storage {
    this.ready();
    // A small fill is cheaper as an upload (a fresh buffer, so no pending kernel sees it early).
    if (length <= SMALL_FILL) return this.upload(new Float32Array(length).fill(value));
    return elementwise.fill(this.context, length, value);
  }

  async read(storage: Storage): Promise<Float32Array> {
    this.ready();
    const source = asWebGpuStorage(storage);
    const bytes = source.length * 4;
    this.readbacks++;
    this.readbackBytes += bytes;
    if (bytes === 0) {
      await this.flush();
      return new Float32Array(0);
    }
    const staging = this.stagingPool.acquireClean(bytes);
    this.queue.copy(source.buffer, source.block.byteOffset, staging, bytes);
    this.queue.submit();
    await this.errors.unlessLost(this.gpuWork(staging.mapAsync(GPUMapMode.READ, 0, bytes)));
    this.errors.assertAlive();
    const values = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.stagingPool.release(staging, false);
    await this.errors.throwDeferred();
    return values;
  }

  /** Gives the storage's block back to the allocator. A no-op once the device is lost (nothing to free). */
  release(storage: Storage): void {
    const gpu = asWebGpuStorage(storage);
    if (this.errors.isLost || gpu.isReleased) return;
    const block = gpu.detach();
    this.liveStorages--;
    this.liveBytes -= block.bytes;
    this.storages.release(block, this.queue.hasPendingCommands);
  }

  async flush(): Promise<void> {
    this.errors.assertAlive();
    this.queue.submit();
    await this.errors.unlessLost(this.gpuWork(this.device.queue.onSubmittedWorkDone()));
    await this.errors.throwDeferred();
  }

  unary(op: UnaryOp, x: Storage, layout: Layout, alpha: number): Storage {
    this.ready();
    return elementwise.unary(this.context, op, asWebGpuStorage(x), layout, alpha);
  }

  binary(op: BinaryOp, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    this.ready();
    return elementwise.binary(this.context, op, asWebGpuStorage(a), al, asWebGpuStorage(b), bl);
  }

  reduce(op: ReduceOp, x: Storage, layout: Layout, dims: readonly number[], scale = 1): Storage {
    this.ready();
    return reduceAlong(this, x, layout, dims, (s, offset, view, last) => reduce(this.context, op, asWebGpuStorage(s), offset, view, last ? scale : 1));
  }

  squaredErrorSum(a: Storage, al: Layout, b: Storage, bl: Layout, alpha: number): Storage {
    this.ready();
    return loss.squaredErrorSum(this.context, asWebGpuStorage(a), al, asWebGpuStorage(b), bl, alpha);
  }

  squaredErrorGrad(a: Storage, al: Layout, b: Storage, bl: Layout, g: Storage, gOffset: number, alpha: number): Storage {
    this.ready();
    return loss.squaredErrorGrad(this.context, asWebGpuStorage(a), al, asWebGpuStorage(b), bl, asWebGpuStorage(g), gOffset, alpha);
  }

  softmax(x: Storage, layout: Layout, dim: number, log: boolean): Storage {
    this.ready();
    return alongAxis(this, x, softmaxPlan(layout, dim), (s, offset, view) => softmax(this.context, asWebGpuStorage(s), offset, view, log));
  }

  conv2d(x: Storage, xl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
    this.ready();
    return onDense(this, [[weight, wl], [x, xl]], ([w, input]) => conv.conv2d(this.context, 'forward', onGpu(w), onGpu(input), g));
  }

  conv2dInputGrad(gy: Storage, gl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
    this.ready();
    return onDense(this, [[weight, wl], [gy, gl]], ([w, grad]) => conv.conv2d(this.context, 'inputGrad', onGpu(w), onGpu(grad), g));
  }

  conv2dWeightGrad(x: Storage, xl: Layout, gy: Storage, gl: Layout, g: Conv2dGeometry): Storage {
    this.ready();
    return onDense(this, [[gy, gl], [x, xl]], ([grad, input]) => conv.conv2d(this.context, 'weightGrad', onGpu(grad), onGpu(input), g));
  }

  maxPool2dIndices(x: Storage, xl: Layout, g: Conv2dGeometry): Storage {
    this.ready();
    return onDense(this, [[x, xl]], ([input]) => conv.maxPool2dIndices(this.context, onGpu(input), g));
  }

  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage {
    this.ready();
    return matmul(this.context, asWebGpuStorage(a), asWebGpuStorage(b), args);
  }

  async tuneMatmul(problems?: readonly MatmulProblem[]): Promise<TuneResult[]> {
    this.ready();
    const shapes = problems ? problems.map(problemShape) : [...this.matmulShapesUsed.values()].filter((s) => !this.matmulTuner.lookup(s));
    const results: TuneResult[] = [];
    for (const shape of shapes) results.push(await this.matmulTuner.tune(shape));
    return results;
  }

  copy(src: Storage, srcLayout: Layout, dst: Storage, dstLayout: Layout): void {
    this.ready();
    elementwise.copy(this.context, asWebGpuStorage(src), srcLayout, asWebGpuStorage(dst), dstLayout);
  }

  gather(x: Storage, xl: Layout, dim: number, index: Storage, il: Layout): Storage {
    this.ready();
    return gather(this.context, asWebGpuStorage(x), xl, dim, asWebGpuStorage(index), il);
  }

  scatterAdd(shape: Shape, dim: number, index: Storage, il: Layout, src: Storage, sl: Layout): Storage {
    this.ready();
    return scatterAdd(this.context, shape, dim, asWebGpuStorage(index), il, asWebGpuStorage(src), sl);
  }

  adamStep(tensors: readonly AdamTensor[], hyper: AdamHyper): void {
    this.ready();
    optimizer.adamStep(this.context, tensors, hyper);
  }

  sgdStep(tensors: readonly SgdTensor[], hyper: SgdHyper): void {
    this.ready();
    optimizer.sgdStep(this.context, tensors, hyper);
  }

  /** Forced by the tuning, else tuned, else the default (and the class's tuning starts, unless off). */
  private matmulConfig(shape: MatmulShape): MatmulConfig {
    if (this.tuning.matmul) return this.tuning.matmul;
    const tuned = this.matmulTuner.lookup(shape);
    if (tuned) return tuned;
    const key = shapeClass(shape);
    if (!this.matmulShapesUsed.has(key)) {
      this.matmulShapesUsed.set(key, shape);
      this.matmulTuner.firstUse(shape);
    }
    return defaultConfig(shape, this.tuning.matmulTiles, this.device.limits);
  }

  /**
   * Milliseconds per product of `shape` in `config`: the median of 3 rounds, each enough products
   * back to back for ≈5 ms, after one warm-up (which compiles the kernel); operands of ones.
   */
  private async timeMatmul(shape: MatmulShape, config: MatmulConfig): Promise<number> {
    const { batch, m, n, k, aMode, bMode } = shape;
    // The load modes come back from the layouts: transposed for mode 2, one element in for mode 0.
    const view = (rows: number, cols: number, mode: number): Layout => ({
      shape: [batch, rows, cols],
      strides: mode === 2 ? [rows * cols, 1, rows] : [rows * cols, cols, 1],
      offset: mode === 0 ? 1 : 0,
    });
    const args: MatmulArgs = { a: view(m, k, aMode), b: view(k, n, bMode) };
    const [a, b] = [this.fill(batch * m * k + 1, 1), this.fill(batch * k * n + 1, 1)];
    const run = async (count: number): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < count; i++) this.release(matmulWith(this.context, asWebGpuStorage(a), asWebGpuStorage(b), args, config));
      await this.flush();
      return (performance.now() - start) / count;
    };
    try {
      await this.flush();
      const once = await run(1);
      const count = Math.min(50, Math.max(1, Math.round(5 / once)));
      const rounds = [await run(count), await run(count), await run(count)].sort((x, y) => x - y);
      return rounds[1];
    } finally {
      this.release(a);
      this.release(b);
    }
  }

  /** A wait for submitted work: napping on a CPU adapter (see wait.ts). */
  private gpuWork<T>(promise: Promise<T>): Promise<T> {
    return this.tuning.napWhileWaiting ? waitNapping(promise) : promise;
  }

  /** Every entry point's first check: the device is alive, and the process is not near its mapping limit. */
  private ready(): void {
    this.errors.assertAlive();
    this.mappings.check(() => `${this.liveStorages} GPU storages are alive (${(this.liveBytes / 2 ** 20).toFixed(1)} MiB), ${this.bindGroupsCreated} bind groups were created`);
  }

  /** A storage for an upload (`kernelInputs` null: a block no pending command uses) or a kernel's output. */
  private allocate(length: number, kernelInputs: ReadonlySet<GPUBuffer> | null): WebGpuStorage {
    this.errors.assertAlive();
    const bytes = length * 4;
    if (bytes > this.maxBindingBytes) {
      throw new Error(`webgpu: a tensor of ${length} elements (${bytes} bytes) exceeds this adapter's ${this.maxBindingBytes}-byte storage binding limit`);
    }
    const created = this.storages.buffersCreated;
    const block = kernelInputs ? this.storages.acquireForKernelOutput(bytes, kernelInputs) : this.storages.acquireClean(bytes);
    this.mappings.created(this.storages.buffersCreated - created);
    this.liveStorages++;
    this.liveBytes += block.bytes;
    return new WebGpuStorage(block, length);
  }

  private dispatch(kernel: ComputeKernel, params: readonly number[], bound: readonly { readonly buffer: GPUBuffer }[], grid: Grid): void {
    this.queue.dispatch(kernel, params, bound.map((b) => b.buffer), grid);
  }
}
