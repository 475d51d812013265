// Multi-tensor launches of an in-place update (kernels/optimizer.wgsl): one dispatch updates many
// tensors, each a read-only gradient (any view) and read-write operands (θ and its state slices).
// Every distinct buffer of a launch takes one binding (read-write if anything in it is written, as
// WebGPU forbids binding it read-only too), so tensors join a launch while the device's
// storage-binding limit allows (tensors in one slab share a binding). WGSL cannot index an array of bindings, so the kernel is generated for the launch's
// shape — which binding holds each tensor's gradient and operands — and cached by it: a training loop
// normally compiles its kernels in its first step only.
import { coalesce, sizeOf, type Layout } from '../../shape.js';
import { ELEMENTS_PER_GROUP, isRun } from './elementwise.js';
import { assertRank, dims, grid2d, type KernelContext } from './kernel-context.js';
import type { KernelVariant } from './pipelines.js';
import type { WebGpuStorage } from './storage.js';

/** Contiguous elements of a storage from `offset` on. */
export interface Operand {
  readonly storage: WebGpuStorage;
  readonly offset: number;
}

export interface TensorUpdate {
  readonly grad: WebGpuStorage;
  readonly gradLayout: Layout;
  /** θ, then the state slices, in the order of UpdateKernel.fields. */
  readonly operands: readonly Operand[];
}

export interface UpdateKernel {
  readonly file: 'adam' | 'sgd';
  /** Names the specialisation that `constants` make. */
  readonly variant: string;
  readonly constants: Readonly<Record<string, number>>;
  /** The Element fields the operands load into and store from: 'theta', then the state's. */
  readonly fields: readonly string[];
  /** The kernel's Hyper struct: a multiple of 4 u32 words. */
  readonly hyper: readonly number[];
}

/** Tensors per launch at most: they bound the generated switch and the parameters (≤ 1.5 KiB). */
const MAX_TENSORS = 16;
/**
 * Tensors of at least this many elements get a launch of their own: their work dwarfs a launch, and
 * lavapipe runs every case of the kernel's switch under a mask, so each tensor a launch covers adds
 * to the cost of every element (measured: a 2^19-element tensor updated with 6 small ones took ≈10%
 * longer than alone plus a launch for the small ones).
 */
const OWN_LAUNCH_ELEMENTS = 2 ** 15;
/** Operands per tensor at most (TensorSlice.operands in optimizer.wgsl is a vec4). */
const MAX_OPERANDS = 4;
const ZEROS: readonly number[] = new Array<number>(MAX_OPERANDS).fill(0);

interface Planned {
  readonly update: TensorUpdate;
  readonly count: number;
  /** The gradient's coalesced view; `contiguous` when it is one run. */
  readonly view: Layout;
  readonly contiguous: boolean;
}

type Range = readonly [start: number, end: number];

const overlaps = (ranges: readonly Range[] | undefined, [start, end]: Range): boolean =>
  ranges?.some(([s, e]) => start < e && s < end) ?? false;

/** The elements of a buffer a gradient may read (its whole storage) or an operand writes. */
const gradRange = ({ update }: Planned): Range => [update.grad.offset, update.grad.offset + update.grad.length];
const operandRange = ({ storage, offset }: Operand, count: number): Range => [storage.offset + offset, storage.offset + offset + count];

/** One dispatch's tensors and the element ranges of each buffer they read and write. */
class Launch {
  readonly tensors: Planned[] = [];
  readonly reads = new Map<GPUBuffer, Range[]>();
  readonly writes = new Map<GPUBuffer, Range[]>();

  /** Whether `t` reads what a tensor here writes, or writes what one reads or writes: it must come after them. */
  conflicts(t: Planned): boolean {
    const written = (o: Operand) => {
      const range = operandRange(o, t.count);
      return overlaps(this.reads.get(o.storage.buffer), range) || overlaps(this.writes.get(o.storage.buffer), range);
    };
    return overlaps(this.writes.get(t.update.grad.buffer), gradRange(t)) || t.update.operands.some(written);
  }

  /** Whether `t` may join, so that the launch still equals updating its tensors one after another. */
  accepts(t: Planned, maxBindings: number): boolean {
    if (this.tensors.length === 0) return true;
    if (this.tensors.length >= MAX_TENSORS || this.conflicts(t)) return false;
    const buffers = new Set([...this.reads.keys(), ...this.writes.keys(), t.update.grad.buffer, ...t.update.operands.map((o) => o.storage.buffer)]);
    return buffers.size <= maxBindings;
  }

  add(t: Planned): this {
    this.tensors.push(t);
    record(this.reads, t.update.grad.buffer, gradRange(t));
    for (const o of t.update.operands) record(this.writes, o.storage.buffer, operandRange(o, t.count));
    return this;
  }

  /** Each buffer once: those only read (bound read-only), then those written (read-write; a gradient may be read there too). */
  bindings(): { readOnly: GPUBuffer[]; readWrite: GPUBuffer[] } {
    return { readOnly: [...this.reads.keys()].filter((b) => !this.writes.has(b)), readWrite: [...this.writes.keys()] };
  }
}

function record(map: Map<GPUBuffer, Range[]>, buffer: GPUBuffer, range: Range): void {
  const ranges = map.get(buffer);
  if (ranges) ranges.push(range);
  else map.set(buffer, [range]);
}

/**
 * Updates every tensor: small ones join the current batch in order, which is launched when the next
 * does not fit; a large one is launched alone at once (ahead of the batch unless it must follow it).
 */
export function dispatchUpdates(ctx: KernelContext, kernel: UpdateKernel, updates: readonly TensorUpdate[]): void {
  const maxBindings = ctx.maxStorageBuffers();
  let batch = new Launch();
  const launchBatch = () => {
    if (batch.tensors.length > 0) encode(ctx, kernel, batch);
    batch = new Launch();
  };
  for (const update of updates) {
    if (update.operands.length !== kernel.fields.length || update.operands.length > MAX_OPERANDS) {
      throw new Error(`webgpu ${kernel.file}: a tensor has ${update.operands.length} operand(s), the ${kernel.variant} kernel takes ${kernel.fields.length}`);
    }
    const count = sizeOf(update.gradLayout.shape);
    if (count === 0) continue;
    const [view] = coalesce([update.gradLayout]);
    assertRank(kernel.file, view);
    const planned = { update, count, view, contiguous: isRun(view) };
    if (count >= OWN_LAUNCH_ELEMENTS) {
      if (batch.conflicts(planned)) launchBatch();
      encode(ctx, kernel, new Launch().add(planned));
    } else {
      if (!batch.accepts(planned, maxBindings)) launchBatch();
      batch.add(planned);
    }
  }
  launchBatch();
}

/** Which bindings a launch's tensors use: what its generated kernel depends on (offsets are parameters). */
interface LaunchShape {
  /** Read-only bindings (gradients), bound at 1…reads; the read-write ones follow. */
  readonly reads: number;
  readonly writes: number;
  readonly tensors: readonly { readonly grad: number; readonly strided: boolean; readonly operands: readonly number[] }[];
}

/** Generated kernel specialisations by file and variant (a training loop reuses a few). */
const generated = new Map<string, KernelVariant>();

function encode(ctx: KernelContext, kernel: UpdateKernel, launch: Launch): void {
  const { readOnly, readWrite } = launch.bindings();
  const buffers = [...readOnly, ...readWrite];
  const binding = new Map(buffers.map((buffer, i) => [buffer, i + 1]));
  const shape: LaunchShape = {
    reads: readOnly.length,
    writes: readWrite.length,
    tensors: launch.tensors.map(({ update, contiguous }) => ({
      grad: binding.get(update.grad.buffer)!,
      strided: !contiguous,
      operands: update.operands.map((o) => binding.get(o.storage.buffer)!),
    })),
  };
  const variant = `${kernel.variant} ${shape.tensors.map((t) => `${t.grad}${t.strided ? 's' : ''}>${t.operands.join(',')}`).join(' ')}`;
  const key = `${kernel.file}:${variant}`;
  let spec = generated.get(key);
  if (!spec) generated.set(key, (spec = generate(kernel, variant, shape)));

  // Params: the kernel's Hyper, then a TensorSlice per tensor; each tensor starts on a workgroup of its own.
  const params = [...kernel.hyper];
  let groups = 0;
  for (const { update, count, view } of launch.tensors) {
    const offsets = update.operands.map((o) => o.storage.offset + o.offset);
    params.push(groups, count, update.grad.offset + view.offset, view.shape.length, ...offsets, ...ZEROS.slice(offsets.length), ...dims(view.shape), ...dims(view.strides));
    groups += Math.ceil(count / ELEMENTS_PER_GROUP);
  }
  ctx.dispatch(ctx.kernel(spec), params, buffers.map((buffer) => ({ buffer })), grid2d(groups));
}

/** optimizer.wgsl's placeholders for `shape`: the binding declarations and each tensor's load and store. */
function generate(kernel: UpdateKernel, variant: string, shape: LaunchShape): KernelVariant {
  const declarations = Array.from({ length: shape.reads + shape.writes }, (_, i) => {
    const access = i < shape.reads ? 'read' : 'read_write';
    return `@group(0) @binding(${i + 1}) var<storage, ${access}> b${i + 1}: array<f32>;`;
  });
  const loads: string[] = [];
  const stores: string[] = [];
  shape.tensors.forEach(({ grad, strided, operands }, k) => {
    const fields = operands.map((b, j) => [kernel.fields[j], `b${b}[at[${j}] + e]`]);
    loads.push(`    case ${k}u: { x.grad = b${grad}[${strided ? `strided_grad(${k}u, e)` : 'grad_at + e'}]; ${fields.map(([field, at]) => `x.${field} = ${at};`).join(' ')} }`);
    stores.push(`    case ${k}u: { ${fields.map(([field, at]) => `${at} = x.${field};`).join(' ')} }`);
  });
  return {
    file: kernel.file,
    variant,
    inputs: shape.reads,
    outputs: shape.writes,
    substitutions: { TENSORS: String(shape.tensors.length), BINDINGS: declarations.join('\n'), LOADS: loads.join('\n'), STORES: stores.join('\n') },
    constants: kernel.constants,
  };
}
