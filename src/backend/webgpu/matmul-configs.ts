// The matmul kernels' configurations: what each one is, its name (the tuner's cache stores names),
// whether a device can run it, the candidates the tuner times for a shape, and the default where
// nothing was tuned.
//  - workgroup tiles (matmul.wgsl, for GPUs): a BM×BN tile of C per workgroup, slabs of BK along k
//    staged in workgroup memory (double-buffered when stages = 2), a TM×TN block per thread;
//  - register tiles (matmul_registers.wgsl, for CPU adapters): `rows` rows × threads·quads·4 columns
//    per workgroup, no workgroup memory.
// Either may split k (split-K) into `splits` ranges summed by a second launch: for skinny products
// (a Linear layer's backward on a small batch) whose C has too few tiles to fill the device.

export interface WorkgroupTiles {
  readonly kind: 'workgroup';
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
  readonly stages: 1 | 2;
  readonly splits: number;
}

export interface RegisterTiles {
  readonly kind: 'registers';
  readonly rows: number;
  readonly quads: number;
  readonly threads: number;
  readonly splits: number;
}

export type MatmulConfig = WorkgroupTiles | RegisterTiles;

/** A product's shape and its operands' vec4 load modes (matmul_io.wgsl): what a tuned choice is keyed by. */
export interface MatmulShape {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly aMode: number;
  readonly bMode: number;
}

/** The device limits a configuration must fit. */
export interface WorkgroupLimits {
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupStorageSize: number;
}

const tiles = (bm: number, bn: number, bk: number, tm: number, tn: number, stages: 1 | 2 = 1): WorkgroupTiles =>
  ({ kind: 'workgroup', bm, bn, bk, tm, tn, stages, splits: 1 });
const registers = (rows: number, quads: number, threads: number): RegisterTiles => ({ kind: 'registers', rows, quads, threads, splits: 1 });

/** The workgroup-tile configurations a GPU's tuner chooses among (the first is the untuned default of mid-size products). */
export const WORKGROUP_CONFIGS: readonly WorkgroupTiles[] = [
  tiles(64, 64, 16, 4, 4),
  tiles(64, 64, 16, 4, 4, 2),
  tiles(128, 128, 16, 8, 8),
  tiles(128, 128, 16, 8, 8, 2),
  tiles(128, 128, 8, 8, 8, 2),
  tiles(128, 64, 16, 8, 4),
  tiles(64, 128, 16, 4, 8),
  tiles(32, 64, 16, 4, 4),
  tiles(64, 64, 32, 8, 4),
];

/** The register-tile configurations a CPU adapter's tuner chooses among (rows ≤ m are also used for short C). */
export const REGISTER_CONFIGS: readonly RegisterTiles[] = [
  registers(8, 2, 16),
  registers(8, 2, 8),
  registers(8, 1, 8),
  registers(4, 2, 16),
  registers(4, 2, 8),
  registers(4, 1, 8),
];

export const withSplits = <C extends MatmulConfig>(config: C, splits: number): C => ({ ...config, splits });

/** Columns of C a workgroup computes, and rows. */
export const tileOf = (c: MatmulConfig): { rows: number; cols: number } =>
  c.kind === 'workgroup' ? { rows: c.bm, cols: c.bn } : { rows: c.rows, cols: c.threads * c.quads * 4 };

/** Steps along k of one iteration: a split's range of k is a multiple of it. */
export const kStep = (c: MatmulConfig): number => (c.kind === 'workgroup' ? c.bk : 4);

export const threadsOf = (c: MatmulConfig): number => (c.kind === 'workgroup' ? (c.bm / c.tm) * (c.bn / c.tn) : c.threads);

/** Workgroup memory the configuration declares, in bytes. */
export const workgroupBytes = (c: MatmulConfig): number => (c.kind === 'workgroup' ? c.stages * c.bk * (c.bm + c.bn) * 4 : 0);

export function configName(c: MatmulConfig): string {
  const split = c.splits > 1 ? `/split${c.splits}` : '';
  if (c.kind === 'registers') return `registers ${c.rows}x${c.threads * c.quads * 4}/${c.threads} threads${split}`;
  return `tiles ${c.bm}x${c.bn}x${c.bk}/${c.tm}x${c.tn}${c.stages === 2 ? '/double' : ''}${split}`;
}

/** Whether the kernels can run `c`: whole quads per thread, whole threads per tile, k in quads. */
export function isValid(c: MatmulConfig): boolean {
  const whole = (...values: number[]) => values.every((v) => Number.isInteger(v) && v >= 1);
  if (c.kind === 'registers') return whole(c.rows, c.quads, c.threads, c.splits);
  return whole(c.bm / c.tm, c.bn / c.tn, c.tm / 4, c.tn / 4, c.bk / 4, c.splits);
}

/** The configuration named `name` (as configName writes it), or undefined for any other string. */
export function parseConfig(name: string): MatmulConfig | undefined {
  const tile = /^tiles (\d+)x(\d+)x(\d+)\/(\d+)x(\d+)(\/double)?(?:\/split(\d+))?$/.exec(name);
  const reg = /^registers (\d+)x(\d+)\/(\d+) threads(?:\/split(\d+))?$/.exec(name);
  let c: MatmulConfig | undefined;
  if (tile) {
    const [bm, bn, bk, tm, tn] = tile.slice(1, 6).map(Number);
    c = { ...tiles(bm, bn, bk, tm, tn, tile[6] ? 2 : 1), splits: Number(tile[7] ?? 1) };
  } else if (reg) {
    const [rows, cols, threads] = reg.slice(1, 4).map(Number);
    c = { ...registers(rows, cols / (threads * 4), threads), splits: Number(reg[4] ?? 1) };
  }
  return c && isValid(c) ? c : undefined;
}

export function fits(c: MatmulConfig, limits: WorkgroupLimits): boolean {
  return threadsOf(c) <= limits.maxComputeInvocationsPerWorkgroup && workgroupBytes(c) <= limits.maxComputeWorkgroupStorageSize;
}

const log2Class = (x: number): number => Math.ceil(Math.log2(Math.max(1, x)));

/** Shapes whose sizes round to the same powers of two (and batched or not, same load modes) share a tuned choice. */
export const shapeClass = (s: MatmulShape): string =>
  `m${2 ** log2Class(s.m)} n${2 ** log2Class(s.n)} k${2 ** log2Class(s.k)}${s.batch > 1 ? ' batched' : ''} a${s.aMode} b${s.bMode}`;

const workgroupsOf = (c: MatmulConfig, s: MatmulShape): number => {
  const { rows, cols } = tileOf(c);
  return Math.ceil(s.m / rows) * Math.ceil(s.n / cols) * s.batch;
};

/**
 * Splits of k that give about `target` workgroups, in a power of two from 2 to 16, each split at
 * least `minChunk` long; 1 where C alone has enough workgroups or k is too short to split.
 */
function splitsFor(c: MatmulConfig, s: MatmulShape, target: number, minChunk: number): number {
  const groups = workgroupsOf(c, s);
  if (groups >= target) return 1;
  let splits = 1;
  while (splits < 16 && groups * splits < target && s.k / (splits * 2) >= minChunk) splits *= 2;
  return splits;
}

/** The register tile for an m×n C (measured on lavapipe: 8×8 per thread beat 4×4, 4×8 and 16×8). */
function registerDefault(s: MatmulShape): RegisterTiles {
  const rows = s.m >= 8 ? 8 : s.m > 2 ? 4 : s.m;
  if (s.n > 64) return registers(rows, 2, 16);
  if (s.n > 32) return registers(rows, 2, 8);
  return registers(rows, 1, 8);
}

/**
 * The configuration used where nothing was tuned. CPU adapters: the register tile that covers C
 * with the fewest wasted columns (8 threads are one SIMD batch of an AVX2 CPU). GPUs: 128×128 tiles
 * for large products, split-K where C has too few 64×64 tiles to occupy the device, 32-row tiles for
 * short C, 64×64 tiles otherwise.
 */
export function defaultConfig(s: MatmulShape, family: MatmulConfig['kind'], limits: WorkgroupLimits): MatmulConfig {
  if (family === 'registers') return registerDefault(s);
  const [mid, large, double, short] = [WORKGROUP_CONFIGS[0], WORKGROUP_CONFIGS[2], WORKGROUP_CONFIGS[3], WORKGROUP_CONFIGS[7]];
  if (s.m >= 512 && s.n >= 512) return fits(double, limits) ? double : large;
  const splits = splitsFor(mid, s, 64, 256);
  if (splits > 1) return withSplits(mid, splits);
  return s.m <= 32 ? short : mid;
}

/** What the tuner times for a shape: the family's configurations that fit, each also split-K where C has few workgroups; the default first. */
export function candidates(s: MatmulShape, family: MatmulConfig['kind'], limits: WorkgroupLimits): MatmulConfig[] {
  const base = family === 'workgroup' ? WORKGROUP_CONFIGS : REGISTER_CONFIGS;
  const [target, minChunk] = family === 'workgroup' ? [128, 128] : [4, 256];
  const all: MatmulConfig[] = [defaultConfig(s, family, limits)];
  for (const c of base.filter((c) => fits(c, limits))) {
    all.push(c);
    const splits = splitsFor(c, s, target, minChunk);
    if (splits > 1) all.push(withSplits(c, splits));
  }
  const names = new Set<string>();
  return all.filter((c) => !names.has(configName(c)) && names.add(configName(c)));
}
