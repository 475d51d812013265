// Making tensors: from JavaScript data, constants, ranges and seeded random numbers.
import type { DeviceName } from './backend/backend.js';
import { checkOptions, checkShape, describe } from './check.js';
import { defaultDevice, getBackend } from './device.js';
import { normalValues, uniformValues } from './random.js';
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
  return fromValues(Float32Array.from(values), target, rest);
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
