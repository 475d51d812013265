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

export type { BinaryOp, UnaryOp } from './elementwise-ops.js';
import type { BinaryOp, UnaryOp } from './elementwise-ops.js';

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
/** The sizes of a 2-D window op (convolution, pooling): padding counts the zeros before each axis. */
export interface Conv2dGeometry {
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly input: readonly [number, number];
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly output: readonly [number, number];
}

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

/** Contiguous elements of a storage from `offset` on (how many: the gradient's count). */
export interface StorageSlice {
  readonly storage: Storage;
  readonly offset: number;
}

/** One tensor of a multi-tensor optimizer step: the parameter θ, its gradient (any view of θ's shape). */
export interface OptimizerTensor {
  readonly param: StorageSlice;
  readonly grad: Storage;
  readonly gradLayout: Layout;
}

export interface AdamTensor extends OptimizerTensor {
  readonly expAvg: StorageSlice;
  readonly expAvgSq: StorageSlice;
  /** AMSGrad's running maximum of expAvgSq: given for every tensor of a call, or for none. */
  readonly maxExpAvgSq: StorageSlice | null;
}

export interface SgdTensor extends OptimizerTensor {
  /** Given (for every tensor of a call, or for none) when momentum is used. */
  readonly momentumBuffer: StorageSlice | null;
}

/** The primitives every backend implements, then the optional fused kernels. */
export interface Backend {
  readonly name: DeviceName;
  /** Human-readable adapter or machine description. */
  readonly description: string;

  upload(data: Float32Array | Float64Array): Storage;
  fill(length: number, value: number): Storage;
  /** Copies a whole storage out into a new array the caller owns. CPU keeps float64; GPU returns float32. */
  read(storage: Storage): Promise<Float32Array | Float64Array>;
  /** The same, at once: only a backend whose storages live in this process's memory offers it (printing uses it). */
  readSync?(storage: Storage): Float32Array | Float64Array;
  release(storage: Storage): void;
  /** Submits pending work and waits for it; surfaces deferred device errors. */
  flush(): Promise<void>;

  unary(op: UnaryOp, x: Storage, layout: Layout, alpha: number): Storage;
  binary(op: BinaryOp, a: Storage, al: Layout, b: Storage, bl: Layout): Storage;
  /**
   * Reduces `dims` (sorted, distinct; none: a copy) of a view: out is contiguous, the view's shape
   * without them. A sum is multiplied by `scale` (1/count makes it a mean in the same launch).
   */
  reduce(op: ReduceOp, x: Storage, layout: Layout, dims: readonly number[], scale?: number): Storage;
  /** Softmax (or log-softmax) of a view along `dim`: out is contiguous, the view's shape. */
  softmax(x: Storage, layout: Layout, dim: number, log: boolean): Storage;
  /** Contiguous [batch, m, n]. */
  matmul(a: Storage, b: Storage, args: MatmulArgs): Storage;
  /** Writes src (viewed by srcLayout) into dst at dstLayout (same shape); dst may be strided. */
  copy(src: Storage, srcLayout: Layout, dst: Storage, dstLayout: Layout): void;
  /** out[i…] = x[i with i[dim] replaced by index[i…]]; out has index's shape (torch.gather). */
  gather(x: Storage, xl: Layout, dim: number, index: Storage, il: Layout): Storage;
  /** Zeros of `shape`, then out[i with i[dim] = index[i…]] += src[i…] for every i of index's shape. */
  scatterAdd(shape: Shape, dim: number, index: Storage, il: Layout, src: Storage, sl: Layout): Storage;

  // Fused kernels a backend may offer: src/ops and src/optim compose the primitives above where it
  // does not (the reference backend offers none, so it stays the plain spec of the primitives).
  /** alpha · Σ (a − b)² over two views of one shape, as one value: mseLoss's forward. */
  squaredErrorSum?(a: Storage, al: Layout, b: Storage, bl: Layout, alpha: number): Storage;
  /** alpha · (a − b) · g for two views of one shape and the one value g[gOffset]: mseLoss's gradient. */
  squaredErrorGrad?(a: Storage, al: Layout, b: Storage, bl: Layout, g: Storage, gOffset: number, alpha: number): Storage;
  /**
   * The gradient of softmax (log: log-softmax) along `dim` from its output y and the incoming gradient
   * g, views of one shape: log: g − exp(y)·Σg, else y·(g − Σ g·y) (sums along dim); out is contiguous.
   */
  softmaxBackward?(y: Storage, yl: Layout, g: Storage, gl: Layout, dim: number, log: boolean): Storage;

  // 2-D convolution with groups 1 (x [n, c, h, w], weight [o, c, kh, kw], y [n, o, oh, ow], views
  // of any layout): offered all three or none, as each is the others' backward.
  /** y = conv2d(x, weight), without bias. */
  conv2d?(x: Storage, xl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage;
  /** ∂⟨gy, conv2d(x, weight)⟩/∂x: the transposed convolution of gy, [n, c, h, w]. */
  conv2dInputGrad?(gy: Storage, gl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage;
  /** ∂⟨gy, conv2d(x, weight)⟩/∂weight, [o, c, kh, kw]. */
  conv2dWeightGrad?(x: Storage, xl: Layout, gy: Storage, gl: Layout, g: Conv2dGeometry): Storage;
  /**
   * For each max-pooling window of x [n, c, h, w] (the geometry's outChannels is c), the flat index
   * r·w + q in its plane of the first maximum (a NaN wins), as exact float integers [n, c, oh, ow].
   */
  maxPool2dIndices?(x: Storage, xl: Layout, g: Conv2dGeometry): Storage;

  // In-place multi-tensor optimizer updates: one call updates every tensor given with one set of
  // constants (a parameter group's parameters at one step count), as if one after another; a
  // backend batches them into few kernel launches. Each tensor's θ and state slices hold its
  // gradient's element count.
  /** Adam(W): updates θ, expAvg, expAvgSq and, for amsgrad, maxExpAvgSq. */
  adamStep?(tensors: readonly AdamTensor[], hyper: AdamHyper): void;
  /** SGD: updates θ and, with momentum, the momentum buffer. */
  sgdStep?(tensors: readonly SgdTensor[], hyper: SgdHyper): void;

  /**
   * A backend with several matmul kernels (webgpu) times them for each product and keeps the
   * fastest per shape class; without problems, for the classes used so far that are not tuned yet.
   */
  tuneMatmul?(problems?: readonly MatmulProblem[]): Promise<TuneResult[]>;
}

/** A product to tune for: C [batch, m, n] = A [batch, m, k] · B [batch, k, n], A or B read transposed. */
export interface MatmulProblem {
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

export interface TuneResult {
  /** The product timed, as `batch×m×k·k×n` with ᵀ on a transposed operand. */
  readonly problem: string;
  /** The class of products the choice is kept for (sizes rounded up to powers of two, load modes). */
  readonly shapeClass: string;
  /** The configuration chosen. */
  readonly config: string;
  /** Median milliseconds per product of each candidate, by configuration (empty when the class was already tuned). */
  readonly timings: Readonly<Record<string, number>>;
}
