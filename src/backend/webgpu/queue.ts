// The pending batch: dispatches are recorded into one command encoder, in one compute pass kept
// open across dispatches (ended only for buffer copies), and submitted by read/flush or every
// SUBMIT_EVERY dispatches (the uniform arena has a slot for each).
import type { UniformArena } from './arena.js';
import type { BindGroupCache } from './bind-groups.js';
import type { StorageAllocator } from './allocator.js';
import type { ComputeKernel } from './pipelines.js';

export type Grid = readonly [x: number, y?: number, z?: number];

/**
 * Dispatches per submit at most. Submitting early lets the GPU run a step's first kernels while
 * JavaScript records the rest (tfjs-webgpu submits every 15 commands). Measured on lavapipe, the
 * article's training step: 2.27 ms submitting only at the read, 2.00 ms every 16, 1.39 ms every 8,
 * 1.27 ms every 4 (but the large step slows from 76 to 93 ms). It also bounds what lavapipe holds
 * per unsubmitted dispatch: about one memory mapping each (Linux stops a process at 65,530).
 */
export const SUBMIT_EVERY = 8;

export class CommandQueue {
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchDispatches = 0;
  dispatches = 0;
  submits = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly arena: UniformArena,
    private readonly storages: StorageAllocator,
    private readonly bindGroups: BindGroupCache,
  ) {}

  /** True while recorded commands await a submit (they may reference any buffer). */
  get hasPendingCommands(): boolean {
    return this.encoder !== null;
  }

  /**
   * Records one dispatch of `kernel` with `params` (u32 words) bound at binding 0 and `buffers`
   * at bindings 1…n (the last one is the kernel's writable output).
   */
  dispatch(kernel: ComputeKernel, params: readonly number[], buffers: readonly GPUBuffer[], [x, y = 1, z = 1]: Grid): void {
    if (this.batchDispatches >= SUBMIT_EVERY) this.submit();
    const offset = this.arena.write(this.batchDispatches, params);
    const bindGroup = this.bindGroups.get(kernel.label, kernel.bindGroupLayout, offset, buffers);
    const pass = this.openPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatches++;
    this.batchDispatches++;
  }

  /** Records a copy of `bytes` from `sourceOffset` in source to the start of target (ends the open compute pass). */
  copy(source: GPUBuffer, sourceOffset: number, target: GPUBuffer, bytes: number): void {
    this.closePass();
    this.openEncoder().copyBufferToBuffer(source, sourceOffset, target, 0, bytes);
  }

  submit(): void {
    if (!this.encoder) return;
    this.closePass();
    this.arena.upload(this.device.queue);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batchDispatches = 0;
    this.submits++;
    this.storages.endQuarantine();
  }

  private openEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'webgrad batch' });
    return this.encoder;
  }

  private openPass(): GPUComputePassEncoder {
    this.pass ??= this.openEncoder().beginComputePass();
    return this.pass;
  }

  private closePass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
