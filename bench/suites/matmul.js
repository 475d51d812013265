// Square f32 matmul C = A·B, N = 256…2048: the GEMM throughput behind every Linear layer.
import { gemmTolerance, opCase } from './common.js';

const SIZES = [256, 512, 1024, 2048];
/** tfjs-cpu is ≈0.5 GFLOP/s: 1024³ would take ≈4 s a call, 2048³ ≈35 s. */
const TFJS_CPU_MAX = 512;

export default {
  name: 'matmul',
  title: 'Square matmul (f32), C = A·B, result read back',
  cases: SIZES.map((n) => ({
    id: `matmul/${n}`,
    label: `matmul ${n}×${n}·${n}×${n}`,
    flops: 2 * n ** 3,
    dispatchSteps: 1, // one matmul per call: one call is enough to count its dispatches (2048 on lavapipe: seconds a call)
    tolerance: gemmTolerance(n),
    skip: (peer) => (peer === 'tfjs-cpu' && n > TFJS_CPU_MAX ? 'skipped (too slow)' : undefined),
    ...opCase({
      seed: n,
      inputs: { a: [n, n], b: [n, n] },
      webgrad: ({ a, b }) => a.matmul(b),
      tfjs: (tf, { a, b }) => tf.matMul(a, b),
    }),
  })),
};
