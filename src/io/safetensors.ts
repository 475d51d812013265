// The safetensors format, encoded and decoded without trusting the input: an 8-byte little-endian
// header length, a JSON header { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__ },
// then the tensors' bytes, little-endian, back to back (offsets count from the end of the header).
// Pure: the file I/O is in checkpoint.ts; `source` (the file's path) only names it in errors.
import { describe, isPlainObject } from '../check.js';
import { formatShape, sizeOf } from '../shape.js';

/** Bytes per element of every safetensors dtype; F32 is read as is, F64 converted to float32. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, I64: 8, U64: 8, F64: 8 };
const READABLE = ['F32', 'F64'];

/** The header's parsed entries, in data order, and where the data starts. */
export interface Header {
  readonly entries: readonly HeaderEntry[];
  readonly metadata: Record<string, string>;
  /** Byte offset of the data in the file (8 + the header length). */
  readonly dataStart: number;
}

export interface HeaderEntry {
  readonly name: string;
  readonly dtype: 'F32' | 'F64';
  readonly shape: number[];
  /** Byte range in the data section. */
  readonly begin: number;
  readonly end: number;
}

// Float32Array views of the bytes are read and written as little-endian (the format's order).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('webgrad checkpoints need a little-endian host');

/**
 * The 8-byte length and the JSON header for float32 tensors of these shapes, in this order, data
 * back to back; padded with spaces to a multiple of 8 bytes (as safetensors does, so data is aligned).
 */
export function encodeHeader(tensors: readonly { name: string; shape: readonly number[] }[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const { name, shape } of tensors) {
    const end = offset + 4 * sizeOf(shape);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + length).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(length), true);
  bytes.set(json, 8);
  return bytes;
}

/** The bytes of `values`, as a view (no copy). */
export const f32Bytes = (values: Float32Array): Uint8Array => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/** The header length announced by the first 8 bytes of a file of `fileSize` bytes. */
export function headerLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) throw new Error(`${source}: truncated: ${fileSize} byte(s), shorter than the 8-byte header length`);
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(fileSize - 8)) throw new Error(`${source}: the header length ${length} runs past the end of the file (${fileSize} bytes)`);
  return Number(length);
}

/**
 * Parses and checks the header `json` (the bytes after the length) of a file of `fileSize` bytes:
 * a JSON object, entries with a known dtype, a shape and offsets whose size matches it, the
 * offsets covering the data exactly once in order, __metadata__ strings only.
 */
export function parseHeader(json: Uint8Array, fileSize: number, source: string): Header {
  function fail(problem: string): never {
    throw new Error(`${source}: ${problem}`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    fail(`the header is not JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) return fail(`the header must be a JSON object, got ${describe(header)}`);
  const { __metadata__: meta = {}, ...named } = header;
  if (!isPlainObject(meta)) fail(`__metadata__ must be an object of strings, got ${describe(meta)}`);
  for (const [key, value] of Object.entries(meta as object)) {
    if (typeof value !== 'string') fail(`__metadata__ must be an object of strings; '${key}' is ${describe(value)}`);
  }
  const entries = Object.entries(named).map(([name, entry]) => parseEntry(name, entry, fail));
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + json.length;
  const dataLength = fileSize - dataStart;
  let covered = 0;
  entries.forEach((e, i) => {
    if (e.end > dataLength) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] run past the end of the data (${dataLength} bytes; is the file truncated?)`);
    if (e.begin < covered) fail(`tensor '${e.name}': data_offsets [${e.begin}, ${e.end}] overlap those of '${entries[i - 1].name}' [${entries[i - 1].begin}, ${entries[i - 1].end}]`);
    if (e.begin > covered) fail(`bytes [${covered}, ${e.begin}) of the data belong to no tensor`);
    covered = e.end;
  });
  if (covered !== dataLength) fail(`bytes [${covered}, ${dataLength}) of the data belong to no tensor`);
  return { entries, metadata: meta as Record<string, string>, dataStart };
}

function parseEntry(name: string, entry: unknown, fail: (problem: string) => never): HeaderEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(entry)) return fail(`${where} must be { dtype, shape, data_offsets }, got ${describe(entry)}`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`${where}: dtype must be one of safetensors' ${Object.keys(DTYPE_BYTES).join(', ')}; got ${describe(dtype)}`);
  if (!READABLE.includes(dtype as string)) fail(`${where} has dtype ${dtype}, which webgrad does not read (it reads ${READABLE.join(' and ')}; convert to float32 first)`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  const isOffset = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isOffset) || offsets[0] > offsets[1]) {
    fail(`${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const bytes = sizeOf(shape as number[]) * DTYPE_BYTES[dtype as string];
  if (bytes !== end - begin) fail(`${where}: shape ${formatShape(shape as number[])} of ${dtype} takes ${bytes} bytes, data_offsets [${begin}, ${end}] hold ${end - begin}`);
  return { name, dtype: dtype as 'F32' | 'F64', shape: shape as number[], begin, end };
}

/** The float32 values of `entry`, copied out of `data` (the data section). */
export function decodeValues(entry: HeaderEntry, data: Uint8Array): Float32Array {
  const bytes = new Uint8Array(data.subarray(entry.begin, entry.end)); // a copy: aligned, not holding the file (a Buffer's slice would)
  return entry.dtype === 'F32' ? new Float32Array(bytes.buffer) : new Float32Array(new Float64Array(bytes.buffer));
}
