// The kernel interface every backend implements. The op table (src/ops) is written against it
// alone; a new backend (native CPU, f16 GPU) is a new folder implementing it, with no change above.
// Inputs arrive as (storage, layout) pairs: layouts may be strided views (transposes, narrows,
// broadcasts with stride 0); outputs are always freshly allocated and contiguous.
import type { Layout, Shape } from '../shape.js';

/** 'cpu': the native C++ backend (or the reference where it is not built); 'reference': TypeScript, float64. */
export type DeviceName = 'cpu' | 'webgpu' | 'reference';

/** A backend's buffer of `length` elements. Backends subclass it with their own handle. */
export interface Storage {
  readonly length: number;
}

/** y = f(x, alpha); `alpha` is the scalar operand of the `*S` ops (x + alpha, x ** alpha, …). */
export type UnaryOp =
  | 'copy' | 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'relu' | 'sigmoid' | 'tanh' | 'softplus'
  | 'addS' | 'mulS' | 'rsubS' | 'rdivS' | 'powS' | 'gtS';

/** Elementwise on two operands of one shape (the op table expands broadcasts to stride-0 views). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'gt' | 'eq';

export type ReduceOp = 'sum' | 'max';

/** A contiguous tensor seen as [outer, size, inner]: the op runs along the middle axis. */
export interface AxisView {
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
}

/** Batched matrix product C[b] = A[b] · B[b] (+ bias broadcast over rows). */
export interface MatmulArgs {
  /** [batch, m, k] view of A; any strides (a transposed operand is just swapped strides). */
  readonly a: Layout;
  /** [batch, k, n] view of B. */
  readonly b: Layout;
  /** Optional [n] bias added to every row of C (fused epilogue of a Linear layer). */
  readonly bias?: { readonly storage: Storage; readonly layout: Layout };
}

/**
 * One Adam or AdamW step's constants, computed on the host for step t (see kernels/adam.wgsl).
 * Adam's coupled weight decay is gradDecay = λ (paramScale 1); AdamW's decoupled one is
 * paramScale = 1 − lr·λ (gradDecay 0).
 */
export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** lr / (1 − β1ᵗ): the step size with the first moment's bias correction. */
  readonly stepSize: number;
  /** √(1 − β2ᵗ): the second moment's bias correction, applied to √v. */
  readonly biasCorrection2Sqrt: number;
  /** g ← g + gradDecay · θ. */
  readonly gradDecay: number;
  /** θ ← θ · paramScale before the update. */
  readonly paramScale: number;
}

/** One SGD step's constants (see kernels/sgd.wgsl). */
export interface SgdHyper {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  /** The momentum buffer starts as the gradient itself, without dampening. */
  readonly firstStep: boolean;
}

export interface Backend {
  readonly name: DeviceName;
  /** Human-readable adapter or machine description. */
  readonly description: string;

  upload(data: Float32Array | Float64Array): Storage;
  fill(length: number, value: number): Storage;
  /** Copies a whole storage out. CPU keeps float64; GPU returns float32. */
  read(storage: Storage): Promise<Float32Array | Float64Array>;
  release(storage: Storage): void;
  /** Submits pending work and waits for it; surfaces deferred device errors. */
  flush(): Promise<void>;

  unary(op: UnaryOp, x: Storage, layout: Layout, alpha: number): Storage;
  binary(op: BinaryOp, a: Storage, al: Layout, b: Storage, bl: Layout): Storage;
  /** Reduces a contiguous tensor along the middle axis of `view`: out is [outer, inner]. */
  reduce(op: ReduceOp, x: Storage, offset: number, view: AxisView): Storage;
  /** Softmax (or log-softmax) of a contiguous tensor along the middle axis of `view`. */
  softmax(x: Storage, offset: number, view: AxisView, log: boolean): Storage;
  /** Contiguous [batch, m, n]. */
  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage;
  /** Writes src (viewed by srcLayout) into dst at dstLayout (same shape); dst may be strided. */
  copy(src: Storage, srcLayout: Layout, dst: Storage, dstLayout: Layout): void;
  /** out[i…] = x[i with i[dim] replaced by index[i…]]; out has index's shape (torch.gather). */
  gather(x: Storage, xl: Layout, dim: number, index: Storage, il: Layout): Storage;
  /** Zeros of `shape`, then out[i with i[dim] = index[i…]] += src[i…] for every i of index's shape. */
  scatterAdd(shape: Shape, dim: number, index: Storage, il: Layout, src: Storage, sl: Layout): Storage;

  // In-place optimizer updates, one kernel launch per parameter. The parameter and its state are
  // contiguous from offset 0 and have the shape of gradLayout; the gradient may be any view.
  /** Adam(W): updates param, expAvg, expAvgSq and, for amsgrad, maxExpAvgSq. */
  adamStep(param: Storage, grad: Storage, gradLayout: Layout, expAvg: Storage, expAvgSq: Storage, maxExpAvgSq: Storage | null, hyper: AdamHyper): void;
  /** SGD: updates param and, with momentum, momentumBuffer. */
  sgdStep(param: Storage, grad: Storage, gradLayout: Layout, momentumBuffer: Storage | null, hyper: SgdHyper): void;
}
