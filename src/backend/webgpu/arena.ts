// The uniform arena: one small GPU buffer with a slot for each dispatch of a batch (the dispatches
// recorded between two submits). A dispatch's parameter block goes into the slot of its place in the
// batch, written to a CPU mirror and uploaded just before the submit: `queue.writeBuffer` runs on the
// queue timeline after the previous submit's commands, so every batch reuses the same slots.
// Slots are bound at static offsets (lavapipe spends ≈30 µs more per dispatch when a bind group
// carries a dynamic offset) and always whole, so a bind group names only (kernel layout, slot,
// buffers): with kernels binding whole slabs (allocator.ts), few enough to recur even when every
// dispatch's parameters are new. (Content-addressed slots, kept while a block recurred, gave a
// bind group per slot offset and kernel: a loop whose blocks did not recur created one per dispatch.)
/** The largest parameter block (an optimizer launch's is ≤ 1.5 KiB); a multiple of every device's uniform offset alignment. */
export const SLOT_BYTES = 2048;

export class UniformArena {
  readonly buffer: GPUBuffer;
  private readonly words: Uint32Array;
  /** Bytes written since the last upload, from the start. */
  private dirtyBytes = 0;

  constructor(device: GPUDevice, readonly slots: number) {
    this.words = new Uint32Array((slots * SLOT_BYTES) / 4);
    this.buffer = device.createBuffer({ label: 'uniform arena', size: slots * SLOT_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  }

  /** Writes `params` (u32 words) into slot `index` and returns the slot's byte offset. */
  write(index: number, params: readonly number[]): number {
    if (params.length * 4 > SLOT_BYTES) throw new Error(`uniform arena: a ${params.length * 4}-byte parameter block exceeds ${SLOT_BYTES} bytes`);
    if (index >= this.slots) throw new Error(`uniform arena: slot ${index} of ${this.slots}`);
    const offset = index * SLOT_BYTES;
    this.words.set(params, offset / 4);
    this.dirtyBytes = Math.max(this.dirtyBytes, offset + params.length * 4);
    return offset;
  }

  /** Queues the slots written since the last upload (before the submit that reads them). */
  upload(queue: GPUQueue): void {
    if (this.dirtyBytes === 0) return;
    queue.writeBuffer(this.buffer, 0, this.words.buffer, 0, this.dirtyBytes);
    this.dirtyBytes = 0;
  }
}
