// Argument checks for the public entry points: each error names the op, what it expected, what it
// got, and where there is one, the fix.
import { formatShape } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * Marks every tensor handle (see handle.ts). Tensors are recognised by this brand rather than by
 * class so that this file, which device.ts and the handle itself use, stays below the tensor.
 */
export const tensorBrand: unique symbol = Symbol('webgrad.tensor');

export const isTensor = (value: unknown): value is Tensor => typeof value === 'object' && value !== null && tensorBrand in value;

/** A short description of any value, safe for bigints, symbols and cycles ("the string '3'"). */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
    case 'boolean':
      return `the ${typeof value} ${value}`;
    case 'bigint':
      return `the bigint ${value}n`;
    case 'symbol':
      return `the symbol ${value.description ?? ''}`;
    case 'function':
      return `a function${value.name ? ` (${value.name})` : ''}`;
  }
  if (value === null) return 'null';
  if (isTensor(value)) return `a tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : `an object with keys {${Object.keys(value as object).join(', ')}}`;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value));

/** `value` as a tensor, or an error naming `what` of `op` (`hint` says how to make one). */
export function checkTensor(op: string, what: string, value: unknown, hint = 'make one with tensor(...)'): Tensor {
  if (isTensor(value)) return value;
  throw new Error(`${op}: ${what} must be a Tensor, got ${describe(value)}; ${hint}`);
}

/**
 * The options object of `op` (undefined counts as {}): a plain object whose keys are all in
 * `known`, so that a misspelt option is an error instead of a silent default.
 */
export function checkOptions<O extends object>(op: string, options: O | undefined, known: readonly string[]): Partial<O> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw new Error(`${op}: options must be an object {${known.join(', ')}}, got ${describe(options)}`);
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`${op}: unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')}; the options are ${known.join(', ')}`);
  return options;
}

/** `value`, which must be one of `choices`. */
export function checkChoice<C extends string>(op: string, what: string, value: unknown, choices: readonly C[]): C {
  if (choices.includes(value as C)) return value as C;
  throw new Error(`${op}: ${what} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`);
}

/** A shape: an array of non-negative integers. */
export function checkShape(op: string, shape: unknown): readonly number[] {
  if (Array.isArray(shape) && shape.every((s) => Number.isInteger(s) && s >= 0)) return shape as number[];
  const got = Array.isArray(shape) ? `[${shape.map((s) => (typeof s === 'number' ? s : describe(s))).join(', ')}]` : describe(shape);
  throw new Error(`${op}: shape must be an array of non-negative integers, e.g. [2, 3]; got ${got}`);
}

/** The sizes of a PyTorch-style varargs call, f(2, 3) or f([2, 3]), as one array of numbers. */
export function sizesArg(op: string, args: readonly unknown[]): readonly number[] {
  const sizes = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (sizes.every((s) => typeof s === 'number')) return sizes as number[];
  throw new Error(`${op}: expects the sizes as numbers, ${op}(2, 3), or one array of them, ${op}([2, 3]); got (${args.map(describe).join(', ')})`);
}

/** A checked numeric option: finite, ≥ min (or > min when `open`), and an integer where asked. */
export function numberOption(op: string, name: string, value: unknown, min: number, { open = false, integer = false, max = Infinity } = {}): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (open ? value > min : value >= min) && value <= max && (!integer || Number.isInteger(value));
  if (!ok) {
    const range = `${open ? '>' : '≥'} ${min}${max < Infinity ? ` and ≤ ${max}` : ''}`;
    throw new Error(`${op}: ${name} must be a finite ${integer ? 'integer' : 'number'} ${range}, got ${describe(value)}`);
  }
  return value as number;
}
