// The uniform arena: one GPU buffer holding every dispatch's parameter block, each at a slot aligned
// to SLOT_ALIGNMENT (at least the device's minUniformBufferOffsetAlignment: 256 on most GPUs, 16 on
// lavapipe) and bound at a static offset. The coarse grid bounds the distinct slot offsets, and so
// the bind groups that name them, to ARENA_BYTES / 256 per kernel layout and slabs. Slots are content-addressed: a block seen before (a training loop repeats its
// blocks every step) reuses its slot, so its bind group recurs too. Static offsets matter because
// lavapipe spends ≈30 µs more per dispatch when a bind group carries a dynamic offset (measured:
// 25 vs 55 µs a dispatch). New slots are written to a CPU mirror and uploaded before the next
// submit; `queue.writeBuffer` runs on the queue timeline after earlier submits, so clearing the
// arena (only ever right after a submit) and refilling it is safe. No buffer is created per dispatch.
const ARENA_BYTES = 1 << 20;
const SLOT_ALIGNMENT = 256;
/** Room past the last slot so a binding of the largest parameter block (an optimizer launch's, ≤ 1.5 KiB) always fits. */
const MAX_PARAM_BYTES = 2048;

export class UniformArena {
  readonly buffer: GPUBuffer;
  private readonly words = new Uint32Array(ARENA_BYTES / 4);
  private readonly slots = new Map<string, number>();
  private used = 0;
  /** The byte range written since the last upload. */
  private dirtyFrom = ARENA_BYTES;
  private dirtyTo = 0;

  private readonly alignment: number;

  constructor(device: GPUDevice, minAlignment: number) {
    this.alignment = Math.max(SLOT_ALIGNMENT, minAlignment);
    this.buffer = device.createBuffer({
      label: 'uniform arena',
      size: ARENA_BYTES + MAX_PARAM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /** The byte offset of a slot holding `params` (u32 words), or null when the arena is full. */
  slot(params: readonly number[]): number | null {
    if (params.length * 4 > MAX_PARAM_BYTES) throw new Error(`uniform arena: a ${params.length * 4}-byte parameter block exceeds ${MAX_PARAM_BYTES} bytes`);
    const key = params.join(',');
    const known = this.slots.get(key);
    if (known !== undefined) return known;
    const offset = this.used;
    const end = offset + params.length * 4;
    if (end > ARENA_BYTES) return null;
    this.words.set(params, offset / 4);
    this.used = offset + Math.max(1, Math.ceil((params.length * 4) / this.alignment)) * this.alignment;
    this.dirtyFrom = Math.min(this.dirtyFrom, offset);
    this.dirtyTo = Math.max(this.dirtyTo, end);
    this.slots.set(key, offset);
    return offset;
  }

  /** Forgets every slot; only right after a submit (the next upload then rewrites what is reused). */
  clear(): void {
    this.slots.clear();
    this.used = 0;
  }

  /** Queues the slots written since the last upload (before the submit that reads them). */
  upload(queue: GPUQueue): void {
    if (this.dirtyTo <= this.dirtyFrom) return;
    queue.writeBuffer(this.buffer, this.dirtyFrom, this.words.buffer, this.dirtyFrom, this.dirtyTo - this.dirtyFrom);
    this.dirtyFrom = ARENA_BYTES;
    this.dirtyTo = 0;
  }
}
