// The published types: dist/*.d.ts as `npm run build` emits them (stripInternal) must serve a
// TypeScript consumer — the public API type-checks, and the internals (storages, graph plumbing,
// factories) are invisible, so a consumer's use of one is a type error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const out = mkdtempSync(join(tmpdir(), 'webgrad-dts-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** tsc's exit status and output. */
function tsc(...args: string[]): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' }) };
  } catch (e) {
    const failure = e as { status: number; stdout: string };
    return { status: failure.status, output: failure.stdout };
  }
}

const CONSUMER = `
import { init, tensor, randn, grad, nn, optim, cdist, where, Tensor, type NestedArray } from './index.js';

await init({ backend: 'reference' });
const x: Tensor = randn([4, 3], { requiresGrad: true });
const model = new nn.Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 2));
const loss: Tensor = nn.functional.crossEntropy(model.forward(x), tensor([0, 1, 1, 0]));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const schedule = new optim.lrScheduler.StepLR(opt, 10, { gamma: 0.5 });
loss.backward();
opt.step();
schedule.step();
const [dx]: Tensor[] = grad(x.sin().sum(), x);
const { values, indices } = x.max(1);
const d: Tensor = where(cdist(x, x).gt(0.5), values.unsqueeze(1), indices.unsqueeze(1));
const nested: NestedArray = await d.array();
console.log(nested, dx.shape, String(d));

// @ts-expect-error the storage is internal
x.storage;
// @ts-expect-error readbacks go through data() / array() / item()
x.rawData();
// @ts-expect-error tensors are made by factories, not from storages
Tensor.fromStorage;
// @ts-expect-error graph plumbing is internal
x.recordedBy;
`;

test('dist/*.d.ts built with stripInternal type-checks a consumer and hides the internals', () => {
  const build = tsc('-p', 'tsconfig.json', '--outDir', out, '--sourceMap', 'false');
  expect(build.output, 'npm run build failed').toBe('');
  expect(build.status).toBe(0);
  writeFileSync(join(out, 'consumer.mts'), CONSUMER);
  const options = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', '--skipLibCheck', 'false'];
  const check = tsc(...options, join(out, 'consumer.mts'));
  expect(check.output, 'the consumer does not type-check against dist/*.d.ts').toBe('');
  expect(check.status).toBe(0);
});
