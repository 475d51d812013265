// How an op is declared: its shape rule, the kernel its forward launches, and its backward written
// in differentiable tensor ops (so gradients of gradients come for free). `apply` runs one.
import { GradNode, isGradEnabled, noGrad, type BackwardRule } from '../autograd/node.js';
import type { Backend, Storage } from '../backend/backend.js';
import { checkTensor } from '../check.js';
import { getBackend } from '../device.js';
import { tidy } from '../memory.js';
import { contiguousLayout, formatShape, type Layout, type Shape } from '../shape.js';
import { TensorHandle } from '../handle.js';
import type { Tensor } from '../tensor.js';

/** A forward result that views an input's storage instead of allocating (reshape, transpose, …). */
export interface View {
  readonly of: Tensor;
  readonly layout: Layout;
  /** `of` was made for this result alone (see composed): apply lets go of it once viewed. */
  readonly owned?: boolean;
}

/**
 * A forward computed by composing other ops, for a backend without the fused kernel (or a shape
 * the kernel does not take): no graph is recorded inside, and the intermediates are freed at once.
 */
export function composed(compute: () => Tensor): View {
  const of = noGrad(() => tidy(compute));
  return { of, layout: of.layout, owned: true };
}

export interface OpDef<P> {
  readonly name: string;
  /** Checks the inputs and returns the output's shape; throws naming the op and the shapes. */
  shape(inputs: readonly Tensor[], params: P): Shape;
  /** Launches the kernel (or returns a view) computing the output. */
  forward(backend: Backend, inputs: readonly Tensor[], params: P, shape: Shape): Storage | View;
  /** Whether backward reads the output (exp, sqrt, softmax…); inputs are always saved. */
  readonly savesOutput?: boolean;
  /**
   * The backward honours ctx.batchDims (a gradient with a leading batch dim, see grad's
   * isGradsBatched) in one pass; without it the engine runs the backward once per batch entry.
   */
  readonly batched?: boolean;
  /** Gradients of the inputs, in tensor ops; absent for ops that are not differentiable. */
  backward?(grad: Tensor, ctx: Parameters<BackwardRule>[1], params: P): (Tensor | null)[];
}

export const defineOp = <P = void>(def: OpDef<P>): OpDef<P> => def;

function checkInputs(name: string, inputs: readonly Tensor[]): void {
  inputs.forEach((t, i) => {
    checkTensor(name, `input ${i}`, t);
    if (t.isDisposed) throw new Error(`${name}: input ${i} ${formatShape(t.shape)} was disposed`);
    if (t.device !== inputs[0].device) {
      throw new Error(`${name}: inputs are on different devices (${inputs[0].device} and ${t.device}); move one with await t.to('${inputs[0].device}')`);
    }
  });
}

export function apply<P>(def: OpDef<P>, inputs: readonly Tensor[], params: P): Tensor {
  checkInputs(def.name, inputs);
  const shape = def.shape(inputs, params);
  const device = inputs[0].device;
  const result = def.forward(getBackend(device), inputs, params, shape);
  const output = 'of' in result ? TensorHandle.view(result.of, result.layout) : TensorHandle.fromStorage(device, result, contiguousLayout(shape));
  if ('of' in result && result.owned) result.of.dispose();
  const backward = def.backward;
  if (backward && isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    const node = new GradNode(def.name, inputs, (g, ctx) => backward(g, ctx, params), def.batched);
    output.recordedBy(node);
    if (def.savesOutput) node.saveOutput(output);
  }
  return output;
}
