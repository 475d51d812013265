// mtl.backward, TorchJD's mtl_backward and LibMTL's AbsWeighting.backward in one: the shared
// parameters get an aggregate of the tasks' gradients (their Jacobian, from one backward pass) or a
// loss weighting's gradient, every other parameter the gradient of the losses that use it (for a
// task's own head, that task's gradient). Then optimizer.step() as usual.
import { accumulateGrad, grad, jacobianRows, leavesOf } from '../autograd/engine.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Aggregator } from './aggregator.js';
import { flattenJacobian, taskLosses } from './jacobian.js';
import { Weighting, type TaskProblem } from './weighting/weighting.js';

export interface MtlBackwardOptions {
  /** The parameters every task shares (a module: its parameters()); their .grad gets the update. */
  shared: readonly Tensor[] | Module;
  /**
   * The shared representation the task heads read. With it, each task's gradient with respect to
   * the features comes through its head alone, and the trunk's Jacobian from one batched backward
   * from the features (the shared parameters must reach the losses only through them).
   */
  features?: Tensor | readonly Tensor[];
  /** Turns the [T, P] Jacobian of the shared parameters into their update direction (mtl.aggregators). */
  aggregator?: Aggregator;
  /** Or: weights the losses (mtl.weighting); exactly one of aggregator and weighting. */
  weighting?: Weighting;
  /** Keep the graph for another backward (default: freed). */
  retainGraph?: boolean;
}

export interface MtlBackwardResult {
  /** The per-task weights used, where the method defines them and has them on the host (else null). */
  weights: number[] | null;
}

function tensors(op: string, what: string, value: unknown): Tensor[] {
  const list = value instanceof Module ? value.parameters() : Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new Error(`${op}: ${what} is empty; pass the shared parameters (or the module that holds them)`);
  return list.map((t: unknown, i: number) => checkTensor(op, `${what}[${i}]`, t));
}

/**
 * The [T, P] Jacobian of `losses` (default: the problem's) with respect to the shared parameters;
 * every other parameter the losses reach, but those in `exclude` (a weighting's own), gets Σₜ of
 * its gradients added to its .grad (detached).
 */
export function sharedJacobian(problem: TaskProblem, losses: readonly Tensor[] = problem.losses, { createGraph = false, exclude = [] as readonly Tensor[] } = {}): Tensor {
  const { op, shared, features, retainGraph } = problem;
  return tidy(() => {
    const isShared = new Set(shared.map((p) => p.leaf));
    const reached = leavesOf(losses, features);
    const excluded = new Set(exclude.map((p) => p.leaf));
    const others = reached.filter((leaf) => !isShared.has(leaf) && !excluded.has(leaf));
    const direct = features.length > 0 && reached.find((leaf) => isShared.has(leaf));
    if (direct) {
      throw new Error(`${op}: a shared parameter ${formatShape(direct.shape)} reaches the losses other than through features; pass every path's tensor as features, or omit features`);
    }
    const first = features.length > 0 ? features : shared;
    // The task-specific parameters want Σₜ of their gradients: one plain pass through the heads,
    // rather than T rows made dense only to be summed.
    if (others.length > 0) {
      const total = losses.map((l) => l.reshape([])).reduce((a, b) => a.add(b));
      grad(total, others, { allowUnused: true, retainGraph: true }).forEach((g, i) => accumulateGrad(others[i], g.detach()));
    }
    const grads = jacobianRows(losses, first, { allowUnused: true, createGraph, retainGraph: features.length > 0 || retainGraph || createGraph });
    const jacobians = features.length > 0 ? grad(features, shared, { gradOutputs: grads, isGradsBatched: true, allowUnused: true, retainGraph: retainGraph || createGraph, createGraph }) : grads;
    return flattenJacobian(jacobians);
  });
}

/** Adds the [P] `direction` into the shared parameters' .grad, in their order. */
export function addToShared(shared: readonly Tensor[], direction: Tensor): void {
  tidy(() => {
    let offset = 0;
    for (const p of shared) {
      const n = sizeOf(p.shape);
      accumulateGrad(p, direction.narrow(0, offset, n).reshape(p.shape).detach());
      offset += n;
    }
  });
}

/** Accumulates into .grad: the aggregated Jacobian (or the weighting's gradient) for `shared`, the plain gradient for every other parameter the losses use. */
export async function backward(losses: readonly Tensor[] | Tensor, options: MtlBackwardOptions): Promise<MtlBackwardResult> {
  const op = 'mtl.backward';
  const { shared: given, features: feats, aggregator, weighting, retainGraph = false } = checkOptions(op, options, ['shared', 'features', 'aggregator', 'weighting', 'retainGraph']);
  const method = aggregator ?? weighting;
  if ((aggregator === undefined) === (weighting === undefined) || !(method instanceof Aggregator || method instanceof Weighting)) {
    throw new Error(
      `${op}: pass exactly one of aggregator (one of mtl.aggregators, e.g. new mtl.aggregators.UPGrad()) and weighting (one of mtl.weighting, e.g. new mtl.weighting.GradNorm()), got aggregator ${describe(aggregator)} and weighting ${describe(weighting)}`,
    );
  }
  const shared = tensors(op, 'shared', given);
  shared.forEach((p, i) => {
    if (!p.requiresGrad || p.gradFn) throw new Error(`${op}: shared[${i}] ${formatShape(p.shape)} must be a parameter (a leaf with requiresGrad)`);
  });
  const problem: TaskProblem = { op, losses: taskLosses(op, losses), shared, features: feats === undefined ? [] : tensors(op, 'features', feats), retainGraph };
  if (method instanceof Weighting) return { weights: await method.backward(problem) };
  const J = sharedJacobian(problem);
  try {
    const direction = await method.aggregate(J);
    addToShared(shared, direction);
    direction.dispose();
  } finally {
    J.dispose();
  }
  return { weights: method.lastWeights };
}
