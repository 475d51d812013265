// Optimizer state tensors: owned by the optimizer (kept out of tidy scopes, since step() often runs
// inside one) and packed: the state of many parameters is views into one flat storage per state key,
// so a backend's multi-tensor step binds one buffer for all of them (see Backend.adamStep).
import type { DeviceName, OptimizerTensor, StorageSlice } from '../backend/backend.js';
import { getBackend } from '../device.js';
import { noGrad } from '../autograd/node.js';
import { disposeAll, keep, tidy } from '../memory.js';
import { contiguousLayout } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Per-parameter state, PyTorch's keys in camelCase. `step` counts the updates made. */
export interface ParamState {
  step: number;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  maxExpAvgSq?: Tensor;
  momentumBuffer?: Tensor;
  /** RMSprop's running averages of the squared gradient and (centered) of the gradient. */
  squareAvg?: Tensor;
  gradAvg?: Tensor;
  /** Adagrad's running sum of squared gradients. */
  sum?: Tensor;
}

export type StateKey = Exclude<keyof ParamState, 'step'>;

export const STATE_KEYS: readonly StateKey[] = ['expAvg', 'expAvgSq', 'maxExpAvgSq', 'momentumBuffer', 'squareAvg', 'gradAvg', 'sum'];

/** A parameter with a gradient this step and its state (`step` already counted). */
export interface ParamUpdate {
  readonly param: Tensor;
  readonly grad: Tensor;
  readonly state: ParamState;
}

/**
 * Elements per flat state storage at most (64 MiB of float32, within WebGPU's default 128 MiB
 * binding limit); a larger tensor's state gets a storage of its own.
 */
const FLAT_ELEMENTS = 2 ** 24;

/**
 * Zeros shaped like each of `like`, on its device: contiguous views into as few flat storages as
 * FLAT_ELEMENTS allows, each made by one upload (no kernel launch).
 */
export function flatZeros(like: readonly Tensor[]): Tensor[] {
  const chunks: number[][] = [];
  const filling = new Map<DeviceName, { members: number[]; size: number }>();
  like.forEach((t, i) => {
    let chunk = filling.get(t.device);
    if (!chunk || chunk.size + t.size > FLAT_ELEMENTS) {
      chunk = { members: [], size: 0 };
      chunks.push(chunk.members);
      filling.set(t.device, chunk);
    }
    chunk.members.push(i);
    chunk.size += t.size;
  });
  const out = new Array<Tensor>(like.length);
  for (const members of chunks) {
    const device = like[members[0]].device;
    const total = members.reduce((sum, i) => sum + like[i].size, 0);
    const flat = Tensor.fromStorage(device, getBackend(device).upload(new Float32Array(total)), contiguousLayout([total]));
    let offset = 0;
    for (const i of members) {
      out[i] = keep(Tensor.view(flat, contiguousLayout(like[i].shape, offset)));
      offset += like[i].size;
    }
    flat.dispose(); // the views hold the storage
  }
  return out;
}

/** Gives each update's state the zero tensors of `keys` it lacks, packed together per key. */
export function ensureState(updates: readonly ParamUpdate[], keys: readonly StateKey[]): void {
  for (const key of keys) {
    const missing = updates.filter(({ state }) => !state[key]);
    flatZeros(missing.map(({ param }) => param)).forEach((zeros, i) => (missing[i].state[key] = zeros));
  }
}

/** Copies of every state tensor, packed like fresh state (loadStateDict: the optimizer owns its state). */
export function copyStates(states: readonly ParamState[]): ParamState[] {
  const copies = states.map(({ step }): ParamState => ({ step }));
  for (const key of STATE_KEYS) {
    const having = states.flatMap((state, i) => (state[key] ? [i] : []));
    const sources = having.map((i) => states[i][key]!);
    flatZeros(sources).forEach((copy, j) => {
      const source = sources[j];
      getBackend(source.device).copy(source.storage, source.layout, copy.storage, copy.layout);
      copies[having[j]][key] = copy;
    });
  }
  return copies;
}

export function disposeState(state: ParamState, spare?: ReadonlySet<unknown>): void {
  disposeAll(STATE_KEYS.map((key) => state[key]), spare);
}

/** Where a contiguous tensor (a parameter, a state view) sits in its storage. */
export const sliceOf = (t: Tensor): StorageSlice => ({ storage: t.storage, offset: t.layout.offset });

/** The backend's view of an update: θ and its gradient (the subclass adds the state slices). */
export const stepTensor = ({ param, grad }: ParamUpdate): OptimizerTensor => ({ param: sliceOf(param), grad: grad.storage, gradLayout: grad.layout });

/**
 * An update composed of tensor ops (no backend kernel, so every backend runs it): for each update,
 * `fn` returns θ's new value and the new state tensors, written into θ's storage and into the state
 * tensors already there (in place, as a fused kernel and PyTorch update them; a state the update
 * lacks is taken as is); the intermediates are freed.
 */
export function composedUpdate(updates: readonly ParamUpdate[], fn: (update: ParamUpdate) => { param: Tensor; state: Partial<Record<StateKey, Tensor>> }): void {
  const assign = (from: Tensor, to: Tensor) => getBackend(to.device).copy(from.storage, from.layout, to.storage, to.layout);
  for (const update of updates) {
    tidy(() =>
      noGrad(() => {
        const { param, state } = fn(update);
        assign(param, update.param);
        for (const [key, t] of Object.entries(state) as [StateKey, Tensor][]) {
          const held = update.state[key];
          if (held) assign(t, held);
          else update.state[key] = keep(t);
        }
      }),
    );
  }
}
