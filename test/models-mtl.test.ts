// The soft-sharing architectures (CrossStitchNet, MMoE, CGC, PLE): parameter names, forward against
// the papers' formulas written as float64 loops on the host, every parameter's gradient against
// central finite differences in float64, WebGPU and native against the reference, and bad input.
import { beforeAll, describe, expect, test } from 'vitest';
import { backward, init, manualSeed, models, mtl, nn, stack, tensor, type DeviceName, type Tensor } from '../src/index.js';
import { getBackend } from '../src/device.js';
import { TensorHandle } from '../src/handle.js';
import { assign } from '../src/nn/module.js';
import { contiguousLayout } from '../src/shape.js';
import { normalValues } from '../src/random.js';

type Net = nn.Module & { forward(x: Tensor): { tasks: Tensor[] } };
type Host = Record<string, { shape: readonly number[]; data: number[] }>;
type Rows = number[][];

const [N, IN, D, T] = [4, 5, 3, 2];

beforeAll(async () => {
  await init({ backend: 'webgpu' }); // the device section needs an adapter: no adapter fails, never skips
});

const builders: Record<string, () => Net> = {
  MMoE: () => new models.MMoE({ inputDim: IN, experts: 3, expertDim: D, expert: (i) => new nn.Linear(i, D), towers: [new nn.Linear(D, 1), new nn.Linear(D, 2)] }),
  CGC: () => new models.CGC({ inputDim: IN, sharedExperts: 2, taskExperts: 1, expertDim: D, expert: (i) => new nn.Linear(i, D), towers: [new nn.Linear(D, 1), new nn.Linear(D, 2)] }),
  PLE: () => new models.PLE({ inputDim: IN, levels: 2, sharedExperts: 2, taskExperts: 2, expertDim: D, expert: (i) => new nn.Linear(i, D), towers: [new nn.Linear(D, 1), new nn.Linear(D, 2)] }),
  CrossStitchNet: () => new models.CrossStitchNet({ columns: [0, 1].map(() => [new nn.Linear(IN, D), new nn.Linear(D, D), new nn.Linear(D, 2)]) }) as Net,
};

async function hostParams(net: Net): Promise<Host> {
  const entries = await Promise.all(net.namedParameters().map(async ([k, p]) => [k, { shape: p.shape, data: Array.from(await p.data(), Number) }] as const));
  return Object.fromEntries(entries);
}

// ---- the formulas, on the host ----
const linear = (P: Host, name: string, x: Rows): Rows => {
  const [W, b] = [P[`${name}.weight`], P[`${name}.bias`]];
  const [out, inDim] = W.shape;
  return x.map((row) => Array.from({ length: out }, (_, o) => b.data[o] + row.reduce((s, v, i) => s + v * W.data[o * inDim + i], 0)));
};
const softmax = (x: Rows): Rows => x.map((r) => {
  const e = r.map((v) => Math.exp(v - Math.max(...r)));
  return e.map((v) => v / e.reduce((a, c) => a + c));
});
/** Σₑ gₙₑ · expertₑ(x)ₙ for expert outputs [E][N][D] and gate weights [N][E]. */
const mixture = (outputs: Rows[], gate: Rows): Rows => gate.map((g, n) => outputs[0][n].map((_, d) => outputs.reduce((s, e, k) => s + g[k] * e[n][d], 0)));

function hostForward(name: string, P: Host, x: Rows): Rows[] {
  if (name === 'MMoE') {
    const experts = [0, 1, 2].map((e) => linear(P, `experts.${e}`, x));
    return [0, 1].map((t) => linear(P, `towers.${t}`, mixture(experts, softmax(linear(P, `gates.${t}`, x)))));
  }
  if (name === 'CrossStitchNet') {
    let hs = [x, x];
    for (let l = 0; l < 3; l++) {
      hs = hs.map((h, t) => linear(P, `columns.${t}.${l}`, h));
      if (l < 2) {
        const a = P[`stitches.${l}.weight`].data;
        hs = [0, 1].map((t) => hs[0].map((row, n) => row.map((_, d) => a[t * 2] * hs[0][n][d] + a[t * 2 + 1] * hs[1][n][d])));
      }
    }
    return hs;
  }
  // CGC (one level) and PLE (levels with a shared gate but the last).
  const levels = name === 'CGC' ? ['level'] : ['levels.0', 'levels.1'];
  const [sharedCount, own] = name === 'CGC' ? [2, 1] : [2, 2];
  let tasks = [x, x];
  let shared = x;
  levels.forEach((level, l) => {
    const sharedOut = Array.from({ length: sharedCount }, (_, e) => linear(P, `${level}.shared.${e}`, shared));
    const specific = [0, 1].map((t) => Array.from({ length: own }, (_, e) => linear(P, `${level}.specific.${t}.${e}`, tasks[t])));
    const next = [0, 1].map((t) => mixture([...specific[t], ...sharedOut], softmax(linear(P, `${level}.gates.${t}`, tasks[t]))));
    if (l < levels.length - 1) shared = mixture([...specific.flat(), ...sharedOut], softmax(linear(P, `${level}.sharedGate`, shared)));
    tasks = next;
  });
  return [0, 1].map((t) => linear(P, `towers.${t}`, tasks[t]));
}

async function build(name: string, device: DeviceName): Promise<{ net: Net; x: Tensor }> {
  await init({ backend: device });
  manualSeed(9);
  const net = builders[name]();
  manualSeed(10);
  return { net, x: tensor(normalValues(N * IN), { shape: [N, IN] }) };
}

/** Σₜ ⟨Vₜ, outputₜ⟩ for fixed random Vₜ: one scalar that every output and parameter feeds. */
const probe = (outputs: Tensor[], vs: Tensor[]): Tensor => stack(outputs.map((o, t) => o.mul(vs[t]).sum())).sum();

describe.each(Object.keys(builders))('%s', (name) => {
  test('parameter names are PyTorch dotted names', async () => {
    const { net } = await build(name, 'reference');
    const names = net.namedParameters().map(([k]) => k);
    const expected: Record<string, string[]> = {
      MMoE: ['experts.0.weight', 'experts.0.bias', 'experts.1.weight', 'experts.1.bias', 'experts.2.weight', 'experts.2.bias', 'gates.0.weight', 'gates.0.bias', 'gates.1.weight', 'gates.1.bias', 'towers.0.weight', 'towers.0.bias', 'towers.1.weight', 'towers.1.bias'],
      CGC: ['level.shared.0.weight', 'level.shared.0.bias', 'level.shared.1.weight', 'level.shared.1.bias', 'level.specific.0.0.weight', 'level.specific.0.0.bias', 'level.specific.1.0.weight', 'level.specific.1.0.bias', 'level.gates.0.weight', 'level.gates.0.bias', 'level.gates.1.weight', 'level.gates.1.bias', 'towers.0.weight', 'towers.0.bias', 'towers.1.weight', 'towers.1.bias'],
    };
    if (expected[name]) expect(names).toEqual(expected[name]);
    if (name === 'PLE') {
      expect(names).toContain('levels.0.sharedGate.weight');
      expect(names.some((k) => k.startsWith('levels.1.sharedGate'))).toBe(false);
      expect(names).toContain('levels.1.specific.1.1.bias');
    }
    if (name === 'CrossStitchNet') expect(names.filter((k) => k.startsWith('stitches'))).toEqual(['stitches.0.weight', 'stitches.1.weight']);
    expect(Object.keys(net.stateDict())).toEqual(names);
  });

  test('forward: the formula, in float64 on the host', async () => {
    const { net, x } = await build(name, 'reference');
    const host = hostForward(name, await hostParams(net), (await x.array()) as Rows);
    const { tasks } = net.forward(x);
    for (let t = 0; t < T; t++) {
      const got = (await tasks[t].array()) as Rows;
      got.forEach((row, n) => row.forEach((v, d) => expect(Math.abs(v - host[t][n][d])).toBeLessThan(1e-5)));
    }
  });

  test('backward: every parameter and the input against central finite differences (float64)', async () => {
    const { net, x } = await build(name, 'reference');
    const xg = tensor(await x.data(), { shape: x.shape, requiresGrad: true });
    const vs = net.forward(xg).tasks.map((o) => tensor(normalValues(o.size), { shape: o.shape }));
    backward(probe(net.forward(xg).tasks, vs));
    const value = async () => (await probe(net.forward(xg).tasks, vs).rawData())[0];
    const eps = 1e-6;
    for (const [key, p] of [...net.namedParameters(), ['input', xg] as [string, Tensor]]) {
      const analytic = await p.grad!.rawData();
      const base = Float64Array.from(await p.rawData());
      for (const j of [0, Math.floor(base.length / 2), base.length - 1]) {
        const at = (delta: number) => {
          const v = base.slice();
          v[j] += delta;
          return TensorHandle.fromStorage('reference', getBackend('reference').upload(v), contiguousLayout(p.shape)); // float64, as gradcheck's
        };
        const set = (t: Tensor) => assign(p, t);
        set(at(eps));
        const plus = await value();
        set(at(-eps));
        const minus = await value();
        set(at(0));
        const numeric = (plus - minus) / (2 * eps);
        expect(Math.abs(analytic[j] - numeric), `${key}[${j}]: ${analytic[j]} vs ${numeric}`).toBeLessThan(1e-6 + 1e-5 * Math.abs(numeric));
      }
    }
  });

  test.each(['cpu', 'webgpu'] as DeviceName[])('on %s: forward and parameter gradients as on the reference', async (device) => {
    const results = [];
    for (const d of ['reference', device] as DeviceName[]) {
      const { net, x } = await build(name, d);
      manualSeed(11);
      const out = net.forward(x).tasks;
      const vs = out.map((o) => tensor(normalValues(o.size), { shape: o.shape }));
      backward(probe(out, vs));
      results.push({ out: await Promise.all(out.map((o) => o.data())), grads: await Promise.all(net.parameters().map((p) => p.grad!.data())) });
    }
    const [ref, other] = results;
    [...ref.out.map((o, i) => [o, other.out[i]]), ...ref.grads.map((g, i) => [g, other.grads[i]])].forEach(([a, b]) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(v)))));
  });
});

test('MMoE with mtl.backward: the experts are shared, through the features or not, the same update', async () => {
  const grads: Float32Array[][] = [];
  for (const withFeatures of [false, true]) {
    await init({ backend: 'reference' });
    manualSeed(9);
    const net = builders.MMoE() as models.MMoE;
    manualSeed(10);
    const x = tensor(normalValues(N * IN), { shape: [N, IN] });
    const { shared, tasks } = net.forward(x);
    const losses = tasks.map((o) => o.square().mean());
    await mtl.backward(losses, { shared: net.experts, features: withFeatures ? shared : undefined, aggregator: new mtl.aggregators.UPGrad() });
    grads.push(await Promise.all(net.parameters().map((p) => p.grad!.data())));
  }
  grads[0].forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - grads[1][i][j])).toBeLessThan(1e-5)));
});

test('bad input', async () => {
  await init({ backend: 'reference' });
  const net = builders.MMoE();
  expect(() => net.forward(tensor([[1, 2]]))).toThrow(/MMoE: expects an input \[N, 5\], got \[1,2\]/);
  expect(() => new models.MMoE({ inputDim: 5, experts: 0, expertDim: 3, expert: (i) => new nn.Linear(i, 3), towers: [new nn.Linear(3, 1)] })).toThrow(/experts must be a finite integer ≥ 1/);
  expect(() => new models.CGC({ inputDim: 5, sharedExperts: 1, taskExperts: 1, expertDim: 3, expert: (i) => new nn.Linear(i, 3), towers: [] })).toThrow(/towers must be a non-empty array/);
  expect(() => new models.CrossStitchNet({ columns: [[new nn.Linear(2, 2)], [new nn.Linear(2, 2), new nn.Linear(2, 2)]] })).toThrow(/all of one depth/);
  const cs = builders.CrossStitchNet() as unknown as models.CrossStitchNet;
  expect(() => cs.forward([tensor([[1, 2, 3, 4, 5]])])).toThrow(/got 1 task inputs for 2 tasks/);
});
