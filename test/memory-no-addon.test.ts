// Without the native addon, 'cpu' tensors live on the float64 reference backend: memory('cpu')
// still counts them, tensors and bytes alike (issue 9, item 11).
import { expect, test, vi } from 'vitest';
import { init, memory, tensor } from '../src/index.js';

vi.mock('../src/backend/native/index.js', () => ({ loadNativeBackend: () => ({ backend: null, missing: 'the native addon is hidden by this test' }) }));

test("cpu tensors on the reference backend count under 'cpu', bytes and tensors together", async () => {
  const result = await init({ backend: 'cpu' });
  expect(result.reason).toContain('hidden by this test');
  const [cpu, reference] = [memory('cpu'), memory('reference')];
  const t = tensor(new Float32Array(10), { device: 'cpu' });
  expect(memory('cpu')).toEqual({ tensors: cpu.tensors + 1, bytes: cpu.bytes + 80 }); // float64 storage
  expect(memory('reference')).toEqual(reference);
  t.dispose();
  expect(memory('cpu')).toEqual(cpu);
});
