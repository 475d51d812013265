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
  });
}

function binaryOp(op: BinaryOp, backward?: NonNullable<OpDef<void>['backward']>, savesOutput = false): OpDef<void> {
  return defineOp({
    name: op,
    shape: ([a, b]) => broadcastShapes(op, a.shape, b.shape),
    forward: (backend, [a, b], _, shape) => backend.binary(op, a.storage, expandLayout(a.layout, shape), b.storage, expandLayout(b.layout, shape)),
    backward,
    savesOutput,
  });
}

export const unaryOps = {
  neg: unaryOp('neg', (g) => [g.neg()]),
  exp: unaryOp('exp', (g, { output }) => [g.mul(output)], true),
  log: unaryOp('log', (g, { inputs: [x] }) => [g.div(x)]),
  sqrt: unaryOp('sqrt', (g, { output }) => [g.div(output.mul(2))], true),
  abs: unaryOp('abs', (g, { inputs: [x] }) => [g.mul(sign(x))]),
  // sign(relu x) is 1 for x > 0, 0 for x ≤ 0, and NaN for NaN: a NaN input gets a NaN gradient.
  relu: unaryOp('relu', (g, { output }) => [g.mul(sign(output))], true),
  sigmoid: unaryOp('sigmoid', (g, { output: y }) => [g.mul(y.mul(rsub(y, 1)))], true),
  tanh: unaryOp('tanh', (g, { output: y }) => [g.mul(rsub(y.mul(y), 1))], true),
  addS: unaryOp('addS', (g) => [g]),
  mulS: unaryOp('mulS', (g, _, alpha) => [g.mul(alpha)]),
  rsubS: unaryOp('rsubS', (g) => [g.neg()]),
  // d/dx xᵖ = p·xᵖ⁻¹; for p = 2 (squared errors) x itself stands for xᵖ⁻¹, one launch fewer.
  powS: unaryOp('powS', (g, { inputs: [x] }, p) => [p === 0 ? g.mul(0) : g.mul(p === 2 ? x : x.pow(p - 1)).mul(p)]),
  sign: unaryOp('sign'),
  gtS: unaryOp('gtS'),
};

export const binaryOps = {
  add: binaryOp('add', (g, { inputs: [a, b], needsGrad }) => [needsGrad[0] ? sumTo(g, a.shape) : null, needsGrad[1] ? sumTo(g, b.shape) : null]),
  sub: binaryOp('sub', (g, { inputs: [a, b], needsGrad }) => [needsGrad[0] ? sumTo(g, a.shape) : null, needsGrad[1] ? sumTo(g.neg(), b.shape) : null]),
  mul: binaryOp('mul', (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumTo(g.mul(b), a.shape) : null,
    needsGrad[1] ? sumTo(g.mul(a), b.shape) : null,
  ]),
  div: binaryOp('div', (g, { inputs: [a, b], needsGrad }) => [
    needsGrad[0] ? sumTo(g.div(b), a.shape) : null,
    needsGrad[1] ? sumTo(g.mul(a).div(b.mul(b)).neg(), b.shape) : null,
  ]),
  // d/da aᵇ = b·aᵇ⁻¹ and d/db aᵇ = aᵇ·log a, with PyTorch's zeros where b = 0 (for a) and where
  // a = 0 ≤ b (for b): there the exponent b − 1 becomes 0 and log's argument 1, avoiding 0·∞.
  pow: binaryOp('pow', (g, { inputs: [a, b], output, needsGrad }) => {
    const zero = TensorHandle.filled(a.device, [], 0);
    return [
      needsGrad[0] ? sumTo(g.mul(b).mul(pow(a, b.add(equal(b, zero)).sub(1))), a.shape) : null,
      needsGrad[1] ? sumTo(g.mul(output).mul(a.add(equal(a, zero).mul(greaterThan(b, 0, true))).log()), b.shape) : null,
    ];
  }, true),
  // As torch.maximum: an operand gets the gradient unless it is the smaller one, half of it on ties;
  // so where one is NaN (neither smaller nor tied) both get it.
  maximum: binaryOp('maximum', (g, { inputs: [a, b], needsGrad }) => {
    const half = equal(a, b).mul(0.5);
    const share = (x: Tensor, other: Tensor) => rsub(greaterThan(other, x).add(half), 1);
    return [needsGrad[0] ? sumTo(g.mul(share(a, b)), a.shape) : null, needsGrad[1] ? sumTo(g.mul(share(b, a)), b.shape) : null];
  }),
  gt: binaryOp('gt'),
  eq: binaryOp('eq'),
};

const scalarOrTensor =
  (withTensor: OpDef<void>, withScalar: (x: Tensor, s: number) => Tensor) =>
  (a: Tensor, b: Tensor | number): Tensor => {
    if (typeof b === 'number') return withScalar(a, b);
    if (!(b instanceof TensorHandle)) throw new Error(`${withTensor.name}: the other operand must be a Tensor or a number, got ${describe(b)}; make a tensor with tensor(...)`);
    return apply(withTensor, [a, b], undefined);
  };

const unary = (def: OpDef<number>, alpha = 0) => (x: Tensor) => apply(def, [x], alpha);

export const neg = unary(unaryOps.neg);
export const exp = unary(unaryOps.exp);
export const log = unary(unaryOps.log);
export const sqrt = unary(unaryOps.sqrt);
export const abs = unary(unaryOps.abs);
export const relu = unary(unaryOps.relu);
export const sigmoid = unary(unaryOps.sigmoid);
export const tanh = unary(unaryOps.tanh);
export const sign = unary(unaryOps.sign);
/** s - x */
export const rsub = (x: Tensor, s: number): Tensor => apply(unaryOps.rsubS, [x], s);

export const add = scalarOrTensor(binaryOps.add, (x, s) => apply(unaryOps.addS, [x], s));
export const sub = scalarOrTensor(binaryOps.sub, (x, s) => apply(unaryOps.addS, [x], -s));
export const mul = scalarOrTensor(binaryOps.mul, (x, s) => apply(unaryOps.mulS, [x], s));
export const div = scalarOrTensor(binaryOps.div, (x, s) => apply(unaryOps.mulS, [x], 1 / s));
export const pow = scalarOrTensor(binaryOps.pow, (x, p) => apply(unaryOps.powS, [x], p));
export const maximum = scalarOrTensor(binaryOps.maximum, (x, s) => apply(binaryOps.maximum, [x, TensorHandle.filled(x.device, [], s)], undefined));

/** 1 where a > b (a ≥ b with orEqual), else 0; not differentiable. */
export function greaterThan(a: Tensor, b: Tensor | number, orEqual = false): Tensor {
  if (typeof b === 'number') return orEqual ? rsub(apply(unaryOps.gtS, [a.neg()], -b), 1) : apply(unaryOps.gtS, [a], b);
  const gt = apply(binaryOps.gt, [a, b], undefined);
  return orEqual ? gt.add(apply(binaryOps.eq, [a, b], undefined)) : gt;
}

export const equal = (a: Tensor, b: Tensor): Tensor => apply(binaryOps.eq, [a, b], undefined);
