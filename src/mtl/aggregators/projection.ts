// Aggregators that project away conflicts. UPGrad and DualProj (Quinton & Rey 2024) project onto
// the dual cone {d : J·d ≥ 0}: by their Proposition 1 the projection of Jᵀu is Jᵀv with
// v = argmin vᵀGv subject to v ≥ u, a small QP over the Gramian. PCGrad (Yu et al. 2020) and
// GradVac (Wang et al. 2021) adjust each gradient against the others in a random order.
import { checkOptions, numberOption } from '../../check.js';
import { permutation, seededStream, type Stream } from '../../random.js';
import { normalizeGramian, preference, regularizeGramian, WeightedAggregator } from '../aggregator.js';
import { matVec, nonnegativeQp, type Matrix } from '../linalg.js';

/** The weights v of the projection of Jᵀu onto the dual cone of J's rows: argmin vᵀGv, v ≥ u. */
export function projectWeights(u: readonly number[], G: Matrix): number[] {
  const z = nonnegativeQp(G, matVec(G, u)); // v = u + z, z ≥ 0: min zᵀGz + 2(Gu)ᵀz
  return u.map((ui, i) => ui + z[i]);
}

export interface DualConeOptions {
  /** Weights of the rows before projection (default: the mean, 1/T each). */
  prefVector?: readonly number[];
  /** The Gramian is divided by its trace, unless the trace is below normEps. */
  normEps?: number;
  /** Added to the normalised Gramian's diagonal, so that the QP is strictly convex. */
  regEps?: number;
}

abstract class DualCone extends WeightedAggregator {
  protected readonly prefVector: readonly number[] | undefined;
  protected readonly normEps: number;
  protected readonly regEps: number;
  constructor(options: DualConeOptions) {
    super();
    const name = this.constructor.name;
    const { prefVector, normEps = 1e-4, regEps = 1e-4 } = checkOptions(name, options, ['prefVector', 'normEps', 'regEps']);
    this.prefVector = prefVector;
    this.normEps = numberOption(name, 'normEps', normEps, 0);
    this.regEps = numberOption(name, 'regEps', regEps, 0);
  }
  protected prepared(G: Matrix): { u: number[]; G: Matrix } {
    return { u: preference(String(this), this.prefVector, G.length, 1 / G.length), G: regularizeGramian(normalizeGramian(G, this.normEps), this.regEps) };
  }
}

/** UPGrad: the sum of each task's (weighted) gradient projected onto the dual cone; non-conflicting, linear under scaling. */
export class UPGrad extends DualCone {
  constructor(options: DualConeOptions = {}) {
    super(options);
  }
  protected solve(gramian: Matrix): number[] {
    const { u, G } = this.prepared(gramian);
    const total = new Array<number>(G.length).fill(0);
    u.forEach((ui, i) => projectWeights(u.map((_, j) => (j === i ? ui : 0)), G).forEach((v, j) => (total[j] += v)));
    return total;
  }
}

/** DualProj: the (weighted) mean gradient projected onto the dual cone. */
export class DualProj extends DualCone {
  constructor(options: DualConeOptions = {}) {
    super(options);
  }
  protected solve(gramian: Matrix): number[] {
    const { u, G } = this.prepared(gramian);
    return projectWeights(u, G);
  }
}

export interface ShuffledOptions {
  seed?: number;
}

/**
 * PCGrad: each gradient gᵢ, against the others in a random order, loses its component along any gⱼ
 * it conflicts with (gᵢ·gⱼ < 0); the projected gradients are summed.
 */
export class PCGrad extends WeightedAggregator {
  private readonly rng: Stream;
  constructor(options: ShuffledOptions = {}) {
    super();
    this.rng = seededStream('PCGrad', checkOptions('PCGrad', options, ['seed']).seed);
  }
  protected solve(G: Matrix): number[] {
    const T = G.length;
    const total = new Array<number>(T).fill(0);
    for (let i = 0; i < T; i++) {
      const w = G.map((_, j) => (j === i ? 1 : 0)); // the projected gᵢ as weights of the rows
      for (const j of permutation(T, this.rng)) {
        if (j === i) continue;
        const inner = matVec([G[j]], w)[0];
        if (inner < 0) w[j] -= inner / G[j][j];
      }
      w.forEach((v, j) => (total[j] += v));
    }
    return total;
  }
}

export interface GradVacOptions {
  /** A fixed target cosine similarity φᵀ in [−1, 1]; default: per pair, an EMA of the observed ones. */
  target?: number | null;
  /** The EMA's rate β. */
  beta?: number;
}

/**
 * GradVac: where cos(gᵢ, gⱼ) = φ falls below the target φᵀ, gᵢ gains
 * ‖gᵢ‖(φᵀ√(1 − φ²) − φ√(1 − φᵀ²)) / (‖gⱼ‖√(1 − φᵀ²)) · gⱼ; the target is an EMA per pair
 * (stateful: reset() between experiments). Target 0 is PCGrad. TorchJD's ε guards are kept.
 */
export class GradVac extends WeightedAggregator {
  private readonly target: number | null;
  private readonly beta: number;
  private ema: Matrix | null = null;
  constructor(options: GradVacOptions = {}) {
    super();
    const { target = null, beta = 1e-2 } = checkOptions('GradVac', options, ['target', 'beta']);
    this.target = target === null ? null : numberOption('GradVac', 'target', target, -1, { max: 1 });
    this.beta = numberOption('GradVac', 'beta', beta, 0, { max: 1 });
  }
  reset(): void {
    this.ema = null;
  }
  protected solve(G: Matrix): number[] {
    const T = G.length;
    if (this.ema?.length !== T) this.ema = G.map((row) => row.map(() => 0));
    const ema = this.ema;
    const norms = G.map((row, i) => Math.sqrt(row[i] + 1e-8));
    const total = new Array<number>(T).fill(0);
    for (let i = 0; i < T; i++) {
      total[i] += 1;
      for (let j = 0; j < T; j++) {
        if (j === i) continue;
        const phi = G[i][j] / (norms[i] * norms[j] + 1e-8);
        ema[i][j] = (1 - this.beta) * ema[i][j] + this.beta * phi;
        const goal = this.target ?? ema[i][j];
        if (phi < goal) {
          const numerator = norms[i] * (goal * Math.sqrt(Math.max(0, 1 - phi * phi)) - phi * Math.sqrt(Math.max(0, 1 - goal * goal)));
          total[j] += numerator / (norms[j] * Math.sqrt(Math.max(1e-8, 1 - goal * goal)) + 1e-8);
        }
      }
    }
    return total;
  }
}
