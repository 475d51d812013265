// Ownership of device memory: reference-counted storages shared by views, live-tensor accounting,
// tidy() scopes (which own the tensors, modules and optimizers made in them), and a
// FinalizationRegistry that releases what the user forgot to dispose.
import type { Backend, DeviceName, Storage } from './backend/backend.js';

/** A backend storage shared by every tensor that views it; freed when the last one lets go. */
export class SharedStorage {
  private refs = 1;
  /** `device` names the accounting: 'cpu' may run on the reference backend (no native addon). */
  constructor(readonly device: DeviceName, readonly backend: Backend, readonly storage: Storage) {
    live[device].bytes += this.bytes;
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
      live[this.device].bytes -= this.bytes;
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

const collected = new FinalizationRegistry<SharedStorage>((shared) => {
  live[shared.device].tensors--;
  shared.release();
});

/** Starts accounting for a new tensor handle on `shared`; `token` is the tensor itself. */
export function registerHandle(token: Disposable, shared: SharedStorage): void {
  live[shared.device].tensors++;
  collected.register(token, shared, token);
  scopes.at(-1)?.add(token);
}

export function unregisterHandle(token: Disposable, shared: SharedStorage): void {
  collected.unregister(token);
  live[shared.device].tensors--;
  shared.release();
}

/**
 * A macrotask turn, in which the FinalizationRegistry's pending callbacks run: readbacks await it,
 * so a loop that never disposes but reads a value back now and then stays bounded on every backend.
 */
export const letFinalizersRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What a tidy scope owns: tensors, modules, optimizers. */
export interface Disposable {
  /** Frees what it holds, except what `spare` contains (the things a tidy returns). */
  dispose(spare?: ReadonlySet<unknown>): void;
}

/** Disposes each of `items` not in `spare`. */
export function disposeAll(items: Iterable<Disposable | null | undefined>, spare?: ReadonlySet<unknown>): void {
  for (const item of items) if (item && !spare?.has(item)) item.dispose(spare);
}

/** Lists what an object returned from tidy keeps alive with it (a module: its parameters). */
export const holds: unique symbol = Symbol('webgrad.holds');

interface Holder {
  [holds](): Iterable<unknown>;
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
 * Runs `fn` and disposes every tensor, module and optimizer it created that is not part of its
 * result (arrays and plain objects are searched, a module keeps its parameters, an optimizer its
 * parameters and a tensor its .grad), as tfjs's tidy. `fn` must be synchronous.
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
    disposeAll(scope);
    throw err;
  }
  scopes.splice(scopes.indexOf(scope), 1);
  const kept = new Set<unknown>();
  collectResult(result, kept);
  for (const t of scope) if (kept.has(t)) scopes.at(-1)?.add(t);
  disposeAll(scope, kept);
  return result;
}

function collectResult(value: unknown, into: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || into.has(value)) return;
  into.add(value);
  const parts = Array.isArray(value) ? value : value.constructor === Object ? Object.values(value) : holds in value ? (value as Holder)[holds]() : [];
  for (const part of parts) collectResult(part, into);
}
