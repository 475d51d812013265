// Checkpoints: state dicts (a module's, an optimizer's) saved as safetensors files PyTorch reads.
// A save is atomic: it writes a temp file in the same folder, fsyncs it, renames it over the target
// and fsyncs the folder, so a crash or a full disk mid-save leaves the previous checkpoint intact.
// A load checks the whole file before making any tensor.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DeviceName } from '../backend/backend.js';
import { checkChoice, checkOptions, describe, isPlainObject } from '../check.js';
import { tensor } from '../creation.js';
import { DEVICES } from '../device.js';
import type { StateDict } from '../nn/module.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import { STATE_KEYS, type ParamState, type StateKey } from '../optim/state.js';
import { Tensor } from '../tensor.js';
import { decodeValues, encodeHeader, f32Bytes, headerLength, parseHeader, type Header } from './safetensors.js';

/**
 * The __metadata__ key of an optimizer checkpoint: JSON of its state dict without the tensors,
 * { state: { [param]: { step } }, paramGroups: [{ params, …options }] }; the tensors are named
 * `state.<param>.<key>` (e.g. `state.0.expAvg`). Keys starting `webgrad.` are webgrad's.
 */
export const OPTIMIZER_KEY = 'webgrad.optimizer';
/** The __metadata__ key holding a learning-rate scheduler's state dict, as JSON (see SaveOptions.scheduler). */
export const SCHEDULER_KEY = 'webgrad.scheduler';
const RESERVED = 'webgrad.';

export interface SaveOptions {
  /** Strings stored in the header's __metadata__ (an epoch, a config); keys must not start with `webgrad.`. */
  metadata?: Record<string, string>;
  /**
   * A scheduler's stateDict() saved beside the state (usually the optimizer's, as PyTorch users save
   * both in one file); read back with loadSchedulerState. It holds numbers only, kept as JSON.
   */
  scheduler?: object;
}

export interface LoadOptions {
  /** Where the tensors go; the default device (init's) when omitted. */
  device?: DeviceName;
}

/**
 * Writes `state` to `path` as safetensors, float32 (the reference backend's float64 rounded),
 * tensors in the state dict's order under its names. `state` is a module's stateDict() or an
 * optimizer's (its numbers in __metadata__, see OPTIMIZER_KEY).
 */
export async function save(state: StateDict | OptimizerStateDict<object>, path: string, options?: SaveOptions): Promise<void> {
  const { metadata = {}, scheduler } = checkOptions('save', options, ['metadata', 'scheduler']);
  checkPath('save', path);
  if (!isPlainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw new Error(`save: metadata must be an object of strings, got ${describe(metadata)}; JSON.stringify other values`);
  }
  const reserved = Object.keys(metadata).filter((k) => k.startsWith(RESERVED));
  if (reserved.length > 0) throw new Error(`save: metadata keys starting '${RESERVED}' are webgrad's own, got ${reserved.join(', ')}`);
  const { tensors, extra } = isOptimizerState(state) ? flattenOptimizer(state) : { tensors: moduleTensors(state), extra: {} };
  if (scheduler !== undefined) extra[SCHEDULER_KEY] = schedulerJson(scheduler);
  // Every read starts now, so the file holds the tensors as they are at the call.
  const values = await Promise.all(tensors.map(([, t]) => t.data()));
  const header = encodeHeader(tensors.map(([name, t]) => ({ name, shape: t.shape })), { ...metadata, ...extra });
  await writeAtomic(path, header, values);
}

/** The tensors of the safetensors file at `path`, by name in the file's data order. */
export async function load(path: string, options?: LoadOptions): Promise<StateDict> {
  const { device } = checkLoad('load', path, options);
  const { header, data } = await readChecked(path);
  const values = header.entries.map((e) => decodeValues(e, data));
  return Object.fromEntries(header.entries.map((e, i) => [e.name, tensor(values[i], { shape: e.shape, device })]));
}

/** The __metadata__ of the safetensors file at `path` (reads only its header, checked). */
export async function loadMetadata(path: string): Promise<Record<string, string>> {
  checkPath('loadMetadata', path);
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const first8 = new Uint8Array(8);
    await file.read(first8, 0, Math.min(8, size), 0);
    const json = new Uint8Array(headerLength(first8, size, path));
    await file.read(json, 0, json.length, 8);
    return parseHeader(json, size, path).metadata;
  } finally {
    await file.close();
  }
}

/** An optimizer's state dict saved by save(optimizer.stateDict(), path), for optimizer.loadStateDict. */
export async function loadOptimizerState<O extends object = Record<string, unknown>>(path: string, options?: LoadOptions): Promise<OptimizerStateDict<O>> {
  const { device } = checkLoad('loadOptimizerState', path, options);
  const { header, data } = await readChecked(path);
  function fail(problem: string): never {
    throw new Error(`${path}: ${problem}`);
  }
  const json = header.metadata[OPTIMIZER_KEY];
  if (json === undefined) fail(`not an optimizer checkpoint (its __metadata__ has no '${OPTIMIZER_KEY}'); load a module's with load()`);
  let saved: unknown;
  try {
    saved = JSON.parse(json);
  } catch (err) {
    fail(`__metadata__ '${OPTIMIZER_KEY}' is not JSON (${(err as Error).message})`);
  }
  const shaped = isPlainObject(saved) && isPlainObject(saved.state) && Array.isArray(saved.paramGroups) && saved.paramGroups.every((g) => isPlainObject(g) && Array.isArray(g.params));
  if (!shaped) fail(`__metadata__ '${OPTIMIZER_KEY}' must be { state: { [param]: { step } }, paramGroups: [{ params, …options }] }`);
  const { state: steps, paramGroups } = saved as { state: Record<string, { step: unknown }>; paramGroups: (O & { params: number[] })[] };
  const state: Record<number, ParamState> = {};
  for (const [id, s] of Object.entries(steps)) {
    if (!/^\d+$/.test(id) || !isPlainObject(s) || typeof s.step !== 'number') fail(`__metadata__ '${OPTIMIZER_KEY}': state '${id}' must be { step: number } under a parameter number`);
    state[Number(id)] = { step: s.step };
  }
  const placed = header.entries.map((e) => {
    const [, id, key] = /^state\.(\d+)\.(\w+)$/.exec(e.name) ?? [];
    if (!(id in state) || !STATE_KEYS.includes(key as StateKey)) fail(`tensor '${e.name}' is not state.<param>.<${STATE_KEYS.join('|')}> of a parameter the metadata lists`);
    return { entry: e, id: Number(id), key: key as StateKey };
  });
  const values = placed.map(({ entry }) => decodeValues(entry, data));
  placed.forEach(({ entry, id, key }, i) => (state[id][key] = tensor(values[i], { shape: entry.shape, device })));
  return { state, paramGroups };
}

/**
 * A scheduler's state dict saved with save(…, { scheduler }), for scheduler.loadStateDict. Throws
 * naming the file when it holds none.
 */
export async function loadSchedulerState<S extends object = Record<string, unknown>>(path: string): Promise<S> {
  const json = (await loadMetadata(path))[SCHEDULER_KEY];
  if (json === undefined) throw new Error(`${path}: holds no scheduler state (its __metadata__ has no '${SCHEDULER_KEY}'); save one with save(state, path, { scheduler: scheduler.stateDict() })`);
  let saved: unknown;
  try {
    saved = JSON.parse(json);
  } catch (err) {
    throw new Error(`${path}: __metadata__ '${SCHEDULER_KEY}' is not JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(saved)) throw new Error(`${path}: __metadata__ '${SCHEDULER_KEY}' must be a scheduler's state dict object, got ${describe(saved)}`);
  return saved as S;
}

/** The scheduler state as JSON, refused when JSON would not give it back unchanged (functions, NaN, ∞). */
function schedulerJson(scheduler: unknown): string {
  const json = isPlainObject(scheduler) ? JSON.stringify(scheduler) : undefined;
  if (json === undefined || !sameData(JSON.parse(json), scheduler)) {
    throw new Error(`save: options.scheduler must be a scheduler's stateDict() (an object of numbers, strings and arrays), got ${describe(scheduler)}`);
  }
  return json;
}

function sameData(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameData(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(b).filter((k) => b[k] !== undefined);
    return keys.length === Object.keys(a).length && keys.every((k) => sameData(a[k], b[k]));
  }
  return a === b;
}

const isOptimizerState = (state: unknown): state is OptimizerStateDict<object> => isPlainObject(state) && isPlainObject(state.state) && Array.isArray(state.paramGroups);

function moduleTensors(state: unknown): [string, Tensor][] {
  if (!isPlainObject(state)) throw new Error(`save: expects a state dict (module.stateDict() or optimizer.stateDict()), got ${describe(state)}`);
  return Object.entries(state).map(([name, t]) => [name, liveTensor(`'${name}'`, t)]);
}

function flattenOptimizer({ state, paramGroups }: OptimizerStateDict<object>): { tensors: [string, Tensor][]; extra: Record<string, string> } {
  const tensors: [string, Tensor][] = [];
  const steps: Record<string, { step: number }> = {};
  for (const [id, s] of Object.entries(state)) {
    if (!isPlainObject(s)) throw new Error(`save: optimizer state ${id} must be { step, …tensors }, got ${describe(s)}`);
    if (typeof s.step !== 'number') throw new Error(`save: optimizer state ${id}: step must be a number, got ${describe(s.step)}`);
    steps[id] = { step: s.step };
    for (const key of STATE_KEYS) if (s[key] !== undefined) tensors.push([`state.${id}.${key}`, liveTensor(`state ${id} ${key}`, s[key])]);
  }
  return { tensors, extra: { [OPTIMIZER_KEY]: JSON.stringify({ state: steps, paramGroups }) } };
}

function liveTensor(what: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`save: ${what} must be a Tensor, got ${describe(t)}`);
  if (t.isDisposed) throw new Error(`save: ${what} (${describe(t)} on ${t.device}) was disposed; save it before disposing it`);
  return t;
}

function checkPath(op: string, path: unknown): void {
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${describe(path)}`);
}

function checkLoad(op: string, path: string, options: LoadOptions | undefined): LoadOptions {
  const checked = checkOptions(op, options, ['device']);
  checkPath(op, path);
  if (checked.device !== undefined) checkChoice(op, 'device', checked.device, DEVICES);
  return checked;
}

/** The file's header, checked against its size, and its data section. */
async function readChecked(path: string): Promise<{ header: Header; data: Uint8Array }> {
  const bytes = await readFile(path);
  const length = headerLength(bytes, bytes.length, path);
  const header = parseHeader(bytes.subarray(8, 8 + length), bytes.length, path);
  return { header, data: bytes.subarray(header.dataStart) };
}

/** Writes `header` then each tensor's bytes to a temp file beside `path`, then renames it over `path`. */
async function writeAtomic(path: string, header: Uint8Array, values: readonly Float32Array[]): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'wx');
  try {
    for (const bytes of [header, ...values.map(f32Bytes)]) {
      // A write may take only part of its buffer; ENOSPC throws.
      for (let at = 0; at < bytes.length; ) at += (await file.write(bytes, at)).bytesWritten;
    }
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncFolder(dirname(path));
}

/** fsyncs a folder, so the rename itself is durable; skipped where folders cannot be opened (Windows). */
async function syncFolder(folder: string): Promise<void> {
  const dir = await open(folder, 'r').catch(() => null);
  if (!dir) return;
  try {
    await dir.sync().catch(() => {});
  } finally {
    await dir.close();
  }
}
