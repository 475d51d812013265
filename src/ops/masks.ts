// Internal helpers of the composed ops (dims, search, select, stats, distance): constants on a
// tensor's device and float 0/1 masks (never differentiable).
import type { DeviceName } from '../backend/backend.js';
import { getBackend } from '../device.js';
import { contiguousLayout, type Shape } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';
import { ne, rsub } from './elementwise.js';

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

export const isNan = (x: Tensor): Tensor => ne(x, x);
export const not = (mask: Tensor): Tensor => rsub(mask, 1);
export { eq, ge, gt, le, lt } from './elementwise.js';
