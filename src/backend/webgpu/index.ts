// Entry point of the WebGPU backend: `await createWebGpuBackend()`.
import { acquireDevice } from './device.js';
import { WebGpuBackend } from './webgpu.js';

export { WebGpuBackend, type WebGpuStats } from './webgpu.js';

/** Opens the best adapter's device; throws (naming scripts/setup-lavapipe.sh) if there is none. */
export async function createWebGpuBackend(): Promise<WebGpuBackend> {
  return new WebGpuBackend(await acquireDevice());
}
