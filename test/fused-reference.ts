// Float64 oracles for the optional fused Backend methods (squared error, Adam, SGD), which the
// reference backend no longer has: written on its storages, from the formulas of kernels/adam.wgsl
// and kernels/sgd.wgsl, for the tests that compare a backend's fused kernel with them.
import type { AdamHyper, AdamTensor, SgdHyper, SgdTensor, Storage, StorageSlice } from '../src/backend/backend.js';
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
