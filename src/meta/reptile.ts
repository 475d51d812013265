// Reptile (Nichol, Achiam and Schulman 2018): train a task's learner with plain (non-differentiable)
// inner steps, SGD or Adam, then move the model toward the adapted weights:
//   θ ← θ + ε · (mean over the meta-batch of φᵢ − θ).
// No second-order terms, and no graph kept between steps: each learner's weights are leaves.
import { noGrad } from '../autograd/node.js';
import { checkOptions, describe, numberOption } from '../check.js';
import { tidy } from '../memory.js';
import { assign, Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Learner, type Forward } from './learner.js';
import { adaptedNames, checkFlag, checkModule } from './maml.js';

export interface ReptileOptions {
  /** The inner learning rate. */
  lr: number;
  /** The outer step size ε (default 0.1); step() may override it, e.g. to anneal it. */
  epsilon?: number;
  allowUnused?: boolean;
  allowNograd?: boolean;
}

export class Reptile<M extends Forward = Forward> extends Module {
  readonly lr: number;
  readonly epsilon: number;
  private readonly allowUnused: boolean;
  private readonly allowNograd: boolean;

  constructor(
    readonly module: M,
    options: ReptileOptions,
  ) {
    super();
    checkModule('Reptile', module);
    const { lr, epsilon = 0.1, allowUnused = false, allowNograd = false } = checkOptions('Reptile', options, ['lr', 'epsilon', 'allowUnused', 'allowNograd']);
    this.lr = numberOption('Reptile', 'lr', lr, 0);
    this.epsilon = numberOption('Reptile', 'epsilon', epsilon, 0, { max: 1 });
    this.allowUnused = checkFlag('Reptile', 'allowUnused', allowUnused);
    this.allowNograd = checkFlag('Reptile', 'allowNograd', allowNograd);
  }

  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    return (this.module.forward as (...args: unknown[]) => ReturnType<M['forward']>)(...inputs);
  }

  /** A learner whose weights start as detached copies of the model's; with `tasks`, one for T tasks at once (see MAML.clone). */
  clone(options?: { tasks?: number }): Learner<M> {
    const { tasks } = checkOptions('Reptile.clone', options, ['tasks']);
    const adapted = adaptedNames('Reptile', this.module, this.allowNograd);
    const weights = Object.fromEntries(
      this.module.namedParameters().map(([name, p]) => {
        const leaf = p.detach();
        leaf.requiresGrad = adapted.includes(name);
        return [name, leaf];
      }),
    );
    return new Learner({
      op: 'Reptile',
      module: this.module,
      weights,
      adapted,
      lrOf: () => this.lr,
      lrFixed: false,
      mode: 'detached',
      allowUnused: this.allowUnused,
      tasks: tasks === undefined ? null : numberOption('Reptile.clone', 'tasks', tasks, 1, { integer: true }),
    });
  }

  /** The outer update from the learners of one meta-batch (batched ones count T tasks each), in place on the model's parameters. */
  step(learners: readonly Learner<M>[], options?: { epsilon?: number }): void {
    const { epsilon = this.epsilon } = checkOptions('Reptile.step', options, ['epsilon']);
    numberOption('Reptile.step', 'epsilon', epsilon, 0, { max: 1 });
    if (!Array.isArray(learners) || learners.length === 0 || !learners.every((l) => l instanceof Learner && l.module === this.module)) {
      throw new Error(`Reptile.step: expects a non-empty array of this Reptile's learners (from clone()), got ${describe(learners)}`);
    }
    tidy(() =>
      noGrad(() => {
        for (const [name, theta] of this.module.namedParameters()) {
          const sums = learners.map((l) => (l.tasks === null ? l.weights[name] : l.weights[name].sum(0)));
          const count = learners.reduce((n, l) => n + (l.tasks ?? 1), 0);
          const mean = sums.reduce((a: Tensor, b) => a.add(b)).div(count);
          assign(theta, theta.add(mean.sub(theta).mul(epsilon)));
        }
      }),
    );
  }
}
