// The tensor front: an immutable float32 n-d array on one device, a node of the autograd graph;
// the handle it extends (handle.ts) holds the storage and graph state, this class the op methods.
import { inspect } from 'node:util';
import { backward as runBackward } from './autograd/engine.js';
import type { DeviceName } from './backend/backend.js';
import { sizesArg } from './check.js';
import { getBackend } from './device.js';
import { TensorHandle } from './handle.js';
import * as ops from './ops/index.js';
import { formatTensor } from './format.js';
import { contiguousLayout, formatShape, sizeOf } from './shape.js';

export type Scalar = number;
export type NestedArray = number | NestedArray[];

export class Tensor extends TensorHandle {
  static {
    this.registerSpecies((device, shared, layout) => new Tensor(device, shared, layout));
  }

  async data(): Promise<Float32Array> {
    const values = await this.rawData();
    // read() copies the storage out, so a Float32Array is already the caller's own (Float32Array.from would copy it again, element by element).
    return values instanceof Float32Array ? values : new Float32Array(values);
  }

  async array(): Promise<NestedArray> {
    const values = Array.from(await this.data());
    const nest = (dim: number, at: number): NestedArray => {
      if (dim === this.ndim) return values[at];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => nest(dim + 1, at + i * stride));
    };
    return nest(0, 0);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: only one-element tensors can be converted to a number; this one is ${formatShape(this.shape)}`);
    return (await this.data())[0];
  }

  /** A copy on another device (a no-op handle when already there). */
  async to(device: DeviceName): Promise<Tensor> {
    if (device === this.device) return this.detach();
    const values = await this.rawData();
    return Tensor.fromStorage(device, getBackend(device).upload(values), contiguousLayout(this.shape));
  }

  /** Accumulates gradients of this tensor into every leaf's .grad. */
  backward(gradient?: Tensor, options?: { retainGraph?: boolean; createGraph?: boolean }): void {
    runBackward(this, gradient, options);
  }

  /**
   * The values as PyTorch prints them, then shape, device and autograd state:
   * `tensor([[0.1000, 0.2000], …], shape [2, 2], cpu)`; large tensors summarised (setPrintOptions).
   * A webgpu tensor's values cannot be read synchronously: it prints a placeholder; `await t.format()`.
   */
  override toString(): string {
    if (this.isDisposed) return formatTensor('<disposed>', this.shape, this.suffixes());
    const values = this.valuesSync();
    return formatTensor(values ?? `<on ${this.device}: await t.format() to print the values>`, this.shape, this.suffixes());
  }

  /** toString with the values, on every device. */
  async format(): Promise<string> {
    if (this.isDisposed) return this.toString();
    return formatTensor(await this.data(), this.shape, this.suffixes());
  }

  /** console.log and util.inspect print toString(). */
  [inspect.custom](): string {
    return this.toString();
  }

  private suffixes(): string[] {
    const grad = this.gradFn ? [`gradFn ${this.gradFn.name}`] : this.requiresGrad ? ['requiresGrad'] : [];
    return [`shape [${this.shape.join(', ')}]`, this.device, ...grad];
  }

  zerosLike(): Tensor {
    return Tensor.filled(this.device, this.shape, 0);
  }
  onesLike(): Tensor {
    return Tensor.filled(this.device, this.shape, 1);
  }

  // Elementwise (NumPy/PyTorch broadcasting; a number works wherever a tensor does).
  add(other: Tensor | Scalar): Tensor { return ops.add(this, other); }
  sub(other: Tensor | Scalar): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | Scalar): Tensor { return ops.mul(this, other); }
  div(other: Tensor | Scalar): Tensor { return ops.div(this, other); }
  maximum(other: Tensor | Scalar): Tensor { return ops.maximum(this, other); }
  minimum(other: Tensor | Scalar): Tensor { return ops.minimum(this, other); }
  pow(exponent: Tensor | Scalar): Tensor { return ops.pow(this, exponent); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  relu(): Tensor { return ops.relu(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  softplus(): Tensor { return ops.softplus(this); }
  sin(): Tensor { return ops.sin(this); }
  cos(): Tensor { return ops.cos(this); }
  square(): Tensor { return ops.square(this); }
  rsqrt(): Tensor { return ops.rsqrt(this); }
  reciprocal(): Tensor { return ops.reciprocal(this); }
  log1p(): Tensor { return ops.log1p(this); }
  expm1(): Tensor { return ops.expm1(this); }

  // Comparisons: float 0/1 masks (1 where true), not differentiable; NaN compares false except in ne.
  eq(other: Tensor | Scalar): Tensor { return ops.eq(this, other); }
  ne(other: Tensor | Scalar): Tensor { return ops.ne(this, other); }
  gt(other: Tensor | Scalar): Tensor { return ops.gt(this, other); }
  ge(other: Tensor | Scalar): Tensor { return ops.ge(this, other); }
  lt(other: Tensor | Scalar): Tensor { return ops.lt(this, other); }
  le(other: Tensor | Scalar): Tensor { return ops.le(this, other); }

  // Linear algebra.
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }

  // Reductions (dim may be negative; all dims when omitted).
  sum(dim?: number | readonly number[], keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: number | readonly number[], keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }

  // Shape and indexing.
  /** reshape([2, 3]) or, as in PyTorch, reshape(2, 3); one size may be -1. */
  reshape(...shape: readonly number[] | [readonly number[]]): Tensor { return ops.reshape(this, sizesArg('reshape', shape)); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  get T(): Tensor { return ops.t(this); }
  expand(...shape: readonly number[] | [readonly number[]]): Tensor { return ops.expand(this, sizesArg('expand', shape)); }
  contiguous(): Tensor { return ops.contiguous(this); }
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  indexSelect(dim: number, index: Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }

  // Composed ops of issue 10 §2 (src/ops/dims, search, select, stats, distance). Indices are
  // float32 tensors holding exact integers.
  /** max(): the largest element; max(dim, keepdim): { values, indices } along dim (torch.max). */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): ops.ValuesIndices;
  max(dim?: number, keepdim = false): Tensor | ops.ValuesIndices { return dim === undefined ? ops.max(this) : ops.max(this, dim, keepdim); }
  /** min(): the smallest element; min(dim, keepdim): { values, indices } along dim (torch.min). */
  min(): Tensor;
  min(dim: number, keepdim?: boolean): ops.ValuesIndices;
  min(dim?: number, keepdim = false): Tensor | ops.ValuesIndices { return dim === undefined ? ops.min(this) : ops.min(this, dim, keepdim); }
  amax(dim?: number | readonly number[], keepdim = false): Tensor { return ops.amax(this, dim, keepdim); }
  amin(dim?: number | readonly number[], keepdim = false): Tensor { return ops.amin(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  topk(k: number, dim = -1, largest = true, sorted = true): ops.ValuesIndices { return ops.topk(this, k, dim, largest, sorted); }
  clamp(min?: Tensor | Scalar | null, max?: Tensor | Scalar | null): Tensor { return ops.clamp(this, min, max); }
  clampMin(min: Tensor | Scalar): Tensor { return ops.clampMin(this, min); }
  clampMax(max: Tensor | Scalar): Tensor { return ops.clampMax(this, max); }
  squeeze(dim?: number | readonly number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  /** permute(2, 0, 1) or permute([2, 0, 1]): a view. */
  permute(...dims: readonly number[] | [readonly number[]]): Tensor { return ops.permute(this, sizesArg('permute', dims)); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  repeat(...sizes: readonly number[] | [readonly number[]]): Tensor { return ops.repeat(this, sizesArg('repeat', sizes)); }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  var(dim?: number | readonly number[] | null, options?: ops.VarOptions): Tensor { return ops.var_(this, dim, options); }
  std(dim?: number | readonly number[] | null, options?: ops.VarOptions): Tensor { return ops.std(this, dim, options); }
  norm(p = 2, dim?: number | readonly number[] | null, keepdim = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  cumsum(dim: number): Tensor { return ops.cumsum(this, dim); }
}
