// The CAGrad paper's toy (Fig. 1) with the paper's starts and Adam lr, on a shortened budget (25,000
// of its 100,000 steps): Adam on the mean gradient (EW) stalls in the valley from the two upper
// starts while MGDA reaches the Pareto set from every start (at a point that depends on the start,
// far from the mean loss's optimum at θ₁ = 0). The full runs (CAGrad, Nash-MTL, UPGrad, PCGrad too)
// are in the README, made by `webgrad-train mtl --task toy`. Also: the toy's losses against the
// paper's formulas, and the Pareto gap vanishing on the Pareto set.
import { describe, expect, test } from 'vitest';
import { init, mtl, tensor } from '../src/index.js';
import { paretoGap, runToy, toyLosses, TOY_STARTS } from '../src/cli/toy.js';

const LOWER = 5e-6;
/** The paper's f₁, f₂ at one point, in float64. */
function paper([x1, x2]: readonly number[]): [number, number] {
  const f1 = Math.log(Math.max(Math.abs(0.5 * (-x1 - 7) - Math.tanh(-x2)), LOWER)) + 6;
  const f2 = Math.log(Math.max(Math.abs(0.5 * (-x1 + 3) + Math.tanh(-x2) + 2), LOWER)) + 6;
  const [c1, c2] = [Math.max(Math.tanh(x2 * 0.5), 0), Math.max(Math.tanh(-x2 * 0.5), 0)];
  const f1sq = ((-x1 + 7) ** 2 + 0.1 * (-x2 - 8) ** 2) / 10 - 20;
  const f2sq = ((-x1 - 7) ** 2 + 0.1 * (-x2 - 8) ** 2) / 10 - 20;
  return [f1 * c1 + f1sq * c2, f2 * c1 + f2sq * c2];
}

describe('the CAGrad toy', () => {
  test("the losses are the paper's", async () => {
    await init({ backend: 'reference' });
    const points = [[-8.5, 7.5], [-8.5, -5], [9, 9], [0, -8.35], [1.3, 0.2], [-5, 2]];
    const [f1, f2] = toyLosses(tensor(points));
    const [a, b] = [await f1.data(), await f2.data()];
    points.forEach((p, i) => {
      const [e1, e2] = paper(p);
      expect(Math.abs(a[i] - e1)).toBeLessThan(1e-5 * Math.max(1, Math.abs(e1)));
      expect(Math.abs(b[i] - e2)).toBeLessThan(1e-5 * Math.max(1, Math.abs(e2)));
    });
  });

  test('the Pareto gap is 0 where the gradients cancel (θ₂ ≈ −8.35, |θ₁| < 7) and not in the valley', async () => {
    const [onSet, valley] = await paretoGap([[0, -8.355], [5, 2.3]]);
    expect(onSet).toBeLessThan(1e-3);
    expect(valley).toBeGreaterThan(0.1);
  });

  test('EW stalls in the valley from the upper starts; MGDA reaches the Pareto set from every start', async () => {
    const runs = await runToy({ methods: { EW: () => new mtl.aggregators.Mean(), MGDA: () => new mtl.aggregators.MGDA() }, steps: 25_000, every: 25_000 });
    const { EW, MGDA } = runs;
    expect(EW.trajectories).toHaveLength(TOY_STARTS.length);
    for (const k of [0, 2]) {
      expect(EW.finalGaps[k], `EW from start ${k + 1}`).toBeGreaterThan(0.1);
      expect(EW.trajectories[k].at(-1)![1], `EW from start ${k + 1} is still above the valley floor`).toBeGreaterThan(0);
    }
    MGDA.finalGaps.forEach((gap, k) => expect(gap, `MGDA from start ${k + 1}`).toBeLessThan(1e-3));
    expect(Math.abs(MGDA.trajectories[1].at(-1)![0]), 'MGDA from start 2 ends far from θ₁ = 0').toBeGreaterThan(5);
  }, 300_000);
});
