// The two-objective toy of the CAGrad paper (Liu et al. 2021, Fig. 1; reused by Nash-MTL and FAMO):
// θ ∈ ℝ², two losses whose gradients conflict in a curved valley, the paper's three starts, Adam
// (lr 0.001, 100,000 steps) on the direction an aggregator makes of the two gradients. Every method
// and start advances together (one θ [M·K, 2], one backward per step); weighted aggregators solve on
// the host. Reports trajectories and how far each end point is from the Pareto set: the norm of
// the min-norm convex combination of the two gradients (0 exactly at Pareto-stationary points).
import { optim, tensor, tidy, type Tensor } from '../index.js';
import { WeightedAggregator, type Aggregator } from '../mtl/aggregator.js';
import { jacobian } from '../mtl/jacobian.js';

/** The paper's starting points. */
export const TOY_STARTS: readonly (readonly [number, number])[] = [[-8.5, 7.5], [-8.5, -5], [9, 9]];
const LOWER = 5e-6;

/** f₁, f₂ [K] at the K points of θ [K, 2] (the paper's definitions, written with webgrad ops). */
export function toyLosses(theta: Tensor): [Tensor, Tensor] {
  const [x1, x2] = [theta.narrow(1, 0, 1).reshape([-1]), theta.narrow(1, 1, 1).reshape([-1])];
  const valley = (v: Tensor) => v.abs().clamp(LOWER, null).log().add(6);
  const f1Log = valley(x1.add(7).mul(-0.5).sub(x2.neg().tanh()));
  const f2Log = valley(x1.neg().add(3).mul(0.5).add(x2.neg().tanh()).add(2));
  const c1 = x2.mul(0.5).tanh().clamp(0, null);
  const c2 = x2.mul(-0.5).tanh().clamp(0, null);
  const bowl = (centre: number) => x1.sub(centre).square().add(x2.add(8).square().mul(0.1)).div(10).sub(20);
  return [f1Log.mul(c1).add(bowl(7).mul(c2)), f2Log.mul(c1).add(bowl(-7).mul(c2))];
}

type Rows = [number[], number[]];

/** The two gradients at each point, [K][2 tasks][2], by one backward. */
async function gradientsAt(theta: Tensor): Promise<Rows[]> {
  const J = tidy(() => jacobian(toyLosses(theta).map((f) => f.sum()), [theta])[0]); // [2, K, 2]
  const v = await J.data();
  J.dispose();
  const K = theta.shape[0];
  return Array.from({ length: K }, (_, k) => [[v[2 * k], v[2 * k + 1]], [v[2 * K + 2 * k], v[2 * K + 2 * k + 1]]]);
}

const gramOf = ([a, b]: Rows): number[][] => [[a[0] * a[0] + a[1] * a[1], a[0] * b[0] + a[1] * b[1]], [a[0] * b[0] + a[1] * b[1], b[0] * b[0] + b[1] * b[1]]];

/** ‖min-norm point of the segment between the two gradients‖: 0 on the Pareto set. */
function gapOf([a, b]: Rows): number {
  const d = [a[0] - b[0], a[1] - b[1]];
  const t = Math.min(1, Math.max(0, -(b[0] * d[0] + b[1] * d[1]) / (d[0] ** 2 + d[1] ** 2 || 1)));
  return Math.hypot(b[0] + t * d[0], b[1] + t * d[1]);
}

/** The aggregated direction of one point's two gradients. */
async function direction(method: Aggregator, rows: Rows): Promise<number[]> {
  if (method instanceof WeightedAggregator) {
    const [w1, w2] = method.solveWeights(gramOf(rows));
    return [w1 * rows[0][0] + w2 * rows[1][0], w1 * rows[0][1] + w2 * rows[1][1]];
  }
  const J = tensor(rows, { device: 'reference' });
  const d = await method.aggregate(J);
  const values = Array.from(await d.data(), Number);
  [J, d].forEach((t) => t.dispose());
  return values;
}

export interface ToyRun {
  /** trajectories[k]: the points visited from start k, every `every` steps (first and last included). */
  trajectories: number[][][];
  /** The two losses at each start's end point. */
  finalLosses: number[][];
  /** The Pareto gap at each end point. */
  finalGaps: number[];
}

export interface ToyOptions {
  /** The methods by name, each made once per start (stateful ones keep their state per trajectory). */
  methods: Readonly<Record<string, () => Aggregator>>;
  steps?: number;
  lr?: number;
  starts?: readonly (readonly [number, number])[];
  every?: number;
  onStep?: (step: number) => void;
}

/** Adam on each method's aggregated direction from each start, all at once; the runs by method name. */
export async function runToy({ methods, steps = 100_000, lr = 1e-3, starts = TOY_STARTS, every = 100, onStep }: ToyOptions): Promise<Record<string, ToyRun>> {
  const names = Object.keys(methods);
  const points = names.flatMap(() => starts.map((s) => [...s]));
  const solvers = names.flatMap((name) => starts.map(() => methods[name]()));
  const theta = tensor(points, { device: 'reference', requiresGrad: true });
  const optimizer = new optim.Adam([theta], { lr });
  const trajectories = points.map((p) => [[...p]]);
  for (let step = 1; step <= steps; step++) {
    const rows = await gradientsAt(theta);
    const directions = await Promise.all(solvers.map((m, i) => direction(m, rows[i])));
    theta.grad?.dispose();
    theta.grad = tensor(directions, { device: 'reference' });
    optimizer.step();
    if (step % every === 0 || step === steps) {
      const at = await theta.data();
      trajectories.forEach((t, i) => t.push([at[2 * i], at[2 * i + 1]]));
    }
    onStep?.(step);
  }
  const ends = tensor(trajectories.map((t) => t.at(-1)!), { device: 'reference', requiresGrad: true });
  const [f1, f2] = tidy(() => toyLosses(ends).map((f) => f.detach()));
  const [l1, l2] = [await f1.data(), await f2.data()];
  const gaps = (await gradientsAt(ends)).map(gapOf);
  [theta, ends, f1, f2].forEach((t) => t.dispose());
  optimizer.dispose();
  const K = starts.length;
  return Object.fromEntries(
    names.map((name, m) => {
      const at = (i: number) => m * K + i;
      return [name, { trajectories: starts.map((_, i) => trajectories[at(i)]), finalLosses: starts.map((_, i) => [l1[at(i)], l2[at(i)]]), finalGaps: starts.map((_, i) => gaps[at(i)]) }];
    }),
  );
}

/** The Pareto gap at each point [K, 2] (exported for the plot and the tests). */
export async function paretoGap(points: readonly (readonly number[])[]): Promise<number[]> {
  const theta = tensor(points.map((p) => [...p]), { device: 'reference', requiresGrad: true });
  const gaps = (await gradientsAt(theta)).map(gapOf);
  theta.dispose();
  return gaps;
}
