// How a backend runs its [outer, size, inner] kernels (reduce, softmax) on any view: directly where
// the view is contiguous and the axes one run, else on one contiguous copy of the view (for a
// reduction with the reduced dims moved last, so any set of dims is still one launch).
import { isContiguous, sizeOf, type Layout } from '../shape.js';
import type { AxisView, Storage } from './backend.js';

export interface AxisPlan {
  /** The view to copy to contiguous first, or null to read the input in place. */
  readonly copy: Layout | null;
  /** Where the [outer, size, inner] tensor starts in the storage the kernel reads. */
  readonly offset: number;
  readonly view: AxisView;
}

const span = (shape: readonly number[], from: number, to: number): AxisView => ({
  outer: sizeOf(shape.slice(0, from)),
  size: sizeOf(shape.slice(from, to)),
  inner: sizeOf(shape.slice(to)),
});

/** Reducing `dims` (sorted, distinct) of `layout`: the output is [outer, inner], the kept dims in order. */
export function reducePlan(layout: Layout, dims: readonly number[]): AxisPlan {
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  if (isContiguous(layout) && adjacent) {
    const [from, to] = dims.length ? [dims[0], dims[dims.length - 1] + 1] : [layout.shape.length, layout.shape.length];
    return { copy: null, offset: layout.offset, view: span(layout.shape, from, to) };
  }
  const order = [...layout.shape.keys()].filter((d) => !dims.includes(d)).concat(dims);
  const copy = { shape: order.map((d) => layout.shape[d]), strides: order.map((d) => layout.strides[d]), offset: layout.offset };
  return { copy, offset: 0, view: span(copy.shape, layout.shape.length - dims.length, layout.shape.length) };
}

/** A softmax along `dim`: its output has the input's shape, so a strided input is copied as it is. */
export function softmaxPlan(layout: Layout, dim: number): AxisPlan {
  const contiguous = isContiguous(layout);
  return { copy: contiguous ? null : layout, offset: contiguous ? layout.offset : 0, view: span(layout.shape, dim, dim + 1) };
}

interface Copier<S extends Storage> {
  unary(op: 'copy', x: S, layout: Layout, alpha: number): S;
  release(storage: S): void;
}

/** Runs `kernel` as `plan` says, releasing the copy it made. */
export function alongAxis<S extends Storage>(backend: Copier<S>, x: S, plan: AxisPlan, kernel: (x: S, offset: number, view: AxisView) => S): S {
  if (!plan.copy) return kernel(x, plan.offset, plan.view);
  const dense = backend.unary('copy', x, plan.copy, 0);
  try {
    return kernel(dense, 0, plan.view);
  } finally {
    backend.release(dense);
  }
}
