// Ownership of device memory: reference-counted storages shared by views, live-tensor accounting,
// tidy() scopes, and a FinalizationRegistry that releases what the user forgot to dispose.
import type { Backend, DeviceName, Storage } from './backend/backend.js';

/** A backend storage shared by every tensor that views it; freed when the last one lets go. */
export class SharedStorage {
  private refs = 1;
  constructor(readonly backend: Backend, readonly storage: Storage) {
    live[backend.name].bytes += this.bytes;
  }
  get bytes(): number {
    return this.storage.length * (this.backend.name === 'reference' ? 8 : 4);
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) {
      live[this.backend.name].bytes -= this.bytes;
      this.backend.release(this.storage);
    }
  }
}

export interface MemoryInfo {
  /** Tensor handles not yet disposed (views and tensors saved for backward included). */
  tensors: number;
  /** Bytes of device storage they hold (shared storage counted once). */
  bytes: number;
}

const live: Record<DeviceName, MemoryInfo> = { cpu: { tensors: 0, bytes: 0 }, webgpu: { tensors: 0, bytes: 0 }, reference: { tensors: 0, bytes: 0 } };

export const memoryOf = (device: DeviceName): MemoryInfo => ({ ...live[device] });

interface Handle {
  readonly device: DeviceName;
  readonly shared: SharedStorage;
}

const collected = new FinalizationRegistry<Handle>(({ device, shared }) => {
  live[device].tensors--;
  shared.release();
});

/** Starts accounting for a new tensor handle; `token` is the tensor itself. */
export function registerHandle(token: object, device: DeviceName, shared: SharedStorage): void {
  live[device].tensors++;
  collected.register(token, { device, shared }, token);
  scopes.at(-1)?.add(token as Disposable);
}

export function unregisterHandle(token: object, device: DeviceName, shared: SharedStorage): void {
  collected.unregister(token);
  live[device].tensors--;
  shared.release();
}

interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];

/** Removes `t` from every open tidy scope, so it outlives them. */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Hands `t` to the innermost open tidy scope (for tensors made while scopes were set aside). */
export function track<T extends Disposable>(t: T): T {
  scopes.at(-1)?.add(t);
  return t;
}

/** Runs `fn` outside every tidy scope: what it creates is owned by the caller, not a scope. */
export function untracked<T>(fn: () => T): T {
  const saved = scopes.splice(0);
  try {
    return fn();
  } finally {
    scopes.push(...saved);
  }
}

/**
 * Runs `fn` and disposes every tensor it created that is not part of its result (a tensor, or
 * arrays/objects of them), as tfjs's tidy. `fn` must be synchronous.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error('tidy: the function must be synchronous (it returned a Promise); await outside tidy');
    }
  } catch (err) {
    scopes.splice(scopes.indexOf(scope), 1);
    for (const t of scope) t.dispose();
    throw err;
  }
  scopes.splice(scopes.indexOf(scope), 1);
  const kept = new Set<unknown>();
  collectResult(result, kept);
  for (const t of scope) {
    if (kept.has(t)) scopes.at(-1)?.add(t);
    else t.dispose();
  }
  return result;
}

function collectResult(value: unknown, into: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || into.has(value)) return;
  into.add(value);
  if (Array.isArray(value)) value.forEach((v) => collectResult(v, into));
  else if (value.constructor === Object) Object.values(value).forEach((v) => collectResult(v, into));
}
