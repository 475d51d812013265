// The peers webgrad is measured against: TensorFlow.js 4.22's wasm and cpu backends, and its webgpu
// backend on the same Dawn adapter as webgrad's, loaded once in this process. tfjs-node cannot be
// installed offline (it downloads a binary at install), so it is reported as unavailable rather than
// measured.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Peers that exist but are not measured here, with the reason (shown in the table). */
export const UNAVAILABLE = [
  { name: 'tfjs-node', reason: 'unavailable: @tensorflow/tfjs-node downloads a native binary at install (offline here)' },
];

let tf;

/** Loads @tensorflow/tfjs (the union package, which registers the gradients) and the wasm backend. */
export async function loadTfjs() {
  if (tf) return tf;
  // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it loads: give it a Dawn
  // instance of its own first (webgrad's backend holds another one on the same adapter).
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  if (!globalThis.navigator?.gpu) globalThis.navigator = { gpu: create([]) };
  tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  require('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('IS_TEST', false);
  return tf;
}

/** WebGPU compute dispatches recorded by tfjs-webgpu since it was first made current (see tfjsWebgpuPeer). */
let tfjsWebgpuDispatches = 0;

/**
 * tfjs's webgpu backend as a peer, or `{ unavailable }` with the reason. It has no cumulative
 * dispatch counter (only dispatchCountInPass, reset at each submit), so recordAndSubmit — one call
 * per dispatchWorkgroups — is wrapped on the backend instance to count them.
 */
export async function tfjsWebgpuPeer() {
  const tf = await loadTfjs();
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error(`setBackend('webgpu') failed`);
    await tf.ready();
  } catch (err) {
    return { unavailable: `tfjs-webgpu: ${err?.message ?? err}` };
  }
  const backend = tf.backend();
  const record = backend.recordAndSubmit;
  backend.recordAndSubmit = function (...args) {
    tfjsWebgpuDispatches++;
    return record.apply(this, args);
  };
  return {
    name: 'tfjs-webgpu', kind: 'tfjs', tf, backend: 'webgpu', pairing: 'webgpu',
    description: `@tensorflow/tfjs ${tf.version.tfjs} + @tensorflow/tfjs-backend-webgpu ${require('@tensorflow/tfjs-backend-webgpu/package.json').version}, backend webgpu (Dawn via the webgpu package, its own instance, default adapter: the same one as webgrad-webgpu's)`,
    dispatches: () => tfjsWebgpuDispatches,
  };
}

/** The tfjs backends measured, in table order. */
export async function tfjsPeers() {
  const tf = await loadTfjs();
  const peers = [];
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs: setBackend('${backend}') failed`);
    await tf.ready();
    let description = `@tensorflow/tfjs ${tf.version.tfjs}, backend ${backend}`;
    if (backend === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      description += ` (SIMD ${simd ? 'on' : 'off'}, ${threads ? 'multi-threaded' : '1 thread'})`;
    } else {
      description += ' (plain JavaScript, 1 thread)';
    }
    peers.push({ name: `tfjs-${backend}`, kind: 'tfjs', tf, backend, pairing: 'cpu', description });
  }
  return peers;
}

/** Makes `peer` tfjs's current backend (tensors must be created after this, not carried across). */
export async function activate(peer) {
  if (peer.kind !== 'tfjs') return peer.activate?.();
  if (peer.tf.getBackend() !== peer.backend) {
    if (!(await peer.tf.setBackend(peer.backend))) throw new Error(`tfjs: setBackend('${peer.backend}') failed`);
  }
}
