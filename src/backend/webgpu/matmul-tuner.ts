// Per-adapter matmul tuning: for a shape class (matmul-configs.ts' shapeClass), time the candidate
// configurations on the device and keep the fastest — in memory, and with WEBGRAD_TUNE=file in a
// JSON file keyed by the adapter's description, so the next process starts tuned.
//   WEBGRAD_TUNE=off     never tune on first use (tune() still times what it is asked to)
//   WEBGRAD_TUNE=memory  tune each new shape class on first use, in the background (default on GPUs)
//   WEBGRAD_TUNE=file    the same, kept in WEBGRAD_TUNE_FILE (default <cache dir>/webgrad/matmul-tuning.json)
// CPU adapters (lavapipe) default to off: a candidate there costs up to seconds, and the register-tile
// default was chosen by measuring them. Configurations round differently (k is summed in another
// order), so a tuned product may differ from the untuned one in the last bits; off is bitwise
// reproducible from run to run.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TuneResult } from '../backend.js';
import { configName, parseConfig, shapeClass, type MatmulConfig, type MatmulShape } from './matmul-configs.js';

export type TuneMode = 'off' | 'memory' | 'file';
const MODES: readonly TuneMode[] = ['off', 'memory', 'file'];

/** Times one candidate: milliseconds per product, the median of a few rounds. */
export type TimeCandidate = (shape: MatmulShape, config: MatmulConfig) => Promise<number>;

interface CacheFile {
  version: 1;
  adapters: Record<string, Record<string, string>>;
}

/** `batch×m×k·k×n`, ᵀ marking an operand read along its rows (load mode 2). */
const describeShape = ({ batch, m, n, k, aMode, bMode }: MatmulShape): string =>
  `${batch}×${m}×${k}${aMode === 2 ? 'ᵀ' : ''}·${k}×${n}${bMode === 2 ? 'ᵀ' : ''}`;

export function tuneMode(isFallbackAdapter: boolean, env: NodeJS.ProcessEnv = process.env): TuneMode {
  const value = env.WEBGRAD_TUNE;
  if (value === undefined || value === '') return isFallbackAdapter ? 'off' : 'memory';
  if (!(MODES as readonly string[]).includes(value)) throw new Error(`webgpu: WEBGRAD_TUNE must be one of ${MODES.join(', ')}; got "${value}" (unset it for the default)`);
  return value as TuneMode;
}

export function tuneFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WEBGRAD_TUNE_FILE) return env.WEBGRAD_TUNE_FILE;
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'webgrad', 'matmul-tuning.json');
}

export class MatmulTuner {
  private readonly chosen = new Map<string, MatmulConfig>();
  private readonly running = new Map<string, Promise<TuneResult>>();
  /** Set when the cache file could not be read: it is then never written (nothing saved is lost). */
  private fileUnusable = false;

  constructor(
    readonly mode: TuneMode,
    private readonly adapter: string,
    private readonly candidates: (shape: MatmulShape) => MatmulConfig[],
    private readonly time: TimeCandidate,
    private readonly file = tuneFile(),
  ) {
    if (mode === 'file') this.load();
  }

  /** The tuned configuration of `shape`'s class, if any. */
  lookup(shape: MatmulShape): MatmulConfig | undefined {
    return this.chosen.get(shapeClass(shape));
  }

  /** On a product's first use of an untuned class: starts its tuning in the background (unless off). */
  firstUse(shape: MatmulShape): void {
    if (this.mode === 'off' || this.chosen.has(shapeClass(shape)) || this.running.has(shapeClass(shape))) return;
    // After the caller's op returns: the candidates' dispatches go after what it recorded. A failure
    // (the device lost meanwhile) leaves the class on the default; the op's own errors report it.
    setImmediate(() => void this.tune(shape).catch(() => {}));
  }

  /** Times the candidates for `shape` (once per class; a tuned class answers from its choice). */
  tune(shape: MatmulShape): Promise<TuneResult> {
    const key = shapeClass(shape);
    const known = this.chosen.get(key);
    if (known) return Promise.resolve({ problem: describeShape(shape), shapeClass: key, config: configName(known), timings: {} });
    let run = this.running.get(key);
    if (!run) {
      run = this.measure(shape, key).finally(() => this.running.delete(key));
      this.running.set(key, run);
    }
    return run;
  }

  /** The choices made so far, by shape class. */
  choices(): Record<string, string> {
    return Object.fromEntries([...this.chosen].map(([key, c]) => [key, configName(c)]));
  }

  private async measure(shape: MatmulShape, key: string): Promise<TuneResult> {
    const timings: Record<string, number> = {};
    let best: MatmulConfig | undefined;
    for (const config of this.candidates(shape)) {
      const ms = await this.time(shape, config);
      timings[configName(config)] = ms;
      if (!best || ms < timings[configName(best)]) best = config;
    }
    if (!best) throw new Error(`webgpu tune: no matmul configuration fits this device for ${key}`);
    this.chosen.set(key, best);
    if (this.mode === 'file') this.save();
    return { problem: describeShape(shape), shapeClass: key, config: configName(best), timings };
  }

  private readFile(): CacheFile | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<CacheFile>;
    if (parsed.version !== 1 || typeof parsed.adapters !== 'object' || parsed.adapters === null) throw new Error('not a version-1 webgrad tuning file');
    return parsed as CacheFile;
  }

  private load(): void {
    try {
      const entries = this.readFile()?.adapters[this.adapter] ?? {};
      for (const [key, name] of Object.entries(entries)) {
        const config = typeof name === 'string' ? parseConfig(name) : undefined;
        if (config) this.chosen.set(key, config);
      }
    } catch (err) {
      this.fileUnusable = true;
      process.emitWarning(`webgrad: the matmul tuning file ${this.file} is unreadable (${(err as Error).message}); tuning in memory only, the file is left as it is. Delete it to start afresh.`);
    }
  }

  /** Merges this adapter's choices into the file (written whole to a temporary, then renamed). */
  private save(): void {
    if (this.fileUnusable) return;
    try {
      const file = this.readFile() ?? { version: 1, adapters: {} };
      file.adapters[this.adapter] = { ...file.adapters[this.adapter], ...this.choices() };
      mkdirSync(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`);
      renameSync(temporary, this.file);
    } catch (err) {
      this.fileUnusable = true;
      process.emitWarning(`webgrad: could not write the matmul tuning file ${this.file} (${(err as Error).message}); tuning in memory only.`);
    }
  }
}
