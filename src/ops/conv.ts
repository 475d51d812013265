// conv2d (torch.nn.functional.conv2d, NCHW, weight [out, in/groups, kh, kw]). Where the backend has
// the convolution kernels (groups 1), three ops, each linear in both inputs and each the others'
// backward: conv2d, its input gradient (the transposed convolution) and its weight gradient; so it
// is differentiable to any order (MAML). Elsewhere it is composed from primitives: unfold (one
// indexSelect) then one batched matmul per group, differentiable through those.
import type { Backend, Conv2dGeometry, Storage } from '../backend/backend.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { getBackend } from '../device.js';
import { tidy } from '../memory.js';
import { contiguousLayout, formatShape, sizeOf, type Layout } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp, type OpDef } from './op.js';
import { axis, batched, pair, unfold, windowGeometry, type Axis, type Pair } from './window.js';

export interface Conv2dOptions {
  stride?: Pair;
  /** Zeros added on both sides; 'valid' is 0, 'same' keeps the input size (stride 1 only). */
  padding?: Pair | 'valid' | 'same';
  dilation?: Pair;
  groups?: number;
}

/** The (before, total) padding of one axis. */
function paddingOf(padding: Conv2dOptions['padding'], kernel: [number, number], dilation: [number, number]): [[number, number], [number, number]] {
  if (padding === 'valid') return [[0, 0], [0, 0]];
  if (padding === 'same') {
    // As PyTorch: the odd extra zero of an even kernel goes after.
    return [0, 1].map((i) => {
      const total = dilation[i] * (kernel[i] - 1);
      return [Math.floor(total / 2), total];
    }) as [[number, number], [number, number]];
  }
  const [ph, pw] = pair('conv2d', 'padding', padding ?? 0, 0);
  return [[ph, 2 * ph], [pw, 2 * pw]];
}

/** Checks input, weight, bias and options as PyTorch does; returns the two window axes. */
function geometry(x: Tensor, weight: readonly number[], bias: readonly number[] | null, options: Conv2dOptions): { rows: Axis; cols: Axis; groups: number } {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = checkOptions('conv2d', options, ['stride', 'padding', 'dilation', 'groups']);
  if (weight.length !== 4) throw new Error(`conv2d: weight ${formatShape(weight)} must be 4-D [out, in/groups, kh, kw], or 5-D with a weight per leading entry (got ${weight.length} dims)`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups must be a positive integer, got ${describe(groups)}`);
  const [out, perGroup, kh, kw] = weight;
  if (out % groups !== 0) {
    throw new Error(`conv2d: given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(weight)} instead`);
  }
  if (x.shape[1] !== perGroup * groups) {
    throw new Error(
      `conv2d: given groups=${groups}, weight of size ${formatShape(weight)}, expected input ${formatShape(x.shape)} to have ${perGroup * groups} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  if (bias && (bias.length !== 1 || bias[0] !== out)) {
    throw new Error(`conv2d: given weight of size ${formatShape(weight)}, expected bias to be 1-D with ${out} elements, but got bias of size ${formatShape(bias)} instead`);
  }
  const [sh, sw] = pair('conv2d', 'stride', stride, 1);
  const [dh, dw] = pair('conv2d', 'dilation', dilation, 1);
  if (padding === 'same' && (sh !== 1 || sw !== 1)) throw new Error(`conv2d: padding='same' is not supported for strided convolutions (stride [${sh}, ${sw}]); give the padding as numbers`);
  const [[bh, th], [bw, tw]] = paddingOf(padding, [kh, kw], [dh, dw]);
  const [h, w] = x.shape.slice(2);
  if (h + th < dh * (kh - 1) + 1 || w + tw < dw * (kw - 1) + 1) {
    throw new Error(
      `conv2d: calculated padded input size per channel: (${h + th} x ${w + tw}). Kernel size: (${dh * (kh - 1) + 1} x ${dw * (kw - 1) + 1}). Kernel size can't be greater than actual input size (input ${formatShape(x.shape)}, weight ${formatShape(weight)})`,
    );
  }
  return { rows: axis(h, kh, sh, bh, th, dh), cols: axis(w, kw, sw, bw, tw, dw), groups };
}

// ⟨gy, conv(x, w)⟩ is bilinear; with A = ∂/∂x (conv2dInputGrad) and B = ∂/∂w (conv2dWeightGrad):
// ⟨u, A(gy, w)⟩ = ⟨conv(u, w), gy⟩ and ⟨u, B(x, gy)⟩ = ⟨gy, conv(x, u)⟩ give each op's backward.
// The per-entry three (a weight per leading entry, T of them) run the kernel on each entry's
// slices and write the results side by side, and are each other's backward in the same way.
type ConvKernel = 'conv2d' | 'conv2dInputGrad' | 'conv2dWeightGrad';
interface ConvOps {
  conv: OpDef<Conv2dGeometry>;
  inputGrad: OpDef<Conv2dGeometry>;
  weightGrad: OpDef<Conv2dGeometry>;
}

/** The kernel on entry i of each input's leading dim, for every i, into one [T, ...] result. */
function eachEntry(b: Backend, kernel: ConvKernel, [u, v]: readonly Tensor[], g: Conv2dGeometry, shape: readonly number[]): Storage {
  const entry = (l: Layout, i: number): Layout => ({ shape: l.shape.slice(1), strides: l.strides.slice(1), offset: l.offset + i * l.strides[0] });
  const size = sizeOf(shape.slice(1));
  const out = b.fill(shape[0] * size, 0);
  for (let i = 0; i < shape[0]; i++) {
    const part = b[kernel]!(u.storage, entry(u.layout, i), v.storage, entry(v.layout, i), g);
    b.copy(part, contiguousLayout(shape.slice(1)), out, contiguousLayout(shape.slice(1), i * size));
    b.release(part);
  }
  return out;
}

function convOps(perEntry: boolean): ConvOps {
  const lead = (inputs: readonly Tensor[]) => (perEntry ? [inputs[0].shape[0]] : []);
  const run = (kernel: ConvKernel) => (b: Backend, inputs: readonly Tensor[], g: Conv2dGeometry, shape: readonly number[]) =>
    perEntry ? eachEntry(b, kernel, inputs, g, shape) : b[kernel]!(inputs[0].storage, inputs[0].layout, inputs[1].storage, inputs[1].layout, g);
  const suffix = perEntry ? 'PerEntry' : '';
  const ops: ConvOps = {
    conv: defineOp({
      name: `conv2d${suffix}`,
      shape: (inputs, g) => [...lead(inputs), g.batch, g.outChannels, ...g.output],
      forward: run('conv2d'),
      backward: (gy, { inputs: [x, w], needsGrad }, g) => [needsGrad[0] ? apply(ops.inputGrad, [gy, w], g) : null, needsGrad[1] ? apply(ops.weightGrad, [x, gy], g) : null],
    }),
    inputGrad: defineOp({
      name: `conv2dInputGrad${suffix}`,
      shape: (inputs, g) => [...lead(inputs), g.batch, g.inChannels, ...g.input],
      forward: run('conv2dInputGrad'),
      backward: (u, { inputs: [gy, w], needsGrad }, g) => [needsGrad[0] ? apply(ops.conv, [u, w], g) : null, needsGrad[1] ? apply(ops.weightGrad, [u, gy], g) : null],
    }),
    weightGrad: defineOp({
      name: `conv2dWeightGrad${suffix}`,
      shape: (inputs, g) => [...lead(inputs), g.outChannels, g.inChannels, ...g.kernel],
      forward: run('conv2dWeightGrad'),
      backward: (u, { inputs: [x, gy], needsGrad }, g) => [needsGrad[0] ? apply(ops.inputGrad, [gy, u], g) : null, needsGrad[1] ? apply(ops.conv, [x, u], g) : null],
    }),
  };
  return ops;
}
const kernelOps = convOps(false);
const perEntryKernelOps = convOps(true);

const hasConvKernels = (device: Tensor['device']): boolean => {
  const b = getBackend(device);
  return Boolean(b.conv2d && b.conv2dInputGrad && b.conv2dWeightGrad);
};

/**
 * 2-D convolution of input [N, C, H, W] (or [C, H, W]) with weight [out, C/groups, kh, kw] and bias
 * [out]. With a weight per leading entry, weight [T, out, C/groups, kh, kw] and bias [T, out] (a
 * meta-batch's per-task weights), the input is [T, N, C, H, W] (or [T, C, H, W]) and entry t uses
 * weight[t], bias[t]: the backend's kernels once per entry where it has them, else one batched
 * matmul over the unfolded windows.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', 'input', input);
  checkTensor('conv2d', 'weight', weight);
  if (bias !== undefined && bias !== null) checkTensor('conv2d', 'bias', bias);
  if (weight.ndim === 5) return perEntryConv(input, weight, bias ?? null, options);
  return tidy(() => {
    const { x, unbatched } = batched('conv2d', input);
    const { rows, cols, groups } = geometry(x, weight.shape, bias?.shape ?? null, options);
    const out = weight.shape[0];
    const y = groups === 1 && hasConvKernels(x.device) ? apply(kernelOps.conv, [x, weight], windowGeometry(x.shape, out, rows, cols)) : composedConv(x, weight, rows, cols, groups);
    const biased = bias ? y.add(bias.reshape([1, out, 1, 1])) : y;
    return unbatched ? biased.reshape(biased.shape.slice(1)) : biased;
  });
}

/** The convolution from primitives: every window by one indexSelect, then a batched matmul per group. */
function composedConv(x: Tensor, weight: Tensor, rows: Axis, cols: Axis, groups: number): Tensor {
  const [n, c] = x.shape;
  const out = weight.shape[0];
  const k = (c / groups) * rows.kernel * cols.kernel;
  const windows = unfold(x, rows, cols, 0).reshape([n, groups, k, rows.out * cols.out]);
  return weight.reshape([1, groups, out / groups, k]).matmul(windows).reshape([n, out, rows.out, cols.out]);
}

function perEntryConv(input: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): Tensor {
  const [tasks, out] = weight.shape;
  if ((input.ndim !== 4 && input.ndim !== 5) || input.shape[0] !== tasks || (bias && bias.shape.join() !== [tasks, out].join())) {
    throw new Error(
      `conv2d: input ${formatShape(input.shape)} does not fit per-entry weight ${formatShape(weight.shape)}${bias ? ` and bias ${formatShape(bias.shape)}` : ''} (expected input [${tasks}, N, C, H, W] or [${tasks}, C, H, W], bias [${tasks}, ${out}])`,
    );
  }
  return tidy(() => {
    const x = input.ndim === 5 ? input : input.unsqueeze(1);
    const [, n, c, h, w] = x.shape;
    const folded = x.reshape([tasks * n, c, h, w]);
    const { rows, cols, groups } = geometry(folded, weight.shape.slice(1), null, options);
    let y: Tensor;
    if (groups === 1 && hasConvKernels(x.device)) {
      // The backend's kernels take one weight: one launch per entry, and no windows in memory.
      y = apply(perEntryKernelOps.conv, [x, weight], windowGeometry(x.shape.slice(1), out, rows, cols));
    } else {
      const k = (c / groups) * rows.kernel * cols.kernel;
      const windows = unfold(folded, rows, cols, 0).reshape([tasks, n, groups, k, rows.out * cols.out]);
      y = weight.reshape([tasks, 1, groups, out / groups, k]).matmul(windows).reshape([tasks, n, out, rows.out, cols.out]);
    }
    const biased = bias ? y.add(bias.reshape([tasks, 1, out, 1, 1])) : y;
    return input.ndim === 5 ? biased : biased.reshape([tasks, out, rows.out, cols.out]);
  });
}
