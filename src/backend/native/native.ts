// The native CPU backend: a thin TypeScript shell over the C++ addon (native/src/addon.cc).
// Storages are Float32Arrays (their memory is outside the JS heap; C++ gets the pointer without a
// copy), pooled by length on release so a training loop allocates nothing in steady state. Every
// call writes its op code, scalars and layouts into one shared Float64Array the addon registered
// once, then passes only the storages: no per-call arrays or objects cross into C++.
import { cpus } from 'node:os';
import type { AdamHyper, AdamTensor, AxisView, Backend, BinaryOp, Conv2dGeometry, MatmulArgs, ReduceOp, SgdHyper, SgdTensor, Storage, UnaryOp } from '../backend.js';
import { alongAxis, onDense, reduceAlong, softmaxPlan } from '../axis.js';
import { BINARY_OPS, UNARY_OPS } from '../elementwise-ops.js';
import { sizeOf, type Layout, type Shape } from '../../shape.js';

/**
 * The addon's JS signature. Kernels take their storages as arguments and read everything else
 * from the parameter block given to init(), in the order listed; a view is written as
 * [rank, offset, shape…, strides…]. Outputs are allocated by the caller; C++ checks every view and
 * output against its buffer's length and throws (a JS Error) rather than touch memory outside it.
 */
export interface NativeAddon {
  /** Op names in op-code order (the code is the index). */
  readonly unaryOps: readonly string[];
  readonly binaryOps: readonly string[];
  readonly reduceOps: readonly string[];
  /** The largest rank a view may have. */
  readonly maxRank: number;
  /** Registers the parameter block every kernel call reads (kept alive by the addon). */
  init(params: Float64Array): void;
  /** Starts capturing the process's stderr into a temporary file; false if it could not (stderr untouched). */
  captureStderr(): boolean;
  /** Restores stderr and returns what was written to it while captured. */
  releaseStderr(): string;
  /** The SIMD level of the matmul kernel: 'AVX2+FMA', 'SSE2', 'NEON' or 'portable'. */
  simd(): string;
  /** Threads a parallel loop uses, the calling thread included. */
  threads(): number;
  /** Resizes the thread pool; 0 means the machine's hardware threads. */
  setThreads(n: number): void;
  fill(out: Float32Array, value: number): void;
  /** params: op, alpha, view(x). out: contiguous, x's shape. */
  unary(x: Float32Array, out: Float32Array): void;
  /** params: op, view(a), view(b) (one shape). */
  binary(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** params: op, offset, outer, size, inner. out: [outer, inner]. */
  reduce(x: Float32Array, out: Float32Array): void;
  /** params: log (0 or 1), offset, outer, size, inner. out: [outer, size, inner]. */
  softmax(x: Float32Array, out: Float32Array): void;
  /** params: log (0 or 1), g offset, y offset, outer, size, inner. y, g and out: contiguous [outer, size, inner]. */
  softmaxBackward(y: Float32Array, g: Float32Array, out: Float32Array): void;
  /** params: view(a) [batch, m, k], view(b) [batch, k, n], then view(bias) [n] when bias is given. out: [batch, m, n]. */
  matmul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array): void;
  /** params: view(src), view(dst). */
  copy(src: Float32Array, dst: Float32Array): void;
  // The window kernels' params: n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow; arrays contiguous.
  conv2d(x: Float32Array, weight: Float32Array, y: Float32Array): void;
  conv2dInputGrad(gy: Float32Array, weight: Float32Array, gx: Float32Array): void;
  conv2dWeightGrad(x: Float32Array, gy: Float32Array, gw: Float32Array): void;
  maxPool2dIndices(x: Float32Array, indices: Float32Array): void;
  /** params: dim, view(x), view(index). out: the index's shape. */
  gather(x: Float32Array, index: Float32Array, out: Float32Array): void;
  /** params: dim, rank, shape…, view(index), view(src). out: zeroed here, then accumulated. */
  scatterAdd(index: Float32Array, src: Float32Array, out: Float32Array): void;
  /**
   * params: view(grad), the element offsets of param, expAvg, expAvgSq and maxExpAvgSq (0 when null),
   * beta1, beta2, eps, stepSize, biasCorrection2Sqrt, gradDecay, paramScale.
   */
  adamStep(param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, maxExpAvgSq: Float32Array | null): void;
  /** params: view(grad), the element offsets of param and momentumBuffer (0 when null), lr, momentum, dampening, weightDecay, nesterov (0/1), firstStep (0/1). */
  sgdStep(param: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void;
}

const RELEASED = new Float32Array(0);

class NativeStorage implements Storage {
  constructor(
    public data: Float32Array,
    readonly length: number,
  ) {}
}

const dataOf = (s: Storage): Float32Array => (s as NativeStorage).data;

/** Released arrays kept for reuse, by length; beyond this many bytes the least recently used lengths are left to the GC. */
const POOL_BYTES = 256 * 2 ** 20;

function codes<T extends string>(names: readonly string[], wanted: readonly T[], what: string): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const op of wanted) {
    const code = names.indexOf(op);
    if (code < 0) throw new Error(`the native addon has no ${what} op '${op}': rebuild it (npm run build:native)`);
    out[op] = code;
  }
  return out;
}

const UNARY = Object.keys(UNARY_OPS) as UnaryOp[];
const BINARY = Object.keys(BINARY_OPS) as BinaryOp[];
const REDUCE: readonly ReduceOp[] = ['sum', 'max'];

export class NativeBackend implements Backend {
  readonly name = 'cpu' as const;
  private readonly params = new Float64Array(1024);
  private readonly unaryCode: Record<UnaryOp, number>;
  private readonly binaryCode: Record<BinaryOp, number>;
  private readonly reduceCode: Record<ReduceOp, number>;
  private readonly free = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  private readonly cpuModel = cpus()[0]?.model.trim() ?? 'this CPU';

  constructor(private readonly addon: NativeAddon) {
    this.unaryCode = codes(addon.unaryOps, UNARY, 'unary');
    this.binaryCode = codes(addon.binaryOps, BINARY, 'binary');
    this.reduceCode = codes(addon.reduceOps, REDUCE, 'reduce');
    addon.init(this.params);
  }

  get description(): string {
    return `native C++ (${this.addon.simd()}, ${this.threads} threads) on ${this.cpuModel}`;
  }

  /** Threads a parallel kernel uses (the calling thread included). */
  get threads(): number {
    return this.addon.threads();
  }

  /** Resizes the kernels' thread pool; 0 means the machine's hardware threads. */
  setThreads(n: number): void {
    this.addon.setThreads(n);
  }

  /** A pooled or new array of n floats; its contents are whatever the last user left. */
  private alloc(n: number): Float32Array {
    const reused = this.recent(n)?.pop();
    if (reused) {
      this.pooledBytes -= reused.byteLength;
      return reused;
    }
    return new Float32Array(n);
  }

  private wrap(data: Float32Array): NativeStorage {
    return new NativeStorage(data, data.length);
  }

  /** Writes a view at params[at…] ([rank, offset, shape…, strides…]); returns the next free index. */
  private view(at: number, l: Layout): number {
    const p = this.params;
    const rank = l.shape.length;
    if (rank > this.addon.maxRank) throw new Error(`the native backend supports tensors of rank ≤ ${this.addon.maxRank}, got ${rank}`);
    p[at] = rank;
    p[at + 1] = l.offset;
    for (let i = 0; i < rank; i++) {
      p[at + 2 + i] = l.shape[i];
      p[at + 2 + rank + i] = l.strides[i];
    }
    return at + 2 + 2 * rank;
  }

  private axis(at: number, offset: number, { outer, size, inner }: AxisView): void {
    const p = this.params;
    p[at] = offset;
    p[at + 1] = outer;
    p[at + 2] = size;
    p[at + 3] = inner;
  }

  upload(data: Float32Array | Float64Array): Storage {
    const out = this.alloc(data.length);
    out.set(data);
    return this.wrap(out);
  }

  fill(length: number, value: number): Storage {
    const out = this.alloc(length);
    this.addon.fill(out, value);
    return this.wrap(out);
  }

  async read(storage: Storage): Promise<Float32Array> {
    return this.readSync(storage);
  }
  readSync(storage: Storage): Float32Array {
    return dataOf(storage).slice(0, storage.length);
  }

  release(storage: Storage): void {
    const s = storage as NativeStorage;
    const data = s.data;
    s.data = RELEASED; // a use after release fails the addon's bounds check instead of reading reused memory
    if (data.length === 0 || data.byteLength > POOL_BYTES) return;
    const list = this.recent(data.length) ?? [];
    this.free.set(data.length, list);
    list.push(data);
    this.pooledBytes += data.byteLength;
    // Over budget: drop the arrays of the lengths used least recently (a session's shapes change).
    for (const [length, arrays] of this.free) {
      while (arrays.length > 0 && this.pooledBytes > POOL_BYTES) this.pooledBytes -= arrays.pop()!.byteLength;
      if (arrays.length === 0) this.free.delete(length);
      if (this.pooledBytes <= POOL_BYTES) break;
    }
  }

  /** The pooled arrays of `length`, their key moved to the end of the pool's order (most recently used). */
  private recent(length: number): Float32Array[] | undefined {
    const list = this.free.get(length);
    if (list) {
      this.free.delete(length);
      this.free.set(length, list);
    }
    return list;
  }

  async flush(): Promise<void> {}

  unary(op: UnaryOp, x: Storage, layout: Layout, alpha: number): Storage {
    const out = this.alloc(sizeOf(layout.shape));
    this.params[0] = this.unaryCode[op];
    this.params[1] = alpha;
    this.view(2, layout);
    this.addon.unary(dataOf(x), out);
    return this.wrap(out);
  }

  binary(op: BinaryOp, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    const out = this.alloc(sizeOf(al.shape));
    this.params[0] = this.binaryCode[op];
    this.view(this.view(1, al), bl);
    this.addon.binary(dataOf(a), dataOf(b), out);
    return this.wrap(out);
  }

  reduce(op: ReduceOp, x: Storage, layout: Layout, dims: readonly number[], scale = 1): Storage {
    return reduceAlong(this, x, layout, dims, (s, offset, view, last) => this.reduceAxis(op, s, offset, view, last ? scale : 1));
  }

  private reduceAxis(op: ReduceOp, x: Storage, offset: number, view: AxisView, scale: number): Storage {
    const out = this.alloc(view.outer * view.inner);
    this.params[0] = this.reduceCode[op];
    this.axis(1, offset, view);
    this.addon.reduce(dataOf(x), out);
    if (op === 'sum' && scale !== 1) out.forEach((v, i) => (out[i] = v * scale));
    return this.wrap(out);
  }

  softmax(x: Storage, layout: Layout, dim: number, log: boolean): Storage {
    return alongAxis(this, x, softmaxPlan(layout, dim), (s, offset, view) => this.softmaxAxis(s, offset, view, log));
  }

  private softmaxAxis(x: Storage, offset: number, view: AxisView, log: boolean): Storage {
    const out = this.alloc(view.outer * view.size * view.inner);
    this.params[0] = log ? 1 : 0;
    this.axis(1, offset, view);
    this.addon.softmax(dataOf(x), out);
    return this.wrap(out);
  }

  softmaxBackward(y: Storage, yl: Layout, g: Storage, gl: Layout, dim: number, log: boolean): Storage {
    const { view } = softmaxPlan(yl, dim);
    return onDense(this, [[y, yl], [g, gl]], ([yd, gd]) => {
      const out = this.alloc(sizeOf(yl.shape));
      this.params[0] = log ? 1 : 0;
      this.params[1] = gd.offset;
      this.axis(2, yd.offset, view);
      this.addon.softmaxBackward(dataOf(yd.storage), dataOf(gd.storage), out);
      return this.wrap(out);
    });
  }

  matmul(a: Storage, b: Storage, { a: al, b: bl, bias }: MatmulArgs): Storage {
    const out = this.alloc(al.shape[0] * al.shape[1] * bl.shape[2]);
    const next = this.view(this.view(0, al), bl);
    if (bias) this.view(next, bias.layout);
    this.addon.matmul(dataOf(a), dataOf(b), bias ? dataOf(bias.storage) : null, out);
    return this.wrap(out);
  }

  copy(src: Storage, srcLayout: Layout, dst: Storage, dstLayout: Layout): void {
    this.view(this.view(0, srcLayout), dstLayout);
    this.addon.copy(dataOf(src), dataOf(dst));
  }

  gather(x: Storage, xl: Layout, dim: number, index: Storage, il: Layout): Storage {
    const out = this.alloc(sizeOf(il.shape));
    this.params[0] = dim;
    this.view(this.view(1, xl), il);
    this.addon.gather(dataOf(x), dataOf(index), out);
    return this.wrap(out);
  }

  scatterAdd(shape: Shape, dim: number, index: Storage, il: Layout, src: Storage, sl: Layout): Storage {
    if (shape.length > this.addon.maxRank) throw new Error(`the native backend supports tensors of rank ≤ ${this.addon.maxRank}, got ${shape.length}`);
    const out = this.alloc(sizeOf(shape));
    const p = this.params;
    p[0] = dim;
    p[1] = shape.length;
    shape.forEach((size, i) => (p[2 + i] = size));
    this.view(this.view(2 + shape.length, il), sl);
    this.addon.scatterAdd(dataOf(index), dataOf(src), out);
    return this.wrap(out);
  }

  conv2d(x: Storage, xl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
    const size = g.batch * g.outChannels * g.output[0] * g.output[1];
    return this.windowed(g, [[x, xl], [weight, wl]], size, ([a, b], out) => this.addon.conv2d(a, b, out));
  }
  conv2dInputGrad(gy: Storage, gl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
    const size = g.batch * g.inChannels * g.input[0] * g.input[1];
    return this.windowed(g, [[gy, gl], [weight, wl]], size, ([a, b], out) => this.addon.conv2dInputGrad(a, b, out));
  }
  conv2dWeightGrad(x: Storage, xl: Layout, gy: Storage, gl: Layout, g: Conv2dGeometry): Storage {
    const size = g.outChannels * g.inChannels * g.kernel[0] * g.kernel[1];
    return this.windowed(g, [[x, xl], [gy, gl]], size, ([a, b], out) => this.addon.conv2dWeightGrad(a, b, out));
  }
  maxPool2dIndices(x: Storage, xl: Layout, g: Conv2dGeometry): Storage {
    const size = g.batch * g.inChannels * g.output[0] * g.output[1];
    return this.windowed(g, [[x, xl]], size, ([a], out) => this.addon.maxPool2dIndices(a, out));
  }

  /** A window kernel's call on contiguous operands (subarrays, no copy where the views already are). */
  private windowed(g: Conv2dGeometry, views: [Storage, Layout][], size: number, call: (arrays: Float32Array[], out: Float32Array) => void): Storage {
    return onDense(this, views, (operands) => {
      const arrays = operands.map(({ storage, offset }, i) => dataOf(storage).subarray(offset, offset + sizeOf(views[i][1].shape)));
      this.params.set([g.batch, g.inChannels, ...g.input, g.outChannels, ...g.kernel, ...g.stride, ...g.padding, ...g.dilation, ...g.output]);
      const out = this.alloc(size);
      call(arrays, out);
      return this.wrap(out);
    });
  }

  /** One addon call per tensor (each runs on the thread pool when the tensor is large). */
  adamStep(tensors: readonly AdamTensor[], h: AdamHyper): void {
    for (const t of tensors) {
      const vMax = t.maxExpAvgSq;
      this.params.set([
        t.param.offset, t.expAvg.offset, t.expAvgSq.offset, vMax?.offset ?? 0,
        h.beta1, h.beta2, h.eps, h.stepSize, h.biasCorrection2Sqrt, h.gradDecay, h.paramScale,
      ], this.view(0, t.gradLayout));
      this.addon.adamStep(dataOf(t.param.storage), dataOf(t.grad), dataOf(t.expAvg.storage), dataOf(t.expAvgSq.storage), vMax && dataOf(vMax.storage));
    }
  }

  sgdStep(tensors: readonly SgdTensor[], h: SgdHyper): void {
    for (const t of tensors) {
      const buffer = t.momentumBuffer;
      this.params.set([
        t.param.offset, buffer?.offset ?? 0,
        h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov ? 1 : 0, h.firstStep ? 1 : 0,
      ], this.view(0, t.gradLayout));
      this.addon.sgdStep(dataOf(t.param.storage), dataOf(t.grad), buffer && dataOf(buffer.storage));
    }
  }
}
