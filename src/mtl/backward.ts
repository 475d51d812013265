// mtl.backward, TorchJD's mtl_backward: the shared parameters get an aggregate of the tasks'
// gradients (their Jacobian, from one batched backward), every other parameter the gradient of the
// losses that use it (for a task's own head, that task's gradient). Then optimizer.step() as usual.
import { accumulateGrad, grad, jacobianRows, leavesOf } from '../autograd/engine.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { tidy } from '../memory.js';
import { Module } from '../nn/module.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Aggregator } from './aggregator.js';
import { flattenJacobian, taskLosses } from './jacobian.js';

export interface MtlBackwardOptions {
  /** The parameters every task shares (a module: its parameters()); their .grad gets the aggregate. */
  shared: readonly Tensor[] | Module;
  /**
   * The shared representation the task heads read. With it, each task's gradient with respect to
   * the features comes through its head alone, and the trunk's Jacobian from one batched backward
   * from the features (the shared parameters must reach the losses only through them).
   */
  features?: Tensor | readonly Tensor[];
  /** Turns the [T, P] Jacobian of the shared parameters into their update direction. */
  aggregator: Aggregator;
  /** Keep the graph for another backward (default: freed). */
  retainGraph?: boolean;
}

export interface MtlBackwardResult {
  /** The aggregator's per-task weights, where it defines them. */
  weights: number[] | null;
}

function tensors(op: string, what: string, value: unknown): Tensor[] {
  const list = value instanceof Module ? value.parameters() : Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new Error(`${op}: ${what} is empty; pass the shared parameters (or the module that holds them)`);
  return list.map((t: unknown, i: number) => checkTensor(op, `${what}[${i}]`, t));
}

/** Accumulates into .grad: the aggregated Jacobian for `shared`, the plain gradient for every other parameter the losses use. */
export async function backward(losses: readonly Tensor[] | Tensor, options: MtlBackwardOptions): Promise<MtlBackwardResult> {
  const op = 'mtl.backward';
  const { shared: given, features: feats, aggregator, retainGraph = false } = checkOptions(op, options, ['shared', 'features', 'aggregator', 'retainGraph']);
  if (!(aggregator instanceof Aggregator)) throw new Error(`${op}: aggregator must be one of mtl.aggregators (new mtl.aggregators.UPGrad(), …), got ${describe(aggregator)}`);
  const shared = tensors(op, 'shared', given);
  shared.forEach((p, i) => {
    if (!p.requiresGrad || p.gradFn) throw new Error(`${op}: shared[${i}] ${formatShape(p.shape)} must be a parameter (a leaf with requiresGrad)`);
  });
  const features = feats === undefined ? [] : tensors(op, 'features', feats);
  const J = tidy(() => {
    const L = taskLosses(op, losses);
    const isShared = new Set(shared.map((p) => p.leaf));
    const others = leavesOf(L, features).filter((leaf) => !isShared.has(leaf));
    if (features.length > 0) {
      const direct = leavesOf(L, features).filter((leaf) => isShared.has(leaf));
      if (direct.length > 0) throw new Error(`${op}: ${direct.length} shared parameter(s) (e.g. ${formatShape(direct[0].shape)}) reach the losses other than through features; pass every path's tensor as features, or omit features`);
    }
    const first = features.length > 0 ? features : shared;
    const grads = jacobianRows(L, [...first, ...others], { allowUnused: true, retainGraph: features.length > 0 || retainGraph });
    others.forEach((leaf, i) => accumulateGrad(leaf, grads[first.length + i].sum(0)));
    const jacobians = features.length > 0 ? grad(features, shared, { gradOutputs: grads.slice(0, features.length), isGradsBatched: true, allowUnused: true, retainGraph }) : grads.slice(0, shared.length);
    return flattenJacobian(jacobians);
  });
  try {
    const direction = await aggregator.aggregate(J);
    tidy(() => {
      let offset = 0;
      for (const p of shared) {
        const n = sizeOf(p.shape);
        accumulateGrad(p, direction.narrow(0, offset, n).reshape(p.shape));
        offset += n;
      }
      direction.dispose();
    });
  } finally {
    J.dispose();
  }
  return { weights: aggregator.lastWeights };
}
