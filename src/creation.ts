// Making tensors: from JavaScript data, constants, ranges and seeded random numbers.
import type { DeviceName } from './backend/backend.js';
import { defaultDevice, getBackend } from './device.js';
import { normalValues, uniformValues } from './random.js';
import { contiguousLayout, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Defaults to the device chosen by init(). */
  device?: DeviceName;
}

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

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
  const walk = (item: NestedArray, dim: number): void => {
    if (dim === shape.length) {
      if (typeof item !== 'number') throw new Error(`${op}: expected a number at depth ${dim}, got ${JSON.stringify(item)}`);
      values.push(item);
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[dim]) {
      throw new Error(`${op}: ragged nested array: expected ${shape[dim]} items at depth ${dim} (shape ${formatShape(shape)})`);
    }
    item.forEach((v) => walk(v, dim + 1));
  };
  walk(data, 0);
  return { values, shape };
}

/** A tensor from a number, nested arrays, or a Float32Array (with `shape`; 1-D by default). */
export function tensor(data: NestedArray | Float32Array, options: TensorOptions & { shape?: readonly number[] } = {}): Tensor {
  const { values, shape } = data instanceof Float32Array ? { values: data, shape: [data.length] } : flatten('tensor', data);
  const target = options.shape ?? shape;
  checkShape('tensor', target);
  if (sizeOf(target) !== values.length) {
    throw new Error(`tensor: ${values.length} values cannot fill shape ${formatShape(target)} (${sizeOf(target)} elements)`);
  }
  return fromValues(Float32Array.from(values), target, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const t = Tensor.filled(options.device ?? defaultDevice(), shape, value);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

export const zeros = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 0, options);
export const ones = (shape: readonly number[], options: TensorOptions = {}): Tensor => full(shape, 1, options);

/** [start, start + step, …) below end; arange(n) is 0 … n-1 (like torch.arange). */
export function arange(startOrEnd: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [start, stop] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  if (step === 0 || !Number.isFinite(start) || !Number.isFinite(stop)) throw new Error(`arange: bad range start=${start} end=${stop} step=${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return fromValues(Float32Array.from({ length: n }, (_, i) => start + i * step), [n], options);
}

/** Samples of N(0, 1), reproducible with manualSeed. */
export function randn(shape: readonly number[], options: TensorOptions = {}): Tensor {
  checkShape('randn', shape);
  return fromValues(normalValues(sizeOf(shape)), shape, options);
}

/** Samples of U(0, 1), reproducible with manualSeed. */
export function rand(shape: readonly number[], options: TensorOptions = {}): Tensor {
  checkShape('rand', shape);
  return fromValues(uniformValues(sizeOf(shape)), shape, options);
}
