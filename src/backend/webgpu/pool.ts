// Reuses GPU buffers by power-of-two size class, so steady-state training creates none.
// A buffer released while the pending command encoder may still use it is quarantined until the next
// submit: it may become another kernel's output in the same encoder (the queue orders dispatches),
// but not a `writeBuffer` target, which the queue would execute before those pending commands.
const MIN_BYTES = 256;

const sizeClass = (bytes: number): number => Math.max(MIN_BYTES, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly quarantine = new Map<number, GPUBuffer[]>();
  buffersCreated = 0;
  pooledBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
  ) {}

  /** A buffer no unsubmitted command references: safe as a `writeBuffer` or copy target. */
  acquireClean(bytes: number): GPUBuffer {
    return this.take(this.free, sizeClass(bytes)) ?? this.create(sizeClass(bytes));
  }

  /** A buffer that only kernels of the pending encoder will write: quarantined ones qualify. */
  acquireForKernelOutput(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    return this.take(this.quarantine, size) ?? this.take(this.free, size) ?? this.create(size);
  }

  release(buffer: GPUBuffer, usedByPendingCommands: boolean): void {
    const lists = usedByPendingCommands ? this.quarantine : this.free;
    const list = lists.get(buffer.size);
    if (list) list.push(buffer);
    else lists.set(buffer.size, [buffer]);
    this.pooledBytes += buffer.size;
  }

  /** Called after a submit: nothing unsubmitted references the quarantined buffers any more. */
  endQuarantine(): void {
    for (const [size, list] of this.quarantine) {
      const free = this.free.get(size);
      if (free) free.push(...list);
      else this.free.set(size, list);
    }
    this.quarantine.clear();
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
