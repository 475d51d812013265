// Multi-task models from the article: hard parameter sharing through one shared matrix
// (SharedParameterNet), through shared layers (HardSharingNet and its article instance
// MultiTaskNet), and the one-example net (OneShotNet).
import { Linear } from '../nn/layers.js';
import { kaimingUniformLinear } from '../nn/init.js';
import { Module, ModuleList, Parameter } from '../nn/module.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

type Layer = Module & { forward(x: Tensor): Tensor };

export interface MultiTaskOutput<T = Tensor[]> {
  /** The shared representation every head reads. */
  shared: Tensor;
  /** One output per task. */
  tasks: T;
}

/** A shared trunk feeding one head per task; heads as a list or by task name. */
export class HardSharingNet<H extends Layer[] | Record<string, Layer> = Layer[]> extends Module {
  readonly trunk: Layer;
  readonly heads: Module;

  constructor({ trunk, heads }: { trunk: Layer; heads: H }) {
    super();
    this.trunk = trunk;
    this.heads = Array.isArray(heads) ? new ModuleList(heads) : new TaskHeads(heads);
  }

  forward(x: Tensor): MultiTaskOutput<H extends Layer[] ? Tensor[] : Record<string, Tensor>> {
    const shared = this.trunk.forward(x);
    const heads = this.heads;
    const tasks = heads instanceof TaskHeads ? heads.apply(shared) : (heads as ModuleList<Layer>).map((h) => h.forward(shared));
    return { shared, tasks } as MultiTaskOutput<H extends Layer[] ? Tensor[] : Record<string, Tensor>>;
  }
}

/** Heads stored under their task names, so parameters are named `heads.<task>.weight`. */
class TaskHeads extends Module {
  constructor(heads: Record<string, Layer>) {
    super();
    Object.assign(this, heads);
  }
  apply(shared: Tensor): Record<string, Tensor> {
    return Object.fromEntries(this.namedChildren().map(([name, head]) => [name, (head as Layer).forward(shared)]));
  }
  forward(): never {
    throw new Error('TaskHeads has no forward of its own: HardSharingNet calls each head');
  }
}

/** The article's model: sharedLayer = Linear(inputDim, hiddenDim), taskLayers = one Linear(hiddenDim, 1) per task. */
export class MultiTaskNet extends Module {
  readonly sharedLayer: Linear;
  readonly taskLayers: ModuleList<Linear>;

  constructor(inputDim: number, taskNum: number, hiddenDim: number) {
    super();
    this.sharedLayer = new Linear(inputDim, hiddenDim);
    this.taskLayers = new ModuleList(Array.from({ length: taskNum }, () => new Linear(hiddenDim, 1)));
  }

  forward(x: Tensor): MultiTaskOutput {
    const shared = this.sharedLayer.forward(x);
    return { shared, tasks: this.taskLayers.map((layer) => layer.forward(shared)) };
  }
}

export interface SharedParameterNetOptions {
  inputDim: number;
  taskNum: number;
  /** Rows d and columns k of the shared matrix W ∈ R^{d×k}. */
  sharedDims: readonly [number, number];
  outputDim?: number;
}

/**
 * Hard sharing through one parameter matrix: task i maps its input through its own input layer to
 * R^d, multiplies by the shared W ∈ R^{d×k}, and reads its output through its own output layer.
 */
export class SharedParameterNet extends Module {
  readonly shared: Tensor;
  readonly inputLayers: ModuleList<Linear>;
  readonly outputLayers: ModuleList<Linear>;

  constructor({ inputDim, taskNum, sharedDims: [d, k], outputDim = 1 }: SharedParameterNetOptions) {
    super();
    this.shared = Parameter(kaimingUniformLinear([d, k], d));
    this.inputLayers = new ModuleList(Array.from({ length: taskNum }, () => new Linear(inputDim, d)));
    this.outputLayers = new ModuleList(Array.from({ length: taskNum }, () => new Linear(k, outputDim)));
  }

  /** One input for every task, or one per task. */
  forward(x: Tensor | readonly Tensor[]): { tasks: Tensor[] } {
    const inputs = Array.isArray(x) ? x : this.inputLayers.map(() => x as Tensor);
    if (inputs.length !== this.inputLayers.length) {
      throw new Error(`SharedParameterNet: got ${inputs.length} task inputs for ${this.inputLayers.length} tasks (${inputs.map((t) => formatShape(t.shape)).join(', ')})`);
    }
    return { tasks: inputs.map((xi, i) => this.outputLayers[i].forward(this.inputLayers[i].forward(xi).matmul(this.shared))) };
  }
}

/** The article's one-shot net: one Linear(inputDim, outputDim) fit to a single example. */
export class OneShotNet extends Module {
  readonly layer: Linear;
  constructor(inputDim: number, outputDim: number) {
    super();
    this.layer = new Linear(inputDim, outputDim);
  }
  forward(x: Tensor): Tensor {
    return this.layer.forward(x);
  }
}
