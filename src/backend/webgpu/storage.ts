// A tensor's GPU storage: one pooled buffer holding `length` f32 elements (possibly more room).
import type { Storage } from '../backend.js';

export class WebGpuStorage implements Storage {
  private handle: GPUBuffer | null;

  constructor(buffer: GPUBuffer, readonly length: number) {
    this.handle = buffer;
  }

  get buffer(): GPUBuffer {
    if (!this.handle) throw new Error('webgpu: this storage was released and cannot be used any more');
    return this.handle;
  }

  get isReleased(): boolean {
    return this.handle === null;
  }

  /** Gives the buffer back (to the pool) and makes further use of this storage an error. */
  detach(): GPUBuffer {
    const buffer = this.buffer;
    this.handle = null;
    return buffer;
  }
}

export function asWebGpuStorage(storage: Storage): WebGpuStorage {
  if (!(storage instanceof WebGpuStorage)) throw new Error('webgpu: got a storage of another backend; move the tensor to webgpu first');
  return storage;
}
