// Aggregators that balance the tasks: MGDA's min-norm point of the gradients' convex hull
// (Désidéri 2012; Sener & Koltun 2018), CAGrad (Liu et al. 2021), IMTL-G (Liu et al. 2021),
// Aligned-MTL (Senushkin et al. 2023), ConFIG (Liu et al. 2024) and Nash-MTL (Navon et al. 2022).
// Each is a weighting of the rows computed from the Gramian, in float64.
import { checkOptions, numberOption } from '../../check.js';
import { normalizeGramian, preference, WeightedAggregator } from '../aggregator.js';
import { dot, matVec, pinvSymmetric, projectSimplex, solve, symmetricEigen, type Matrix } from '../linalg.js';

/** float32's machine epsilon: TorchJD's tolerances are those of float32 tensors. */
const EPS32 = 1.1920928955078125e-7;

export interface MgdaOptions {
  /** Frank–Wolfe stops when its step γ falls below epsilon. */
  epsilon?: number;
  maxIters?: number;
}

/** MGDA: the minimum-norm point of the convex hull of the gradients, by Frank–Wolfe (Sener & Koltun's Algorithm 2). */
export class MGDA extends WeightedAggregator {
  private readonly epsilon: number;
  private readonly maxIters: number;
  constructor(options: MgdaOptions = {}) {
    super();
    const { epsilon = 1e-3, maxIters = 100 } = checkOptions('MGDA', options, ['epsilon', 'maxIters']);
    this.epsilon = numberOption('MGDA', 'epsilon', epsilon, 0);
    this.maxIters = numberOption('MGDA', 'maxIters', maxIters, 1, { integer: true });
  }
  protected solve(G: Matrix): number[] {
    const T = G.length;
    let alpha = new Array<number>(T).fill(1 / T);
    for (let iter = 0; iter < this.maxIters; iter++) {
      const Ga = matVec(G, alpha);
      const t = Ga.indexOf(Math.min(...Ga));
      const [a, b, c] = [Ga[t], dot(alpha, Ga), G[t][t]];
      const gamma = c <= a ? 1 : b <= a ? 0 : (b - a) / (b + c - 2 * a);
      alpha = alpha.map((v, i) => (1 - gamma) * v + (i === t ? gamma : 0));
      if (gamma < this.epsilon) break;
    }
    return alpha;
  }
}

export interface CaGradOptions {
  /** The radius of the ball around the mean gradient, as a multiple of its norm. */
  c?: number;
  normEps?: number;
}

/**
 * CAGrad: d = g₀ + (√φ / ‖g_w‖)·g_w, with g₀ the mean gradient, √φ = c‖g₀‖ and w the point of the
 * simplex minimising g_wᵀg₀ + √φ‖g_w‖ — on the trace-normalised Gramian, as TorchJD.
 */
export class CAGrad extends WeightedAggregator {
  private readonly c: number;
  private readonly normEps: number;
  constructor(options: CaGradOptions = {}) {
    super();
    const { c = 0.5, normEps = 1e-4 } = checkOptions('CAGrad', options, ['c', 'normEps']);
    this.c = numberOption('CAGrad', 'c', c, 0);
    this.normEps = numberOption('CAGrad', 'normEps', normEps, 0);
  }
  protected solve(gramian: Matrix): number[] {
    const G = normalizeGramian(gramian, this.normEps);
    const T = G.length;
    const linear = matVec(G, new Array<number>(T).fill(1 / T)); // Gᵀ·(1/T): the g_wᵀg₀ term
    const sqrtPhi = this.c * Math.sqrt(Math.max(0, dot(linear, new Array<number>(T).fill(1 / T))));
    const w = minimiseOnSimplex(T, (v) => {
      const Gv = matVec(G, v);
      const norm = Math.sqrt(Math.max(0, dot(v, Gv)));
      return { value: dot(linear, v) + sqrtPhi * norm, gradient: linear.map((l, i) => l + (norm > 0 ? (sqrtPhi * Gv[i]) / norm : 0)) };
    });
    const gwNorm = Math.sqrt(Math.max(0, dot(w, matVec(G, w))));
    // Within normEps of the Pareto front the direction is 0 (TorchJD's rule).
    return gwNorm >= this.normEps ? w.map((wi) => 1 / T + (sqrtPhi / gwNorm) * wi) : new Array<number>(T).fill(0);
  }
}

/** argmin of a convex f over the probability simplex: projected gradient with backtracking, to float64 precision. */
function minimiseOnSimplex(T: number, f: (w: number[]) => { value: number; gradient: number[] }): number[] {
  let w = new Array<number>(T).fill(1 / T);
  let step = 1;
  let current = f(w);
  for (let iter = 0; iter < 20000; iter++) {
    let moved = false;
    while (step > 1e-20) {
      const next = projectSimplex(w.map((v, i) => v - step * current.gradient[i]));
      const candidate = f(next);
      const change = next.reduce((s, v, i) => s + (v - w[i]) ** 2, 0);
      if (candidate.value <= current.value - (0.5 / step) * change * 1e-4 && change > 0) {
        const done = current.value - candidate.value <= 1e-16 * Math.max(1, Math.abs(current.value));
        [w, current, moved] = [next, candidate, true];
        step *= 2;
        if (done) return w;
        break;
      }
      step /= 2;
    }
    if (!moved) return w;
  }
  return w;
}

/** IMTL-G: the weights making the direction's projections onto every unit gradient equal: w ∝ G⁺·diag(G)^½. */
export class IMTLG extends WeightedAggregator {
  protected solve(G: Matrix): number[] {
    const d = G.map((row, i) => Math.sqrt(Math.max(0, row[i])));
    const v = matVec(pinvSymmetric(G, G.length * EPS32), d);
    const total = v.reduce((a, b) => a + b, 0);
    return Math.abs(total) < 1e-12 ? v.map(() => 0) : v.map((x) => x / total);
  }
}

export interface PreferenceOptions {
  /** Weights of the rows (AlignedMTL's default: the mean; ConFIG's: 1 each). */
  prefVector?: readonly number[];
}

/** An aggregator that starts from a preference over the tasks (weights of the rows). */
abstract class Preferring extends WeightedAggregator {
  private readonly prefVector: readonly number[] | undefined;
  constructor(options: PreferenceOptions = {}) {
    super();
    this.prefVector = checkOptions(this.constructor.name, options, ['prefVector']).prefVector;
  }
  /** The preference for T tasks (`fallback` each when none was given). */
  protected preferred(T: number, fallback: number): number[] {
    return preference(String(this), this.prefVector, T, fallback);
  }
}

/**
 * Aligned-MTL: the gradients made orthogonal with equal norms (the balance transformation
 * B = √λ_min · V·Λ^-½·Vᵀ of the Gramian's non-null eigenpairs), then weighted by the preference.
 */
export class AlignedMTL extends Preferring {
  protected solve(G: Matrix): number[] {
    const T = G.length;
    const w = this.preferred(T, 1 / T);
    const { values, vectors } = symmetricEigen(G);
    const tol = Math.max(...values) * T * EPS32;
    const kept = values.map((_, k) => k).filter((k) => values[k] > tol);
    if (kept.length === 0) return new Array<number>(T).fill(0);
    const smallest = Math.min(...kept.map((k) => values[k]));
    const B = G.map((_, i) => G.map((__, j) => Math.sqrt(smallest) * kept.reduce((s, k) => s + (vectors[i][k] * vectors[j][k]) / Math.sqrt(values[k]), 0)));
    return matVec(B, w);
  }
}

/**
 * ConFIG: the direction whose cosine with every gradient is equal (the pseudo-inverse of the unit
 * gradients applied to the preference), scaled to the sum of the gradients' projections on it.
 */
export class ConFIG extends Preferring {
  protected solve(G: Matrix): number[] {
    const T = G.length;
    const w = this.preferred(T, 1);
    const inv = G.map((row, i) => (row[i] > 0 ? 1 / Math.sqrt(row[i]) : 0)); // 1/‖gᵢ‖ (0 for a zero gradient, as nan_to_num)
    const units = G.map((row, i) => row.map((v, j) => v * inv[i] * inv[j]));
    // Singular values of the unit rows below T·ε·σ_max count as zero (torch.linalg.pinv's rule, in eigenvalues of their Gramian).
    const a = matVec(pinvSymmetric(units, (T * EPS32) ** 2), w);
    const best = a.map((ai, i) => ai * inv[i]); // best direction = Jᵀ·best
    const normSquared = dot(a, matVec(units, a));
    if (!(normSquared > 0)) return new Array<number>(T).fill(0);
    const length = matVec(G, best).reduce((s, v) => s + v, 0) / Math.sqrt(normSquared);
    return best.map((b) => (b * length) / Math.sqrt(normSquared));
  }
}

export interface NashMtlOptions {
  /** The direction's norm is clipped to maxNorm (0: no clipping). */
  maxNorm?: number;
  /** Solve for new weights every this many calls, reusing the last ones in between. */
  updateWeightsEvery?: number;
  /** Iterations of the solver per update. */
  optimNiter?: number;
}

/**
 * Nash-MTL: the Nash bargaining solution, the α > 0 with (Gα)ᵢ = 1/αᵢ — every task's gain gᵢᵀd is
 * inversely proportional to its weight. The reference approximates it by a sequence of convex
 * problems (CCP); here it is the minimiser of the strictly convex ½αᵀGα − Σ log αᵢ, found by
 * Newton's method warm-started from the previous weights (stateful: reset() between experiments).
 */
export class NashMTL extends WeightedAggregator {
  private readonly maxNorm: number;
  private readonly updateWeightsEvery: number;
  private readonly optimNiter: number;
  private step = 0;
  private previous: number[] | null = null;
  constructor(options: NashMtlOptions = {}) {
    super();
    const { maxNorm = 1, updateWeightsEvery = 1, optimNiter = 20 } = checkOptions('NashMTL', options, ['maxNorm', 'updateWeightsEvery', 'optimNiter']);
    this.maxNorm = numberOption('NashMTL', 'maxNorm', maxNorm, 0);
    this.updateWeightsEvery = numberOption('NashMTL', 'updateWeightsEvery', updateWeightsEvery, 1, { integer: true });
    this.optimNiter = numberOption('NashMTL', 'optimNiter', optimNiter, 1, { integer: true });
  }
  reset(): void {
    this.step = 0;
    this.previous = null;
  }
  protected solve(G: Matrix): number[] {
    const T = G.length;
    if (this.previous?.length !== T) this.previous = null;
    if (this.step++ % this.updateWeightsEvery === 0 || !this.previous) this.previous = this.bargain(G);
    let alpha = this.previous;
    const norm = Math.sqrt(Math.max(0, dot(alpha, matVec(G, alpha))));
    if (this.maxNorm > 0 && norm > this.maxNorm) alpha = alpha.map((a) => (a / norm) * this.maxNorm);
    return alpha;
  }
  /** Newton on ½αᵀĜα − Σ log αᵢ for Ĝ = G/‖G‖_F (then α = α̂/√‖G‖_F solves Gα = 1/α). */
  private bargain(G: Matrix): number[] {
    const scale = Math.sqrt(G.flat().reduce((s, v) => s + v * v, 0));
    if (!(scale > 0)) throw new Error('NashMTL: every task gradient is zero; there is no bargaining solution (the Gramian is 0)');
    const Gn = G.map((row) => row.map((v) => v / scale));
    const potential = (a: number[]) => 0.5 * dot(a, matVec(Gn, a)) - a.reduce((s, v) => s + Math.log(v), 0);
    let alpha = this.previous ? this.previous.map((a) => a * Math.sqrt(scale)) : G.map(() => 1);
    for (let iter = 0; iter < this.optimNiter * 5; iter++) {
      const gradient = matVec(Gn, alpha).map((v, i) => v - 1 / alpha[i]);
      if (Math.hypot(...gradient) < 1e-12) break;
      const hessian = Gn.map((row, i) => row.map((v, j) => (i === j ? v + 1 / alpha[i] ** 2 : v)));
      const direction = solve(hessian, gradient.map((g) => -g));
      if (!direction) break;
      let t = 1;
      while (alpha.some((a, i) => a + t * direction[i] <= 0) || potential(alpha.map((a, i) => a + t * direction[i])) > potential(alpha) + 1e-4 * t * dot(gradient, direction)) {
        t /= 2;
        if (t < 1e-12) break;
      }
      if (t < 1e-12) break;
      alpha = alpha.map((a, i) => a + t * direction[i]);
    }
    if (!alpha.every((a) => a > 0 && Number.isFinite(a))) {
      throw new Error('NashMTL: no bargaining solution (the Gramian is singular along a positive direction: some tasks have no gradient the others leave room for)');
    }
    return alpha.map((a) => a / Math.sqrt(scale));
  }
}
