// Mini-batches over tensors that share their first dimension, like torch.utils.data.DataLoader over
// a TensorDataset: each batch is cut on the tensors' device (a narrow view, or one indexSelect per
// tensor when shuffled), so the data never goes through the host.
import type { DeviceName } from '../backend/backend.js';
import { checkOptions, describe, isPlainObject } from '../check.js';
import { tensor } from '../creation.js';
import { tidy } from '../memory.js';
import { indexSelect } from '../ops/index.js';
import { permutation } from '../random.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** What batches() cuts: one tensor, an array of them, or an object of them (rows along dim 0). */
export type Rows = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;

export interface BatchOptions {
  /** Rows per batch (the last one may have fewer, unless dropLast). */
  batchSize: number;
  /** Visit the rows in a random order, a new one on every call (default false). */
  shuffle?: boolean;
  /** With shuffle: the order's own seed, so the same seed gives the same order and leaves manualSeed's stream alone. */
  seed?: number;
  /** Drop the last batch when it has fewer than batchSize rows (default false). */
  dropLast?: boolean;
}

const BATCH_OPTIONS = ['batchSize', 'shuffle', 'seed', 'dropLast'] as const;
/** Row indices are float32 tensors: exact up to 2^24. */
const MAX_SHUFFLED_ROWS = 2 ** 24;

/**
 * One pass (epoch) over the rows of `tensors`: yields batches of the same structure, each tensor
 * holding batchSize rows. Unshuffled batches are views; shuffled ones are copies in the order of a
 * permutation drawn when batches() is called (from manualSeed's stream, or from `seed`). Batches
 * are ordinary tensors owned by the caller: a tidy around the loop disposes them (one around the
 * loop body does not, as each batch is made before the body runs).
 *
 *     for (const [xb, yb] of data.batches([x, y], { batchSize: 32, shuffle: true })) …
 */
export function batches<const T extends Rows>(tensors: T, options: BatchOptions): Generator<T, void, undefined> {
  const n = sharedRows(tensors);
  const { batchSize, shuffle = false, seed, dropLast = false } = checkOptions('data.batches', options, BATCH_OPTIONS);
  if (!isPositiveInteger(batchSize)) throw new Error(`data.batches: batchSize must be a positive integer, got ${describe(batchSize)}`);
  checkBoolean('shuffle', shuffle);
  checkBoolean('dropLast', dropLast);
  checkSeed('data.batches', seed);
  if (shuffle && n > MAX_SHUFFLED_ROWS) throw new Error(`data.batches: shuffle indexes rows with float32, exact up to ${MAX_SHUFFLED_ROWS} rows; got ${n}`);
  return cut(tensors, n, batchSize, dropLast, shuffle ? permutation(n, seed) : null);
}

function* cut<T extends Rows>(tensors: T, n: number, batchSize: number, dropLast: boolean, order: readonly number[] | null): Generator<T, void, undefined> {
  const end = dropLast ? n - (n % batchSize) : n;
  for (let start = 0; start < end; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    yield order ? tidy(() => select(tensors, order.slice(start, start + size))) : map(tensors, (t) => t.narrow(0, start, size));
  }
}

/** The rows `rows` of each tensor, with one index tensor per device (cut's tidy disposes them). */
function select<T extends Rows>(tensors: T, rows: number[]): T {
  const indices = new Map<DeviceName, Tensor>();
  const indexOn = (device: DeviceName): Tensor => indices.get(device) ?? indices.set(device, tensor(rows, { device })).get(device)!;
  return map(tensors, (t) => indexSelect(t, 0, indexOn(t.device)));
}

function map<T extends Rows>(tensors: T, f: (t: Tensor) => Tensor): T {
  if (tensors instanceof Tensor) return f(tensors) as T;
  if (Array.isArray(tensors)) return tensors.map(f) as unknown as T;
  return Object.fromEntries(Object.entries(tensors).map(([key, t]) => [key, f(t)])) as T;
}

/** N, the first dimension every tensor of `tensors` shares, after checking the structure. */
function sharedRows(tensors: unknown): number {
  const named: [string, unknown][] =
    tensors instanceof Tensor ? [['tensors', tensors]]
    : Array.isArray(tensors) ? tensors.map((t, i) => [`tensors[${i}]`, t])
    : isPlainObject(tensors) ? Object.entries(tensors).map(([key, t]) => [`tensors.${key}`, t])
    : [];
  if (named.length === 0) {
    throw new Error(`data.batches: tensors must be a Tensor, a non-empty array of tensors or a non-empty object of tensors, got ${describe(tensors)}`);
  }
  const shapes = named.map(([what, t]) => {
    if (!(t instanceof Tensor)) throw new Error(`data.batches: ${what} must be a Tensor, got ${describe(t)}`);
    if (t.isDisposed) throw new Error(`data.batches: ${what} ${formatShape(t.shape)} was disposed`);
    if (t.ndim === 0) throw new Error(`data.batches: ${what} is 0-d; batches cut along the first dimension, so each tensor needs one`);
    return t.shape;
  });
  if (shapes.some((s) => s[0] !== shapes[0][0])) {
    throw new Error(`data.batches: the tensors must share their first dimension (the rows), got shapes ${shapes.map(formatShape).join(', ')}`);
  }
  return shapes[0][0];
}

const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

function checkBoolean(what: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new Error(`data.batches: ${what} must be true or false, got ${describe(value)}`);
}

function checkSeed(op: string, seed: unknown): void {
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`${op}: seed must be an integer, got ${describe(seed)}`);
}

/** A random permutation of 0 … n-1 as numbers, from manualSeed's stream or from `seed` (like torch.randperm). */
export { multiMnist, type MultiMnistOptions, type MultiMnistSplit } from './multimnist.js';
export { sinusoidTasks, fewShotTasks, SinusoidTasks, FewShotTasks, type SinusoidOptions, type SinusoidTask, type SinusoidBatch, type ClassDataset, type FewShotOptions, type Episode, type EpisodeBatch } from './tasks.js';
export { mnist, imageFolder, type ImageFolderOptions } from './images.js';

export function randperm(n: number, options?: { seed?: number }): number[] {
  const { seed } = checkOptions('data.randperm', options, ['seed']);
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`data.randperm: n must be a non-negative integer, got ${describe(n)}`);
  checkSeed('data.randperm', seed);
  return permutation(n, seed);
}
