// Finds a WebGPU adapter through Dawn's Node bindings and opens a device with the adapter's largest
// buffer, workgroup and storage-binding limits (the spec's defaults are far below what even lavapipe
// offers; the optimizers' multi-tensor launches bind as many buffers as the stage allows).
import { create, globals } from 'webgpu';
import { filterStderr } from '../native/index.js';

export const NO_ADAPTER_MESSAGE =
  'no WebGPU adapter was found. On Linux without a GPU, install Mesa\'s software Vulkan driver (lavapipe): ' +
  'sudo bash scripts/setup-lavapipe.sh (in the webgrad package folder), or use init({ backend: \'cpu\' }).';

/**
 * What Dawn prints on stderr while it opens an adapter that reports huge dynamic-buffer limits (lavapipe:
 * 1,000,000), before our first line; it caps them at 16, which is all webgrad uses. Dropped (with the
 * native addon; see filterStderr): a user sees only our output.
 */
const DAWN_LIMIT_WARNING = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

export interface AcquiredDevice {
  /**
   * The dawn.node instance. It must stay reachable as long as the device is used: once it is garbage
   * collected, Dawn frees the instance and the next wait on the GPU crashes the process (SIGSEGV or a
   * mutex abort in InstanceBase::ProcessEvents; measured in up to all runs). Holding it does not keep
   * the process from exiting.
   */
  readonly gpu: GPU;
  readonly device: GPUDevice;
  /** Vendor, architecture, device and driver description of the adapter. */
  readonly description: string;
  /** A fallback adapter runs shaders on the CPU (lavapipe, SwiftShader, WARP). */
  readonly isFallbackAdapter: boolean;
}

export async function acquireDevice(): Promise<AcquiredDevice> {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const adapter = await filterStderr(() => gpu.requestAdapter({ powerPreference: 'high-performance' }), DAWN_LIMIT_WARNING);
  if (!adapter) throw new Error(NO_ADAPTER_MESSAGE);
  const { limits } = adapter;
  const device = await adapter.requestDevice({
    label: 'webgrad',
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
  return { gpu, device, description: describeAdapter(adapter.info), isFallbackAdapter: adapter.info.isFallbackAdapter };
}

/** `adapter.info`'s fields are getters, so it prints as `{}`: read them one by one. */
function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return `WebGPU (Dawn): ${parts.length > 0 ? parts.join(', ') : 'unknown adapter'}`;
}
