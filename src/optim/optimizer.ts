// The optimizer base: parameter groups with per-group options, per-parameter state made on a
// parameter's first update, zeroGrad(), step() (checks every gradient, then hands each group's
// parameters, per device, to the subclass's in-place multi-tensor update), and state dicts in
// PyTorch's layout. An optimizer made inside tidy() is disposed at its end unless returned.
import { checkOptions, checkTensor, describe, isPlainObject } from '../check.js';
import { holds, track } from '../memory.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { copyStates, disposeState, STATE_KEYS, type ParamState, type ParamUpdate, type StateKey } from './state.js';

/**
 * A parameter group: its tensors and its options (the constructor's, where the group gives none);
 * initialLr (PyTorch's initial_lr) is set by the first lr scheduler made on the optimizer.
 */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

/** Tensors (one group), or groups of tensors with options of their own. */
export type ParamsInput<O> = readonly Tensor[] | readonly (Partial<O> & { params: readonly Tensor[] })[];

export interface OptimizerStateDict<O> {
  /** By parameter number: the parameters are numbered in order across the groups. */
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[] })[];
}

interface Entry<O> {
  readonly param: Tensor;
  readonly group: ParamGroup<O>;
  /** The parameter's number across the groups, and its group's. */
  readonly index: number;
  readonly groupIndex: number;
}

/** "parameter 3 (group 1, [4,2])", for error messages. */
const nameOf = ({ param, index, groupIndex }: Entry<unknown>): string => `parameter ${index} (group ${groupIndex}, ${formatShape(param.shape)})`;

export abstract class Optimizer<O extends object> {
  readonly paramGroups: ParamGroup<O>[];
  private readonly state = new Map<Tensor, ParamState>();

  /**
   * `options` over `defaults` make every group's defaults; the keys of `defaults` are the known
   * options (a default of undefined: required); checkOptions rejects what is missing.
   */
  protected constructor(params: ParamsInput<O>, defaults: Partial<O>, options: Partial<O> | undefined) {
    const name = this.constructor.name;
    const known = Object.keys(defaults);
    const given = checkOptions(name, options, known);
    const merged = withDefaults(defaults, given) as O;
    this.checkOptions(merged, name);
    this.paramGroups = toGroups(name, params, merged, known);
    this.checkGroups(name);
    const seen = new Set<Tensor>();
    for (const entry of this.entries()) {
      const [param, which] = [entry.param, nameOf(entry)];
      // Leaves with requiresGrad off (frozen) are accepted: they have no gradient, so step() skips them.
      if (!param.isLeaf) throw new Error(`${name}: ${which} is not a leaf tensor (it was computed by '${param.gradFn!.name}'); pass the tensors you made (nn.Parameter, requiresGrad: true), or a detach()ed copy`);
      if (!param.isContiguous() || param.layout.offset !== 0) throw new Error(`${name}: ${which} is a strided view; optimizers update a parameter's storage in place, so it must be contiguous from offset 0`);
      if (seen.has(param)) throw new Error(`${name}: ${which} appears more than once in the parameter groups`);
      seen.add(param);
    }
    track(this);
  }

  private checkGroups(where: string): void {
    this.paramGroups.forEach((group, g) => this.checkOptions(group, `${where}: param group ${g}`));
  }

  /** Throws an Error naming `where` and the option for an invalid value. */
  protected abstract checkOptions(options: O, where: string): void;
  /** The state tensors a parameter updated under `options` must have. */
  protected abstract requiredState(options: O): readonly StateKey[];
  /**
   * Updates in place the parameters of `updates` (those of `group` that have a gradient, all on one
   * device, in the group's order) from their gradients (same shapes and device), `state.step` counted.
   */
  protected abstract update(updates: readonly ParamUpdate[], group: ParamGroup<O>): void;

  /** Disposes every parameter's gradient and sets it to null. */
  zeroGrad(): void {
    for (const { param } of this.entries()) {
      param.grad?.dispose();
      param.grad = null;
    }
  }

  /**
   * One update of every parameter that has a gradient (the others, and their state, are left
   * alone). Launches kernels, a few per group, and waits for nothing: no readback, no graph
   * recorded.
   */
  step(): void {
    const where = `${this.constructor.name}.step`;
    this.checkGroups(where); // paramGroups[i] options may have been changed since (a schedule)
    const updates = this.entries().filter(({ param }) => param.grad !== null);
    for (const entry of updates) {
      const [param, grad] = [entry.param, entry.param.grad!];
      if (grad.shape.join() !== param.shape.join()) throw new Error(`${where}: the gradient of ${nameOf(entry)} has shape ${formatShape(grad.shape)}, the parameter ${formatShape(param.shape)}`);
      if (grad.device !== param.device) throw new Error(`${where}: the gradient of ${nameOf(entry)} is on ${grad.device}, the parameter on ${param.device}`);
    }
    for (const batch of groupBy(updates, ({ groupIndex, param }) => `${groupIndex} ${param.device}`)) {
      const params = batch.map(({ param }): ParamUpdate => {
        let state = this.state.get(param);
        if (!state) this.state.set(param, (state = { step: 0 }));
        state.step++;
        return { param, grad: param.grad!, state };
      });
      this.update(params, batch[0].group);
    }
  }

  /**
   * Frees the optimizer's state tensors (moments, momentum buffers) except those in `spare`; a later
   * step starts afresh. The parameters are the caller's and stay.
   */
  dispose(spare?: ReadonlySet<unknown>): void {
    this.state.forEach((state) => disposeState(state, spare));
    this.state.clear();
  }

  /** @internal Returned from tidy, an optimizer keeps its parameters. */
  [holds](): unknown[] {
    return this.paramGroups;
  }

  /** The state (its tensors themselves, not copies, as torch's state_dict) and the group options. */
  stateDict(): OptimizerStateDict<O> {
    const state: Record<number, ParamState> = {};
    for (const { param, index } of this.entries()) {
      const s = this.state.get(param);
      if (s) state[index] = { ...s };
    }
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => ({ ...optionsOf(group), params: group.params.map(() => next++) }));
    return { state, paramGroups };
  }

  /**
   * Replaces the state with copies of `stateDict`'s (made on the device by copy kernels) and the
   * group options with its options. Checks everything first: group and parameter counts, options,
   * state tensor shapes and devices; nothing changes unless every check passes. The previous state
   * tensors are disposed (a stateDict() taken from this optimizer before holds them).
   */
  loadStateDict(stateDict: OptimizerStateDict<O>): void {
    const where = `${this.constructor.name}.loadStateDict`;
    const shaped = isPlainObject(stateDict) && isPlainObject(stateDict.state) && Array.isArray(stateDict.paramGroups) && stateDict.paramGroups.every((g) => isPlainObject(g) && Array.isArray(g.params));
    if (!shaped) throw new Error(`${where}: expects { state: { [param]: ParamState }, paramGroups: [{ params: number[], …options }] } as stateDict() returns, got ${describe(stateDict)}`);
    const { state, paramGroups: saved } = stateDict;
    if (saved.length !== this.paramGroups.length) {
      throw new Error(`${where}: the state dict has ${saved.length} parameter group(s), this optimizer ${this.paramGroups.length}`);
    }
    const loaded = new Map<Tensor, ParamState>();
    const listed = new Set<string>();
    saved.forEach((savedGroup, g) => {
      const params = this.paramGroups[g].params;
      if (savedGroup.params.length !== params.length) {
        throw new Error(`${where}: parameter group ${g} has ${savedGroup.params.length} parameter(s) in the state dict, ${params.length} in this optimizer`);
      }
      const options = optionsOf(savedGroup);
      this.checkOptions(options, `${where}: parameter group ${g}`);
      savedGroup.params.forEach((id, k) => {
        listed.add(String(id));
        const s = state[id];
        if (!s) return;
        checkState(`${where}: state of parameter ${id} (group ${g})`, s, params[k], this.requiredState(options));
        loaded.set(params[k], s);
      });
    });
    const stray = Object.keys(state).filter((id) => !listed.has(id));
    if (stray.length > 0) throw new Error(`${where}: the state dict has state for parameter(s) ${stray.join(', ')}, which no parameter group lists`);

    const copies = copyStates([...loaded.values()]);
    this.dispose();
    [...loaded.keys()].forEach((param, i) => this.state.set(param, copies[i]));
    saved.forEach((savedGroup, g) => Object.assign(this.paramGroups[g], optionsOf(savedGroup)));
  }

  private entries(): Entry<O>[] {
    let index = 0;
    return this.paramGroups.flatMap((group, groupIndex) => group.params.map((param) => ({ param, group, index: index++, groupIndex })));
  }
}

/** `items` split by `key`, the parts in order of first appearance, each in the items' order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => unknown): T[][] {
  const parts = new Map<unknown, T[]>();
  for (const item of items) {
    const k = key(item);
    const part = parts.get(k);
    if (part) part.push(item);
    else parts.set(k, [item]);
  }
  return [...parts.values()];
}

/** A group's options without its params, as a deep copy (betas is an array). */
function optionsOf<O extends object>(group: O & { params: unknown }): O {
  const { params: _, ...options } = group;
  return structuredClone(options) as O;
}

function toGroups<O extends object>(name: string, params: ParamsInput<O>, defaults: O, known: readonly string[]): ParamGroup<O>[] {
  if (!Array.isArray(params)) {
    const hint = params instanceof Tensor ? 'wrap it: [t]' : typeof params === 'object' && params !== null && 'parameters' in params ? 'pass module.parameters()' : 'e.g. model.parameters()';
    throw new Error(`${name}: params must be an array of tensors or of param groups { params, …options }, got ${describe(params)}; ${hint}`);
  }
  if (params.length === 0) throw new Error(`${name}: got an empty parameter list`);
  const groups: readonly unknown[] = params.every((p) => p instanceof Tensor) ? [{ params }] : params;
  return groups.map((group, g) => {
    const where = `${name}: param group ${g}`;
    if (!isPlainObject(group)) throw new Error(`${where} must be a tensor or { params: Tensor[], …options } (tensors and groups cannot be mixed), got ${describe(group)}`);
    const { params: tensors, ...options } = checkOptions(where, group, ['params', ...known]);
    if (!Array.isArray(tensors)) throw new Error(`${where}: params must be an array of tensors, got ${describe(tensors)}`);
    tensors.forEach((t, i) => checkTensor(where, `params[${i}]`, t));
    return { ...withDefaults(defaults, options as Partial<O>), params: [...tensors] } as ParamGroup<O>;
  });
}

/** A copy of `defaults` overridden by the options `given` (those not undefined). */
function withDefaults<O extends object>(defaults: Partial<O>, given: Partial<O>): Partial<O> {
  const defined = Object.entries(given).filter(([, value]) => value !== undefined);
  return structuredClone({ ...defaults, ...Object.fromEntries(defined) });
}

function checkState(where: string, state: ParamState, param: Tensor, required: readonly StateKey[]): void {
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`${where}: step must be a non-negative integer, got ${state.step}`);
  for (const key of required) if (!state[key]) throw new Error(`${where}: ${key} is missing`);
  for (const key of STATE_KEYS) {
    const t = state[key];
    if (!t) continue;
    checkTensor(where, key, t);
    if (t.shape.join() !== param.shape.join()) throw new Error(`${where}: ${key} has shape ${formatShape(t.shape)}, the parameter ${formatShape(param.shape)}`);
    if (t.device !== param.device) throw new Error(`${where}: ${key} is on ${t.device}, the parameter on ${param.device}; move it with await t.to('${param.device}')`);
  }
}
