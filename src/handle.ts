// The low-level tensor handle: a storage on one device seen through a layout, its place in the
// autograd graph (the node that made it, or for a leaf the tensor its gradients accumulate into),
// its disposal, and the internal factories ops and autograd build results with. It sits below
// ops/ and autograd/; the Tensor front (tensor.ts, the op methods) extends it.
import type { GradNode } from './autograd/node.js';
import type { DeviceName, Storage } from './backend/backend.js';
import { tensorBrand } from './check.js';
import { getBackend } from './device.js';
import { disposeAll, holds, keep, letFinalizersRun, registerHandle, SharedStorage, unregisterHandle } from './memory.js';
import { contiguousLayout, formatShape, isContiguous, sizeOf, type Layout, type Shape } from './shape.js';
import type { Tensor } from './tensor.js';

type Species = (device: DeviceName, shared: SharedStorage, layout: Layout) => Tensor;

// Every tensor an op makes must have the front's methods, but importing the front here would close
// an import loop (front → ops → handle → front); so tensor.ts registers its class once, at load.
let species: Species | null = null;

function construct(device: DeviceName, shared: SharedStorage, layout: Layout): Tensor {
  if (!species) throw new Error('webgrad: the Tensor class is not loaded; import from the package root (src/index.ts)');
  return species(device, shared, layout);
}

export class TensorHandle {
  /** @internal */
  readonly [tensorBrand] = true;
  readonly shape: Shape;
  /** Gradient accumulated by backward(); null until then or after zeroing. */
  grad: Tensor | null = null;
  private node: GradNode | null = null;
  private leafRequiresGrad = false;
  private disposed = false;
  /** For a leaf: the tensor gradients accumulate into (itself, or the leaf an alias stands for). */
  private origin: Tensor = this as unknown as Tensor;

  protected constructor(
    readonly device: DeviceName,
    private readonly shared: SharedStorage,
    readonly layout: Layout,
  ) {
    this.shape = layout.shape;
    registerHandle(this, shared);
  }

  /** @internal Called once by tensor.ts with the front's constructor (see `species`). */
  protected static registerSpecies(front: Species): void {
    species = front;
  }

  /** @internal Wraps a freshly computed contiguous storage. */
  static fromStorage(device: DeviceName, storage: Storage, layout: Layout): Tensor {
    return construct(device, new SharedStorage(device, getBackend(device), storage), layout);
  }

  /** @internal A new tensor sharing `base`'s storage through another layout. */
  static view(base: TensorHandle, layout: Layout): Tensor {
    return construct(base.device, base.shared.retain(), layout);
  }

  /** @internal A new contiguous tensor of `shape` holding `value` everywhere. */
  static filled(device: DeviceName, shape: Shape, value: number): Tensor {
    return TensorHandle.fromStorage(device, getBackend(device).fill(sizeOf(shape), value), contiguousLayout(shape));
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return sizeOf(this.shape);
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** @internal The backend storage; throws once disposed. */
  get storage(): Storage {
    if (this.disposed) throw new Error(`tensor ${formatShape(this.shape)} was disposed; it can no longer be used`);
    return this.shared.storage;
  }
  /** The op that produced this tensor (null for leaves). */
  get gradFn(): GradNode | null {
    return this.node;
  }
  /** @internal The leaf that gradients of this tensor accumulate into. */
  get leaf(): Tensor {
    return this.origin;
  }
  get isLeaf(): boolean {
    return this.node === null;
  }

  get requiresGrad(): boolean {
    return this.node !== null || this.origin.leafRequiresGrad;
  }
  set requiresGrad(value: boolean) {
    if (!this.isLeaf) {
      throw new Error(`requiresGrad can only be set on leaf tensors; ${formatShape(this.shape)} was computed by '${this.node!.name}' (use detach() first)`);
    }
    this.leafRequiresGrad = value;
  }

  /** @internal Marks this tensor as the output of `node`. */
  recordedBy(node: GradNode): void {
    this.node = node;
    node.retain();
  }

  /** @internal Another handle on the same storage and graph position (saved for backward). */
  alias(): Tensor {
    const t = TensorHandle.view(this, this.layout);
    t.node = this.node;
    this.node?.retain();
    t.origin = this.origin;
    return keep(t);
  }

  isContiguous(): boolean {
    return isContiguous(this.layout);
  }

  /** A tensor with the same data, cut from the graph. */
  detach(): Tensor {
    return TensorHandle.view(this, this.layout);
  }

  /** Frees the storage (once no view shares it) and the gradient (unless in `spare`). Any later use throws. */
  dispose(spare?: ReadonlySet<unknown>): void {
    if (this.disposed) return;
    this.disposed = true;
    unregisterHandle(this, this.shared);
    this.node?.drop();
    disposeAll([this.grad], spare);
    this.grad = null;
  }

  /** @internal Returned from tidy, a tensor keeps its gradient. */
  [holds](): (Tensor | null)[] {
    return [this.grad];
  }

  /**
   * @internal The values as the backend holds them (float64 on the CPU reference backend). The
   * read starts now; the answer comes after a macrotask turn, in which forgotten tensors are freed.
   */
  async rawData(): Promise<Float32Array | Float64Array> {
    const [values] = await Promise.all([this.read(), letFinalizersRun()]);
    return values;
  }

  /** @internal The values now, where the backend reads synchronously (cpu, reference); else null. */
  valuesSync(): Float32Array | Float64Array | null {
    const backend = getBackend(this.device);
    if (!backend.readSync) return null;
    const { storage, temporary } = this.inOrder();
    try {
      return backend.readSync(storage);
    } finally {
      if (temporary) backend.release(storage);
    }
  }

  private async read(): Promise<Float32Array | Float64Array> {
    const backend = getBackend(this.device);
    const { storage, temporary } = this.inOrder();
    try {
      return await backend.read(storage);
    } finally {
      if (temporary) backend.release(storage);
    }
  }

  /** A storage holding exactly the view's values in row-major order: its own, or a temporary copy. */
  private inOrder(): { storage: Storage; temporary: boolean } {
    const storage = this.storage;
    if (this.layout.offset === 0 && this.isContiguous() && storage.length === this.size) return { storage, temporary: false };
    return { storage: getBackend(this.device).unary('copy', storage, this.layout, 0), temporary: true };
  }
}
