// conv2d (torch.nn.functional.conv2d, NCHW, weight [out, in/groups, kh, kw]). Where the backend has
// the convolution kernels (groups 1), three ops, each linear in both inputs and each the others'
// backward: conv2d, its input gradient (the transposed convolution) and its weight gradient; so it
// is differentiable to any order (MAML). Elsewhere it is composed from primitives: unfold (one
// indexSelect) then one batched matmul per group, differentiable through those.
import type { Conv2dGeometry } from '../backend/backend.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { getBackend } from '../device.js';
import { tidy } from '../memory.js';
import { formatShape } from '../shape.js';
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
function geometry(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions): { rows: Axis; cols: Axis; groups: number } {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = checkOptions('conv2d', options, ['stride', 'padding', 'dilation', 'groups']);
  if (weight.ndim !== 4) throw new Error(`conv2d: weight ${formatShape(weight.shape)} must be 4-D [out, in/groups, kh, kw] (got ${weight.ndim} dims)`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2d: groups must be a positive integer, got ${describe(groups)}`);
  const [out, perGroup, kh, kw] = weight.shape;
  if (out % groups !== 0) {
    throw new Error(`conv2d: given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(weight.shape)} instead`);
  }
  if (x.shape[1] !== perGroup * groups) {
    throw new Error(
      `conv2d: given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input ${formatShape(x.shape)} to have ${perGroup * groups} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) {
    throw new Error(`conv2d: given weight of size ${formatShape(weight.shape)}, expected bias to be 1-D with ${out} elements, but got bias of size ${formatShape(bias.shape)} instead`);
  }
  const [sh, sw] = pair('conv2d', 'stride', stride, 1);
  const [dh, dw] = pair('conv2d', 'dilation', dilation, 1);
  if (padding === 'same' && (sh !== 1 || sw !== 1)) throw new Error(`conv2d: padding='same' is not supported for strided convolutions (stride [${sh}, ${sw}]); give the padding as numbers`);
  const [[bh, th], [bw, tw]] = paddingOf(padding, [kh, kw], [dh, dw]);
  const [h, w] = x.shape.slice(2);
  if (h + th < dh * (kh - 1) + 1 || w + tw < dw * (kw - 1) + 1) {
    throw new Error(
      `conv2d: calculated padded input size per channel: (${h + th} x ${w + tw}). Kernel size: (${dh * (kh - 1) + 1} x ${dw * (kw - 1) + 1}). Kernel size can't be greater than actual input size (input ${formatShape(x.shape)}, weight ${formatShape(weight.shape)})`,
    );
  }
  return { rows: axis(h, kh, sh, bh, th, dh), cols: axis(w, kw, sw, bw, tw, dw), groups };
}

// ⟨gy, conv(x, w)⟩ is bilinear; with A = ∂/∂x (conv2dInputGrad) and B = ∂/∂w (conv2dWeightGrad):
// ⟨u, A(gy, w)⟩ = ⟨conv(u, w), gy⟩ and ⟨u, B(x, gy)⟩ = ⟨gy, conv(x, u)⟩ give each op's backward.
const convOp: OpDef<Conv2dGeometry> = defineOp({
  name: 'conv2d',
  shape: (_, g) => [g.batch, g.outChannels, ...g.output],
  forward: (b, [x, w], g) => b.conv2d!(x.storage, x.layout, w.storage, w.layout, g),
  backward: (gy, { inputs: [x, w], needsGrad }, g) => [needsGrad[0] ? apply(inputGradOp, [gy, w], g) : null, needsGrad[1] ? apply(weightGradOp, [x, gy], g) : null],
});
const inputGradOp: OpDef<Conv2dGeometry> = defineOp({
  name: 'conv2dInputGrad',
  shape: (_, g) => [g.batch, g.inChannels, ...g.input],
  forward: (b, [gy, w], g) => b.conv2dInputGrad!(gy.storage, gy.layout, w.storage, w.layout, g),
  backward: (u, { inputs: [gy, w], needsGrad }, g) => [needsGrad[0] ? apply(convOp, [u, w], g) : null, needsGrad[1] ? apply(weightGradOp, [u, gy], g) : null],
});
const weightGradOp: OpDef<Conv2dGeometry> = defineOp({
  name: 'conv2dWeightGrad',
  shape: (_, g) => [g.outChannels, g.inChannels, ...g.kernel],
  forward: (b, [x, gy], g) => b.conv2dWeightGrad!(x.storage, x.layout, gy.storage, gy.layout, g),
  backward: (u, { inputs: [x, gy], needsGrad }, g) => [needsGrad[0] ? apply(inputGradOp, [gy, u], g) : null, needsGrad[1] ? apply(convOp, [x, u], g) : null],
});

const hasConvKernels = (device: Tensor['device']): boolean => {
  const b = getBackend(device);
  return Boolean(b.conv2d && b.conv2dInputGrad && b.conv2dWeightGrad);
};

/** 2-D convolution of input [N, C, H, W] (or [C, H, W]) with weight [out, C/groups, kh, kw] and bias [out]. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', 'input', input);
  checkTensor('conv2d', 'weight', weight);
  if (bias !== undefined && bias !== null) checkTensor('conv2d', 'bias', bias);
  return tidy(() => {
    const { x, unbatched } = batched('conv2d', input);
    const { rows, cols, groups } = geometry(x, weight, bias ?? null, options);
    const out = weight.shape[0];
    const y = groups === 1 && hasConvKernels(x.device) ? apply(convOp, [x, weight], windowGeometry(x, out, rows, cols)) : composedConv(x, weight, rows, cols, groups);
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
