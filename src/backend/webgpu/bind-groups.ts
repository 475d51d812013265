// Reuses bind groups: kernels bind whole slabs (allocator.ts) and a batch's parameter slots are the
// same every batch (arena.ts), so (kernel layout, slot, buffers) recur, even when every tensor is new.
// Creating one per dispatch is not only slower: on lavapipe each live bind group holds a memory
// mapping until garbage collection, and a loop that never yields would reach vm.max_map_count
// (mappings.ts guards it). The cache is bounded: the least recently used group is dropped.
import { SLOT_BYTES } from './arena.js';

const CAPACITY = 4096;

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private readonly layoutIds = new WeakMap<GPUBindGroupLayout, number>();
  private nextId = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly uniforms: GPUBuffer,
    private readonly maxBindingBytes: number,
    private readonly onCreate: () => void,
  ) {}

  get size(): number {
    return this.groups.size;
  }

  /** Drops the groups that bind `buffer` (it is being destroyed). */
  forget(buffer: GPUBuffer): void {
    const id = this.bufferIds.get(buffer);
    if (id === undefined) return;
    for (const key of this.groups.keys()) {
      if (key.split(',').slice(1).includes(String(id))) this.groups.delete(key);
    }
  }

  /** The group binding the arena's slot at `uniformOffset` at 0 and `buffers` (whole) at 1…n. */
  get(label: string, layout: GPUBindGroupLayout, uniformOffset: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${this.idOf(this.layoutIds, layout)}:${uniformOffset}`;
    for (const buffer of buffers) key += `,${this.idOf(this.bufferIds, buffer)}`;
    let group = this.groups.get(key);
    if (group) {
      this.groups.delete(key); // re-inserted below: the Map's order is the recency order
    } else {
      this.onCreate();
      group = this.device.createBindGroup({
        label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: this.uniforms, offset: uniformOffset, size: SLOT_BYTES } },
          ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer, size: Math.min(buffer.size, this.maxBindingBytes) } })),
        ],
      });
      if (this.groups.size >= CAPACITY) this.groups.delete(this.groups.keys().next().value as string);
    }
    this.groups.set(key, group);
    return group;
  }

  private idOf<T extends object>(ids: WeakMap<T, number>, object: T): number {
    let id = ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      ids.set(object, id);
    }
    return id;
  }
}
