// A Learner is one task's copy of a model: the model's forward with the learner's own fast weights
// swapped in by name (nn.functionalCall), and adapt(loss), one inner optimizer step on them. How the
// step joins the graph is the meta-learner's choice: recorded (MAML: the query loss's backward reaches
// the model through every step, to second order), first order (FOMAML: the step's gradient is a
// constant, so the model gets the query gradient at the adapted weights), or detached (Reptile).
import { grad } from '../autograd/engine.js';
import { checkOptions, checkTensor, describe } from '../check.js';
import { functionalCall, withTensors } from '../nn/functional-call.js';
import { withTaskDim } from '../nn/tasks.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { adamStep, INNER_OPTIMIZERS, sgdStep, type AdamMoments, type InnerAdamOptions, type InnerOptimizer } from './inner.js';

export type Forward = Module & { forward(...args: never[]): unknown };

/** What a batched learner's model may be made of. */
const BATCHED_LAYERS =
  'a batched learner runs Linear, Conv2d, BatchNorm1d/2d (trackRunningStats: false, or eval), LayerNorm, the poolings, Flatten, Softmax, Dropout and elementwise layers, and your own modules composed of them';
export type StepMode = 'second-order' | 'first-order' | 'detached';

export interface AdaptOptions extends InnerAdamOptions {
  /** The inner optimizer (default 'sgd'); one learner keeps to one, as its state is that optimizer's. */
  optimizer?: InnerOptimizer;
  /** This step's learning rate, instead of the meta-learner's (not with Meta-SGD's learnt rates). */
  lr?: number;
}

/** What a meta-learner hands the learners it clones. */
export interface LearnerSpec {
  op: string;
  module: Forward;
  /** The fast weights to start from, by dotted name (the adapted ones, and any held fixed). */
  weights: Record<string, Tensor>;
  /** The names adapt() steps. */
  adapted: readonly string[];
  /** The inner learning rate of each adapted name. */
  lrOf: (name: string) => number | Tensor;
  /** Whether the rate may be overridden per step (Meta-SGD's learnt rates may not). */
  lrFixed: boolean;
  mode: StepMode;
  allowUnused: boolean;
  /** A batched learner: T tasks at once, every weight [T, ...] (see MAML.clone). */
  tasks: number | null;
}

export class Learner<M extends Forward = Forward> {
  private current: Record<string, Tensor>;
  private optimizer: InnerOptimizer | null = null;
  private moments = new Map<string, AdamMoments>();
  /** Inner steps taken. */
  steps = 0;

  /** @internal Made by a meta-learner's clone(). */
  constructor(private readonly spec: LearnerSpec & { module: M }) {
    const { tasks, weights } = spec;
    this.current = tasks === null ? { ...weights } : Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, w.unsqueeze(0).expand([tasks, ...w.shape])]));
  }

  /** The number of tasks a batched learner adapts at once; null for one task. */
  get tasks(): number | null {
    return this.spec.tasks;
  }

  /** The model this learner adapts a copy of. */
  get module(): M {
    return this.spec.module;
  }

  /** The current fast weights by dotted name: the model's own before the first adapt() (batched: [T, ...] views of them). */
  get weights(): Readonly<Record<string, Tensor>> {
    return this.current;
  }

  /**
   * The model's forward with the fast weights. A batched learner's inputs carry the task dim first,
   * [T, ...], and its layers get per-task weights [T, ...] (see BATCHED_LAYERS).
   */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const module = this.spec.module as Module & { forward(...args: unknown[]): unknown };
    if (this.spec.tasks === null) return functionalCall(module, this.current, ...inputs) as ReturnType<M['forward']>;
    try {
      return withTaskDim(this.spec.tasks, () => withTensors(module, this.current, () => module.forward(...inputs))) as ReturnType<M['forward']>;
    } catch (err) {
      throw new Error(`${this.spec.op} (batched over ${this.spec.tasks} tasks): ${(err as Error).message} (inputs must be [${this.spec.tasks}, ...]; ${BATCHED_LAYERS})`);
    }
  }

  /**
   * One inner step on the fast weights, down the gradient of `loss`: one element, or for a batched
   * learner one loss per task, [T] (summed, so each task's weights get their own task's gradient).
   */
  adapt(loss: Tensor, options?: AdaptOptions): this {
    const { op, adapted, mode, allowUnused, lrFixed, tasks } = this.spec;
    const { optimizer = 'sgd', lr, ...adam } = checkOptions(`${op}.adapt`, options, ['optimizer', 'lr', 'betas', 'eps']);
    checkTensor(`${op}.adapt`, 'loss', loss);
    if (tasks !== null && (loss.ndim !== 1 || loss.shape[0] !== tasks)) {
      throw new Error(`${op}.adapt: a learner batched over ${tasks} tasks takes one loss per task, [${tasks}] (e.g. mseLoss(…, { reduction: 'none' }).mean([1, 2])), got shape [${loss.shape.join(',')}]`);
    }
    if (tasks === null && loss.size !== 1) throw new Error(`${op}.adapt: loss must be one element (reduce it, e.g. with mean()), got shape [${loss.shape.join(',')}]`);
    if (!INNER_OPTIMIZERS.includes(optimizer)) throw new Error(`${op}.adapt: optimizer must be one of ${INNER_OPTIMIZERS.join(', ')}, got ${describe(optimizer)}`);
    if (this.optimizer && optimizer !== this.optimizer) throw new Error(`${op}.adapt: this learner steps with '${this.optimizer}' (its state is that optimizer's); clone a new learner to use '${optimizer}'`);
    if (lr !== undefined && lrFixed) throw new Error(`${op}.adapt: the inner learning rates are learnt parameters here; lr cannot be overridden`);
    if (lr !== undefined && !(typeof lr === 'number' && Number.isFinite(lr))) throw new Error(`${op}.adapt: lr must be a finite number, got ${describe(lr)}`);
    if (!loss.requiresGrad) throw new Error(`${op}.adapt: loss does not depend on the learner's weights; compute it from learner.forward(...)`);
    this.optimizer = optimizer;
    const tensors = adapted.map((name) => this.current[name]);
    let grads: Tensor[];
    try {
      // The graph is kept even in first order: the fast weights' chain back to the model is part of it.
      grads = grad(tasks === null ? loss : loss.sum(), tensors, { createGraph: mode === 'second-order', retainGraph: true, allowUnused });
    } catch (err) {
      throw new Error(`${op}.adapt: ${(err as Error).message}${allowUnused ? '' : ' (if the loss leaves some weights unused, pass allowUnused: true)'}`);
    }
    adapted.forEach((name, i) => {
      const rate = lr ?? this.spec.lrOf(name);
      let next: Tensor;
      if (optimizer === 'sgd') next = sgdStep(tensors[i], grads[i], rate);
      else {
        const [theta, moments] = adamStep(`${op}.adapt`, tensors[i], grads[i], rate, this.moments.get(name), adam);
        this.moments.set(name, moments);
        next = theta;
      }
      this.current[name] = mode === 'detached' ? detachedLeaf(next) : next;
    });
    this.steps++;
    return this;
  }
}

function detachedLeaf(t: Tensor): Tensor {
  const leaf = t.detach();
  leaf.requiresGrad = true;
  return leaf;
}
