// MAML (Finn, Abbeel and Levine 2017) with learn2learn's API: wrap a model, clone() a learner per
// task, adapt() it on the support loss, and backward() the query loss of its forward: the gradient
// reaches the model's parameters through every inner step (second order), or, with firstOrder
// (FOMAML), treats each step's gradient as a constant. Meta-SGD (Li et al. 2017) learns the inner
// rates too: one per weight, a parameter of the same shape.
import { checkOptions, describe, numberOption } from '../check.js';
import { full } from '../creation.js';
import { Module, Parameter, ParameterList } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { Learner, type Forward, type LearnerSpec } from './learner.js';

export interface MamlOptions {
  /** The inner (adaptation) learning rate α. */
  lr: number;
  /** FOMAML: drop the second-order terms (default false). */
  firstOrder?: boolean;
  /** Let adapt() give weights the loss does not use a zero gradient instead of throwing (default false). */
  allowUnused?: boolean;
  /** Leave parameters with requiresGrad off unadapted instead of throwing (default false). */
  allowNograd?: boolean;
}

const MAML_OPTIONS = ['lr', 'firstOrder', 'allowUnused', 'allowNograd'] as const;

/** The names of `module`'s parameters adapt() steps: all of them, or with allowNograd those with requiresGrad. */
export function adaptedNames(op: string, module: Module, allowNograd: boolean): string[] {
  const params = module.namedParameters();
  const frozen = params.filter(([, p]) => !p.requiresGrad).map(([name]) => name);
  if (frozen.length && !allowNograd) throw new Error(`${op}: parameters ${frozen.join(', ')} do not require grad; pass allowNograd: true to leave them unadapted`);
  return params.filter(([, p]) => p.requiresGrad).map(([name]) => name);
}

export function checkModule(op: string, module: unknown, what = 'model'): Forward {
  if (!(module instanceof Module)) throw new Error(`${op}: expects a ${what} (an nn.Module), got ${describe(module)}`);
  return module as Forward;
}

export const checkFlag = (op: string, name: string, value: unknown): boolean => {
  if (typeof value !== 'boolean') throw new Error(`${op}: ${name} must be true or false, got ${describe(value)}`);
  return value;
};

export class MAML<M extends Forward = Forward> extends Module {
  readonly lr: number;
  readonly firstOrder: boolean;
  readonly allowUnused: boolean;
  readonly allowNograd: boolean;

  constructor(
    readonly module: M,
    options: MamlOptions,
  ) {
    super();
    const op = new.target.name;
    checkModule(op, module);
    const { lr, firstOrder = false, allowUnused = false, allowNograd = false } = checkOptions(op, options, MAML_OPTIONS);
    this.lr = numberOption(op, 'lr', lr, 0);
    this.firstOrder = checkFlag(op, 'firstOrder', firstOrder);
    this.allowUnused = checkFlag(op, 'allowUnused', allowUnused);
    this.allowNograd = checkFlag(op, 'allowNograd', allowNograd);
  }

  /** The model's own forward (not adapted). */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    return (this.module.forward as (...args: unknown[]) => ReturnType<M['forward']>)(...inputs);
  }

  /**
   * A learner for one task, starting at the model's parameters; with `tasks`, one for T tasks at
   * once whose weights are the parameters broadcast to [T, ...] (a meta-batch as one computation).
   */
  clone(options?: { tasks?: number }): Learner<M> {
    const { tasks } = checkOptions(`${this.constructor.name}.clone`, options, ['tasks']);
    return new Learner({ ...this.spec(), tasks: tasks === undefined ? null : numberOption(`${this.constructor.name}.clone`, 'tasks', tasks, 1, { integer: true }) });
  }

  protected spec(): Omit<LearnerSpec, 'tasks'> & { module: M } {
    const op = this.constructor.name;
    const weights = Object.fromEntries(this.module.namedParameters());
    return {
      op,
      module: this.module,
      weights,
      adapted: adaptedNames(op, this.module, this.allowNograd),
      lrOf: () => this.lr,
      lrFixed: false,
      mode: this.firstOrder ? 'first-order' : 'second-order',
      allowUnused: this.allowUnused,
    };
  }
}

/** Meta-SGD: MAML whose inner step is θ − α⊙∇L with α a learnt parameter per weight (`lrs.<i>`, starting at lr). */
export class MetaSGD<M extends Forward = Forward> extends MAML<M> {
  readonly lrs: ParameterList;

  constructor(module: M, options: MamlOptions) {
    super(module, options);
    this.lrs = new ParameterList(this.module.parameters().map((p) => Parameter(full(p.shape, this.lr, { device: p.device }))));
  }

  protected override spec(): Omit<LearnerSpec, 'tasks'> & { module: M } {
    const rates = new Map(this.module.namedParameters().map(([name], i) => [name, this.lrs[i]]));
    return { ...super.spec(), lrOf: (name) => rates.get(name)!, lrFixed: true };
  }
}

/**
 * ANIL (Raghu et al. 2020, "almost no inner loop"): MAML on the head only. The body's features are
 * computed once per task, features(x), and the learners adapt the head on them; the query loss's
 * backward reaches the body through the features and the head through every inner step.
 * Parameters: body.*, then head.module.* (the head is a MAML).
 */
export class ANIL<B extends Module & { forward(x: Tensor): Tensor } = Module & { forward(x: Tensor): Tensor }, H extends Forward = Forward> extends Module {
  readonly body: B;
  readonly head: MAML<H>;

  constructor(body: B, head: H, options: MamlOptions) {
    super();
    this.body = checkModule('ANIL', body, 'body') as B;
    this.head = new MAML(checkModule('ANIL', head, 'head') as H, options);
  }

  /** A learner for one task (or `tasks` at once): the head, to adapt on features(x). */
  clone(options?: { tasks?: number }): Learner<H> {
    return this.head.clone(options);
  }

  /** The body's features of `x`, computed once per task and fed to learner.forward. */
  features(x: Tensor): Tensor {
    return this.body.forward(x);
  }

  /** The unadapted model: head(body(x)). */
  forward(x: Tensor, ...rest: unknown[]): ReturnType<H['forward']> {
    return (this.head.module.forward as (...args: unknown[]) => ReturnType<H['forward']>)(this.features(x), ...rest);
  }
}
