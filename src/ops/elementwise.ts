// Elementwise ops. Binary ops broadcast (their backward sums the gradient back to each input's
// shape); a number operand becomes the scalar of a unary kernel rather than a tensor upload.
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { describe } from '../check.js';
import { broadcastShapes, expandLayout } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';
import { apply, defineOp, type OpDef } from './op.js';
import { sumTo } from './sum-to.js';

type Backward = NonNullable<OpDef<number>['backward']>;

function unaryOp(op: UnaryOp, backward?: Backward, savesOutput = false): OpDef<number> {
  return defineOp<number>({
    name: op,
    shape: ([x]) => x.shape,
    forward: (b, [x], alpha) => b.unary(op, x.storage, x.layout, alpha),
    backward,
    savesOutput,
    batched: true, // g·f'(x) broadcasts over a leading batch dim
  });
}

function binaryOp(op: BinaryOp, backward?: NonNullable<OpDef<void>['backward']>, savesOutput = false): OpDef<void> {
  return defineOp({
    name: op,
    shape: ([a, b]) => broadcastShapes(op, a.shape, b.shape),
    forward: (backend, [a, b], _, shape) => backend.binary(op, a.storage, expandLayout(a.layout, shape), b.storage, expandLayout(b.layout, shape)),
    backward,
    savesOutput,
    batched: true,
  });
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// d/dx (Φ(x) + x·φ(x)) = φ(x)·(2 − x²).
const geluGrad = unaryOp('geluGrad', (g, { inputs: [x] }) => {
  const x2 = square(x);
  return [g.mul(x2.mul(-0.5).exp().mul(INV_SQRT_2PI).mul(rsub(x2, 2)))];
});
// The derivative is piecewise constant: leakyReluGrad has no gradient of its own (0 a.e.).
const leakyReluGrad = unaryOp('leakyReluGrad');
const gtS = unaryOp('gtS');

export const unaryOps = {
  neg: unaryOp('neg', (g) => [g.neg()]),
  exp: unaryOp('exp', (g, { output }) => [g.mul(output)], true),
  expm1: unaryOp('expm1', (g, { output }) => [g.mul(output.add(1))], true),
  log: unaryOp('log', (g, { inputs: [x] }) => [g.div(x)]),
  log1p: unaryOp('log1p', (g, { inputs: [x] }) => [g.div(x.add(1))]),
  sqrt: unaryOp('sqrt', (g, { output }) => [g.div(output.mul(2))], true),
  rsqrt: unaryOp('rsqrt', (g, { output: y }) => [g.mul(y.pow(3)).mul(-0.5)], true),
  reciprocal: unaryOp('reciprocal', (g, { output: y }) => [g.mul(square(y)).neg()], true),
  square: unaryOp('square', (g, { inputs: [x] }) => [g.mul(x.mul(2))]),
  abs: unaryOp('abs', (g, { inputs: [x] }) => [g.mul(sign(x))]),
  sin: unaryOp('sin', (g, { inputs: [x] }) => [g.mul(cos(x))]),
  cos: unaryOp('cos', (g, { inputs: [x] }) => [g.mul(sin(x).neg())]),
  // sign(relu x) is 1 for x > 0, 0 for x ≤ 0, and NaN for NaN: a NaN input gets a NaN gradient.
  relu: unaryOp('relu', (g, { output }) => [g.mul(sign(output))], true),
  sigmoid: unaryOp('sigmoid', (g, { output: y }) => [g.mul(y.mul(rsub(y, 1)))], true),
  tanh: unaryOp('tanh', (g, { output: y }) => [g.mul(rsub(y.mul(y), 1))], true),
  softplus: unaryOp('softplus', (g, { inputs: [x] }) => [g.mul(sigmoid(x))]),
  gelu: unaryOp('gelu', (g, { inputs: [x] }) => [g.mul(apply(geluGrad, [x], 0))]),
  leakyRelu: unaryOp('leakyRelu', (g, { inputs: [x] }, slope) => [g.mul(apply(leakyReluGrad, [x], slope))]),
  // d/dx elu = 1 for x > 0, else y + α: written (y + α) + [x > 0]·(1 − y − α), differentiable in y.
  elu: unaryOp('elu', (g, { inputs: [x], output: y }, alpha) => {
    const below = y.add(alpha);
    return [g.mul(below.add(apply(gtS, [x], 0).mul(rsub(below, 1))))];
  }, true),
  addS: unaryOp('addS', (g) => [g]),
  mulS: unaryOp('mulS', (g, _, alpha) => [g.mul(alpha)]),
  rsubS: unaryOp('rsubS', (g) => [g.neg()]),
  // d/dx xᵖ = p·xᵖ⁻¹; for p = 2 (squared errors) x itself stands for xᵖ⁻¹, one launch fewer.
  powS: unaryOp('powS', (g, { inputs: [x] }, p) => [p === 0 ? g.mul(0) : g.mul(p === 2 ? x : x.pow(p - 1)).mul(p)]),
  sign: unaryOp('sign'),
  gtS,
};

/** As torch.maximum/minimum: an operand gets the gradient unless it loses, half of it on ties; so where one is NaN (no loser, no tie) both get it. */
const extremumBackward =
  (loses: (x: Tensor, other: Tensor) => Tensor): NonNullable<OpDef<void>['backward']> =>
  (g, { inputs: [a, b], needsGrad, batchDims }) => {
    const half = eq(a, b).mul(0.5);
    const share = (x: Tensor, other: Tensor) => rsub(loses(x, other).add(half), 1);
    return [needsGrad[0] ? sumTo(g.mul(share(a, b)), a.shape, batchDims) : null, needsGrad[1] ? sumTo(g.mul(share(b, a)), b.shape, batchDims) : null];
  };

export const binaryOps = {
  add: binaryOp('add', (g, { inputs: [a, b], needsGrad, batchDims }) => [needsGrad[0] ? sumTo(g, a.shape, batchDims) : null, needsGrad[1] ? sumTo(g, b.shape, batchDims) : null]),
  sub: binaryOp('sub', (g, { inputs: [a, b], needsGrad, batchDims }) => [needsGrad[0] ? sumTo(g, a.shape, batchDims) : null, needsGrad[1] ? sumTo(g.neg(), b.shape, batchDims) : null]),
  mul: binaryOp('mul', (g, { inputs: [a, b], needsGrad, batchDims }) => [
    needsGrad[0] ? sumTo(g.mul(b), a.shape, batchDims) : null,
    needsGrad[1] ? sumTo(g.mul(a), b.shape, batchDims) : null,
  ]),
  div: binaryOp('div', (g, { inputs: [a, b], needsGrad, batchDims }) => [
    needsGrad[0] ? sumTo(g.div(b), a.shape, batchDims) : null,
    needsGrad[1] ? sumTo(g.mul(a).div(b.mul(b)).neg(), b.shape, batchDims) : null,
  ]),
  // d/da aᵇ = b·aᵇ⁻¹ and d/db aᵇ = aᵇ·log a, with PyTorch's zeros where b = 0 (for a) and where
  // a = 0 ≤ b (for b): there the exponent b − 1 becomes 0 and log's argument 1, avoiding 0·∞.
  pow: binaryOp('pow', (g, { inputs: [a, b], output, needsGrad, batchDims }) => [
    needsGrad[0] ? sumTo(g.mul(b).mul(pow(a, b.add(eq(b, 0)).sub(1))), a.shape, batchDims) : null,
    needsGrad[1] ? sumTo(g.mul(output).mul(a.add(eq(a, 0).mul(ge(b, 0))).log()), b.shape, batchDims) : null,
  ], true),
  maximum: binaryOp('maximum', extremumBackward((x, other) => gt(other, x))),
  minimum: binaryOp('minimum', extremumBackward((x, other) => gt(x, other))),
  eq: binaryOp('eq'),
  ne: binaryOp('ne'),
  gt: binaryOp('gt'),
  ge: binaryOp('ge'),
};

function checkOperand(op: string, b: unknown): asserts b is Tensor {
  if (!(b instanceof TensorHandle)) throw new Error(`${op}: the other operand must be a Tensor or a number, got ${describe(b)}; make a tensor with tensor(...)`);
}

const scalarOrTensor =
  (withTensor: OpDef<void>, withScalar: (x: Tensor, s: number) => Tensor) =>
  (a: Tensor, b: Tensor | number): Tensor => {
    if (typeof b === 'number') return withScalar(a, b);
    checkOperand(withTensor.name, b);
    return apply(withTensor, [a, b], undefined);
  };

/** A number operand as a 0-d tensor on x's device, broadcast by the binary kernel. */
const filled = (def: OpDef<void>) => (x: Tensor, s: number) => apply(def, [x, TensorHandle.filled(x.device, [], s)], undefined);

const unary = (def: OpDef<number>) => (x: Tensor, alpha = 0) => apply(def, [x], alpha);

export const neg = unary(unaryOps.neg);
export const exp = unary(unaryOps.exp);
export const expm1 = unary(unaryOps.expm1);
export const log = unary(unaryOps.log);
export const log1p = unary(unaryOps.log1p);
export const sqrt = unary(unaryOps.sqrt);
export const rsqrt = unary(unaryOps.rsqrt);
export const square = unary(unaryOps.square);
/** 1 / x */
export const reciprocal = unary(unaryOps.reciprocal);
export const abs = unary(unaryOps.abs);
export const sin = unary(unaryOps.sin);
export const cos = unary(unaryOps.cos);
export const relu = unary(unaryOps.relu);
export const sigmoid = unary(unaryOps.sigmoid);
export const tanh = unary(unaryOps.tanh);
export const softplus = unary(unaryOps.softplus);
export const sign = unary(unaryOps.sign);
/** x·Φ(x), Φ the standard normal CDF (exact GELU). */
export const gelu = unary(unaryOps.gelu);
/** x for x > 0, else slope·x. */
export const leakyRelu = (x: Tensor, slope: number): Tensor => apply(unaryOps.leakyRelu, [x], slope);
/** x for x > 0, else α·(eˣ − 1). */
export const elu = (x: Tensor, alpha: number): Tensor => apply(unaryOps.elu, [x], alpha);
/** s - x */
export const rsub = (x: Tensor, s: number): Tensor => apply(unaryOps.rsubS, [x], s);

export const add = scalarOrTensor(binaryOps.add, (x, s) => apply(unaryOps.addS, [x], s));
export const sub = scalarOrTensor(binaryOps.sub, (x, s) => apply(unaryOps.addS, [x], -s));
export const mul = scalarOrTensor(binaryOps.mul, (x, s) => apply(unaryOps.mulS, [x], s));
export const div = scalarOrTensor(binaryOps.div, (x, s) => apply(unaryOps.mulS, [x], 1 / s));
export const pow = scalarOrTensor(binaryOps.pow, (x, p) => apply(unaryOps.powS, [x], p));
export const maximum = scalarOrTensor(binaryOps.maximum, filled(binaryOps.maximum));
export const minimum = scalarOrTensor(binaryOps.minimum, filled(binaryOps.minimum));

// Comparisons: float 0/1 masks, not differentiable; every comparison with NaN is 0 except ne's.
export const eq = scalarOrTensor(binaryOps.eq, filled(binaryOps.eq));
export const ne = scalarOrTensor(binaryOps.ne, filled(binaryOps.ne));
export const gt = scalarOrTensor(binaryOps.gt, (x, s) => apply(unaryOps.gtS, [x], s));
export const ge = scalarOrTensor(binaryOps.ge, filled(binaryOps.ge));
/** a < b, as b > a. */
export const lt = (a: Tensor, b: Tensor | number): Tensor => (typeof b === 'number' ? filledFirst(binaryOps.gt, b, a) : gt(checked('lt', b), a));
/** a ≤ b, as b ≥ a. */
export const le = (a: Tensor, b: Tensor | number): Tensor => (typeof b === 'number' ? filledFirst(binaryOps.ge, b, a) : ge(checked('le', b), a));

const checked = (op: string, b: unknown): Tensor => {
  checkOperand(op, b);
  return b;
};
const filledFirst = (def: OpDef<void>, s: number, x: Tensor) => apply(def, [TensorHandle.filled(x.device, [], s), x], undefined);
