// Checkpoints: save/load round trips (modules, optimizers, metadata) on every backend, the file's
// layout, the argument checks, each malformed file refused with its own message, loadStateDict's
// key and shape errors, and a failed save leaving nothing behind.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClose } from './helpers.js';
import { init, load, loadMetadata, loadOptimizerState, loadSchedulerState, manualSeed, models, nn, optim, randn, save, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'webgrad-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valuesOf = async (sd: Record<string, Tensor>): Promise<Record<string, number[]>> =>
  Object.fromEntries(await Promise.all(Object.entries(sd).map(async ([k, t]) => [k, Array.from(await t.data())] as const)));

/** One training step of the article's model under `optimizer`. */
function trainStep(model: models.MultiTaskNet, optimizer: optim.Optimizer<object>, x: Tensor, y: Tensor): void {
  optimizer.zeroGrad();
  tidy(() => {
    const { tasks } = model.forward(x);
    tasks.map((out, i) => nn.functional.mseLoss(out, y.narrow(1, i, 1))).reduce((a, b) => a.add(b)).backward();
  });
  optimizer.step();
}

describe.each<DeviceName>(['reference', 'cpu', 'webgpu'])('round trips on %s', (device) => {
  beforeAll(async () => {
    await init({ backend: device });
  });

  test("a MultiTaskNet's stateDict: same names, order, shapes and values; metadata kept", async () => {
    manualSeed(3);
    const model = new models.MultiTaskNet(10, 3, 5);
    const path = join(dir, `model-${device}.safetensors`);
    await save(model.stateDict(), path, { metadata: { epoch: '7', note: 'é ✓' } });
    const loaded = await load(path);
    expect(Object.keys(loaded)).toEqual(Object.keys(model.stateDict()));
    for (const [k, t] of Object.entries(loaded)) {
      expect(t.device, k).toBe(device);
      expect(t.shape, k).toEqual(model.stateDict()[k].shape);
    }
    expect(await valuesOf(loaded)).toEqual(await valuesOf(model.stateDict()));
    expect(await loadMetadata(path)).toEqual({ epoch: '7', note: 'é ✓' });

    const other = new models.MultiTaskNet(10, 3, 5);
    expect(other.loadStateDict(loaded)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(await valuesOf(other.stateDict())).toEqual(await valuesOf(model.stateDict()));
  });

  test('an optimizer before its first step: no tensors, its options kept', async () => {
    const optimizer = new optim.SGD(new models.MultiTaskNet(10, 3, 5).parameters(), { lr: 0.2, nesterov: true, momentum: 0.5 });
    const path = join(dir, `fresh-${device}.safetensors`);
    await save(optimizer.stateDict(), path);
    expect(await load(path)).toEqual({});
    expect(await loadOptimizerState(path)).toEqual(optimizer.stateDict());
  });

  test.each(['Adam', 'SGD'] as const)("an optimizer's stateDict (%s): the resumed run steps as the original", async (kind) => {
    manualSeed(4);
    const [x, y] = [randn([20, 10]), randn([20, 3])];
    const make = (model: models.MultiTaskNet): optim.Optimizer<object> =>
      kind === 'Adam' ? new optim.Adam(model.parameters(), { lr: 0.01, amsgrad: true }) : new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const model = new models.MultiTaskNet(10, 3, 5);
    const optimizer = make(model);
    for (let i = 0; i < 3; i++) trainStep(model, optimizer, x, y);
    const [modelPath, optimPath] = [join(dir, `m-${kind}-${device}.safetensors`), join(dir, `o-${kind}-${device}.safetensors`)];
    await save(model.stateDict(), modelPath);
    await save(optimizer.stateDict(), optimPath);

    const resumed = new models.MultiTaskNet(10, 3, 5);
    resumed.loadStateDict(await load(modelPath));
    const resumedOptimizer = make(resumed);
    const saved = await loadOptimizerState(optimPath);
    expect(saved.paramGroups).toEqual(optimizer.stateDict().paramGroups);
    expect(Object.keys(saved.state)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(saved.state[0].step).toBe(3);
    resumedOptimizer.loadStateDict(saved);
    trainStep(model, optimizer, x, y);
    trainStep(resumed, resumedOptimizer, x, y);
    // Exact, except on the reference backend, whose float64 state the float32 file rounds.
    const tolerance = device === 'reference' ? 1e-6 : 0;
    for (const [k, p] of Object.entries(resumed.stateDict())) await expectClose(p, model.stateDict()[k], tolerance, k);
  });

  test('an optimizer and its SequentialLR in one file: the resumed schedule and steps follow the original', async () => {
    manualSeed(5);
    const [x, y] = [randn([20, 10]), randn([20, 3])];
    const { LinearLR, CosineAnnealingLR, SequentialLR } = optim.lrScheduler;
    const make = (model: models.MultiTaskNet) => {
      const optimizer = new optim.Adam(model.parameters(), { lr: 0.02 });
      const scheduler = new SequentialLR(optimizer, [new LinearLR(optimizer, { startFactor: 0.1, totalIters: 3 }), new CosineAnnealingLR(optimizer, 6)], [3]);
      return { optimizer, scheduler };
    };
    const model = new models.MultiTaskNet(10, 3, 5);
    const run = make(model);
    for (let i = 0; i < 4; i++) {
      trainStep(model, run.optimizer, x, y);
      run.scheduler.step();
    }
    const [modelPath, statePath] = [join(dir, `ms-${device}.safetensors`), join(dir, `os-${device}.safetensors`)];
    await save(model.stateDict(), modelPath);
    await save(run.optimizer.stateDict(), statePath, { scheduler: run.scheduler.stateDict(), metadata: { epoch: '4' } });

    const resumedModel = new models.MultiTaskNet(10, 3, 5);
    resumedModel.loadStateDict(await load(modelPath));
    const resumed = make(resumedModel);
    resumed.optimizer.loadStateDict(await loadOptimizerState(statePath));
    resumed.scheduler.loadStateDict(await loadSchedulerState(statePath));
    expect(await loadMetadata(statePath)).toMatchObject({ epoch: '4' });
    expect(resumed.scheduler.getLastLr()).toEqual(run.scheduler.getLastLr());
    for (let i = 0; i < 4; i++) {
      for (const [m, r] of [[model, run], [resumedModel, resumed]] as const) {
        trainStep(m, r.optimizer, x, y);
        r.scheduler.step();
      }
      expect(resumed.optimizer.paramGroups[0].lr, `lr after resumed step ${i}`).toBe(run.optimizer.paramGroups[0].lr);
    }
    const tolerance = device === 'reference' ? 1e-6 : 0;
    for (const [k, p] of Object.entries(resumedModel.stateDict())) await expectClose(p, model.stateDict()[k], tolerance, k);
  });
});

describe('the file', () => {
  beforeAll(async () => {
    await init({ backend: 'cpu' });
  });

  test('is safetensors: u64 LE header length, padded JSON header in stateDict order, float32 LE data', async () => {
    const path = join(dir, 'layout.safetensors');
    await save({ 'a.weight': tensor([[1, 2], [3, 4]]), b: tensor([-0.5]) }, path, { metadata: { k: 'v' } });
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    expect(JSON.parse(bytes.subarray(8, 8 + n).toString())).toEqual({
      __metadata__: { k: 'v' },
      'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [1], data_offsets: [16, 20] },
    });
    expect(Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n, bytes.byteOffset + bytes.length)))).toEqual([1, 2, 3, 4, -0.5]);
  });

  test("load({ device }) puts the tensors there; F64 is read as float32", async () => {
    const data = Buffer.alloc(16);
    data.writeDoubleLE(1.5, 0);
    data.writeDoubleLE(-2, 8);
    const path = write('f64.safetensors', { x: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, data);
    const { x } = await load(path, { device: 'reference' });
    expect(x.device).toBe('reference');
    expect(Array.from(await x.data())).toEqual([1.5, -2]);
  });

  test('save and load check their arguments', async () => {
    const path = join(dir, 'args.safetensors');
    await expect(save(tensor([1]) as never, path)).rejects.toThrow('save: expects a state dict (module.stateDict() or optimizer.stateDict()), got a tensor [1]');
    await expect(save({ a: [1, 2] } as never, path)).rejects.toThrow("save: 'a' must be a Tensor, got an array of 2 item(s)");
    await expect(save({ state: { 0: { step: 'one' } }, paramGroups: [] } as never, path)).rejects.toThrow('save: optimizer state 0: step must be a number, got the string "one"');
    await expect(save({ a: tensor([1]) }, '')).rejects.toThrow('save: path must be a non-empty string, got the string ""');
    await expect(save({ a: tensor([1]) }, path, { metadata: { epoch: 3 } as never })).rejects.toThrow('save: metadata must be an object of strings, got an object with keys {epoch}; JSON.stringify other values');
    await expect(save({ a: tensor([1]) }, path, { metadata: { 'webgrad.optimizer': '{}' } })).rejects.toThrow("save: metadata keys starting 'webgrad.' are webgrad's own, got webgrad.optimizer");
    await expect(save({ a: tensor([1]) }, path, { meta: {} } as never)).rejects.toThrow("save: unknown option(s) 'meta'; the options are metadata");
    const gone = tensor([1]);
    gone.dispose();
    await expect(save({ a: gone }, path)).rejects.toThrow("save: 'a' (a tensor [1] on cpu) was disposed; save it before disposing it");
    await expect(load(path, { device: 'tpu' as never })).rejects.toThrow("load: device must be one of 'webgpu', 'cpu', 'reference', got the string \"tpu\"");
    await expect(load(join(dir, 'missing.safetensors'))).rejects.toThrow(/ENOENT.*missing\.safetensors/);
    await expect(loadOptimizerState(writeModel('not-optim.safetensors'))).rejects.toThrow(/not-optim\.safetensors: not an optimizer checkpoint \(its __metadata__ has no 'webgrad.optimizer'\); load a module's with load\(\)$/);
  });

  test('a save that fails leaves neither the target nor a temp file', async () => {
    const folder = join(dir, 'failing');
    mkdirSync(join(folder, 'target', 'inside'), { recursive: true });
    await expect(save({ a: tensor([1]) }, join(folder, 'target'))).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(folder)).toEqual(['target']);
  });
});

/** Writes `header` (an object, or raw text) and `data` as a safetensors file; `length` overrides the header length. */
function write(name: string, header: unknown, data: Uint8Array = new Uint8Array(), length?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([prefix, json, data]));
  return path;
}

/** A valid two-tensor file (a: [2] F32, b: [3] F32). */
const writeModel = (name: string): string =>
  write(name, { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [3], data_offsets: [8, 20] } }, new Uint8Array(20));

describe('load refuses a malformed file, naming it and the problem', () => {
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const cases: [string, () => string, string][] = [
    ['an empty file', () => writeRaw('empty.st', new Uint8Array()), 'empty.st: truncated: 0 byte(s), shorter than the 8-byte header length'],
    ['a header length past the end', () => write('long.st', '{}', undefined, 1000n), 'long.st: the header length 1000 runs past the end of the file (10 bytes)'],
    ['a header length of 2^64 − 1', () => write('huge.st', '{}', undefined, 2n ** 64n - 1n), 'huge.st: the header length 18446744073709551615 runs past the end of the file (10 bytes)'],
    ['a non-JSON header', () => write('text.st', '{"a": '), 'text.st: the header is not JSON ('],
    ['a header that is not UTF-8', () => writeRaw('latin.st', Buffer.from([7, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])), 'latin.st: the header is not JSON ('],
    ['a JSON array header', () => write('array.st', '[1, 2]'), 'array.st: the header must be a JSON object, got an array of 2 item(s)'],
    ['a JSON null header', () => write('null.st', 'null'), 'null.st: the header must be a JSON object, got null'],
    ['an entry that is not an object', () => write('entry.st', { a: 3 }), "entry.st: tensor 'a' must be { dtype, shape, data_offsets }, got the number 3"],
    ['an unknown dtype', () => write('dtype.st', { a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), "dtype.st: tensor 'a': dtype must be one of safetensors' BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64; got the string \"F33\""],
    ['a dtype webgrad does not read (F16)', () => write('f16.st', { a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), "f16.st: tensor 'a' has dtype F16, which webgrad does not read (it reads F32 and F64; convert to float32 first)"],
    ['a bad shape', () => write('shape.st', { a: f32([-1], 0, 4) }, new Uint8Array(4)), "shape.st: tensor 'a': shape must be an array of non-negative integers, got [-1]"],
    ['bad data_offsets', () => write('offsets.st', { a: f32([1], 4, 0) }, new Uint8Array(4)), "offsets.st: tensor 'a': data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got [4,0]"],
    ['shape × dtype size ≠ byte range', () => write('size.st', { a: f32([2, 3], 0, 20) }, new Uint8Array(20)), "size.st: tensor 'a': shape [2,3] of F32 takes 24 bytes, data_offsets [0, 20] hold 20"],
    ['offsets past the data', () => write('range.st', { a: f32([2], 0, 8), b: f32([2], 8, 16) }, new Uint8Array(12)), "range.st: tensor 'b': data_offsets [8, 16] run past the end of the data (12 bytes; is the file truncated?)"],
    ['overlapping offsets', () => write('overlap.st', { a: f32([2], 0, 8), b: f32([2], 4, 12) }, new Uint8Array(12)), "overlap.st: tensor 'b': data_offsets [4, 12] overlap those of 'a' [0, 8]"],
    ['a gap between tensors', () => write('gap.st', { a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12)), 'gap.st: bytes [4, 8) of the data belong to no tensor'],
    ['bytes after the last tensor', () => write('tail.st', { a: f32([1], 0, 4) }, new Uint8Array(9)), 'tail.st: bytes [4, 9) of the data belong to no tensor'],
    ['a truncated file', () => writeRaw('cut.st', readFileSync(writeModel('whole.st')).subarray(0, -3)), "cut.st: tensor 'b': data_offsets [8, 20] run past the end of the data (17 bytes; is the file truncated?)"],
    ['__metadata__ with a number', () => write('meta.st', { __metadata__: { epoch: 3 } }), "meta.st: __metadata__ must be an object of strings; 'epoch' is the number 3"],
    ['__metadata__ that is a string', () => write('meta2.st', { __metadata__: 'x' }), 'meta2.st: __metadata__ must be an object of strings, got the string "x"'],
  ];
  test.each(cases)('%s', async (_, make, message) => {
    const path = make();
    await expect(load(path)).rejects.toThrow(join(dir, message));
  });

  test('loadMetadata reads only the header, and checks it the same way', async () => {
    expect(await loadMetadata(write('m.st', { __metadata__: { a: 'b' } }))).toEqual({ a: 'b' });
    await expect(loadMetadata(write('m2.st', '[]'))).rejects.toThrow(`${join(dir, 'm2.st')}: the header must be a JSON object, got an array of 0 item(s)`);
    await expect(loadMetadata(write('m3.st', '{}', undefined, 99n))).rejects.toThrow(`${join(dir, 'm3.st')}: the header length 99 runs past the end of the file (10 bytes)`);
  });

  test('a scheduler state is checked when saved, and its absence named when loaded', async () => {
    const path = join(dir, 'no-scheduler.safetensors');
    await save({ w: tensor([1]) }, path);
    await expect(loadSchedulerState(path)).rejects.toThrow(`${path}: holds no scheduler state (its __metadata__ has no 'webgrad.scheduler')`);
    await expect(save({ w: tensor([1]) }, path, { scheduler: { lastEpoch: 1, f: () => 1 } })).rejects.toThrow(/^save: options.scheduler must be a scheduler's stateDict\(\)/);
    await expect(save({ w: tensor([1]) }, path, { scheduler: { lastLr: [NaN] } })).rejects.toThrow(/^save: options.scheduler must be/);
    await expect(save({ w: tensor([1]) }, path, { metadata: { 'webgrad.scheduler': '{}' } })).rejects.toThrow(/keys starting 'webgrad.' are webgrad's own/);
  });

  test("loadOptimizerState refuses tensors the metadata does not list", async () => {
    const meta = JSON.stringify({ state: { 0: { step: 1 } }, paramGroups: [{ params: [0], lr: 0.1 }] });
    const path = write('optim.st', { __metadata__: { 'webgrad.optimizer': meta }, 'state.1.expAvg': f32([1], 0, 4) }, new Uint8Array(4));
    await expect(loadOptimizerState(path)).rejects.toThrow(`${path}: tensor 'state.1.expAvg' is not state.<param>.<expAvg|expAvgSq|maxExpAvgSq|momentumBuffer|squareAvg|gradAvg|sum> of a parameter the metadata lists`);
    const bad = write('optim2.st', { __metadata__: { 'webgrad.optimizer': '{"state": [] }' } });
    await expect(loadOptimizerState(bad)).rejects.toThrow(`${bad}: __metadata__ 'webgrad.optimizer' must be { state: { [param]: { step } }, paramGroups: [{ params, …options }] }`);
  });
});

function writeRaw(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('loadStateDict names what does not fit, and changes nothing then', () => {
  beforeAll(async () => {
    await init({ backend: 'cpu' });
  });

  test('missing, unexpected and shape-mismatched keys, on a checkpoint from disk', async () => {
    manualSeed(5);
    const model = new models.MultiTaskNet(10, 3, 5);
    const before = await valuesOf(model.stateDict());
    const path = join(dir, 'other.safetensors');
    const { 'taskLayers.2.bias': _, ...rest } = new models.MultiTaskNet(10, 3, 6).stateDict();
    await save({ ...rest, 'taskLayers.3.bias': tensor([0]) }, path);
    const loaded = await load(path);
    expect(() => model.loadStateDict(loaded)).toThrow(
      'loadStateDict: missing keys: taskLayers.2.bias; unexpected keys: taskLayers.3.bias; size mismatch for sharedLayer.weight: checkpoint [6,10], model [5,10]; size mismatch for sharedLayer.bias: checkpoint [6], model [5]; size mismatch for taskLayers.0.weight: checkpoint [1,6], model [1,5]',
    );
    expect(() => model.loadStateDict(loaded, { strict: false })).toThrow(/^loadStateDict: size mismatch for sharedLayer.weight/);
    expect(await valuesOf(model.stateDict())).toEqual(before);
  });

  test('non-strict: loads what fits, returns the missing and unexpected keys', async () => {
    const model = new models.MultiTaskNet(10, 3, 5);
    const source = new models.MultiTaskNet(10, 3, 5).stateDict();
    const { 'taskLayers.2.bias': _, ...rest } = source;
    expect(model.loadStateDict({ ...rest, extra: tensor([1]) }, { strict: false })).toEqual({ missingKeys: ['taskLayers.2.bias'], unexpectedKeys: ['extra'] });
    expect(await valuesOf({ w: model.sharedLayer.weight })).toEqual(await valuesOf({ w: source['sharedLayer.weight'] }));
  });

  test('a tensor on another device is refused before anything is written', async () => {
    const model = new models.MultiTaskNet(10, 3, 5);
    const before = await valuesOf(model.stateDict());
    const sd = new models.MultiTaskNet(10, 3, 5).stateDict();
    sd['taskLayers.2.bias'] = await sd['taskLayers.2.bias'].to('reference');
    expect(() => model.loadStateDict(sd)).toThrow("loadStateDict: taskLayers.2.bias is on reference, the parameter on cpu (move it with await t.to('cpu'), or load({ device }))");
    expect(await valuesOf(model.stateDict())).toEqual(before);
  });
});
