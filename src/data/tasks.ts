// Task samplers for meta-learning, deterministic under a seed: the sinusoid regression tasks of the
// MAML paper (§5.1), and N-way K-shot classification episodes from a dataset of labelled examples,
// drawn only from the classes of one split so that meta-train, meta-val and meta-test never meet.
import type { DeviceName } from '../backend/backend.js';
import { checkOptions, describe, numberOption } from '../check.js';
import { tensor } from '../creation.js';
import { permutation, seededStream, type Stream } from '../random.js';
import type { Tensor } from '../tensor.js';

type Range = readonly [number, number];

function rangeOption(op: string, name: string, value: unknown): Range {
  const ok = Array.isArray(value) && value.length === 2 && value.every(Number.isFinite) && value[0] <= value[1];
  if (!ok) throw new Error(`${op}: ${name} must be [low, high] with finite low ≤ high, got ${describe(value)}`);
  return value as unknown as Range;
}

const uniform = (rng: Stream, [low, high]: Range): number => low + (high - low) * rng.next();

export interface SinusoidOptions {
  /** Amplitudes drawn uniformly from this range (default [0.1, 5]). */
  amplitude?: Range;
  /** Phases drawn uniformly from this range (default [0, π]). */
  phase?: Range;
  /** Inputs drawn uniformly from this range (default [−5, 5]). */
  x?: Range;
  /** Support points per task, K. */
  shots: number;
  /** Query points per task (default: shots). */
  queries?: number;
  seed?: number;
  device?: DeviceName;
}

/** One regression task y = A·sin(x − φ): K support and Q query points, [K, 1] and [Q, 1]. */
export interface SinusoidTask {
  support: Tensor;
  supportTargets: Tensor;
  query: Tensor;
  queryTargets: Tensor;
  amplitude: number;
  phase: number;
}

/** The same tasks stacked along a leading dim: [T, K, 1] and [T, Q, 1], for a meta-batch as one computation. */
export interface SinusoidBatch {
  support: Tensor;
  supportTargets: Tensor;
  query: Tensor;
  queryTargets: Tensor;
  amplitudes: number[];
  phases: number[];
}

export class SinusoidTasks {
  readonly amplitude: Range;
  readonly phase: Range;
  readonly x: Range;
  readonly shots: number;
  readonly queries: number;
  private readonly rng: Stream;
  private readonly device: DeviceName | undefined;

  constructor(options: SinusoidOptions) {
    const op = 'sinusoidTasks';
    const o = checkOptions(op, options, ['amplitude', 'phase', 'x', 'shots', 'queries', 'seed', 'device']);
    this.amplitude = rangeOption(op, 'amplitude', o.amplitude ?? [0.1, 5]);
    this.phase = rangeOption(op, 'phase', o.phase ?? [0, Math.PI]);
    this.x = rangeOption(op, 'x', o.x ?? [-5, 5]);
    this.shots = numberOption(op, 'shots', o.shots, 1, { integer: true });
    this.queries = numberOption(op, 'queries', o.queries ?? this.shots, 1, { integer: true });
    this.rng = seededStream(op, o.seed);
    this.device = o.device;
  }

  /** The next task. */
  sample(): SinusoidTask {
    const [task] = this.draw(1);
    const make = (values: Float32Array) => tensor(values, { shape: [values.length, 1], ...this.on() });
    return { support: make(task.xs), supportTargets: make(task.ys), query: make(task.xq), queryTargets: make(task.yq), amplitude: task.amplitude, phase: task.phase };
  }

  /** The next `tasks` tasks, stacked. */
  sampleBatch(tasks: number): SinusoidBatch {
    numberOption('sinusoidTasks.sampleBatch', 'tasks', tasks, 1, { integer: true });
    const drawn = this.draw(tasks);
    const make = (pick: (t: DrawnTask) => Float32Array) => {
      const parts = drawn.map(pick);
      const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.forEach((p, t) => values.set(p, t * p.length));
      return tensor(values, { shape: [tasks, parts[0].length, 1], ...this.on() });
    };
    return {
      support: make((t) => t.xs),
      supportTargets: make((t) => t.ys),
      query: make((t) => t.xq),
      queryTargets: make((t) => t.yq),
      amplitudes: drawn.map((t) => t.amplitude),
      phases: drawn.map((t) => t.phase),
    };
  }

  private on(): { device?: DeviceName } {
    return this.device ? { device: this.device } : {};
  }

  /** Draws each task's amplitude and phase, then its support points, then its query points. */
  private draw(tasks: number): DrawnTask[] {
    return Array.from({ length: tasks }, () => {
      const [amplitude, phase] = [uniform(this.rng, this.amplitude), uniform(this.rng, this.phase)];
      const points = (n: number) => {
        const x = Float32Array.from({ length: n }, () => uniform(this.rng, this.x));
        return [x, x.map((v) => amplitude * Math.sin(v - phase))];
      };
      const [[xs, ys], [xq, yq]] = [points(this.shots), points(this.queries)];
      return { xs, ys, xq, yq, amplitude, phase };
    });
  }
}

interface DrawnTask {
  xs: Float32Array;
  ys: Float32Array;
  xq: Float32Array;
  yq: Float32Array;
  amplitude: number;
  phase: number;
}

/** The sinusoid regression tasks of Finn et al. 2017, §5.1: y = A·sin(x − φ), A, φ and x uniform. */
export const sinusoidTasks = (options: SinusoidOptions): SinusoidTasks => new SinusoidTasks(options);

/** Labelled examples grouped by class, on the host: what fewShotTasks draws episodes from. */
export interface ClassDataset {
  /** The shape of one example, e.g. [1, 28, 28]. */
  shape: readonly number[];
  /** Each class's name; its index is the class id. */
  names: readonly string[];
  /** Each class's examples, flat arrays of shape's size. */
  examples: readonly (readonly Float32Array[])[];
}

export interface FewShotOptions {
  /** Classes per episode, N. */
  ways: number;
  /** Support examples per class, K. */
  shots: number;
  /** Query examples per class (default 15). */
  queries?: number;
  /** The class ids episodes may use (default all): one split's classes. */
  classes?: readonly number[];
  seed?: number;
  device?: DeviceName;
}

/**
 * One N-way K-shot episode: support [N·K, ...shape] and query [N·Q, ...shape], both grouped by class
 * (class 0's examples first); labels [N·K] and [N·Q] are the episode's class indices 0 … N − 1, and
 * classes[i] is the dataset class id behind episode class i.
 */
export interface Episode {
  support: Tensor;
  supportLabels: Tensor;
  query: Tensor;
  queryLabels: Tensor;
  classes: number[];
}

/** Episodes stacked along a leading dim (support [E, N·K, ...shape], labels [E, N·K], ...); classes[e] is episode e's. */
export interface EpisodeBatch extends Omit<Episode, 'classes'> {
  classes: number[][];
}

export class FewShotTasks {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly classes: readonly number[];
  private readonly rng: Stream;
  private readonly device: DeviceName | undefined;

  constructor(
    readonly dataset: ClassDataset,
    options: FewShotOptions,
  ) {
    const op = 'fewShotTasks';
    checkDataset(op, dataset);
    const o = checkOptions(op, options, ['ways', 'shots', 'queries', 'classes', 'seed', 'device']);
    this.ways = numberOption(op, 'ways', o.ways, 1, { integer: true });
    this.shots = numberOption(op, 'shots', o.shots, 1, { integer: true });
    this.queries = numberOption(op, 'queries', o.queries ?? 15, 0, { integer: true });
    const classes = o.classes ?? dataset.names.map((_, i) => i);
    const valid = Array.isArray(classes) && classes.every((c) => Number.isInteger(c) && c >= 0 && c < dataset.names.length) && new Set(classes).size === classes.length;
    if (!valid) throw new Error(`${op}: classes must be distinct class ids in 0 … ${dataset.names.length - 1}, got ${describe(classes)}`);
    if (classes.length < this.ways) throw new Error(`${op}: ${this.ways}-way episodes need at least ${this.ways} classes, the split has ${classes.length}`);
    const short = classes.filter((c) => dataset.examples[c].length < this.shots + this.queries);
    if (short.length) {
      throw new Error(`${op}: each class needs shots + queries = ${this.shots + this.queries} examples; ${short.map((c) => `'${dataset.names[c]}' has ${dataset.examples[c].length}`).join(', ')}`);
    }
    this.classes = [...classes];
    this.rng = seededStream(op, o.seed);
    this.device = o.device;
  }

  /** The next episode: N classes of the split, and K + Q distinct examples of each. */
  sample(): Episode {
    const { classes, ...tensors } = this.draw(1, []);
    return { ...tensors, classes: classes[0] };
  }

  /** The next `episodes` episodes, stacked: the same ones as that many sample() calls, with a leading dim. */
  sampleBatch(episodes: number): EpisodeBatch {
    numberOption('fewShotTasks.sampleBatch', 'episodes', episodes, 1, { integer: true });
    return this.draw(episodes, [episodes]);
  }

  private draw(episodes: number, lead: number[]): EpisodeBatch {
    const size = this.dataset.shape.reduce((a, b) => a * b, 1);
    const [n, k, q] = [this.ways, this.shots, this.queries];
    const support = new Float32Array(episodes * n * k * size);
    const query = new Float32Array(episodes * n * q * size);
    const classes = Array.from({ length: episodes }, (_, e) => {
      const chosen = permutation(this.classes.length, this.rng).slice(0, n).map((i) => this.classes[i]);
      chosen.forEach((c, way) => {
        const pool = this.dataset.examples[c];
        const picks = permutation(pool.length, this.rng);
        for (let i = 0; i < k; i++) support.set(pool[picks[i]], ((e * n + way) * k + i) * size);
        for (let i = 0; i < q; i++) query.set(pool[picks[k + i]], ((e * n + way) * q + i) * size);
      });
      return chosen;
    });
    const on = this.device ? { device: this.device } : {};
    const labels = (m: number) => tensor(Array.from({ length: episodes * n * m }, (_, i) => Math.floor(i / m) % n), { shape: [...lead, n * m], ...on });
    return {
      support: tensor(support, { shape: [...lead, n * k, ...this.dataset.shape], ...on }),
      supportLabels: labels(k),
      query: tensor(query, { shape: [...lead, n * q, ...this.dataset.shape], ...on }),
      queryLabels: labels(q),
      classes,
    };
  }
}

/** N-way K-shot episodes from `dataset`, restricted to one split's classes. */
export const fewShotTasks = (dataset: ClassDataset, options: FewShotOptions): FewShotTasks => new FewShotTasks(dataset, options);

export function checkDataset(op: string, dataset: unknown): ClassDataset {
  const d = dataset as ClassDataset;
  const ok = typeof d === 'object' && d !== null && Array.isArray(d.shape) && Array.isArray(d.names) && Array.isArray(d.examples) && d.names.length === d.examples.length;
  if (!ok) throw new Error(`${op}: expects a dataset { shape, names, examples } (data.mnist(), data.imageFolder(path)), got ${describe(dataset)}`);
  const size = d.shape.reduce((a, b) => a * b, 1);
  d.examples.forEach((pool, c) => {
    const bad = pool.findIndex((e) => !(e instanceof Float32Array) || e.length !== size);
    if (bad >= 0) throw new Error(`${op}: example ${bad} of class '${d.names[c]}' must be a Float32Array of ${size} values (shape [${d.shape.join(',')}])`);
  });
  return d;
}
