// nn.Module: parameters and submodules are found by walking the module's own fields in the order
// they were assigned, so names come out PyTorch-style (`sharedLayer.weight`, `taskLayers.0.bias`)
// without any registration call. A module made inside tidy() is disposed at its end unless returned.
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

export type StateDict = Record<string, Tensor>;

export abstract class Module {
  training = true;

  constructor() {
    track(this);
  }

  abstract forward(...args: never[]): unknown;

  /** Direct submodules, with their field names. */
  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Every parameter with its dotted name, in registration order (shared ones once). */
  namedParameters(prefix = '', seen = new Set<Tensor>()): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, value] of Object.entries(this)) {
      const path = prefix + name;
      if (isParameter(value) && !seen.has(value)) {
        seen.add(value);
        out.push([path, value]);
      } else if (value instanceof Module) {
        out.push(...value.namedParameters(`${path}.`, seen));
      }
    }
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Clears every parameter's gradient (disposing it). */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Disposes every parameter (and its gradient), those of submodules included (except what is in `spare`). */
  dispose(spare?: ReadonlySet<unknown>): void {
    disposeAll(this.parameters(), spare);
  }

  /** @internal Returned from tidy, a module keeps what its fields hold: parameters, submodules. */
  [holds](): unknown[] {
    return Object.values(this);
  }

  train(mode = true): this {
    this.training = mode;
    this.children().forEach((m) => m.train(mode));
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** The parameters by name (the tensors themselves, not copies, as torch's state_dict). */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies `state` into the parameters in place. Strict (the default): missing and unexpected keys
   * are errors; shape and device mismatches always are. Nothing is written unless every check passes.
   */
  loadStateDict(state: StateDict, options?: { strict?: boolean }): { missingKeys: string[]; unexpectedKeys: string[] } {
    const { strict = true } = checkOptions('loadStateDict', options, ['strict']);
    if (!isPlainObject(state)) throw new Error(`loadStateDict: expects an object of tensors by parameter name (as stateDict() returns), got ${describe(state)}`);
    for (const [key, value] of Object.entries(state)) checkTensor('loadStateDict', `'${key}'`, value, 'convert it with tensor(values)');
    const own = new Map(this.namedParameters());
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

/** Overwrites `target`'s data with `source`'s (same shape and device), in place. */
function assign(target: Tensor, source: Tensor): void {
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

/** Runs modules one after another, feeding each the previous output. */
export class Sequential extends Module {
  private readonly layers: ModuleList<Module & { forward(x: Tensor): Tensor }>;
  constructor(...modules: (Module & { forward(x: Tensor): Tensor })[]) {
    super();
    this.layers = new ModuleList(modules);
  }
  override namedChildren(): [string, Module][] {
    return this.layers.namedChildren();
  }
  override namedParameters(prefix = '', seen = new Set<Tensor>()): [string, Tensor][] {
    return this.layers.namedParameters(prefix, seen);
  }
  forward(x: Tensor): Tensor {
    return [...this.layers].reduce((h, layer) => layer.forward(h), x);
  }
}
