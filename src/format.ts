// Printing a tensor's values as PyTorch does (torch/_tensor_str.py): one formatter for all the
// printed values (integer, fixed or scientific mode, a common width), rows wrapped at the line
// width, large tensors summarised to their edge items, suffixes wrapped like PyTorch's. Decimal
// output is exact and rounds half to even, as Python's format(): JS toFixed rounds ties away from
// zero and switches to exponents past 1e21.
import { describe } from './check.js';
import { sizeOf, type Shape } from './shape.js';

export interface PrintOptions {
  /** Digits after the point (default 4). */
  precision: number;
  /** More elements than this are summarised (default 1000). */
  threshold: number;
  /** Items shown at each end of a summarised dim (default 3). */
  edgeitems: number;
  /** Characters per line (default 80). */
  linewidth: number;
  /** Force scientific notation on or off; null: chosen from the values (default). */
  sciMode: boolean | null;
}

const DEFAULTS: PrintOptions = { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sciMode: null };
const options: PrintOptions = { ...DEFAULTS };

const count = (min: number) => (v: unknown): v is number => Number.isInteger(v) && (v as number) >= min;
const RULES: { [K in keyof PrintOptions]: [(v: unknown) => boolean, string] } = {
  precision: [count(0), 'an integer ≥ 0'],
  threshold: [(v) => typeof v === 'number' && v >= 0, 'a number ≥ 0 (Infinity: never summarise)'],
  edgeitems: [count(1), 'an integer ≥ 1'],
  linewidth: [count(1), 'an integer ≥ 1'],
  sciMode: [(v) => v === null || typeof v === 'boolean', 'true, false or null'],
};

/** As torch.set_printoptions: changes how tensors print from now on; no argument restores the defaults. */
export function setPrintOptions(changes: Partial<PrintOptions> = DEFAULTS): void {
  for (const [key, value] of Object.entries(changes)) {
    const rule = RULES[key as keyof PrintOptions];
    if (!rule) throw new Error(`setPrintOptions: unknown option '${key}'; the options are ${Object.keys(RULES).join(', ')}`);
    if (!rule[0](value)) throw new Error(`setPrintOptions: ${key} must be ${rule[1]}, got ${describe(value)}`);
  }
  Object.assign(options, changes);
}

// ---- Exact decimal formatting (Python's '{:.Nf}' and '{:.Ne}') -------------------------------------

const bits = new DataView(new ArrayBuffer(8));
/** A finite x ≥ 0 as m · 2^e, m an integer. */
function dyadic(x: number): [bigint, number] {
  bits.setFloat64(0, x);
  const word = bits.getBigUint64(0);
  const exponent = Number((word >> 52n) & 0x7ffn);
  const fraction = word & ((1n << 52n) - 1n);
  return exponent === 0 ? [fraction, -1074] : [fraction | (1n << 52n), exponent - 1075];
}

/** round(|x| · 10^power) to an integer, ties to even. */
function scaled(x: number, power: number): bigint {
  const [m, e] = dyadic(Math.abs(x));
  let num = m;
  let den = 1n;
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  const [q, r] = [num / den, num % den];
  return 2n * r > den || (2n * r === den && (q & 1n) === 1n) ? q + 1n : q;
}

const nonFinite = (x: number): string | null => (Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : null);
const signOf = (x: number): string => (x < 0 || Object.is(x, -0) ? '-' : '');

function fixed(x: number, digits: number): string {
  const special = nonFinite(x);
  if (special) return special;
  const n = scaled(x, digits).toString().padStart(digits + 1, '0');
  return signOf(x) + (digits ? `${n.slice(0, -digits)}.${n.slice(-digits)}` : n);
}

function scientific(x: number, digits: number): string {
  const special = nonFinite(x);
  if (special) return special;
  let exponent = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  let q = scaled(x, digits - exponent);
  const [low, high] = [10n ** BigInt(digits), 10n ** BigInt(digits + 1)];
  if (x !== 0 && q < low) q = scaled(x, digits - --exponent); // log10 rounded up
  if (q >= high) q = scaled(x, digits - ++exponent); // log10 rounded down, or rounding carried
  const n = q.toString();
  const mantissa = digits ? `${n[0]}.${n.slice(1)}` : n;
  return `${signOf(x)}${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

// ---- The formatter (torch's _Formatter, for float tensors) -----------------------------------------

class Formatter {
  private intMode = true;
  private sciMode = false;
  readonly width: number = 1;

  constructor(shown: readonly number[], private readonly o: PrintOptions) {
    const values = shown.filter((v) => Number.isFinite(v) && v !== 0);
    if (values.length > 0) {
      const [min, max] = values.reduce(([lo, hi], v) => [Math.min(lo, Math.abs(v)), Math.max(hi, Math.abs(v))], [Infinity, 0]);
      this.intMode = values.every(Number.isInteger);
      this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
      const text = this.sciMode ? (v: number) => scientific(v, o.precision) : this.intMode ? (v: number) => `${fixed(v, 0)}.` : (v: number) => fixed(v, o.precision);
      this.width = values.reduce((w, v) => Math.max(w, text(v).length), 1);
    }
    if (o.sciMode !== null) this.sciMode = o.sciMode;
  }

  format(v: number): string {
    const text = this.sciMode ? scientific(v, this.o.precision) : this.intMode ? fixed(v, 0) + (Number.isFinite(v) ? '.' : '') : fixed(v, this.o.precision);
    return text.padStart(this.width);
  }
}

// ---- Layout ----------------------------------------------------------------------------------------

/** Indices printed along a dim of `size`: all, or the edge items with null for the ellipsis. */
function shownIndices(size: number, summarize: boolean, edge: number): (number | null)[] {
  const all = Array.from({ length: size }, (_, i) => i);
  return summarize && size > 2 * edge ? [...all.slice(0, edge), null, ...all.slice(size - edge)] : all;
}

/** The body of a tensor's string (`[[1., 2.], …]`), its first line `indent` characters in. */
export function formatValues(values: ArrayLike<number>, shape: Shape, indent: number, o: PrintOptions = options): string {
  const size = sizeOf(shape);
  if (size === 0) return '[]';
  const summarize = size > o.threshold;
  const strides = shape.map((_, d) => sizeOf(shape.slice(d + 1)));
  const value = (at: number): number => Math.fround(values[at]); // a tensor's values are float32 (the reference keeps float64)
  const shown = (dim: number, at: number): number[] =>
    dim === shape.length ? [value(at)] : shownIndices(shape[dim], summarize, o.edgeitems).flatMap((i) => (i === null ? [] : shown(dim + 1, at + i * strides[dim])));
  const f = new Formatter(shown(0, 0), o);

  const nested = (dim: number, at: number, indent: number): string => {
    if (dim === shape.length) return f.format(value(at));
    const items = shownIndices(shape[dim], summarize, o.edgeitems);
    if (dim === shape.length - 1) {
      const texts = items.map((i) => (i === null ? ' ...' : f.format(value(at + i))));
      const perLine = Math.max(1, Math.floor((o.linewidth - indent) / (f.width + 2)));
      const lines = Array.from({ length: Math.ceil(texts.length / perLine) }, (_, l) => texts.slice(l * perLine, (l + 1) * perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
    }
    const slices = items.map((i) => (i === null ? '...' : nested(dim + 1, at + i * strides[dim], indent + 1)));
    return `[${slices.join(`,${'\n'.repeat(shape.length - dim - 1)}${' '.repeat(indent + 1)}`)}]`;
  };
  return nested(0, 0, indent);
}

/** `tensor(<values>, suffix, …)`: the suffixes follow on the last line while it has room, as PyTorch's. */
export function formatTensor(values: ArrayLike<number> | string, shape: Shape, suffixes: readonly string[], o: PrintOptions = options): string {
  const prefix = 'tensor(';
  let text = prefix + (typeof values === 'string' ? values : formatValues(values, shape, prefix.length, o));
  let lastLine = text.length - text.lastIndexOf('\n') + 1; // PyTorch's count, +2 on a single line
  for (const suffix of suffixes) {
    const wrap = lastLine + suffix.length + 2 > o.linewidth;
    text += wrap ? `,\n${' '.repeat(prefix.length)}${suffix}` : `, ${suffix}`;
    lastLine = wrap ? prefix.length + suffix.length : lastLine + suffix.length + 2;
  }
  return `${text})`;
}
