// The peers webgrad is measured against: TensorFlow.js 4.22's wasm and cpu backends, loaded once in
// this process. tfjs-node cannot be installed offline (it downloads a binary at install), so it is
// reported as unavailable rather than measured.
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
  tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  tf.env().set('IS_TEST', false);
  return tf;
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
    peers.push({ name: `tfjs-${backend}`, kind: 'tfjs', tf, backend, description });
  }
  return peers;
}

/** Makes `peer` tfjs's current backend (tensors must be created after this, not carried across). */
export async function activate(peer) {
  if (peer.kind !== 'tfjs') return;
  if (peer.tf.getBackend() !== peer.backend) {
    if (!(await peer.tf.setBackend(peer.backend))) throw new Error(`tfjs: setBackend('${peer.backend}') failed`);
  }
}
