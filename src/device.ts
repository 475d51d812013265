// Which backends exist, which one new tensors go to, and init() that picks it.
import type { Backend, DeviceName } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/cpu.js';

export type BackendChoice = DeviceName | 'auto';

export interface InitResult {
  backend: DeviceName;
  /** Human-readable description of the adapter (GPU) or machine (CPU). */
  adapter: string;
  /** Why 'auto' chose this backend. */
  reason?: string;
}

const backends: Partial<Record<DeviceName, Backend>> = { cpu: new CpuBackend() };
let current: DeviceName = 'cpu';

async function webgpuBackend(): Promise<Backend> {
  const gpu = backends.webgpu ?? (await (await import('./backend/webgpu/index.js')).createWebGpuBackend());
  backends.webgpu = gpu;
  return gpu;
}

/**
 * Chooses the default device for new tensors. 'auto' (the default) takes WebGPU when Dawn finds an
 * adapter and falls back to the CPU otherwise; 'webgpu' fails with an explanation if it cannot.
 */
export async function init({ backend = 'auto' }: { backend?: BackendChoice } = {}): Promise<InitResult> {
  if (backend === 'cpu') {
    current = 'cpu';
    return { backend: 'cpu', adapter: getBackend('cpu').description };
  }
  try {
    const gpu = await webgpuBackend();
    current = 'webgpu';
    return { backend: 'webgpu', adapter: gpu.description, ...(backend === 'auto' && { reason: 'Dawn found a WebGPU adapter' }) };
  } catch (err) {
    if (backend === 'webgpu') throw err;
    current = 'cpu';
    return { backend: 'cpu', adapter: getBackend('cpu').description, reason: (err as Error).message };
  }
}

export const defaultDevice = (): DeviceName => current;

export function getBackend(device: DeviceName): Backend {
  const backend = backends[device];
  if (!backend) throw new Error(`${device} backend is not initialised: call await init({ backend: '${device}' }) first`);
  return backend;
}

/** Submits all pending GPU work and waits for it; surfaces deferred device errors. */
export async function flush(): Promise<void> {
  await Promise.all(Object.values(backends).map((b) => b.flush()));
}
