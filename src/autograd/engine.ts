// Reverse-mode differentiation over the recorded graph: backward() and grad().
import { checkOptions } from '../check.js';
import { keep, tidy, track, untracked } from '../memory.js';
import { stack } from '../ops/dims.js';
import { formatShape, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { GradNode, withGradMode } from './node.js';

/** Where gradients meet: a leaf tensor (accumulates into .grad) or the node that made a tensor. */
type Key = Tensor | GradNode;

const keyOf = (t: Tensor): Key => t.gradFn ?? t.leaf;

export interface GradOptions {
  /** Gradient of each output (default: ones, for one-element outputs only). */
  gradOutputs?: Tensor | readonly Tensor[];
  /** Record the backward pass so the returned gradients are differentiable (higher order). */
  createGraph?: boolean;
  /** Keep the graph for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Return zeros, instead of throwing, for inputs the outputs do not depend on. */
  allowUnused?: boolean;
  /**
   * Each gradOutput carries a leading dim of B gradients, and each input's gradient comes back as
   * [B, ...input.shape]: B vector-Jacobian products in one backward pass (PyTorch's is_grads_batched).
   */
  isGradsBatched?: boolean;
}

/** Nodes reachable from the roots, outputs first (reverse topological order). */
function reverseTopological(roots: readonly Key[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<Key>();
  const stack: [Key, boolean][] = roots.map((k) => [k, false]);
  while (stack.length) {
    const [key, expanded] = stack.pop()!;
    if (!(key instanceof GradNode)) continue;
    if (expanded) {
      order.push(key);
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push([key, true]);
    for (const input of key.inputs) if (input.requiresGrad) stack.push([keyOf(input), false]);
  }
  return order.reverse();
}

/** Nodes from which some target is reachable: the only ones worth running. */
function leadingTo(order: readonly GradNode[], targets: ReadonlySet<Key>): Set<Key> {
  const useful = new Set<Key>(targets);
  for (let i = order.length - 1; i >= 0; i--) {
    if (order[i].inputs.some((t) => t.requiresGrad && useful.has(keyOf(t)))) useful.add(order[i]);
  }
  return useful;
}

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/** The gradient each output starts with; implicit ones are created (and so owned) here. */
function seedGrads(outputs: readonly Tensor[], gradOutputs: GradOptions['gradOutputs'], batched: boolean): Tensor[] {
  const given = gradOutputs === undefined ? [] : Array.isArray(gradOutputs) ? gradOutputs : [gradOutputs as Tensor];
  const batch = batched ? given[0]?.shape[0] : undefined;
  return outputs.map((out, i) => {
    if (!out.requiresGrad) throw new Error(`backward: output ${i} ${formatShape(out.shape)} does not require grad (no input with requiresGrad was used)`);
    const g = given[i];
    if (batched) {
      const expected = [batch ?? 1, ...out.shape];
      if (!g || !sameShape(g.shape, expected) || batch === 0) {
        throw new Error(
          `grad: with isGradsBatched, gradOutputs[${i}] must be [B, ...output.shape] with one B ≥ 1 for all outputs: expected ${formatShape(expected)} for output ${formatShape(out.shape)}, got ${g ? formatShape(g.shape) : 'none'}`,
        );
      }
      return g;
    }
    if (g) {
      if (!sameShape(g.shape, out.shape)) throw new Error(`backward: gradient ${formatShape(g.shape)} does not match output ${formatShape(out.shape)}`);
      return g;
    }
    if (out.size !== 1) {
      throw new Error(`backward: output ${formatShape(out.shape)} has ${out.size} elements; an implicit gradient needs one — pass gradOutputs (or reduce with sum()/mean() first)`);
    }
    return out.onesLike();
  });
}

/**
 * One node's input gradients. Under a batch dim, a rule not declared `batched` runs once per batch
 * entry and its results are stacked (correct for every op; the common ones are batched natively).
 */
function applyNode(node: GradNode, g: Tensor, needsGrad: readonly boolean[], batchDims: number): (Tensor | null)[] {
  if (batchDims === 0 || node.batched) return node.apply(g, needsGrad, batchDims);
  const each = Array.from({ length: g.shape[0] }, (_, b) => node.apply(g.narrow(0, b, 1).reshape(g.shape.slice(1)), needsGrad));
  return needsGrad.map((_, i) => (each[0][i] ? stack(each.map((grads) => grads[i]!)) : null));
}

interface RunOptions extends GradOptions {
  /** Output t's seed is ones in batch row t of T = outputs.length (the rows of a Jacobian, see jacobianRows). */
  rowSeeds?: boolean;
}

/**
 * Runs the backward pass from `outputs`. With `targets`, returns their gradients and touches no
 * .grad; without, accumulates into every leaf's .grad.
 */
function run(outputs: readonly Tensor[], targets: readonly Tensor[] | null, options: RunOptions): Map<Key, Tensor> {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const batchDims = options.isGradsBatched || options.rowSeeds ? 1 : 0;
  const seeds = options.rowSeeds ? outputs.map((out) => out.onesLike()) : seedGrads(outputs, options.gradOutputs, batchDims === 1);
  const givenSeeds: readonly unknown[] = options.gradOutputs === undefined || options.rowSeeds ? [] : [options.gradOutputs].flat();
  const order = reverseTopological(outputs.map(keyOf));
  const targetKeys = targets && new Set(targets.map(keyOf));
  const useful = targetKeys ? leadingTo(order, targetKeys) : null;
  const grads = new Map<Key, Tensor>();
  const owned = new Set<Tensor>();
  // With row seeds, a gradient that only one batch row reaches stays unbatched, filed under its row
  // (a task's head is walked once, not T times); where rows meet they become one [T, ...] gradient.
  const rowGrads = new Map<Key, Map<number, Tensor>>();

  const accumulate = (key: Key, g: Tensor) => {
    const prior = grads.get(key);
    const sum = prior ? prior.add(g) : g;
    if (prior && owned.has(prior)) prior.dispose();
    if (prior && owned.has(g)) g.dispose();
    grads.set(key, sum);
    if (prior || owned.has(g)) owned.add(sum);
  };
  const accumulateRow = (key: Key, row: number, g: Tensor) => {
    const rows = rowGrads.get(key) ?? new Map<number, Tensor>();
    rowGrads.set(key, rows);
    const prior = rows.get(row);
    rows.set(row, prior ? prior.add(g) : g);
    if (prior) [prior, g].forEach((t) => t.dispose());
  };
  /** Folds a key's separate rows into its batched gradient (zeros for the rows that never reached it). */
  const densify = (key: Key) => {
    const rows = rowGrads.get(key);
    if (!rows) return;
    rowGrads.delete(key);
    const dense = untracked(() =>
      tidy(() => {
        const zero = rows.size < outputs.length ? rows.values().next().value!.zerosLike() : null;
        return stack(Array.from({ length: outputs.length }, (_, r) => rows.get(r) ?? zero!));
      }),
    );
    rows.forEach((t) => t.dispose());
    owned.add(dense);
    accumulate(key, dense);
  };

  /** Applies `node`'s rule to `g` and hands each input its gradient (`batch`: the dense batch dims, or 0 for row `row`). */
  const propagate = (node: GradNode, g: Tensor, batch: number, row: number | null) => {
    const needsGrad = node.inputs.map((t) => t.requiresGrad && (!useful || useful.has(keyOf(t))));
    // A target's node whose inputs lead to no other target has nothing to send on.
    const inputGrads = needsGrad.some(Boolean) ? untracked(() => tidy(() => applyNode(node, g, needsGrad, batch))) : [];
    // A rule may pass `g` itself on, or one tensor to several inputs: give each its own handle.
    const handedOut = new Set<Tensor>([g]);
    node.inputs.forEach((input, i) => {
      let ig = inputGrads[i];
      if (!needsGrad[i] || !ig) return;
      const expected = [...g.shape.slice(0, batch), ...input.shape];
      if (!sameShape(ig.shape, expected)) {
        throw new Error(`backward of '${node.name}': input ${i} got a gradient ${formatShape(ig.shape)}, expected ${formatShape(expected)} (a bug in the op's backward rule)`);
      }
      if (handedOut.has(ig)) ig = ig.alias();
      handedOut.add(ig);
      owned.add(ig);
      if (row === null) accumulate(keyOf(input), ig);
      else accumulateRow(keyOf(input), row, ig);
    });
  };

  const walk = () => {
    outputs.forEach((out, i) => {
      if (options.rowSeeds) return accumulateRow(keyOf(out), i, seeds[i]);
      if (!givenSeeds.includes(seeds[i])) owned.add(seeds[i]);
      accumulate(keyOf(out), seeds[i]);
    });
    for (const node of order) {
      if (useful && !useful.has(node)) continue;
      const rows = rowGrads.get(node);
      if (rows && (rows.size > 1 || grads.has(node))) densify(node);
      const single = rowGrads.get(node);
      const g = grads.get(node);
      if (single) {
        const [[row, gRow]] = single;
        propagate(node, gRow, 0, row);
        if (!targetKeys?.has(node)) {
          rowGrads.delete(node);
          gRow.dispose();
        }
      } else if (g) {
        propagate(node, g, batchDims, null);
        if (!targetKeys?.has(node)) {
          grads.delete(node);
          if (owned.has(g)) g.dispose();
        }
      }
      if (!retainGraph) node.release();
    }
    for (const key of [...rowGrads.keys()]) densify(key);
  };

  order.forEach((n) => n.retain()); // a node freed mid-walk must not cascade into ones not yet visited
  try {
    withGradMode(createGraph, walk);
  } finally {
    order.forEach((n) => n.drop());
  }
  return grads;
}

/** Adds `g` into leaf.grad (kept outside every tidy scope), taking ownership of `g`. */
export function accumulateGrad(leaf: Tensor, g: Tensor, createGraph = false): void {
  const contiguous = g.isContiguous() ? g : g.contiguous();
  if (contiguous !== g) g.dispose();
  if (leaf.grad) {
    const sum = withGradMode(createGraph, () => leaf.grad!.add(contiguous));
    leaf.grad.dispose();
    contiguous.dispose();
    leaf.grad = keep(sum);
  } else {
    leaf.grad = keep(contiguous);
  }
}

/** Accumulates d(output)/d(leaf) into every leaf's .grad (like torch's Tensor.backward). */
export function backward(output: Tensor, gradOutput?: Tensor, options: Omit<GradOptions, 'gradOutputs' | 'allowUnused' | 'isGradsBatched'> = {}): void {
  const grads = run([output], null, { ...options, gradOutputs: gradOutput });
  for (const [key, g] of grads) if (!(key instanceof GradNode)) accumulateGrad(key, g, options.createGraph);
}

/** The leaves with requiresGrad that `outputs` depend on, not looking behind the tensors in `stopAt`. */
export function leavesOf(outputs: readonly Tensor[], stopAt: readonly Tensor[] = []): Tensor[] {
  const seen = new Set<Key>(stopAt.map(keyOf));
  const leaves: Tensor[] = [];
  const stack = outputs.filter((t) => t.requiresGrad).map(keyOf);
  while (stack.length) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!(key instanceof GradNode)) leaves.push(key);
    else for (const t of key.inputs) if (t.requiresGrad) stack.push(keyOf(t));
  }
  return leaves;
}

/** Gradients of `outputs` with respect to `inputs` (like torch.autograd.grad); .grad is untouched. */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): Tensor[] {
  checkOptions('grad', options, ['gradOutputs', 'createGraph', 'retainGraph', 'allowUnused', 'isGradsBatched']);
  const batch = options.isGradsBatched ? [options.gradOutputs].flat()[0]?.shape[0] : undefined;
  return gradients('grad', outputs, inputs, options, batch);
}

/**
 * The rows of a Jacobian in one backward pass: for each input, a [T, ...input.shape] tensor whose
 * row t is the gradient of outputs[t] (of its sum, for a tensor). Each output's part of the graph
 * is walked once, unbatched, until it meets another's; from there on the T rows go batched.
 */
export function jacobianRows(outputs: readonly Tensor[], inputs: readonly Tensor[], options: Pick<GradOptions, 'createGraph' | 'retainGraph' | 'allowUnused'> = {}): Tensor[] {
  return gradients('jacobian', outputs, inputs, { ...options, rowSeeds: true }, outputs.length);
}

function gradients(op: string, outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: RunOptions, batch: number | undefined): Tensor[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? inputs : [inputs as Tensor];
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new Error(`${op}: input ${i} ${formatShape(t.shape)} does not require grad`);
  });
  outs.forEach((t, i) => {
    if (options.rowSeeds && !t.requiresGrad) throw new Error(`${op}: output ${i} ${formatShape(t.shape)} does not require grad (no input with requiresGrad was used)`);
  });
  const grads = run(outs, ins, options);
  return ins.map((t, i) => {
    const g = grads.get(keyOf(t));
    if (g) return track(g);
    if (!options.allowUnused) {
      throw new Error(`${op}: input ${i} ${formatShape(t.shape)} was not used to compute the outputs; pass { allowUnused: true } to get zeros for it`);
    }
    return batch === undefined ? t.zerosLike() : tidy(() => t.zerosLike().expand([batch, ...t.shape]).contiguous());
  });
}
