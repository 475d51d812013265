// After the GPU device is lost, every call through the public API fails with "device lost: …"; waits on
// the GPU watch for the loss without leaving anything behind.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, test } from 'vitest';
import { DeviceErrors } from '../src/backend/webgpu/errors.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { getBackend } from '../src/device.js';
import { flush, init, tensor } from '../src/index.js';

test('device loss: every later call fails clearly instead of hanging', async () => {
  await init({ backend: 'webgpu' });
  const x = tensor([1, 2, 3]);
  const y = x.mul(2);
  (getBackend('webgpu') as WebGpuBackend).destroy();
  await expect(y.data()).rejects.toThrow(/device lost: /);
  expect(() => x.add(1)).toThrow(/device lost: /);
  expect(() => tensor([4, 5])).toThrow(/device lost: /);
  await expect(flush()).rejects.toThrow(/device lost: /);
});

test('a wait on the GPU keeps nothing alive once it settles (a session reads thousands of times), and a loss still rejects the one in flight', async () => {
  let lose: (info: { message: string; reason: string }) => void = () => {};
  const lost = new Promise<{ message: string; reason: string }>((resolve) => (lose = resolve));
  const errors = new DeviceErrors({ lost } as unknown as GPUDevice);
  // What a read resolves to must be collectable after it: Promise.race(work, lost) kept every result
  // reachable from the never-settling loss promise.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  const read = async (i: number): Promise<number> => {
    const result = { i };
    registry.register(result, i);
    return (await errors.unlessLost(Promise.resolve(result))).i;
  };
  for (let i = 0; i < 100; i++) expect(await read(i)).toBe(i);
  await expect(errors.unlessLost(Promise.reject(new Error('kernel failed')))).rejects.toThrow('kernel failed');
  for (let round = 0; round < 10 && collected < 100; round++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(collected).toBe(100);
  const hanging = errors.unlessLost(new Promise<never>(() => {}));
  lose({ message: 'the GPU was reset', reason: 'unknown' });
  await expect(hanging).rejects.toThrow('device lost: the GPU was reset');
  await expect(errors.unlessLost(Promise.resolve(1))).rejects.toThrow('device lost: the GPU was reset');
});
