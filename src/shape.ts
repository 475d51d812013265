// Shape arithmetic shared by the tensor front, the ops and every backend.

export type Shape = readonly number[];

/** Where a tensor's elements sit in its storage: element (i0, i1, …) is at offset + Σ ik·strides[k]. */
export interface Layout {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

export const formatShape = (shape: Shape): string => `[${shape.join(',')}]`;

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export const contiguousLayout = (shape: Shape, offset = 0): Layout => ({
  shape: [...shape],
  strides: contiguousStrides(shape),
  offset,
});

export function isContiguous(layout: Layout): boolean {
  let s = 1;
  for (let i = layout.shape.length - 1; i >= 0; i--) {
    if (layout.shape[i] !== 1 && layout.strides[i] !== s) return false;
    s *= layout.shape[i];
  }
  return true;
}

/** Normalises a possibly negative dim against rank `ndim`; names the op on error. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim)) throw new Error(`${op}: dim must be an integer, got ${typeof dim} ${String(dim)}`);
  const d = dim < 0 ? dim + ndim : dim;
  if (d < 0 || d >= Math.max(ndim, 1)) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor of rank ${ndim} (expected ${-Math.max(ndim, 1)}…${Math.max(ndim, 1) - 1})`);
  }
  return d;
}

/** NumPy/PyTorch broadcasting: align from the right; sizes must match or be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: cannot broadcast ${formatShape(a)} with ${formatShape(b)} (dim ${i - n}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** A view of `layout` broadcast to `shape` (stride 0 along new or size-1 dims). */
export function expandLayout(layout: Layout, shape: Shape): Layout {
  const lead = shape.length - layout.shape.length;
  const strides = shape.map((size, i) => {
    if (i < lead) return 0;
    const own = layout.shape[i - lead];
    return own === size ? layout.strides[i - lead] : 0;
  });
  return { shape: [...shape], strides, offset: layout.offset };
}

/**
 * Merges adjacent dims that every layout walks contiguously, so kernels index fewer dims.
 * All layouts must share one shape; returns layouts of equal, possibly lower, rank.
 */
export function coalesce(layouts: readonly Layout[]): Layout[] {
  const shape = layouts[0].shape;
  const dims: number[] = [];
  const strides: number[][] = layouts.map(() => []);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const last = dims.length - 1;
    const mergeable = last >= 0 && layouts.every((l, j) => strides[j][last] === l.strides[i] * shape[i]);
    if (mergeable) {
      dims[last] *= shape[i];
      layouts.forEach((l, j) => (strides[j][last] = l.strides[i]));
    } else {
      dims.push(shape[i]);
      layouts.forEach((l, j) => strides[j].push(l.strides[i]));
    }
  }
  return layouts.map((l, j) => ({ shape: dims, strides: strides[j], offset: l.offset }));
}
