// One recorded op in the dynamic graph: what produced a tensor, and how to send its gradient back.
import type { Tensor } from '../tensor.js';

let enabled = true;

export const isGradEnabled = (): boolean => enabled;

/** Runs `fn` with recording on or off, restoring the previous mode afterwards. */
export function withGradMode<T>(on: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Runs `fn` without recording a graph (like torch.no_grad). */
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);

export interface BackwardContext {
  /** The op's inputs, as handles kept alive for backward (they keep their place in the graph). */
  readonly inputs: readonly Tensor[];
  /** The op's output; only for ops declared with `savesOutput`. */
  readonly output: Tensor;
  /** needsGrad[i]: whether input i wants a gradient; a rule may return null for the others. */
  readonly needsGrad: readonly boolean[];
  /**
   * Leading dims `grad` has before the output's own (1 under grad's isGradsBatched, else 0): the
   * rule returns gradients with the same leading dims. Only rules declared `batched` see 1.
   */
  readonly batchDims: number;
}

export type BackwardRule = (grad: Tensor, ctx: BackwardContext) => (Tensor | null)[];

export class GradNode {
  private inputsSaved: readonly Tensor[] | null;
  private outputSaved: Tensor | null = null;

  constructor(
    readonly name: string,
    /** The op's inputs as the user's tensors: the edges of the graph. */
    readonly inputs: readonly Tensor[],
    private readonly rule: BackwardRule,
    /** The rule handles gradients with a leading batch dim (see BackwardContext.batchDims). */
    readonly batched = false,
  ) {
    this.inputsSaved = inputs.map((t) => t.alias());
  }

  private refs = 0;
  /** A tensor handle now points at this node. */
  retain(): void {
    this.refs++;
  }
  /** A handle let go; with none left nothing can reach this node, so its saved tensors go. */
  drop(): void {
    if (--this.refs === 0) this.release();
  }

  saveOutput(output: Tensor): void {
    this.outputSaved = output.alias();
    this.refs--; // the node's own saved output does not keep the node alive
  }

  apply(grad: Tensor, needsGrad: readonly boolean[], batchDims = 0): (Tensor | null)[] {
    const inputs = this.inputsSaved;
    if (!inputs) {
      throw new Error(
        `backward: the graph through '${this.name}' was already freed by an earlier backward; pass { retainGraph: true } to the first backward()/grad() call to walk it again`,
      );
    }
    const node = this;
    return this.rule(grad, {
      inputs,
      needsGrad,
      batchDims,
      get output(): Tensor {
        if (!node.outputSaved) throw new Error(`${node.name}: backward needs the output, but the op was not declared with savesOutput`);
        return node.outputSaved;
      },
    });
  }

  /** Frees the tensors saved for backward. */
  release(): void {
    const [inputs, output] = [this.inputsSaved, this.outputSaved];
    this.inputsSaved = this.outputSaved = null;
    if (output) this.refs++; // balance the drop its disposal makes
    inputs?.forEach((t) => t.dispose());
    output?.dispose();
  }
}
