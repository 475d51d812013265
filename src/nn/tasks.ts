// The task dim of a batched meta-learner (meta's clone({ tasks: T })): while its forward runs, every
// input and activation carries T tasks first, [T, ...], and every parameter is one per task, [T, ...]
// (a vmap over tasks). Layers with per-task weights see it in the weights' shapes (Linear, Conv2d);
// the layers whose meaning hangs on dim positions read it here: pools fold the tasks into the batch,
// BatchNorm keeps each task's statistics apart, Flatten and Softmax count their dims after it.
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

let current: number | null = null;

/** T while a batched learner's forward runs, else null. */
export const taskDim = (): number | null => current;

/** @internal fn() with every layer treating dim 0 as T tasks. */
export function withTaskDim<R>(tasks: number, fn: () => R): R {
  const outer = current;
  current = tasks;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** Checks that x carries the tasks first and has `rank` dims after them. */
export function checkTaskInput(op: string, x: Tensor, tasks: number, layout: string): void {
  if (x.ndim < 2 || x.shape[0] !== tasks) throw new Error(`${op}: in a learner batched over ${tasks} tasks the input must be [${tasks}, ${layout.slice(1)}, got ${formatShape(x.shape)}`);
}

/** fn over the tasks folded into the batch, [T, N, ...] → [T·N, ...] → [T, N, ...] (layers without weights). */
export function foldTasks(op: string, x: Tensor, layout: string, fn: (x: Tensor) => Tensor): Tensor {
  const tasks = current;
  if (tasks === null) return fn(x);
  checkTaskInput(op, x, tasks, layout);
  const y = fn(x.reshape([-1, ...x.shape.slice(2)]));
  return y.reshape([tasks, x.shape[1], ...y.shape.slice(1)]);
}

/** A dim of one task's tensor as a dim of the batched one: non-negative dims move past the task dim. */
export const taskShifted = (dim: number): number => (current !== null && dim >= 0 ? dim + 1 : dim);
