// Making tensors: from JavaScript data, constants, ranges and seeded random numbers.
import type { DeviceName } from './backend/backend.js';
import { checkOptions, checkShape, describe } from './check.js';
import { defaultDevice, getBackend } from './device.js';
import { integerValues, normalValues, permutation, uniformValues } from './random.js';
import { contiguousLayout, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Defaults to the device chosen by init(). */
  device?: DeviceName;
}

/** The typed arrays tensor() converts to float32. */
export type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;

const TENSOR_OPTIONS = ['requiresGrad', 'device'] as const;

function fromValues(values: Float32Array, shape: Shape, options: TensorOptions): Tensor {
  const device = options.device ?? defaultDevice();
  const t = Tensor.fromStorage(device, getBackend(device).upload(values), contiguousLayout(shape));
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

function flatten(op: string, data: NestedArray): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = level[0]) shape.push(level.length);
  const values: number[] = [];
  const walk = (item: NestedArray, at: number[]): void => {
    const dim = at.length;
    const where = dim > 0 ? ` at [${at.join('][')}]` : '';
    if (dim === shape.length) {
      if (typeof item === 'number') return void values.push(item);
      const fix = typeof item === 'bigint' ? '; convert it with Number(x)' : '';
      throw new Error(`${op}: expected a number, nested arrays of numbers or a typed array; got ${describe(item)}${where}${fix}`);
    }
    if (!Array.isArray(item) || item.length !== shape[dim]) {
      throw new Error(`${op}: ragged nested array: expected ${shape[dim]} items at depth ${dim} (shape ${formatShape(shape)}), got ${describe(item)}${where}`);
    }
    item.forEach((v, i) => walk(v, [...at, i]));
  };
  walk(data, []);
  return { values, shape };
}

function typedValues(op: string, data: ArrayBufferView): ArrayLike<number> {
  if (data instanceof DataView || data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new Error(`${op}: cannot read numbers from ${describe(data)}; convert it, e.g. Float32Array.from(a, Number)`);
  }
  return data as TypedArray;
}

/** A tensor from a number, nested arrays, or a typed array (with `shape`; 1-D by default), stored as float32. */
export function tensor(data: NestedArray | TypedArray, options: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const { shape: given, ...rest } = checkOptions('tensor', options, ['shape', ...TENSOR_OPTIONS]);
  const { values, shape } = ArrayBuffer.isView(data) ? { values: typedValues('tensor', data), shape: [data.length] } : flatten('tensor', data);
  const target = given === undefined ? shape : checkShape('tensor', given);
  if (sizeOf(target) !== values.length) {
    throw new Error(`tensor: ${values.length} values cannot fill shape ${formatShape(target)} (${sizeOf(target)} elements)`);
  }
  return fromValues(new Float32Array(values), target, rest);
}

function filled(op: string, shape: readonly number[], value: number, options: TensorOptions | undefined): Tensor {
  const checked = checkOptions(op, options, TENSOR_OPTIONS);
  if (typeof value !== 'number') throw new Error(`${op}: the fill value must be a number, got ${describe(value)}`);
  const t = Tensor.filled(checked.device ?? defaultDevice(), checkShape(op, shape), value);
  if (checked.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of `shape` filled with `value`. */
export const full = (shape: readonly number[], value: number, options?: TensorOptions): Tensor => filled('full', shape, value, options);
export const zeros = (shape: readonly number[], options?: TensorOptions): Tensor => filled('zeros', shape, 0, options);
export const ones = (shape: readonly number[], options?: TensorOptions): Tensor => filled('ones', shape, 1, options);

/** [start, start + step, …) below end; arange(n) is 0 … n-1 (like torch.arange). */
export function arange(startOrEnd: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  const [start, stop] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  if (step === 0 || ![start, stop, step].every(Number.isFinite)) {
    throw new Error(`arange: start, end and step must be finite numbers, step ≠ 0; got ${[start, stop, step].map(describe).join(', ')}`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return fromValues(Float32Array.from({ length: n }, (_, i) => start + i * step), [n], checkOptions('arange', options, TENSOR_OPTIONS));
}

/** Samples of N(0, 1), reproducible with manualSeed. */
export function randn(shape: readonly number[], options?: TensorOptions): Tensor {
  return fromValues(normalValues(sizeOf(checkShape('randn', shape))), shape, checkOptions('randn', options, TENSOR_OPTIONS));
}

/** Samples of U(0, 1), reproducible with manualSeed. */
export function rand(shape: readonly number[], options?: TensorOptions): Tensor {
  return fromValues(uniformValues(sizeOf(checkShape('rand', shape))), shape, checkOptions('rand', options, TENSOR_OPTIONS));
}

/** Integers in float32 are exact up to 2^24. */
const MAX_EXACT_INTEGER = 2 ** 24;

/**
 * Integers drawn uniformly from low … high − 1 (like torch.randint), reproducible with
 * manualSeed: randint(high, shape) or randint(low, high, shape). A float32 tensor holding exact
 * integers (|values| ≤ 2^24).
 */
export function randint(high: number, shape: readonly number[], options?: Omit<TensorOptions, 'requiresGrad'>): Tensor;
export function randint(low: number, high: number, shape: readonly number[], options?: Omit<TensorOptions, 'requiresGrad'>): Tensor;
export function randint(...args: unknown[]): Tensor {
  const [low, high, shape, options] = typeof args[1] === 'number' ? args : [0, ...args];
  const ok = Number.isInteger(low) && Number.isInteger(high) && (low as number) < (high as number);
  if (!ok || Math.max(Math.abs(low as number), Math.abs(high as number)) > MAX_EXACT_INTEGER) {
    throw new Error(`randint: low and high must be integers with low < high and |bounds| ≤ 2^24 (float32's exact integers), got ${describe(low)} and ${describe(high)}`);
  }
  const size = sizeOf(checkShape('randint', shape));
  return fromValues(integerValues(size, low as number, high as number), shape as number[], checkOptions('randint', options as TensorOptions | undefined, ['device']));
}

/**
 * A random permutation of 0 … n − 1 (like torch.randperm), from manualSeed's stream or from
 * `seed` (see data.randperm, which returns it as numbers). A float32 tensor holding exact integers.
 */
export function randperm(n: number, options?: { device?: DeviceName; seed?: number }): Tensor {
  const { device, seed } = checkOptions('randperm', options, ['device', 'seed']);
  if (!(Number.isInteger(n) && n >= 0 && n <= MAX_EXACT_INTEGER)) throw new Error(`randperm: n must be an integer in 0 … 2^24 (float32's exact integers), got ${describe(n)}`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`randperm: seed must be an integer, got ${describe(seed)}`);
  return fromValues(Float32Array.from(permutation(n, seed)), [n], { device });
}
