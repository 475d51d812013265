// Float64 oracles for the optional fused Backend methods (squared error, softmax's backward, Adam, SGD, the window
// kernels: conv2d and its gradients, max-pooling's argmax, as direct loops), which the
// reference backend no longer has: written on its storages, from the formulas of kernels/adam.wgsl
// and kernels/sgd.wgsl, for the tests that compare a backend's fused kernel with them.
import type { AdamHyper, AdamTensor, Conv2dGeometry, SgdHyper, SgdTensor, Storage, StorageSlice } from '../src/backend/backend.js';
import type { ReferenceBackend } from '../src/backend/reference/reference.js';
import type { Layout } from '../src/shape.js';

const dataOf = (s: Storage): Float64Array => (s as unknown as { data: Float64Array }).data;
const sliceOf = ({ storage, offset }: StorageSlice): Float64Array => dataOf(storage).subarray(offset);
/** A view's elements in row-major order. */
const elements = (ref: ReferenceBackend, s: Storage, layout: Layout): Float64Array => dataOf(ref.unary('copy', s, layout, 0));

/** alpha · Σ (a − b)², as a one-element storage. */
export function squaredErrorSum(ref: ReferenceBackend, a: Storage, al: Layout, b: Storage, bl: Layout, alpha: number): Storage {
  const diff = dataOf(ref.binary('sub', a, al, b, bl));
  return ref.upload(Float64Array.of(alpha * diff.reduce((sum, d) => sum + d * d, 0)));
}

/** The gradient of softmax (log: log-softmax) along `dim` from its output y and the incoming gradient g. */
export function softmaxBackward(ref: ReferenceBackend, y: Storage, yl: Layout, g: Storage, gl: Layout, dim: number, log: boolean): Storage {
  const [ys, gs] = [elements(ref, y, yl), elements(ref, g, gl)];
  const { shape } = yl;
  const size = shape[dim], inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const outer = size * inner === 0 ? 0 : ys.length / (size * inner);
  const out = new Float64Array(ys.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (r: number) => (o * size + r) * inner + i;
      let s = 0;
      for (let r = 0; r < size; r++) s += log ? gs[at(r)] : gs[at(r)] * ys[at(r)];
      for (let r = 0; r < size; r++) out[at(r)] = log ? gs[at(r)] - Math.exp(ys[at(r)]) * s : ys[at(r)] * (gs[at(r)] - s);
    }
  return ref.upload(out);
}

/** alpha · (a − b) · g[gOffset]. */
export function squaredErrorGrad(ref: ReferenceBackend, a: Storage, al: Layout, b: Storage, bl: Layout, g: Storage, gOffset: number, alpha: number): Storage {
  const scale = alpha * dataOf(g)[gOffset];
  return ref.upload(dataOf(ref.binary('sub', a, al, b, bl)).map((d) => scale * d));
}

export function adamStep(ref: ReferenceBackend, tensors: readonly AdamTensor[], h: AdamHyper): void {
  for (const t of tensors) {
    const [p, m, v] = [t.param, t.expAvg, t.expAvgSq].map(sliceOf);
    const vMax = t.maxExpAvgSq && sliceOf(t.maxExpAvgSq);
    elements(ref, t.grad, t.gradLayout).forEach((g, i) => {
      p[i] *= h.paramScale;
      const gi = g + h.gradDecay * p[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
      if (vMax) vMax[i] = Math.max(vMax[i], v[i]);
      p[i] -= (h.stepSize * m[i]) / (Math.sqrt(vMax ? vMax[i] : v[i]) / h.biasCorrection2Sqrt + h.eps);
    });
  }
}

export function sgdStep(ref: ReferenceBackend, tensors: readonly SgdTensor[], h: SgdHyper): void {
  for (const t of tensors) {
    const p = sliceOf(t.param);
    const b = t.momentumBuffer && sliceOf(t.momentumBuffer);
    elements(ref, t.grad, t.gradLayout).forEach((g, i) => {
      let gi = g + h.weightDecay * p[i];
      if (b) {
        b[i] = h.firstStep ? gi : h.momentum * b[i] + (1 - h.dampening) * gi;
        gi = h.nesterov ? gi + h.momentum * b[i] : b[i];
      }
      p[i] -= h.lr * gi;
    });
  }
}

/** The input position (r, q) that window position (oi, oj) reads at kernel entry (ki, kj), or null in the padding. */
function source(g: Conv2dGeometry, oi: number, oj: number, ki: number, kj: number): [number, number] | null {
  const r = oi * g.stride[0] - g.padding[0] + ki * g.dilation[0];
  const q = oj * g.stride[1] - g.padding[1] + kj * g.dilation[1];
  return r >= 0 && r < g.input[0] && q >= 0 && q < g.input[1] ? [r, q] : null;
}

/** Calls f(x index, y index, weight index) for every multiply of the direct convolution loop. */
function convLoop(g: Conv2dGeometry, f: (xAt: number, yAt: number, wAt: number) => void): void {
  const [[h, w], [kh, kw], [oh, ow]] = [g.input, g.kernel, g.output];
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++)
      for (let c = 0; c < g.inChannels; c++)
        for (let oi = 0; oi < oh; oi++)
          for (let oj = 0; oj < ow; oj++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const at = source(g, oi, oj, ki, kj);
                if (at) f(((n * g.inChannels + c) * h + at[0]) * w + at[1], ((n * g.outChannels + o) * oh + oi) * ow + oj, ((o * g.inChannels + c) * kh + ki) * kw + kj);
              }
}

const sizes = (g: Conv2dGeometry) => ({
  x: g.batch * g.inChannels * g.input[0] * g.input[1],
  y: g.batch * g.outChannels * g.output[0] * g.output[1],
  w: g.outChannels * g.inChannels * g.kernel[0] * g.kernel[1],
});

export function conv2d(ref: ReferenceBackend, x: Storage, xl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
  const [xs, ws, y] = [elements(ref, x, xl), elements(ref, weight, wl), new Float64Array(sizes(g).y)];
  convLoop(g, (xi, yi, wi) => (y[yi] += xs[xi] * ws[wi]));
  return ref.upload(y);
}

export function conv2dInputGrad(ref: ReferenceBackend, gy: Storage, gl: Layout, weight: Storage, wl: Layout, g: Conv2dGeometry): Storage {
  const [gys, ws, gx] = [elements(ref, gy, gl), elements(ref, weight, wl), new Float64Array(sizes(g).x)];
  convLoop(g, (xi, yi, wi) => (gx[xi] += gys[yi] * ws[wi]));
  return ref.upload(gx);
}

export function conv2dWeightGrad(ref: ReferenceBackend, x: Storage, xl: Layout, gy: Storage, gl: Layout, g: Conv2dGeometry): Storage {
  const [xs, gys, gw] = [elements(ref, x, xl), elements(ref, gy, gl), new Float64Array(sizes(g).w)];
  convLoop(g, (xi, yi, wi) => (gw[wi] += xs[xi] * gys[yi]));
  return ref.upload(gw);
}

/** PyTorch's max-pooling argmax: the first maximum of each window, the last NaN if it has one. */
export function maxPool2dIndices(ref: ReferenceBackend, x: Storage, xl: Layout, g: Conv2dGeometry): Storage {
  const xs = elements(ref, x, xl);
  const [[h, w], [kh, kw], [oh, ow]] = [g.input, g.kernel, g.output];
  const out: number[] = [];
  for (let plane = 0; plane < g.batch * g.inChannels; plane++)
    for (let oi = 0; oi < oh; oi++)
      for (let oj = 0; oj < ow; oj++) {
        let [best, max] = [-1, -Infinity];
        for (let ki = 0; ki < kh; ki++)
          for (let kj = 0; kj < kw; kj++) {
            const at = source(g, oi, oj, ki, kj);
            if (!at) continue;
            const v = xs[plane * h * w + at[0] * w + at[1]];
            if (best < 0 || v > max || Number.isNaN(v)) [best, max] = [at[0] * w + at[1], v];
          }
        out.push(best);
      }
  return ref.upload(Float64Array.from(out));
}
