// functionalCall (torch.func.functional_call): a module's forward with some of its parameters and
// buffers replaced, by dotted name, by given tensors — differentiably (the given tensors are what the
// forward reads) and without changing the module (its own tensors are back when the call returns,
// or throws). A tensor the module holds under several names is replaced under all of them.
import { checkTensor, describe, isPlainObject } from '../check.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Module, isBuffer, isParameter } from './module.js';

type Forward<A extends unknown[], R> = Module & { forward(...args: A): R };

/** Every place a tensor sits in the module tree: the owning module and its field. */
function placesOf(module: Module, into = new Map<Tensor, [Module, string][]>()): Map<Tensor, [Module, string][]> {
  for (const [field, value] of module.namedFields()) {
    if (isParameter(value) || isBuffer(value)) into.set(value, [...(into.get(value) ?? []), [module, field]]);
    else if (value instanceof Module) placesOf(value, into);
  }
  return into;
}

/** module.forward(...inputs) reading `tensors[name]` where the module has the parameter or buffer `name`. */
export function functionalCall<A extends unknown[], R>(module: Forward<A, R>, tensors: Readonly<Record<string, Tensor>>, ...inputs: A): R {
  if (!(module instanceof Module)) throw new Error(`functionalCall: expects a module, got ${describe(module)}`);
  if (!isPlainObject(tensors)) throw new Error(`functionalCall: expects an object of tensors by parameter name, got ${describe(tensors)}`);
  const state = module.stateDict();
  for (const [name, given] of Object.entries(tensors)) {
    const own = state[name];
    if (!own) throw new Error(`functionalCall: the module has no parameter or buffer '${name}'; it has ${Object.keys(state).join(', ')}`);
    checkTensor('functionalCall', `'${name}'`, given);
    if (given.shape.join() !== own.shape.join() || given.ndim !== own.ndim) {
      throw new Error(`functionalCall: '${name}' is ${formatShape(own.shape)} in the module, got ${formatShape(given.shape)}`);
    }
    if (given.device !== own.device) throw new Error(`functionalCall: '${name}' is on ${given.device}, the module on ${own.device}; move it with await t.to('${own.device}')`);
  }
  return withTensors(module, tensors, () => module.forward(...inputs));
}

/** @internal fn() with `tensors` put in `module` by name (unchecked) for its duration: functionalCall's core. */
export function withTensors<R>(module: Module, tensors: Readonly<Record<string, Tensor>>, fn: () => R): R {
  const state = module.stateDict();
  const places = placesOf(module);
  const swaps = Object.entries(tensors).flatMap(([name, given]) => places.get(state[name])!.map(([owner, field]): [Module, string, Tensor] => [owner, field, given]));
  const fields = (m: Module) => m as unknown as Record<string, Tensor>;
  const originals = swaps.map(([owner, field]) => fields(owner)[field]);
  try {
    for (const [owner, field, given] of swaps) fields(owner)[field] = given;
    return fn();
  } finally {
    swaps.forEach(([owner, field], i) => (fields(owner)[field] = originals[i]));
  }
}
