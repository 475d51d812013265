// A tensor's GPU storage: `length` f32 elements of a block (allocator.ts) — a slab's sub-range or a
// dedicated buffer. Kernels bind the whole buffer and add `offset` to every index.
import type { Storage } from '../backend.js';
import type { Block } from './allocator.js';

export class WebGpuStorage implements Storage {
  private held: Block | null;

  constructor(block: Block, readonly length: number) {
    this.held = block;
  }

  get block(): Block {
    if (!this.held) throw new Error('webgpu: this storage was released and cannot be used any more');
    return this.held;
  }

  get buffer(): GPUBuffer {
    return this.block.buffer;
  }

  /** Where element 0 sits in the buffer, in elements. */
  get offset(): number {
    return this.block.byteOffset / 4;
  }

  get isReleased(): boolean {
    return this.held === null;
  }

  /** Gives the block back (to the allocator) and makes further use of this storage an error. */
  detach(): Block {
    const block = this.block;
    this.held = null;
    return block;
  }
}

export function asWebGpuStorage(storage: Storage): WebGpuStorage {
  if (!(storage instanceof WebGpuStorage)) throw new Error('webgpu: got a storage of another backend; move the tensor to webgpu first');
  return storage;
}
