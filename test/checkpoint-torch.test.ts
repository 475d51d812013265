// Interop with real PyTorch (Debian's python3-torch, installed by scripts/setup-torch.sh): the
// article's MultiTaskNet saved by webgrad runs in PyTorch with the same outputs, and one saved by
// PyTorch runs in webgrad. Fails, not skips, when python3 or torch is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { init, load, manualSeed, models, randn, save, type Tensor } from '../src/index.js';

const script = fileURLToPath(new URL('fixtures/torch_multitask.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'webgrad-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await init({ backend: 'cpu' });
});

/** Runs the Python side; returns the PyTorch model's state_dict keys. */
function torch(mode: 'to-torch' | 'from-torch', ckpt: string, x: string, out: string): string[] {
  const run = spawnSync('/usr/bin/python3', [script, mode, ckpt, x, out], { encoding: 'utf8', timeout: 60_000 });
  expect(run.error, 'python3 did not start: run scripts/setup-torch.sh').toBeUndefined();
  expect(run.status, `python3 failed (torch missing? run scripts/setup-torch.sh):\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

/** max |a − b| / max |b| over every output, each in webgrad's forward and PyTorch's. */
async function relativeError(model: models.MultiTaskNet, x: Tensor, torchOut: Record<string, Tensor>): Promise<number> {
  const { shared, tasks } = model.forward(x);
  const ours: Record<string, Tensor> = { shared, ...Object.fromEntries(tasks.map((t, i) => [`task.${i}`, t])) };
  expect(Object.keys(torchOut).sort()).toEqual(Object.keys(ours).sort());
  let [diff, scale] = [0, 0];
  for (const [k, t] of Object.entries(ours)) {
    expect(t.shape, k).toEqual(torchOut[k].shape);
    const [a, b] = [await t.data(), await torchOut[k].data()];
    b.forEach((v, i) => ((diff = Math.max(diff, Math.abs(a[i] - v))), (scale = Math.max(scale, Math.abs(v)))));
  }
  return diff / scale;
}

test("webgrad's MultiTaskNet(10, 3, 5) loads into PyTorch's and gives the same forward", async () => {
  manualSeed(11);
  const model = new models.MultiTaskNet(10, 3, 5);
  const x = randn([100, 10]);
  const [ckpt, input, out] = ['webgrad.safetensors', 'x.safetensors', 'torch-out.safetensors'].map((f) => join(dir, f));
  await save(model.stateDict(), ckpt);
  await save({ x }, input);
  expect(torch('to-torch', ckpt, input, out)).toEqual(Object.keys(model.stateDict()));
  expect(await relativeError(model, x, await load(out))).toBeLessThan(1e-6);
}, 60_000);

test("PyTorch's MultiTaskNet(10, 3, 5) loads into webgrad's and gives the same forward", async () => {
  const [ckpt, input, out] = ['torch.safetensors', 'torch-x.safetensors', 'torch-out2.safetensors'].map((f) => join(dir, f));
  const keys = torch('from-torch', ckpt, input, out);
  const model = new models.MultiTaskNet(10, 3, 5);
  const before = await model.sharedLayer.weight.data();
  const state = await load(ckpt);
  expect(Object.keys(state)).toEqual(keys);
  model.loadStateDict(state);
  expect(await model.sharedLayer.weight.data()).not.toEqual(before);
  expect(await relativeError(model, (await load(input)).x, await load(out))).toBeLessThan(1e-6);
}, 60_000);
