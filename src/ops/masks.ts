// Internal helpers of the composed ops (dims, search, select, stats, distance): constants on a
// tensor's device and float 0/1 comparison masks (never differentiable), built from the existing
// primitives. Comparisons against a number broadcast a 0-d constant (greaterThan's number path
// computes a ≥ s as 1 − (a < s), which is 1 for a NaN; the tensor path keeps NaN false).
import type { DeviceName } from '../backend/backend.js';
import { getBackend } from '../device.js';
import { contiguousLayout, type Shape } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';
import { equal, greaterThan, rsub } from './elementwise.js';

/** A constant tensor of `shape` holding `values` (row-major), on `device`. */
export const constant = (device: DeviceName, values: Float32Array, shape: Shape): Tensor =>
  TensorHandle.fromStorage(device, getBackend(device).upload(values), contiguousLayout(shape));

/** A 0-d constant on `device`. */
export const scalar = (device: DeviceName, value: number): Tensor => TensorHandle.filled(device, [], value);

/** 0, 1, …, n − 1 laid along `dim` of a tensor of rank `ndim` (size 1 elsewhere), to broadcast. */
export function positions(device: DeviceName, n: number, dim: number, ndim: number, from = 0, step = 1): Tensor {
  const shape = Array.from({ length: Math.max(ndim, 1) }, (_, i) => (i === dim ? n : 1));
  return constant(device, Float32Array.from({ length: n }, (_, i) => from + i * step), shape);
}

const asTensor = (like: Tensor, b: Tensor | number): Tensor => (typeof b === 'number' ? scalar(like.device, b) : b);

export const isNan = (x: Tensor): Tensor => rsub(equal(x, x), 1);
export const not = (mask: Tensor): Tensor => rsub(mask, 1);
/** a < b */
export const lt = (a: Tensor, b: Tensor | number): Tensor => greaterThan(asTensor(a, b), a);
/** a ≤ b */
export const le = (a: Tensor, b: Tensor | number): Tensor => greaterThan(asTensor(a, b), a, true);
/** a ≥ b */
export const ge = (a: Tensor, b: Tensor | number): Tensor => greaterThan(a, asTensor(a, b), true);
/** a > b */
export const gt = (a: Tensor, b: Tensor | number): Tensor => greaterThan(a, asTensor(a, b));
/** a == b */
export const eq = (a: Tensor, b: Tensor | number): Tensor => equal(a, asTensor(a, b));
