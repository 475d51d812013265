// Device memory for storages, as PyTorch's caching allocator does it: small storages are blocks
// sub-allocated from a few large buffers (slabs, buddy.ts), large ones get a dedicated buffer from a
// pool (pool.ts). Kernels bind whole slabs and find their operands by offsets in their parameters, so
// a dispatch's bind group names a few slabs, not its tensors: bind groups recur even when every tensor
// is new (on lavapipe each bind group holds a memory mapping, and Linux stops a process at 65,530).
// WebGPU forbids binding one buffer read-only and writable in a dispatch, so a kernel's output is
// placed in a slab none of its inputs is in.
// Blocks released while the pending encoder may use them are quarantined until the next submit, as
// in pool.ts: the encoder's later kernels may write them, a `writeBuffer` may not.
import { blockSize, Buddy } from './buddy.js';
import { BufferPool } from './pool.js';

/** Where a storage lives: `bytes` (a power of two) from `byteOffset` in `buffer`. */
export interface Block {
  readonly buffer: GPUBuffer;
  readonly byteOffset: number;
  readonly bytes: number;
  /** The slab the block was cut from; null for a dedicated buffer. */
  readonly slab: Slab | null;
}

interface Slab {
  readonly buffer: GPUBuffer;
  readonly buddy: Buddy;
}

/** Slab size: big enough that a session's small tensors share a few, small enough to waste little. */
const SLAB_BYTES = 32 << 20;
/** Blocks above this share a slab with too few others: they get a buffer of their own. */
const LARGEST_SLAB_BLOCK = SLAB_BYTES / 4;
/** Free dedicated buffers kept for reuse at most (beyond it the largest are destroyed). */
const POOL_BUDGET_BYTES = 256 << 20;
/**
 * Empty slabs kept for reuse at most. A training step's temporaries fill and empty a few slabs every
 * step: destroying them would make the next step create them again, and a new buffer's first use
 * costs Dawn a zero-fill (32 MiB: 25–70 ms on lavapipe).
 */
const SPARE_SLABS = 4;

export class StorageAllocator {
  private readonly slabs: Slab[] = [];
  private readonly dedicated: BufferPool;
  private quarantine: Block[] = [];
  private readonly slabBytes: number;
  slabsCreated = 0;
  slabsDestroyed = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    maxBindingBytes: number,
    private readonly onDestroy: (buffer: GPUBuffer) => void,
  ) {
    this.slabBytes = Math.min(SLAB_BYTES, 2 ** Math.floor(Math.log2(maxBindingBytes)));
    this.dedicated = new BufferPool(device, usage, 'storage', POOL_BUDGET_BYTES, onDestroy);
  }

  get buffersCreated(): number {
    return this.slabsCreated + this.dedicated.buffersCreated;
  }
  get buffersAlive(): number {
    return this.slabs.length + this.dedicated.buffersCreated - this.dedicated.buffersDestroyed;
  }
  get pooledBytes(): number {
    return this.dedicated.pooledBytes;
  }

  /** A block no unsubmitted command references: safe as a `writeBuffer` target. */
  acquireClean(bytes: number): Block {
    const size = blockSize(bytes);
    if (size > Math.min(LARGEST_SLAB_BLOCK, this.slabBytes)) return this.wholeBuffer(this.dedicated.acquireClean(size));
    return this.cut(size, null);
  }

  /** A block for a kernel's output, in none of the buffers `inputs` are bound from. */
  acquireForKernelOutput(bytes: number, inputs: ReadonlySet<GPUBuffer>): Block {
    const size = blockSize(bytes);
    if (size > Math.min(LARGEST_SLAB_BLOCK, this.slabBytes)) return this.wholeBuffer(this.dedicated.acquireForKernelOutput(size));
    for (let i = this.quarantine.length - 1; i >= 0; i--) {
      const block = this.quarantine[i];
      if (block.bytes === size && !inputs.has(block.buffer)) return this.quarantine.splice(i, 1)[0];
    }
    return this.cut(size, inputs);
  }

  release(block: Block, usedByPendingCommands: boolean): void {
    if (!block.slab) this.dedicated.release(block.buffer, usedByPendingCommands);
    else if (usedByPendingCommands) this.quarantine.push(block);
    else this.free(block);
  }

  /** Called after a submit: nothing unsubmitted references the quarantined blocks any more. */
  endQuarantine(): void {
    this.dedicated.endQuarantine();
    const blocks = this.quarantine;
    this.quarantine = [];
    blocks.forEach((block) => this.free(block));
  }

  private wholeBuffer(buffer: GPUBuffer): Block {
    return { buffer, byteOffset: 0, bytes: buffer.size, slab: null };
  }

  /** The lowest free block of `size` in the first slab that has one and is not among `avoid`. */
  private cut(size: number, avoid: ReadonlySet<GPUBuffer> | null): Block {
    for (const slab of this.slabs) {
      if (avoid?.has(slab.buffer)) continue;
      const byteOffset = slab.buddy.allocate(size);
      if (byteOffset !== null) return { buffer: slab.buffer, byteOffset, bytes: size, slab };
    }
    const slab = this.createSlab();
    return { buffer: slab.buffer, byteOffset: slab.buddy.allocate(size)!, bytes: size, slab };
  }

  /** Frees a block; a slab left empty is destroyed when SPARE_SLABS empty ones are kept already. */
  private free(block: Block): void {
    const slab = block.slab!;
    slab.buddy.release(block.byteOffset, block.bytes);
    if (!slab.buddy.isEmpty || this.slabs.filter((s) => s.buddy.isEmpty).length <= SPARE_SLABS) return;
    this.slabs.splice(this.slabs.indexOf(slab), 1);
    this.slabsDestroyed++;
    this.onDestroy(slab.buffer);
    slab.buffer.destroy();
  }

  private createSlab(): Slab {
    this.slabsCreated++;
    const buffer = this.device.createBuffer({ label: `storage slab ${this.slabsCreated}`, size: this.slabBytes, usage: this.usage });
    const slab = { buffer, buddy: new Buddy(this.slabBytes) };
    this.slabs.push(slab);
    return slab;
  }
}
