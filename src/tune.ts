// tune(): time the WebGPU backend's matmul configurations for the products a model runs, and keep
// the fastest per shape class (src/backend/webgpu/matmul-tuner.ts; WEBGRAD_TUNE also tunes each new
// class on first use, on GPUs by default).
import type { MatmulProblem, TuneResult } from './backend/backend.js';
import { checkOptions, describe, isPlainObject, numberOption } from './check.js';
import { getBackend } from './device.js';

export type { TuneResult } from './backend/backend.js';

/** C [batch, m, n] = A [batch, m, k] · B [batch, k, n]; a transposed operand is read along its rows (xᵀ·dY, dY·Wᵀ). */
export interface MatmulTuneShape {
  m: number;
  k: number;
  n: number;
  batch?: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

function checkShapeSpec(at: string, spec: unknown): MatmulProblem {
  if (!isPlainObject(spec)) throw new Error(`tune: ${at} must be an object { m, k, n, batch?, transposeA?, transposeB? }, got ${describe(spec)}`);
  const { m, k, n, batch = 1, transposeA = false, transposeB = false } = checkOptions(`tune: ${at}`, spec, ['m', 'k', 'n', 'batch', 'transposeA', 'transposeB']);
  const size = (name: string, value: unknown) => numberOption('tune', `${at}.${name}`, value, 1, { integer: true });
  const flag = (name: string, value: unknown): boolean => {
    if (typeof value !== 'boolean') throw new Error(`tune: ${at}.${name} must be a boolean, got ${describe(value)}`);
    return value;
  };
  return { m: size('m', m), k: size('k', k), n: size('n', n), batch: size('batch', batch), transposeA: flag('transposeA', transposeA), transposeB: flag('transposeB', transposeB) };
}

/**
 * Times the WebGPU backend's matmul configurations for `shapes` (default: every product class used
 * so far and not tuned yet) and keeps the fastest for each class of sizes; returns what was chosen
 * and the candidates' timings. Needs `await init({ backend: 'webgpu' })` first.
 */
export async function tune(options?: { shapes?: readonly MatmulTuneShape[] }): Promise<TuneResult[]> {
  const { shapes } = checkOptions('tune', options, ['shapes']);
  if (shapes !== undefined && !Array.isArray(shapes)) throw new Error(`tune: shapes must be an array of { m, k, n, batch?, transposeA?, transposeB? }, got ${describe(shapes)}`);
  const problems = shapes?.map((spec, i) => checkShapeSpec(`shapes[${i}]`, spec));
  const backend = getBackend('webgpu');
  if (!backend.tuneMatmul) throw new Error(`tune: the ${backend.name} backend has no tunable kernels`);
  return backend.tuneMatmul(problems);
}
