// Reuses whole GPU buffers by power-of-two size class: the staging buffers of readbacks and the
// dedicated buffers of storages too large for a slab (allocator.ts). Free buffers beyond the pool's
// budget are destroyed, largest first, so a session that once held large tensors gives the memory back.
// A buffer released while the pending command encoder may still use it is quarantined until the next
// submit: it may become another kernel's output in the same encoder (the queue orders dispatches),
// but not a `writeBuffer` target, which the queue would execute before those pending commands.
import { blockSize } from './buddy.js';

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly quarantine = new Map<number, GPUBuffer[]>();
  buffersCreated = 0;
  buffersDestroyed = 0;
  pooledBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
    private readonly budgetBytes: number,
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  /** A buffer no unsubmitted command references: safe as a `writeBuffer` or copy target. */
  acquireClean(bytes: number): GPUBuffer {
    return this.take(this.free, blockSize(bytes)) ?? this.create(blockSize(bytes));
  }

  /** A buffer that only kernels of the pending encoder will write: quarantined ones qualify. */
  acquireForKernelOutput(bytes: number): GPUBuffer {
    const size = blockSize(bytes);
    return this.take(this.quarantine, size) ?? this.take(this.free, size) ?? this.create(size);
  }

  release(buffer: GPUBuffer, usedByPendingCommands: boolean): void {
    push(usedByPendingCommands ? this.quarantine : this.free, buffer);
    this.pooledBytes += buffer.size;
    if (!usedByPendingCommands) this.trim();
  }

  /** Called after a submit: nothing unsubmitted references the quarantined buffers any more. */
  endQuarantine(): void {
    for (const list of this.quarantine.values()) list.forEach((buffer) => push(this.free, buffer));
    this.quarantine.clear();
    this.trim();
  }

  /** Destroys free buffers, largest first, until the pool holds at most its budget. */
  private trim(): void {
    const sizes = [...this.free.keys()].sort((a, b) => b - a);
    for (const size of sizes) {
      const list = this.free.get(size)!;
      while (this.pooledBytes > this.budgetBytes && list.length > 0) {
        const buffer = list.shift()!;
        this.pooledBytes -= size;
        this.buffersDestroyed++;
        this.onDestroy(buffer);
        buffer.destroy();
      }
    }
  }

  private take(lists: Map<number, GPUBuffer[]>, size: number): GPUBuffer | undefined {
    const buffer = lists.get(size)?.pop();
    if (buffer) this.pooledBytes -= size;
    return buffer;
  }

  private create(size: number): GPUBuffer {
    this.buffersCreated++;
    return this.device.createBuffer({ label: `${this.label} ${size} B`, size, usage: this.usage });
  }
}

function push(lists: Map<number, GPUBuffer[]>, buffer: GPUBuffer): void {
  const list = lists.get(buffer.size);
  if (list) list.push(buffer);
  else lists.set(buffer.size, [buffer]);
}
