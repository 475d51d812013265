// What an aggregator is: the [T, P] Jacobian of T task losses (row t: task t's gradient) in, one
// update direction [P] out (TorchJD's Aggregator). Most methods weight the rows, with weights that
// depend on the Jacobian only through its Gramian G = J·Jᵀ: those read back just T² numbers, solve
// for the weights in float64 on the host, and return wᵀ·J (one matmul on the device).
import { noGrad } from '../autograd/node.js';
import { checkTensor, describe } from '../check.js';
import { tensor } from '../creation.js';
import { defaultDevice } from '../device.js';
import { tidy } from '../memory.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { trace, type Matrix } from './linalg.js';

export abstract class Aggregator {
  /** The per-task weights of the last aggregate, for the methods that define them (else null). */
  lastWeights: number[] | null = null;

  /** The update direction [P] from the Jacobian [T, P] whose rows are the tasks' gradients. */
  abstract aggregate(jacobian: Tensor): Promise<Tensor>;

  toString(): string {
    return this.constructor.name;
  }
}

export function checkJacobian(op: string, jacobian: unknown): Tensor {
  const J = checkTensor(op, 'the Jacobian', jacobian, 'pass the [T, P] tensor of mtl.jacobian (mtl.flattenJacobian joins per-parameter ones)');
  if (J.ndim !== 2 || J.shape[0] < 1) throw new Error(`${op}: the Jacobian must be [T, P] with T ≥ 1 tasks (one gradient per row), got ${formatShape(J.shape)}`);
  return J;
}

/** The Gramian J·Jᵀ of a [T, P] Jacobian, read back in float64; rows with a non-finite gradient are named. */
async function readGramian(op: string, J: Tensor): Promise<Matrix> {
  const G = noGrad(() => tidy(() => J.matmul(J.T)));
  const values = await G.data();
  G.dispose();
  const T = J.shape[0];
  const rows = Array.from({ length: T }, (_, i) => Array.from(values.subarray(i * T, (i + 1) * T), Number));
  const diagonal = rows.map((_, i) => i).filter((i) => !Number.isFinite(rows[i][i])); // ‖gᵢ‖²: which gradients are bad
  const bad = diagonal.length > 0 ? diagonal : rows.map((_, i) => i).filter((i) => !rows[i].every(Number.isFinite));
  if (bad.length > 0) throw new Error(`${op}: the gradient of task(s) ${bad.join(', ')} has NaN or ∞ entries (or overflows float32 in J·Jᵀ); check those losses before aggregating`);
  return rows;
}

function checkGramian(op: string, gramian: Matrix): Matrix {
  const T = gramian.length;
  const square = T > 0 && gramian.every((row) => Array.isArray(row) && row.length === T && row.every(Number.isFinite));
  if (!square) throw new Error(`${op}: the Gramian must be a square T×T array (T ≥ 1) of finite numbers, got ${describe(gramian)}`);
  return gramian;
}

/** An aggregator that weights the Jacobian's rows (TorchJD's WeightedAggregator); `solve` finds the weights. */
export abstract class WeightedAggregator extends Aggregator {
  /** Whether the weights depend on the Gramian (Mean, Sum and Random do not: nothing is read back). */
  protected readonly usesGramian: boolean = true;

  /** The weights in float64, from the Gramian (T×T zeros when usesGramian is false). */
  protected abstract solve(gramian: Matrix): number[];

  /** The weights for a Gramian given as a T×T array, in float64 on the host (what weights() and aggregate() use). */
  solveWeights(gramian: Matrix): number[] {
    const w = this.solve(checkGramian(`${this}.solveWeights`, gramian));
    this.lastWeights = w;
    return w;
  }

  /** The [T] weights this method gives the rows of a Jacobian whose Gramian J·Jᵀ is `gramian` ([T, T] tensor or array). */
  async weights(gramian: Tensor | Matrix): Promise<Tensor> {
    const op = `${this}.weights`;
    let G: Matrix;
    if (Array.isArray(gramian)) G = gramian;
    else {
      const t = checkTensor(op, 'the Gramian', gramian, 'pass J·Jᵀ as a [T, T] tensor or a nested array');
      if (t.ndim !== 2 || t.shape[0] !== t.shape[1]) throw new Error(`${op}: the Gramian must be [T, T], got ${formatShape(t.shape)}`);
      const values = await t.data();
      G = Array.from({ length: t.shape[0] }, (_, i) => Array.from(values.subarray(i * t.shape[0], (i + 1) * t.shape[0]), Number));
    }
    const w = this.solve(checkGramian(op, G));
    this.lastWeights = w;
    return tensor(w, { device: Array.isArray(gramian) ? defaultDevice() : gramian.device });
  }

  async aggregate(jacobian: Tensor): Promise<Tensor> {
    const J = checkJacobian(`${this}.aggregate`, jacobian);
    const T = J.shape[0];
    const G = this.usesGramian ? await readGramian(`${this}.aggregate`, J) : Array.from({ length: T }, () => new Array<number>(T).fill(0));
    const w = this.solve(G);
    this.lastWeights = w;
    return noGrad(() => tidy(() => tensor(w, { shape: [1, T], device: J.device }).matmul(J).reshape([J.shape[1]])));
  }
}

/** G / tr(G), the Gramian of J / ‖J‖_F; zeros when tr(G) < eps (TorchJD's normalize). */
export function normalizeGramian(G: Matrix, eps: number): Matrix {
  const t = trace(G);
  return G.map((row) => row.map((v) => (t < eps ? 0 : v / t)));
}

/** G + eps·I: positive definite despite rounding (TorchJD's regularize). */
export const regularizeGramian = (G: Matrix, eps: number): Matrix => G.map((row, i) => row.map((v, j) => (i === j ? v + eps : v)));

/** A preference vector over the tasks (weights given to the rows), checked against T. */
export function preference(op: string, prefVector: readonly number[] | undefined, T: number, fallback: number): number[] {
  if (prefVector === undefined) return new Array<number>(T).fill(fallback);
  if (prefVector.length !== T || !prefVector.every(Number.isFinite)) {
    throw new Error(`${op}: prefVector must hold ${T} finite numbers (one per task), got ${describe(prefVector)}`);
  }
  return [...prefVector];
}
