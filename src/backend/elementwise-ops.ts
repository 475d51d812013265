// The elementwise ops, declared once for TypeScript and WGSL: each op's float64 reference function
// (the reference backend runs it: it is the spec) beside its WGSL expression (the webgpu kernels
// substitute it; helpers such as pow_js live in kernels/unary_op.wgsl and binary_op.wgsl). The C++
// functors are the same table in native/src/elementwise_ops.h; the native backend maps the ops by
// name, and its constructor refuses an addon that lacks one.
// A unary op is f(x, alpha), alpha being the scalar operand of the `*S` ops (x + alpha, x ** alpha)
// and the parameter of the parametrised activations (leakyRelu's slope, elu's alpha).

interface UnaryDef {
  readonly ref: (x: number, alpha: number) => number;
  /** A WGSL expression in `x` and `alpha` (f32). */
  readonly wgsl: string;
}

interface BinaryDef {
  readonly ref: (a: number, b: number) => number;
  /** A WGSL expression in `a` and `b` (f32). */
  readonly wgsl: string;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The standard normal CDF Φ(x) = ½·erfc(−x/√2), accurate in its tails. */
const normalCdf = (x: number): number => 0.5 * erfc(-x * SQRT1_2);

export const UNARY_OPS = {
  copy: { ref: (x) => x, wgsl: 'x' },
  neg: { ref: (x) => -x, wgsl: '-x' },
  exp: { ref: Math.exp, wgsl: 'exp(x)' },
  expm1: { ref: Math.expm1, wgsl: 'expm1_js(x)' },
  log: { ref: Math.log, wgsl: 'log(x)' },
  log1p: { ref: Math.log1p, wgsl: 'log1p_js(x)' },
  sqrt: { ref: Math.sqrt, wgsl: 'sqrt(x)' },
  rsqrt: { ref: (x) => 1 / Math.sqrt(x), wgsl: '1.0 / sqrt(x)' },
  reciprocal: { ref: (x) => 1 / x, wgsl: '1.0 / x' },
  square: { ref: (x) => x * x, wgsl: 'x * x' },
  abs: { ref: Math.abs, wgsl: 'abs(x)' },
  sign: { ref: Math.sign, wgsl: 'select(sign(x), x, is_nan(x))' },
  sin: { ref: Math.sin, wgsl: 'sin(x)' },
  cos: { ref: Math.cos, wgsl: 'cos(x)' },
  tanh: { ref: Math.tanh, wgsl: 'tanh_safe(x)' },
  sigmoid: { ref: (x) => 1 / (1 + Math.exp(-x)), wgsl: '1.0 / (1.0 + exp(-x))' },
  relu: { ref: (x) => (x <= 0 ? 0 : x), wgsl: 'select(0.0, x, x > 0.0 || is_nan(x))' }, // NaN stays NaN, as in PyTorch
  softplus: { ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), wgsl: 'max(x, 0.0) + log1p_js(exp(-abs(x)))' },
  gelu: { ref: (x) => x * normalCdf(x), wgsl: 'x * 0.5 * erfc_js(-x * 0.70710678)' },
  /** GELU's derivative Φ(x) + x·φ(x). */
  geluGrad: { ref: (x) => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x), wgsl: '0.5 * erfc_js(-x * 0.70710678) + x * 0.39894228 * exp(-0.5 * x * x)' },
  leakyRelu: { ref: (x, slope) => (x > 0 ? x : slope * x), wgsl: 'select(alpha * x, x, x > 0.0)' },
  /** leakyRelu's derivative: 1 for x > 0, else the slope. */
  leakyReluGrad: { ref: (x, slope) => (x > 0 ? 1 : slope), wgsl: 'select(alpha, 1.0, x > 0.0)' },
  elu: { ref: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)), wgsl: 'select(alpha * expm1_js(x), x, x > 0.0)' },
  addS: { ref: (x, s) => x + s, wgsl: 'x + alpha' },
  mulS: { ref: (x, s) => x * s, wgsl: 'x * alpha' },
  rsubS: { ref: (x, s) => s - x, wgsl: 'alpha - x' },
  powS: { ref: (x, p) => x ** p, wgsl: 'pow_js(x, alpha)' },
  gtS: { ref: (x, s) => (x > s ? 1 : 0), wgsl: 'select(0.0, 1.0, x > alpha)' },
} satisfies Record<string, UnaryDef>;

/** Elementwise on two operands of one shape (the op table expands broadcasts to stride-0 views). */
export const BINARY_OPS = {
  add: { ref: (a, b) => a + b, wgsl: 'a + b' },
  sub: { ref: (a, b) => a - b, wgsl: 'a - b' },
  mul: { ref: (a, b) => a * b, wgsl: 'a * b' },
  div: { ref: (a, b) => a / b, wgsl: 'a / b' },
  pow: { ref: (a, b) => a ** b, wgsl: 'pow_js(a, b)' },
  // A NaN in either operand wins, as torch.maximum / torch.minimum.
  maximum: { ref: (a, b) => (a >= b || Number.isNaN(a) ? a : b), wgsl: 'maximum_js(a, b)' },
  minimum: { ref: (a, b) => (a <= b || Number.isNaN(a) ? a : b), wgsl: 'minimum_js(a, b)' },
  // Comparisons give float 0/1 masks; every comparison with NaN is false except ne.
  eq: { ref: (a, b) => (a === b ? 1 : 0), wgsl: 'select(0.0, 1.0, a == b)' },
  ne: { ref: (a, b) => (a !== b ? 1 : 0), wgsl: 'select(1.0, 0.0, a == b)' },
  gt: { ref: (a, b) => (a > b ? 1 : 0), wgsl: 'select(0.0, 1.0, a > b)' },
  ge: { ref: (a, b) => (a >= b ? 1 : 0), wgsl: 'select(0.0, 1.0, a >= b)' },
} satisfies Record<string, BinaryDef>;

export type UnaryOp = keyof typeof UNARY_OPS;
export type BinaryOp = keyof typeof BINARY_OPS;

/**
 * erfc in float64 to ~1e-15 relative: 1 − erf by erf's series of positive terms below 2 (no
 * cancellation: erf x = 2/√π·e^(−x²)·Σ (2x²)ⁿ·x / (1·3·…·(2n+1))), the continued fraction above.
 */
function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < -6) return 2;
  if (x < 2) {
    let [term, sum] = [x, x];
    for (let n = 0; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (2 * x * x) / (2 * n + 3);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0;
  // e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let t = x;
  for (let n = 60; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / t;
}
