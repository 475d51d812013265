// What a loss weighting is (LibMTL's AbsWeighting): given the T task losses of a step, it writes
// every parameter's gradient; the scalar ones by weighting the losses into one backward, the
// gradient ones (GradNorm, DB-MTL) from the shared parameters' Jacobian.
import { backward as backwardOf } from '../../autograd/engine.js';
import { checkOptions, numberOption } from '../../check.js';
import type { Tensor } from '../../tensor.js';

/** One step's problem, as mtl.backward hands it to a weighting. */
export interface TaskProblem {
  /** The entry point, for error messages. */
  readonly op: string;
  /** The T task losses, one element each. */
  readonly losses: readonly Tensor[];
  readonly shared: readonly Tensor[];
  /** The shared representation the heads read, or none. */
  readonly features: readonly Tensor[];
  readonly retainGraph: boolean;
}

export abstract class Weighting {
  /** The per-task weights of the last step, where they are on the host (else null: see weights()). */
  lastWeights: number[] | null = null;

  /** Parameters the weighting learns (UW's log-variances, GradNorm's loss scales): give them to an optimizer too. */
  parameters(): Tensor[] {
    return [];
  }

  /** Frees the tensors it holds (its parameters and state). */
  dispose(): void {
    this.parameters().forEach((p) => p.dispose());
  }

  /** Writes one step's gradients into .grad; resolves to the weights used where they are on the host. */
  abstract backward(problem: TaskProblem): Promise<number[] | null>;

  toString(): string {
    return this.constructor.name;
  }
}

/** A weighting that combines the losses into one scalar and runs one backward through it. */
export abstract class LossWeighting extends Weighting {
  /** The combined loss, and its weights when they are known on the host. */
  protected abstract combine(losses: readonly Tensor[]): { loss: Tensor; weights: number[] | null };

  backward(problem: TaskProblem): Promise<number[] | null> {
    const { loss, weights } = this.combine(problem.losses);
    try {
      backwardOf(loss, undefined, { retainGraph: problem.retainGraph });
    } finally {
      loss.dispose();
    }
    this.lastWeights = weights;
    return Promise.resolve(weights);
  }
}

/** The `tasks` option: how many losses a weighting with per-task state or parameters expects. */
export function taskCount(op: string, options: object | undefined, known: readonly string[]): number {
  const { tasks } = checkOptions(op, options as { tasks?: number }, ['tasks', ...known]);
  if (tasks === undefined) throw new Error(`${op}: needs { tasks: T }, the number of task losses (its per-task state is made up front, to be given to an optimizer)`);
  return numberOption(op, 'tasks', tasks, 1, { integer: true });
}

export function checkTaskCount(op: string, losses: readonly Tensor[], tasks: number): void {
  if (losses.length !== tasks) throw new Error(`${op}: made for ${tasks} tasks, got ${losses.length} losses`);
}
