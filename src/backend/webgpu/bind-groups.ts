// Reuses bind groups: pooled buffers and the arena's content-addressed parameter slots recur, so
// (kernel layout, parameter slot, buffers) recur too.
// Creating one per dispatch is not only slower: on lavapipe each live bind group holds a memory
// mapping until garbage collection, and a loop that never yields would reach vm.max_map_count.
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
  ) {}

  /** The group binding `uniformBytes` of the uniform arena from `uniformOffset` at 0 and `buffers` at 1…n. */
  get(label: string, layout: GPUBindGroupLayout, uniformOffset: number, uniformBytes: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    let key = `${this.idOf(this.layoutIds, layout)}:${uniformOffset}+${uniformBytes}`;
    for (const buffer of buffers) key += `,${this.idOf(this.bufferIds, buffer)}`;
    let group = this.groups.get(key);
    if (group) {
      this.groups.delete(key); // re-inserted below: the Map's order is the recency order
    } else {
      group = this.device.createBindGroup({
        label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: this.uniforms, offset: uniformOffset, size: uniformBytes } },
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
