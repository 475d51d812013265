// The aggregators that ignore conflicts: Mean and Sum of the gradients, Random (a random convex
// combination, TorchJD's Random: softmax of normal draws) and GradDrop (a random sign per
// coordinate, Chen et al. 2020).
import { noGrad } from '../../autograd/node.js';
import { checkOptions, numberOption } from '../../check.js';
import { tensor } from '../../creation.js';
import { tidy } from '../../memory.js';
import { normalValues, seededStream, uniformValues, type Stream } from '../../random.js';
import type { Tensor } from '../../tensor.js';
import { Aggregator, checkJacobian, WeightedAggregator } from '../aggregator.js';
import { softmax, type Matrix } from '../linalg.js';

/** The average of the tasks' gradients: plain gradient descent on the mean loss. */
export class Mean extends WeightedAggregator {
  protected override readonly usesGramian = false;
  protected solve(G: Matrix): number[] {
    return G.map(() => 1 / G.length);
  }
}

/** The sum of the tasks' gradients: gradient descent on the summed loss (the article's recipe). */
export class Sum extends WeightedAggregator {
  protected override readonly usesGramian = false;
  protected solve(G: Matrix): number[] {
    return G.map(() => 1);
  }
}

export interface RandomOptions {
  /** Seeds this aggregator's own stream; without it, draws come from the manualSeed stream. */
  seed?: number;
}

/** A random convex combination of the gradients each step: weights softmax(z), z ~ N(0, I). */
export class Random extends WeightedAggregator {
  protected override readonly usesGramian = false;
  private readonly rng: Stream;
  constructor(options: RandomOptions = {}) {
    super();
    const { seed } = checkOptions('Random', options, ['seed']);
    this.rng = seededStream('Random', seed);
  }
  protected solve(G: Matrix): number[] {
    return softmax(Array.from(normalValues(G.length, 0, 1, this.rng), Number));
  }
}

export interface GradDropOptions {
  /** Per task, the share of its gradient that always passes (TorchJD's leak; default 0 for every task). */
  leak?: readonly number[];
  seed?: number;
}

/**
 * GradDrop: per coordinate, P = ½(1 + Σᵢ gᵢ / Σᵢ |gᵢ|) and U ~ U(0, 1); task i's coordinate passes
 * when it is positive and P > U, or negative and P < U. Not a weighting (the mask is per coordinate).
 */
export class GradDrop extends Aggregator {
  private readonly leak: readonly number[] | undefined;
  private readonly rng: Stream;
  constructor(options: GradDropOptions = {}) {
    super();
    const { leak, seed } = checkOptions('GradDrop', options, ['leak', 'seed']);
    leak?.forEach((l, i) => numberOption('GradDrop', `leak[${i}]`, l, 0, { max: 1 }));
    this.leak = leak;
    this.rng = seededStream('GradDrop', seed);
  }

  async aggregate(jacobian: Tensor): Promise<Tensor> {
    const J = checkJacobian('GradDrop.aggregate', jacobian);
    const [T, P] = J.shape;
    const leak = this.leak ?? new Array<number>(T).fill(0);
    if (leak.length !== T) throw new Error(`GradDrop.aggregate: leak has ${leak.length} entries for a Jacobian of ${T} tasks`);
    const u = uniformValues(P, 0, 1, this.rng);
    return noGrad(() =>
      tidy(() => {
        const purity = J.sum(0).div(J.abs().sum(0)).add(1).mul(0.5);
        const U = tensor(u, { device: J.device });
        const keep = purity.gt(U).mul(J.gt(0)).add(purity.lt(U).mul(J.lt(0)));
        const l = tensor([...leak], { shape: [T, 1], device: J.device });
        return keep.mul(l.neg().add(1)).add(l).mul(J).sum(0);
      }),
    );
  }
}
