// mtl.aggregators: each against TorchJD's documented output on J = [[−4, 1, 1], [6, 1, 1]] (the
// examples of its docstrings, computed by TorchJD with its defaults), then the properties the
// papers promise on random Jacobians (non-conflicting, permutation invariance, scaling), the
// weights/aggregate agreement, the stateful and seeded ones, bad input, and every device.
import { beforeAll, describe, expect, test } from 'vitest';
import { init, manualSeed, mtl, tensor, type DeviceName, type Tensor } from '../src/index.js';
import { normalValues, randomStream, uniformValues } from '../src/random.js';

const A = mtl.aggregators;
type Make = () => InstanceType<(typeof A)['Aggregator']>;

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // the device section needs an adapter: no adapter fails, never skips
  manualSeed(3);
});

const onRef = (rows: number[][]): Tensor => tensor(rows, { device: 'reference' });
const values = async (t: Tensor): Promise<number[]> => Array.from(await t.data());
const J0 = [[-4, 1, 1], [6, 1, 1]];

function expectNear(actual: readonly number[], expected: readonly number[], tolerance: number, what = ''): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]) / scale, `${what} [${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

describe("TorchJD's documented results on J = [[−4, 1, 1], [6, 1, 1]]", () => {
  const oracles: [string, Make, number[]][] = [
    ['UPGrad', () => new A.UPGrad(), [0.2929, 1.9004, 1.9004]],
    ['DualProj', () => new A.DualProj(), [0.5563, 1.1109, 1.1109]],
    ['MGDA', () => new A.MGDA(), [1.1921e-7, 1, 1]],
    ['CAGrad c = 0.5', () => new A.CAGrad({ c: 0.5 }), [0.1835, 1.2041, 1.2041]],
    ['IMTLG', () => new A.IMTLG(), [0.0767, 1, 1]],
    ['AlignedMTL', () => new A.AlignedMTL(), [0.2133, 0.9673, 0.9673]],
    ['ConFIG', () => new A.ConFIG(), [0.1588, 2.0706, 2.0706]],
    ['PCGrad', () => new A.PCGrad(), [0.5848, 3.8012, 3.8012]],
    ['GradVac', () => new A.GradVac(), [0.5924, 3.7914, 3.7914]],
    ['GradVac target 0 (= PCGrad)', () => new A.GradVac({ target: 0 }), [0.5848, 3.8012, 3.8012]],
    ['GradVac target 0.5', () => new A.GradVac({ target: 0.5 }), [0.0596, 4.4696, 4.4696]],
    ['NashMTL', () => new A.NashMTL(), [0.0542, 0.7061, 0.7061]],
    ['Mean', () => new A.Mean(), [1, 1, 1]],
    ['Sum', () => new A.Sum(), [2, 2, 2]],
  ];
  test.each(oracles)('%s', async (_, make, expected) => {
    expectNear(await values(await make().aggregate(onRef(J0))), expected, 1e-4);
  });
  test('CAGrad with c = 0 is the mean gradient; the default c is 0.5', async () => {
    expectNear(await values(await new A.CAGrad({ c: 0 }).aggregate(onRef(J0))), [1, 1, 1], 1e-9);
    expectNear(await values(await new A.CAGrad().aggregate(onRef(J0))), [0.1835, 1.2041, 1.2041], 1e-4);
  });
});

/** Random Jacobians [T, P] of every shape the properties are checked on (a fixed stream: the same every run). */
function randomJacobians(): number[][][] {
  const shapes = [[2, 3], [3, 3], [3, 8], [5, 20], [4, 4], [2, 50]];
  const rng = randomStream(2024);
  return shapes.flatMap(([T, P]) =>
    Array.from({ length: 4 }, () => {
      const v = normalValues(T * P, 0, 1, rng);
      return Array.from({ length: T }, (_, i) => Array.from(v.subarray(i * P, (i + 1) * P), Number));
    }),
  );
}

const gram = (J: number[][]): number[][] => J.map((a) => J.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
const times = (J: number[][], d: readonly number[]): number[] => J.map((row) => row.reduce((s, x, k) => s + x * d[k], 0));

describe('properties on random Jacobians', () => {
  const jacobians = randomJacobians();
  // The methods that promise J·d ≥ 0 (each gradient keeps a non-negative share), for linearly
  // independent rows. Not IMTLG: its equal projections are positive before the weights are divided
  // by their sum, which can be negative (TorchJD's normalisation), flipping the direction.
  const nonConflicting: [string, Make][] = [
    ['UPGrad', () => new A.UPGrad()],
    ['DualProj', () => new A.DualProj()],
    ['MGDA', () => new A.MGDA({ epsilon: 1e-9, maxIters: 100000 })],
    ['ConFIG', () => new A.ConFIG()],
    ['NashMTL', () => new A.NashMTL()],
  ];
  test.each(nonConflicting)('%s is non-conflicting: every gradient has a non-negative inner product with the result', async (_, make) => {
    for (const J of jacobians.filter((j) => j.length <= j[0].length)) {
      const d = await values(await make().aggregate(onRef(J)));
      const tr = gram(J).reduce((s, row, i) => s + row[i], 0);
      times(J, d).forEach((p, i) => expect(p, `task ${i} of ${J.length}×${J[0].length}`).toBeGreaterThanOrEqual(-1e-3 * tr));
    }
  });

  const deterministic: [string, Make][] = [
    ['Mean', () => new A.Mean()],
    ['Sum', () => new A.Sum()],
    ['UPGrad', () => new A.UPGrad()],
    ['DualProj', () => new A.DualProj()],
    ['MGDA', () => new A.MGDA({ epsilon: 1e-12, maxIters: 100000 })],
    ['CAGrad', () => new A.CAGrad()],
    ['IMTLG', () => new A.IMTLG()],
    ['AlignedMTL', () => new A.AlignedMTL()],
    ['ConFIG', () => new A.ConFIG()],
    ['GradVac', () => new A.GradVac()],
    ['NashMTL', () => new A.NashMTL()],
  ];
  test.each(deterministic)('%s is invariant to the order of the tasks', async (_, make) => {
    for (const J of jacobians) {
      const reversed = [...J].reverse();
      const shifted = [...J.slice(1), J[0]];
      const d = await values(await make().aggregate(onRef(J)));
      for (const permuted of [reversed, shifted]) expectNear(await values(await make().aggregate(onRef(permuted))), d, 1e-6, `${J.length}×${J[0].length}`);
    }
  });

  const homogeneous = deterministic.filter(([name]) => name !== 'NashMTL'); // NashMTL clips the norm to maxNorm
  test.each([...homogeneous, ['PCGrad', () => new A.PCGrad({ seed: 5 })] as [string, Make]])('%s scales with the Jacobian: A(3J) = 3·A(J)', async (_, make) => {
    for (const J of jacobians) {
      const d = await values(await make().aggregate(onRef(J)));
      expectNear(await values(await make().aggregate(onRef(J.map((r) => r.map((x) => 3 * x))))), d.map((x) => 3 * x), 1e-4, `${J.length}×${J[0].length}`);
    }
  });

  test.each([
    ['Mean', () => new A.Mean(), 1e-6],
    ['Sum', () => new A.Sum(), 1e-6],
    ['UPGrad', () => new A.UPGrad({ regEps: 0 }), 1e-5], // exactly linear without the regularisation (independent rows)
  ] as [string, Make, number][])('%s is linear under scaling: A(diag(a + b)·J) = A(diag(a)·J) + A(diag(b)·J)', async (_, make, tolerance) => {
    for (const J of jacobians.filter((j) => j.length <= j[0].length)) {
      const [a, b] = [Array.from(uniformValues(J.length, 0.5, 1.5), Number), Array.from(uniformValues(J.length, 0.5, 1.5), Number)];
      const scaled = (c: number[]) => onRef(J.map((row, i) => row.map((x) => c[i] * x)));
      const [da, db, dab] = [await make().aggregate(scaled(a)), await make().aggregate(scaled(b)), await make().aggregate(scaled(a.map((x, i) => x + b[i])))];
      const vb = await values(db);
      const sum = (await values(da)).map((x, i) => x + vb[i]);
      expectNear(await values(dab), sum, tolerance, `${J.length}×${J[0].length}`);
    }
  });

  const weighted: [string, Make][] = [...deterministic, ['PCGrad', () => new A.PCGrad({ seed: 2 })], ['Random', () => new A.Random({ seed: 2 })]];
  test.each(weighted)('%s: aggregate(J) = weights(J·Jᵀ)·J, and lastWeights are those weights', async (_, make) => {
    for (const J of jacobians.slice(0, 8)) {
      const agg = make() as InstanceType<(typeof A)['WeightedAggregator']>;
      const d = await values(await agg.aggregate(onRef(J)));
      const w = await values(await (make() as typeof agg).weights(gram(J)));
      expectNear(agg.lastWeights!, w, 1e-5);
      const direction = J[0].map((_, k) => J.reduce((s, row, i) => s + w[i] * row[k], 0));
      expectNear(d, direction, 1e-5);
    }
  });

  test('MGDA gives the min-norm point of the convex hull: for two gradients, the closed form', async () => {
    for (const J of jacobians.filter((j) => j.length === 2)) {
      const [[g11, g12], [, g22]] = gram(J);
      const gamma = Math.min(1, Math.max(0, (g22 - g12) / (g11 + g22 - 2 * g12)));
      const w = await values(await new A.MGDA({ epsilon: 1e-12, maxIters: 100000 }).weights(gram(J)));
      expectNear(w, [gamma, 1 - gamma], 1e-6);
    }
  });

  test("NashMTL's weights solve the bargaining condition αᵢ·(Gα)ᵢ = 1 (maxNorm 0: no clipping)", async () => {
    for (const J of jacobians.filter((j) => j.length <= j[0].length)) {
      const G = gram(J);
      const alpha = await values(await new A.NashMTL({ maxNorm: 0 }).weights(G));
      times(G, alpha).forEach((v, i) => expect(Math.abs(alpha[i] * v - 1)).toBeLessThan(1e-4));
    }
  });

  test('IMTLG: the result has equal projections on every unit gradient', async () => {
    for (const J of jacobians.filter((j) => j.length <= j[0].length)) {
      const d = await values(await new A.IMTLG().aggregate(onRef(J)));
      const proj = times(J, d).map((p, i) => p / Math.hypot(...J[i]));
      proj.forEach((p) => expect(Math.abs(p - proj[0])).toBeLessThan(1e-3 * Math.max(1, Math.abs(proj[0]))));
    }
  });

  test('ConFIG: the result makes the same angle with every gradient', async () => {
    for (const J of jacobians.filter((j) => j.length <= j[0].length)) {
      const d = await values(await new A.ConFIG().aggregate(onRef(J)));
      const cos = times(J, d).map((p, i) => p / Math.hypot(...J[i]) / Math.hypot(...d));
      cos.forEach((c) => expect(Math.abs(c - cos[0])).toBeLessThan(1e-3));
    }
  });
});

describe('seeded, stateful and random aggregators', () => {
  test('PCGrad, Random and GradDrop repeat under a seed', async () => {
    const J = onRef([[1, -2, 0.5, 3], [-1, 1, 2, -0.5], [0.3, 0.2, -2, 1]]);
    for (const make of [(s: number) => new A.PCGrad({ seed: s }), (s: number) => new A.Random({ seed: s }), (s: number) => new A.GradDrop({ seed: s })]) {
      expect(await values(await make(11).aggregate(J))).toEqual(await values(await make(11).aggregate(J)));
    }
    const w = (await new A.Random({ seed: 4 }).weights([[1, 0], [0, 1]]).then(values));
    expect(w.every((x) => x > 0)).toBe(true);
    expect(Math.abs(w[0] + w[1] - 1)).toBeLessThan(1e-6);
  });
  test('GradDrop keeps every gradient where they agree in sign, and everything with leak 1', async () => {
    const agree = onRef([[1, -2, 3], [2, -1, 0.5]]);
    expect(await values(await new A.GradDrop({ seed: 1 }).aggregate(agree))).toEqual([3, -3, 3.5]);
    const conflict = onRef([[1, -2, 3], [-2, 1, -0.5]]);
    expect(await values(await new A.GradDrop({ leak: [1, 1] }).aggregate(conflict))).toEqual([-1, -1, 2.5]);
    // With conflicts, each coordinate keeps the positive or the negative side, never a mix.
    const d = await values(await new A.GradDrop({ seed: 9 }).aggregate(conflict));
    [[1, -2], [-2, 1], [3, -0.5]].forEach(([pos, neg], k) => expect([pos, neg, 0]).toContain(d[k]));
  });
  test('GradVac remembers the similarities it has seen; reset() forgets them', async () => {
    const agg = new A.GradVac();
    const first = await values(await agg.aggregate(onRef(J0)));
    const second = await values(await agg.aggregate(onRef(J0)));
    expect(second).not.toEqual(first);
    agg.reset();
    expect(await values(await agg.aggregate(onRef(J0)))).toEqual(first);
  });
  test('NashMTL reuses its weights between updates (updateWeightsEvery) and warm-starts from them', async () => {
    const agg = new A.NashMTL({ updateWeightsEvery: 2 });
    const first = await values(await agg.aggregate(onRef(J0)));
    const other = [[1, 2, 0], [0, 1, 3]];
    await agg.aggregate(onRef(other)); // reuses the first weights
    expect(agg.lastWeights!.map((w) => +w.toFixed(6))).not.toEqual([]);
    const third = await values(await agg.aggregate(onRef(J0)));
    expectNear(third, first, 1e-6);
  });
});

describe('bad input', () => {
  test('a non-finite gradient names the task; shapes, options and preference vectors are checked', async () => {
    await expect(new A.UPGrad().aggregate(onRef([[1, 2], [Number.NaN, 1]]))).rejects.toThrow(/task\(s\) 1 has NaN or ∞/);
    await expect(new A.MGDA().aggregate(tensor([1, 2, 3], { device: 'reference' }))).rejects.toThrow(/\[T, P\].*got \[3\]/);
    await expect(new A.UPGrad({ prefVector: [1, 2, 3] }).aggregate(onRef(J0))).rejects.toThrow(/prefVector must hold 2 finite numbers/);
    await expect(new A.Mean().aggregate([[1, 2]] as never)).rejects.toThrow(/the Jacobian must be a Tensor/);
    expect(() => new A.UPGrad({ normEps: -1 })).toThrow(/UPGrad: normEps must be a finite number ≥ 0, got the number -1/);
    expect(() => new A.CAGrad({ alpha: 1 } as never)).toThrow(/CAGrad: unknown option\(s\) 'alpha'; the options are c, normEps/);
    expect(() => new A.MGDA({ maxIters: 1.5 })).toThrow(/maxIters must be a finite integer ≥ 1/);
    expect(() => new A.GradVac({ target: 2 })).toThrow(/target must be a finite number ≥ -1 and ≤ 1/);
    await expect(new A.UPGrad().weights([[1, 2]])).rejects.toThrow(/square T×T array/);
    await expect(new A.GradDrop({ leak: [0] }).aggregate(onRef(J0))).rejects.toThrow(/leak has 1 entries for a Jacobian of 2 tasks/);
  });
});

describe.each(['cpu', 'webgpu'] as DeviceName[])('on %s, as on the reference', (device) => {
  const all: [string, Make][] = [
    ['UPGrad', () => new A.UPGrad()],
    ['DualProj', () => new A.DualProj()],
    ['MGDA', () => new A.MGDA()],
    ['CAGrad', () => new A.CAGrad()],
    ['IMTLG', () => new A.IMTLG()],
    ['AlignedMTL', () => new A.AlignedMTL()],
    ['ConFIG', () => new A.ConFIG()],
    ['PCGrad', () => new A.PCGrad({ seed: 1 })],
    ['GradVac', () => new A.GradVac()],
    ['NashMTL', () => new A.NashMTL()],
    ['Mean', () => new A.Mean()],
    ['Sum', () => new A.Sum()],
    ['Random', () => new A.Random({ seed: 1 })],
    ['GradDrop', () => new A.GradDrop({ seed: 1 })],
  ];
  test.each(all)('%s', async (_, make) => {
    const J = randomJacobians()[13];
    const ref = await values(await make().aggregate(onRef(J)));
    const on = await make().aggregate(tensor(J, { device }));
    expect(on.device).toBe(device);
    expectNear(await values(on), ref, 1e-4);
  });
});
