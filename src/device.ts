// Which backends exist, which one new tensors go to, and init() that picks it.
import type { Backend, DeviceName } from './backend/backend.js';
import { checkChoice, checkOptions, describe } from './check.js';
import { loadNativeBackend } from './backend/native/index.js';
import { ReferenceBackend } from './backend/reference/reference.js';

export type BackendChoice = DeviceName | 'auto';

export const DEVICES: readonly DeviceName[] = ['webgpu', 'cpu', 'reference'];
const CHOICES: readonly BackendChoice[] = ['auto', ...DEVICES];

export interface InitResult {
  backend: DeviceName;
  /** Human-readable description of the adapter (GPU) or machine (CPU). */
  adapter: string;
  /** Why this backend was chosen, where there was a choice or a fallback. */
  reason?: string;
}

const reference = new ReferenceBackend();
const native = loadNativeBackend();
const backends: Partial<Record<DeviceName, Backend>> = {
  reference,
  // Without the addon, 'cpu' tensors live on the reference backend (see init's reason).
  cpu: native.backend ?? reference,
};
let current: DeviceName = 'cpu';

async function webgpuBackend(): Promise<Backend> {
  const gpu = backends.webgpu ?? (await (await import('./backend/webgpu/index.js')).createWebGpuBackend());
  backends.webgpu = gpu;
  return gpu;
}

function useCpu(why?: string): InitResult {
  current = 'cpu';
  const reasons = [why, native.backend ? undefined : native.missing].filter((r) => r !== undefined);
  return { backend: 'cpu', adapter: getBackend('cpu').description, ...(reasons.length > 0 && { reason: reasons.join('; ') }) };
}

/**
 * Chooses the default device for new tensors. 'auto' (the default) takes WebGPU when Dawn finds an
 * adapter, else the CPU; 'webgpu' fails with an explanation if it cannot. 'cpu' is the native C++
 * backend, or the TypeScript reference (with the reason) where the addon is not built; 'reference'
 * is always the float64 TypeScript backend, the oracle of the gradient checks.
 */
export async function init(options?: { backend?: BackendChoice }): Promise<InitResult> {
  if (typeof options === 'string') throw new Error(`init: expects an options object, init({ backend: '${options}' }), got ${describe(options)}`);
  const { backend = 'auto' } = checkOptions('init', options, ['backend']);
  checkChoice('init', 'backend', backend, CHOICES);
  if (backend === 'cpu') return useCpu();
  if (backend === 'reference') {
    current = 'reference';
    return { backend: 'reference', adapter: reference.description };
  }
  try {
    const gpu = await webgpuBackend();
    current = 'webgpu';
    return { backend: 'webgpu', adapter: gpu.description, ...(backend === 'auto' && { reason: 'auto: Dawn found a WebGPU adapter' }) };
  } catch (err) {
    if (backend === 'webgpu') throw err;
    return useCpu(`auto: ${(err as Error).message}`);
  }
}

export const defaultDevice = (): DeviceName => current;

export function getBackend(device: DeviceName): Backend {
  const backend = backends[device];
  if (backend) return backend;
  checkChoice('webgrad', 'the device', device, DEVICES);
  throw new Error(`${device} backend is not initialised: call await init({ backend: '${device}' }) first`);
}

/** Submits all pending GPU work and waits for it; surfaces deferred device errors. */
export async function flush(): Promise<void> {
  await Promise.all(Object.values(backends).map((b) => b.flush()));
}
