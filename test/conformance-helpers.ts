// What the backend conformance suite draws its inputs from and judges its outputs with: one seeded
// generator, one generator of views (permuted, padded, broadcast, offset), one comparator.
import { expect } from 'vitest';
import type { Backend, MatmulArgs, Storage } from '../src/backend/backend.js';
import type { ReferenceBackend } from '../src/backend/reference/reference.js';
import { contiguousStrides, sizeOf, type Layout, type Shape } from '../src/shape.js';

/** mulberry32: reproducible uniforms in [0, 1), independent of webgrad's own generator. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    uniform: (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next()),
    normals: (n: number) => Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())),
    shape: (rank: number, max = 7): number[] => Array.from({ length: rank }, () => int(1, max)),
  };
}
export type Rng = ReturnType<typeof rng>;

export interface View {
  layout: Layout;
  /** The length of the buffer the view needs. */
  length: number;
}

export const contiguous = (shape: Shape, offset = 0): Layout => ({ shape: [...shape], strides: contiguousStrides(shape), offset });

/**
 * A random view of `shape` into a fresh buffer: memory order permuted (a transposed view), dims
 * narrowed out of larger ones, some of stride 0 (broadcast) if allowed, at an offset.
 */
export function randomView(r: Rng, shape: Shape, { broadcast = true } = {}): View {
  const rank = shape.length;
  const order = Array.from({ length: rank }, (_, i) => i).sort(() => r.next() - 0.5);
  const parent = shape.map((s) => (r.next() < 0.3 ? s + r.int(1, 3) : s));
  const strides = new Array<number>(rank).fill(0);
  let step = 1;
  for (const d of order) {
    if (broadcast && r.next() < 0.25) continue;
    strides[d] = step;
    step *= parent[d];
  }
  let offset = r.int(0, 3);
  shape.forEach((s, d) => (offset += r.int(0, parent[d] - s) * strides[d]));
  const reach = shape.some((s) => s === 0) ? 0 : shape.reduce((sum, s, d) => sum + (s - 1) * strides[d], 1);
  return { layout: { shape: [...shape], strides, offset }, length: offset + reach + r.int(0, 2) };
}

/** Contiguous from 0, contiguous runs from offsets 4 and 5 (vectorised loads or not), random views. */
export const VIEW_KINDS = ['contiguous', 'run from 4', 'run from 5', 'strided'] as const;
export function viewOf(r: Rng, shape: Shape, kind: (typeof VIEW_KINDS)[number]): View {
  if (kind === 'strided') return randomView(r, shape);
  const offset = kind === 'contiguous' ? 0 : kind === 'run from 4' ? 4 : 5;
  return { layout: contiguous(shape, offset), length: offset + sizeOf(shape) };
}

/** One value on the backend under test and on the reference. */
export interface Pair {
  got: Storage;
  want: Storage;
}

/**
 * The backend's float32 result against the float64 reference's, element by element: within
 * `tolerance` · max(1, |want|) of want rounded to f32 (the best a float32 backend can give);
 * NaN, ±Infinity exactly where the reference has them.
 */
export async function expectMatch(backend: Backend, ref: ReferenceBackend, pair: Pair, tolerance: number, what: string): Promise<void> {
  const [want, got] = [await ref.read(pair.want), await backend.read(pair.got)];
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [w, g] = [Math.fround(want[i]), got[i]];
    if (w === g || (Number.isNaN(w) && Number.isNaN(g))) continue;
    if (!Number.isFinite(w) || !(Math.abs(g - w) <= tolerance * Math.max(1, Math.abs(w)))) {
      expect.fail(`${what}[${i}]: ${backend.name} ${g} vs reference ${w} (tolerance ${tolerance})`);
    }
  }
}

export interface MatmulCase {
  /** A or B read transposed (rows walk fastest). */
  ta?: boolean;
  tb?: boolean;
  /** A starts `offset` elements in, B 2·offset. */
  offset?: number;
  /** A bias of stride 2 at offset 1. */
  bias?: boolean;
  /** A's batch stride 0. */
  broadcastA?: boolean;
}

/** The product C [batch, m, n] = A · B (+ bias) of random normals on the backend against the reference. */
export async function checkMatmul(backend: Backend, ref: ReferenceBackend, r: Rng, [batch, m, k, n]: readonly number[], options: MatmulCase = {}): Promise<void> {
  const { ta = false, tb = false, offset = 0, bias = false, broadcastA = false } = options;
  const upload = (data: Float32Array): Pair => ({ got: backend.upload(data), want: ref.upload(data) });
  const operand = (rows: number, cols: number, transposed: boolean, at: number, broadcast: boolean) => {
    const strides = transposed ? [rows * cols, 1, rows] : [rows * cols, cols, 1];
    if (broadcast) strides[0] = 0;
    return { data: upload(r.normals(at + (broadcast ? 1 : batch) * rows * cols)), layout: { shape: [batch, rows, cols], strides, offset: at } };
  };
  const a = operand(m, k, ta, offset, broadcastA);
  const b = operand(k, n, tb, offset * 2, false);
  const biasData = bias ? upload(r.normals(2 * n + 1)) : null;
  const biasLayout: Layout = { shape: [n], strides: [2], offset: 1 };
  const args = (side: keyof Pair): MatmulArgs => ({ a: a.layout, b: b.layout, ...(biasData && { bias: { storage: biasData[side], layout: biasLayout } }) });
  const pair = { got: backend.matmul(a.data.got, b.data.got, args('got')), want: ref.matmul(a.data.want, b.data.want, args('want')) };
  await expectMatch(backend, ref, pair, 1e-6 * (Math.sqrt(k) * 4 + 10), `matmul ${batch}×${m}×${k}×${n} ${JSON.stringify(options)}`);
}
