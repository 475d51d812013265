// Optimizer state tensors: fresh contiguous tensors on a parameter's device, owned by the optimizer
// (kept out of tidy scopes, since step() often runs inside one).
import { getBackend } from '../device.js';
import { keep } from '../memory.js';
import { contiguousLayout } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Per-parameter state, PyTorch's keys in camelCase. `step` counts the updates made. */
export interface ParamState {
  step: number;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
  maxExpAvgSq?: Tensor;
  momentumBuffer?: Tensor;
}

export type StateKey = Exclude<keyof ParamState, 'step'>;

export const STATE_KEYS: readonly StateKey[] = ['expAvg', 'expAvgSq', 'maxExpAvgSq', 'momentumBuffer'];

/** Zeros shaped like `param`, uploaded (no kernel launch, so a step stays one launch per parameter). */
export function zerosFor(param: Tensor): Tensor {
  const storage = getBackend(param.device).upload(new Float32Array(param.size));
  return keep(Tensor.fromStorage(param.device, storage, contiguousLayout(param.shape)));
}

/** A contiguous copy of `source` (any view, on the same device), made by a copy kernel. */
export function copyOf(source: Tensor): Tensor {
  const storage = getBackend(source.device).unary('copy', source.storage, source.layout, 0);
  return keep(Tensor.fromStorage(source.device, storage, contiguousLayout(source.shape)));
}

export function disposeState(state: ParamState): void {
  for (const key of STATE_KEYS) state[key]?.dispose();
}

/** Copies of every state tensor (for loadStateDict: the optimizer owns its state). */
export function copyState(state: ParamState): ParamState {
  const copy: ParamState = { step: state.step };
  for (const key of STATE_KEYS) {
    const t = state[key];
    if (t) copy[key] = copyOf(t);
  }
  return copy;
}
