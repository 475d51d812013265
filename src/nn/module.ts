// nn.Module: parameters, buffers and submodules are found by walking the module's own fields in the
// order they were assigned, so names come out PyTorch-style (`sharedLayer.weight`, `taskLayers.0.bias`,
// `bn.running_mean`) without any registration call. A module made inside tidy() is disposed at its
// end unless returned.
import { checkOptions, checkTensor, describe, isPlainObject } from '../check.js';
import { getBackend } from '../device.js';
import { disposeAll, holds, track } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

const parameters = new WeakSet<Tensor>();

/** Marks `t` as a trainable parameter (requiresGrad on) and returns it, like torch.nn.Parameter. */
export function Parameter(t: Tensor): Tensor {
  if (!t.isLeaf) throw new Error(`Parameter: expects a leaf tensor; ${formatShape(t.shape)} was computed by '${t.gradFn!.name}' (detach() it first)`);
  t.requiresGrad = true;
  parameters.add(t);
  return t;
}

export const isParameter = (value: unknown): value is Tensor => typeof value === 'object' && value !== null && parameters.has(value as Tensor);

const buffers = new WeakSet<Tensor>();

/**
 * Marks `t` as a buffer (torch's register_buffer): state that is saved in stateDict() and loaded
 * back, but is not trained, so parameters() leaves it out (BatchNorm's running statistics). Layers
 * that update a buffer write into its storage in place, so the tensor the state dict holds stays current.
 */
export function Buffer(t: Tensor): Tensor {
  if (t.requiresGrad) throw new Error(`Buffer: a buffer is not trained, but ${formatShape(t.shape)} requires grad (detach() it first)`);
  buffers.add(t);
  return t;
}

export const isBuffer = (value: unknown): value is Tensor => typeof value === 'object' && value !== null && buffers.has(value as Tensor);

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  training = true;

  constructor() {
    track(this);
  }

  abstract forward(...args: never[]): unknown;

  /** @internal What the module holds, by name, in order: its own fields (containers override it). */
  namedFields(): [string, unknown][] {
    return Object.entries(this);
  }

  /** Direct submodules, with their field names. */
  namedChildren(): [string, Module][] {
    return this.namedFields().filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every parameter with its dotted name, in registration order (shared ones once). */
  namedParameters(prefix = '', seen = new Set<Tensor>()): [string, Tensor][] {
    return this.namedTensors(isParameter, prefix, seen);
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer (running statistics) with its dotted name, in registration order. */
  namedBuffers(prefix = '', seen = new Set<Tensor>()): [string, Tensor][] {
    return this.namedTensors(isBuffer, prefix, seen);
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** The tensors `pick` accepts, walking fields and submodules depth first (shared ones once). */
  private namedTensors(pick: (value: unknown) => value is Tensor, prefix: string, seen: Set<Tensor>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, value] of this.namedFields()) {
      const path = prefix + name;
      if (pick(value) && !seen.has(value)) {
        seen.add(value);
        out.push([path, value]);
      } else if (value instanceof Module) {
        out.push(...value.namedTensors(pick, `${path}.`, seen));
      }
    }
    return out;
  }

  /** Clears every parameter's gradient (disposing it). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Disposes every parameter (and its gradient) and buffer, those of submodules included (except what is in `spare`). */
  dispose(spare?: ReadonlySet<unknown>): void {
    disposeAll([...this.parameters(), ...this.buffers()], spare);
  }

  /** @internal Returned from tidy, a module keeps what its fields hold: parameters, buffers, submodules. */
  [holds](): unknown[] {
    return this.namedFields().map(([, value]) => value);
  }

  train(mode = true): this {
    this.training = mode;
    this.children().forEach((m) => m.train(mode));
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /**
   * The parameters and buffers by name (the tensors themselves, not copies, as torch's state_dict),
   * in field order. num_batches_tracked is a float32 tensor holding an integer (torch: int64).
   */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedTensors((v): v is Tensor => isParameter(v) || isBuffer(v), '', new Set()));
  }

  /**
   * Copies `state` into the parameters in place. Strict (the default): missing and unexpected keys
   * are errors; shape and device mismatches always are. Nothing is written unless every check passes.
   */
  loadStateDict(state: StateDict, options?: { strict?: boolean }): { missingKeys: string[]; unexpectedKeys: string[] } {
    const { strict = true } = checkOptions('loadStateDict', options, ['strict']);
    if (!isPlainObject(state)) throw new Error(`loadStateDict: expects an object of tensors by parameter name (as stateDict() returns), got ${describe(state)}`);
    for (const [key, value] of Object.entries(state)) checkTensor('loadStateDict', `'${key}'`, value, 'convert it with tensor(values)');
    const own = new Map(Object.entries(this.stateDict()));
    const missingKeys = [...own.keys()].filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    for (const [key, p] of own) {
      const value = state[key];
      if (value && value.shape.join() !== p.shape.join()) {
        problems.push(`size mismatch for ${key}: checkpoint ${formatShape(value.shape)}, model ${formatShape(p.shape)}`);
      } else if (value && value.device !== p.device) {
        problems.push(`${key} is on ${value.device}, the parameter on ${p.device} (move it with await t.to('${p.device}'), or load({ device }))`);
      }
    }
    if (problems.length) throw new Error(`loadStateDict: ${problems.join('; ')}`);
    for (const [key, p] of own) {
      const value = state[key];
      if (value) assign(p, value);
    }
    return { missingKeys, unexpectedKeys };
  }
}

/** @internal Overwrites `target`'s data with `source`'s (same shape and device), in place. */
export function assign(target: Tensor, source: Tensor): void {
  getBackend(target.device).copy(source.storage, source.layout, target.storage, target.layout);
}

/** Holds submodules in a list; they are named by index (`0`, `1`, …). */
export class ModuleList<M extends Module = Module> extends Module {
  [index: number]: M;
  length = 0;

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }
  push(module: M): void {
    this[this.length++] = module;
  }
  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
  map<T>(fn: (module: M, index: number) => T): T[] {
    return [...this].map(fn);
  }
  forward(): never {
    throw new Error('ModuleList has no forward: iterate over it and call each module');
  }
}

/** Holds parameters in a list (torch.nn.ParameterList): they are named by index (`0`, `1`, …). */
export class ParameterList extends Module {
  [index: number]: Tensor;
  readonly length: number;

  constructor(params: Iterable<Tensor> = []) {
    super();
    let n = 0;
    for (const p of params) {
      if (!isParameter(p)) throw new Error(`ParameterList: item ${n} must be a Parameter (wrap it with nn.Parameter(t)), got ${describe(p)}`);
      this[n++] = p;
    }
    this.length = n;
  }
  *[Symbol.iterator](): Iterator<Tensor> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
  forward(): never {
    throw new Error('ParameterList has no forward: index it for its parameters');
  }
}

/** Runs modules one after another, feeding each the previous output. */
export class Sequential extends Module {
  private readonly layers: ModuleList<Module & { forward(x: Tensor): Tensor }>;
  constructor(...modules: (Module & { forward(x: Tensor): Tensor })[]) {
    super();
    this.layers = new ModuleList(modules);
  }
  override namedFields(): [string, unknown][] {
    return this.layers.namedFields();
  }
  forward(x: Tensor): Tensor {
    return [...this.layers].reduce((h, layer) => layer.forward(h), x);
  }
}

/**
 * Holds submodules by name (torch.nn.ModuleDict): they appear in parameters() and stateDict() as
 * `<key>.<name>`, in insertion order. Iterating gives the keys, as in PyTorch.
 */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly modules = new Map<string, M>();

  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    for (const [key, m] of Symbol.iterator in modules ? (modules as Iterable<[string, M]>) : Object.entries(modules)) this.set(key, m);
  }
  override namedFields(): [string, unknown][] {
    return [...this.modules];
  }
  get(key: string): M | undefined {
    return this.modules.get(key);
  }
  set(key: string, module: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) throw new Error(`ModuleDict: keys must be non-empty strings without '.', got ${describe(key)}`);
    if (!(module instanceof Module)) throw new Error(`ModuleDict: '${key}' must be a Module, got ${describe(module)}`);
    this.modules.set(key, module);
    return this;
  }
  has(key: string): boolean {
    return this.modules.has(key);
  }
  delete(key: string): boolean {
    return this.modules.delete(key);
  }
  get size(): number {
    return this.modules.size;
  }
  keys(): IterableIterator<string> {
    return this.modules.keys();
  }
  values(): IterableIterator<M> {
    return this.modules.values();
  }
  entries(): IterableIterator<[string, M]> {
    return this.modules.entries();
  }
  [Symbol.iterator](): IterableIterator<string> {
    return this.modules.keys();
  }
  forward(): never {
    throw new Error("ModuleDict has no forward: pick a module with get('name') and call it");
  }
}
