// Mixtures of experts for multi-task learning: MMoE (Ma et al. 2018: shared experts, one softmax
// gate per task), CGC and PLE (Tang et al. 2020: shared and task-specific experts; PLE stacks
// extraction levels whose shared part has a gate of its own). Gates read the level's input.
// Parameter names (PyTorch dotted, as a reimplementation would declare them):
//   MMoE: experts.{e}.*, gates.{t}.weight/bias, towers.{t}.*
//   CGC:  level.shared.{e}.*, level.specific.{t}.{e}.*, level.gates.{t}.*, towers.{t}.*
//   PLE:  levels.{l}.shared.{e}.*, levels.{l}.specific.{t}.{e}.*, levels.{l}.gates.{t}.*,
//         levels.{l}.sharedGate.* (every level but the last), towers.{t}.*
import { checkTensor, numberOption } from '../check.js';
import { Linear } from '../nn/layers.js';
import { Module, ModuleList } from '../nn/module.js';
import { stack } from '../ops/dims.js';
import { formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import type { MultiTaskOutput } from './multitask.js';

type Layer = Module & { forward(x: Tensor): Tensor };

export interface ExpertOptions {
  /** Features of the input [N, inputDim]. */
  inputDim: number;
  /** Makes one expert, [N, inDim] → [N, expertDim] (inDim: inputDim at the first level, expertDim after). */
  expert: (inDim: number) => Layer;
  expertDim: number;
  /** One tower per task, [N, expertDim] → the task's output. */
  towers: readonly Layer[];
}

/** Σₑ softmax(gate(x))ₑ · expertₑ: the gate's mixture of expert outputs [N, E, D] → [N, D]. */
function mix(gate: Linear, x: Tensor, outputs: Tensor): Tensor {
  const weights = gate.forward(x).softmax(-1).unsqueeze(-1); // [N, E, 1]
  return outputs.mul(weights).sum(1);
}

function experts(count: number, inDim: number, make: ExpertOptions['expert']): ModuleList<Layer> {
  return new ModuleList(Array.from({ length: count }, () => make(inDim)));
}

function checkInput(op: string, x: unknown, inputDim: number): Tensor {
  const t = checkTensor(op, 'input', x);
  if (t.ndim !== 2 || t.shape[1] !== inputDim) throw new Error(`${op}: expects an input [N, ${inputDim}], got ${formatShape(t.shape)}`);
  return t;
}

function checkTowers(op: string, towers: unknown): readonly Layer[] {
  if (!Array.isArray(towers) || towers.length === 0 || !towers.every((t) => t instanceof Module)) throw new Error(`${op}: towers must be a non-empty array of modules (one per task)`);
  return towers as readonly Layer[];
}

/** MMoE: E shared experts; task t reads softmax(gateₜ(x))-weighted experts through its tower. */
export class MMoE extends Module {
  readonly experts: ModuleList<Layer>;
  readonly gates: ModuleList<Linear>;
  readonly towers: ModuleList<Layer>;
  private readonly inputDim: number;

  constructor(options: ExpertOptions & { experts: number }) {
    super();
    const towers = checkTowers('MMoE', options.towers);
    this.inputDim = numberOption('MMoE', 'inputDim', options.inputDim, 1, { integer: true });
    const count = numberOption('MMoE', 'experts', options.experts, 1, { integer: true });
    this.experts = experts(count, this.inputDim, options.expert);
    this.gates = new ModuleList(towers.map(() => new Linear(this.inputDim, count)));
    this.towers = new ModuleList(towers);
  }

  /** shared: the experts' outputs [N, E, expertDim] (the features every task's gate reads). */
  forward(x: Tensor): MultiTaskOutput {
    checkInput('MMoE', x, this.inputDim);
    const shared = stack(this.experts.map((e) => e.forward(x)), 1);
    return { shared, tasks: this.towers.map((tower, t) => tower.forward(mix(this.gates[t], x, shared))) };
  }
}

/** One extraction level: shared and per-task experts, a gate per task (and optionally one for the shared path). */
class ExtractionLevel extends Module {
  readonly shared: ModuleList<Layer>;
  readonly specific: ModuleList<ModuleList<Layer>>;
  readonly gates: ModuleList<Linear>;
  readonly sharedGate: Linear | null;

  constructor(inDim: number, tasks: number, sharedCount: number, taskCount: number, make: ExpertOptions['expert'], withSharedGate: boolean) {
    super();
    this.shared = experts(sharedCount, inDim, make);
    this.specific = new ModuleList(Array.from({ length: tasks }, () => experts(taskCount, inDim, make)));
    this.gates = new ModuleList(Array.from({ length: tasks }, () => new Linear(inDim, taskCount + sharedCount)));
    this.sharedGate = withSharedGate ? new Linear(inDim, tasks * taskCount + sharedCount) : null;
  }

  /** Task t's input and the shared input → each task's mixture, and the shared mixture (if gated). */
  forward(taskInputs: readonly Tensor[], sharedInput: Tensor): { tasks: Tensor[]; shared: Tensor | null } {
    const shared = this.shared.map((e) => e.forward(sharedInput));
    const specific = this.specific.map((list, t) => list.map((e) => e.forward(taskInputs[t])));
    const tasks = specific.map((own, t) => mix(this.gates[t], taskInputs[t], stack([...own, ...shared], 1)));
    const all = this.sharedGate && mix(this.sharedGate, sharedInput, stack([...specific.flat(), ...shared], 1));
    return { tasks, shared: all };
  }
}

export interface CgcOptions extends ExpertOptions {
  /** Experts every task's gate sees. */
  sharedExperts: number;
  /** Experts of each task's own. */
  taskExperts: number;
}

function levelCounts(op: string, options: CgcOptions): [number, number, number] {
  return [
    numberOption(op, 'inputDim', options.inputDim, 1, { integer: true }),
    numberOption(op, 'sharedExperts', options.sharedExperts, 1, { integer: true }),
    numberOption(op, 'taskExperts', options.taskExperts, 0, { integer: true }),
  ];
}

/** Customized gate control: one extraction level (no shared gate), then a tower per task. */
export class CGC extends Module {
  readonly level: ExtractionLevel;
  readonly towers: ModuleList<Layer>;
  private readonly inputDim: number;

  constructor(options: CgcOptions) {
    super();
    const towers = checkTowers('CGC', options.towers);
    const [inputDim, shared, own] = levelCounts('CGC', options);
    this.inputDim = inputDim;
    this.level = new ExtractionLevel(inputDim, towers.length, shared, own, options.expert, false);
    this.towers = new ModuleList(towers);
  }

  forward(x: Tensor): { tasks: Tensor[] } {
    checkInput('CGC', x, this.inputDim);
    const { tasks } = this.level.forward(this.towers.map(() => x), x);
    return { tasks: tasks.map((h, t) => this.towers[t].forward(h)) };
  }
}

/** Progressive layered extraction: `levels` extraction levels (each but the last with a shared gate), then a tower per task. */
export class PLE extends Module {
  readonly levels: ModuleList<ExtractionLevel>;
  readonly towers: ModuleList<Layer>;
  private readonly inputDim: number;

  constructor(options: CgcOptions & { levels: number }) {
    super();
    const towers = checkTowers('PLE', options.towers);
    const [inputDim, shared, own] = levelCounts('PLE', options);
    const depth = numberOption('PLE', 'levels', options.levels, 1, { integer: true });
    this.inputDim = inputDim;
    this.levels = new ModuleList(
      Array.from({ length: depth }, (_, l) => new ExtractionLevel(l === 0 ? inputDim : options.expertDim, towers.length, shared, own, options.expert, l < depth - 1)),
    );
    this.towers = new ModuleList(towers);
  }

  forward(x: Tensor): { tasks: Tensor[] } {
    checkInput('PLE', x, this.inputDim);
    let tasks: Tensor[] = this.towers.map(() => x);
    let shared: Tensor | null = x;
    for (const level of this.levels) ({ tasks, shared } = level.forward(tasks, shared!));
    return { tasks: tasks.map((h, t) => this.towers[t].forward(h)) };
  }
}
