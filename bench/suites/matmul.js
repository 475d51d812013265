// Square f32 matmul C = A·B, N = 256…2048: the GEMM throughput behind every Linear layer.
import { manualSeed, randn, tensor } from 'webgrad';

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
    // Summation order differs between GEMMs: |Δ| grows with the length n of each dot product.
    tolerance: { rtol: 1e-5, atol: 2e-5 * n },
    skip: (peer) => (peer === 'tfjs-cpu' && n > TFJS_CPU_MAX ? 'skipped (too slow)' : undefined),
    async prepare() {
      manualSeed(n);
      const a = randn([n, n]);
      const b = randn([n, n]);
      const data = { a: await a.data(), b: await b.data() };
      a.dispose();
      b.dispose();
      return data;
    },
    async webgrad({ a, b }) {
      const ta = tensor(a, { shape: [n, n] });
      const tb = tensor(b, { shape: [n, n] });
      return {
        async step() {
          const c = ta.matmul(tb);
          const out = await c.data();
          c.dispose();
          return out;
        },
        dispose: () => [ta, tb].forEach((t) => t.dispose()),
      };
    },
    async tfjs(tf, { a, b }) {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      return {
        async step() {
          const c = tf.matMul(ta, tb);
          const out = await c.data();
          c.dispose();
          return out;
        },
        dispose: () => tf.dispose([ta, tb]),
      };
    },
  })),
};
