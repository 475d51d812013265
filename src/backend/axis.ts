// How a backend runs its kernels that take contiguous operands (reduce, softmax over [outer, size,
// inner]; the window kernels) on any view: directly where the view is contiguous (and, for a
// reduction, the axes one run), else on one contiguous copy of the view (for a reduction with the
// reduced dims moved last, so any set of dims is still one launch).
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

/**
 * Reduces `dims` (sorted, distinct) of a view with `kernel`, told whether a launch is the last (for
 * a sum's scale). A contiguous view whose dims form several runs (a batch norm's [0, 2, 3]) is
 * reduced run by run, innermost first, each launch reading the previous one's smaller output: no
 * copy of the input. Any other view is copied once, the reduced dims moved last (reducePlan).
 */
export function reduceAlong<S extends Storage>(backend: Copier<S>, x: S, layout: Layout, dims: readonly number[], kernel: (x: S, offset: number, view: AxisView, last: boolean) => S): S {
  const runs: number[][] = [];
  for (const d of dims) {
    const run = runs.at(-1);
    if (run && run[run.length - 1] + 1 === d) run.push(d);
    else runs.push([d]);
  }
  if (runs.length < 2 || !isContiguous(layout)) return alongAxis(backend, x, reducePlan(layout, dims), (s, offset, view) => kernel(s, offset, view, true));
  const shape = [...layout.shape];
  let [storage, offset] = [x, layout.offset];
  for (let r = runs.length - 1; r >= 0; r--) {
    const [from, to] = [runs[r][0], runs[r][runs[r].length - 1] + 1];
    const out = kernel(storage, offset, span(shape, from, to), r === 0);
    if (storage !== x) backend.release(storage);
    [storage, offset] = [out, 0];
    shape.splice(from, to - from);
  }
  return storage;
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

/** A contiguous operand: its elements in row-major order from `offset` of `storage`. */
export interface Dense<S extends Storage> {
  readonly storage: S;
  readonly offset: number;
}

/** Runs `kernel` on the views as contiguous operands: in place where they are, else copies (released after). */
export function onDense<S extends Storage>(backend: Copier<S>, views: readonly (readonly [S, Layout])[], kernel: (operands: Dense<S>[]) => S): S {
  const copies = views.map(([s, l]) => (isContiguous(l) ? null : backend.unary('copy', s, l, 0)));
  try {
    return kernel(views.map(([s, l], i) => ({ storage: copies[i] ?? s, offset: copies[i] ? 0 : l.offset })));
  } finally {
    for (const c of copies) if (c) backend.release(c);
  }
}
