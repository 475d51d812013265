// Printing against real PyTorch: the same float32 values through formatTensor and torch's str()
// (test/fixtures/torch_str.py, Debian's python3-torch), over every formatter mode, summarised and
// wrapped layouts, ties of the decimal rounding and the print options; then what String(t),
// util.inspect and format() print for tensors on each device. Fails, not skips, without torch.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { formatTensor, setPrintOptions, type PrintOptions } from '../src/format.js';
import { init, tensor, type DeviceName } from '../src/index.js';
import { sizeOf, type Shape } from '../src/shape.js';
import { rng } from './conformance-helpers.js';

interface Case {
  name: string;
  values: Float32Array;
  shape: Shape;
  options?: Partial<PrintOptions>;
  requiresGrad?: boolean;
}

const r = rng(20261203);
const of = (values: number[], shape: Shape = [values.length], extra: Partial<Case> = {}): Omit<Case, 'name'> => ({ values: Float32Array.from(values), shape, ...extra });
const normals = (shape: Shape, scale = 1): Omit<Case, 'name'> => ({ values: r.normals(sizeOf(shape)).map((v) => v * scale), shape });
const integers = (n: number, below: number): number[] => Array.from({ length: n }, () => r.int(-below, below));

const CASES: Case[] = Object.entries({
  'a matrix': normals([2, 3]),
  'larger values': normals([4, 5], 100),
  '3-d': normals([3, 4, 5]),
  '4-d': normals([2, 2, 2, 2]),
  'a long row, wrapped': normals([30]),
  'long integer rows, wrapped': of(integers(100, 999), [4, 25]),
  'summarised matrix': normals([40, 40]),
  'summarised vector': normals([1001]),
  'summarised rows only': normals([3, 400]),
  'summarised, a middle dim of 1': normals([10, 1, 200]),
  'summarised 4-d': normals([7, 7, 7, 7]),
  integers: of([1, 2, 3, -4]),
  'integers, max/min > 1000: scientific': of([1, 20000, 3]),
  'integers above 1e8': of([1e9, 3]),
  'a value above 1e8': of([1e9, 2.5]),
  'a value below 1e-4': of([1e-5, 0.5, 3]),
  'a subnormal': of([1e-40, 1]),
  'nan, ±inf, ±0 among floats': of([NaN, Infinity, -Infinity, -0, 0, 1.5]),
  'nan, ±inf, -0 among integers': of([NaN, Infinity, 2, -0]),
  'zeros only': of([0, 0, -0, 0], [2, 2]),
  'nan only': of([NaN, NaN, NaN]),
  'empty vector': of([], [0]),
  'empty matrix': of([], [2, 0, 3]),
  'a scalar': of([3.5], []),
  'a negative-zero scalar': of([-0], []),
  'a nan scalar': of([NaN], []),
  'an integer scalar': of([7], []),
  'a tiny scalar': of([1e-7], []),
  'ties round half to even (fixed)': of([1.03125, 0.96875, -1.03125, 0.125, 0.03125]),
  'ties round half to even (scientific)': of([1.03125, 1e-5, 2.0078125]),
  'rounding carries into the exponent': of([9.99996e5, 1]),
  'rounding carries in fixed mode': of([0.99995, 9.99995]),
  'requiresGrad suffix': { ...normals([2, 3]), requiresGrad: true },
  'a suffix wrapped onto its own line': { ...normals([13]), requiresGrad: true },
  'precision 2': { ...normals([3, 3]), options: { precision: 2 } },
  'precision 0': { ...normals([4], 10), options: { precision: 0 } },
  'scientific forced on': { ...normals([2, 3]), options: { sciMode: true } },
  'scientific forced off, a tiny negative': { ...of([-1e-5, 1, 1e9]), options: { sciMode: false } },
  'fixed notation of 1e22': { ...of([1e22, 1]), options: { sciMode: false } },
  'line width 40': { ...normals([3, 12]), options: { linewidth: 40 } },
  'threshold 5, 2 edge items': { ...of(Array.from({ length: 10 }, (_, i) => i)), options: { threshold: 5, edgeitems: 2 } },
  'threshold Infinity': { ...normals([1200]), options: { threshold: Infinity } },
}).map(([name, c]) => ({ name, ...c }));

const encode = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

let torchStrings: string[];
beforeAll(() => {
  const script = fileURLToPath(new URL('./fixtures/torch_str.py', import.meta.url));
  const input = JSON.stringify(CASES.map((c) => ({
    values: Array.from(c.values, encode),
    shape: c.shape,
    options: Object.fromEntries(Object.entries(c.options ?? {}).map(([k, v]) => [k, v === Infinity ? 'Infinity' : v])),
    requiresGrad: c.requiresGrad ?? false,
  })));
  torchStrings = JSON.parse(execFileSync('/usr/bin/python3', [script], { input, encoding: 'utf8' })) as string[];
  expect(torchStrings, 'python3 with torch (scripts/setup-torch.sh) printed one string a case').toHaveLength(CASES.length);
});
afterEach(() => setPrintOptions());

describe('formatTensor prints what PyTorch prints', () => {
  test.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_, i) => {
    const c = CASES[i];
    if (c.options) setPrintOptions(c.options);
    const torchSuffixes = [...(c.values.length === 0 && c.shape.length !== 1 ? [`size=(${c.shape.join(', ')})`] : []), ...(c.requiresGrad ? ['requires_grad=True'] : [])];
    expect(formatTensor(c.values, c.shape, torchSuffixes)).toBe(torchStrings[i]);
  });
});

describe('setPrintOptions', () => {
  test('refuses unknown options and bad values, naming them', () => {
    expect(() => setPrintOptions({ precision: -1 })).toThrow(/setPrintOptions: precision must be an integer ≥ 0, got the number -1/);
    expect(() => setPrintOptions({ linewidth: 2.5 })).toThrow(/linewidth must be an integer ≥ 1/);
    expect(() => setPrintOptions({ sciMode: 'yes' as unknown as boolean })).toThrow(/sciMode must be true, false or null, got the string "yes"/);
    expect(() => setPrintOptions({ width: 3 } as unknown as PrintOptions)).toThrow(/unknown option 'width'; the options are precision, threshold, edgeitems, linewidth, sciMode/);
  });
});

describe('String(t), util.inspect(t) and t.format()', () => {
  beforeAll(async () => {
    await init({ backend: 'webgpu' }); // no adapter: fails, never skips
    await init({ backend: 'cpu' });
  });

  const values = [[0.5, -1.25], [3, 4]];
  const body = 'tensor([[ 0.5000, -1.2500],\n        [ 3.0000,  4.0000]]';
  test.each(['cpu', 'reference'] as DeviceName[])('%s: the values, shape, device and autograd state', async (device) => {
    const leaf = tensor(values, { device, requiresGrad: true });
    expect(String(leaf)).toBe(`${body}, shape [2, 2], ${device}, requiresGrad)`);
    expect(inspect(leaf)).toBe(String(leaf));
    expect(inspect({ weight: leaf })).toContain(String(leaf).split('\n')[0]);
    expect(String(leaf.T.mul(leaf))).toMatch(/^tensor\(\[\[ 0\.2500, -3\.7500\],\n {8}\[-3\.7500, 16\.0000\]\], shape \[2, 2\], .+, gradFn mul\)$/);
    expect(String(tensor(values, { device }).narrow(1, 1, 1))).toBe(`tensor([[-1.2500],\n        [ 4.0000]], shape [2, 1], ${device})`);
    expect(await leaf.format()).toBe(String(leaf));
  });

  test('webgpu: a placeholder that says how to read the values, and format() with them', async () => {
    const t = tensor(values, { device: 'webgpu' });
    expect(String(t)).toBe('tensor(<on webgpu: await t.format() to print the values>, shape [2, 2], webgpu)');
    expect(await t.format()).toBe(`${body}, shape [2, 2], webgpu)`);
  });

  test('a disposed tensor prints as disposed instead of throwing; a large one summarised', () => {
    const t = tensor(values, { device: 'cpu' });
    t.dispose();
    expect(String(t)).toBe('tensor(<disposed>, shape [2, 2], cpu)');
    const big = String(tensor(new Float32Array(5000).fill(0.25), { device: 'cpu', shape: [50, 100] }));
    expect(big.split('\n')).toHaveLength(8); // 3 rows, '...', 3 rows, the suffixes
    expect(big).toContain('0.2500,  ...,');
  });
});
