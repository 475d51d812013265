// The uniform arena: every dispatch's parameters go into one CPU-side ArrayBuffer at a slot aligned
// to the device's minUniformBufferOffsetAlignment (256 on most GPUs, 16 on lavapipe) and are bound
// with a dynamic offset into one GPU buffer, uploaded once per submit. No buffer is
// created per dispatch. `queue.writeBuffer` runs on the queue timeline after earlier submits and
// before the next one, so reusing the same GPU buffer for every batch is safe.
const ARENA_BYTES = 1 << 20;
/** Room past the last slot so a binding of the largest parameter block always fits. */
const MAX_PARAM_BYTES = 256;

export class UniformArena {
  readonly buffer: GPUBuffer;
  private readonly words = new Uint32Array(ARENA_BYTES / 4);
  private used = 0;

  constructor(device: GPUDevice, private readonly alignment: number) {
    this.buffer = device.createBuffer({
      label: 'uniform arena',
      size: ARENA_BYTES + MAX_PARAM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  get isEmpty(): boolean {
    return this.used === 0;
  }

  /** Copies `params` (u32 words) into the next slot; returns its byte offset, or null when full. */
  write(params: readonly number[]): number | null {
    if (params.length * 4 > MAX_PARAM_BYTES) throw new Error(`uniform arena: a ${params.length * 4}-byte parameter block exceeds ${MAX_PARAM_BYTES} bytes`);
    const offset = this.used;
    if (offset + params.length * 4 > ARENA_BYTES) return null;
    this.words.set(params, offset / 4);
    this.used = offset + Math.ceil((params.length * 4) / this.alignment) * this.alignment;
    return offset;
  }

  /** Queues the used part for upload (before the submit that reads it) and starts over. */
  upload(queue: GPUQueue): void {
    if (this.used === 0) return;
    queue.writeBuffer(this.buffer, 0, this.words.buffer, 0, this.used);
    this.used = 0;
  }
}
