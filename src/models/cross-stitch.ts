// Cross-stitch networks (Misra et al. 2016): one column of layers per task, and after each layer
// but the last a cross-stitch unit that replaces every task's activation by a learned linear
// combination of all tasks' activations, x̃ₜ = Σₛ αₜₛ·xₛ (α initialised to selfWeight on the
// diagonal, the rest shared equally). Parameter names: columns.{t}.{l}.*, stitches.{l}.weight [T, T].
import { describe, numberOption } from '../check.js';
import { tensor } from '../creation.js';
import { Module, ModuleList, Parameter } from '../nn/module.js';
import { stack } from '../ops/dims.js';
import type { Tensor } from '../tensor.js';

type Layer = Module & { forward(x: Tensor): Tensor };

class CrossStitchUnit extends Module {
  readonly weight: Tensor;
  constructor(tasks: number, selfWeight: number) {
    super();
    const other = tasks > 1 ? (1 - selfWeight) / (tasks - 1) : 0;
    this.weight = Parameter(tensor(Array.from({ length: tasks }, (_, t) => Array.from({ length: tasks }, (__, s) => (s === t ? selfWeight : other)))));
  }
  /** The T activations mixed: row t of weight applied across the tasks. */
  forward(xs: readonly Tensor[]): Tensor[] {
    const stacked = stack(xs, 0); // [T, ...]
    const mixed = this.weight.matmul(stacked.reshape([xs.length, -1])).reshape(stacked.shape);
    return xs.map((_, t) => mixed.narrow(0, t, 1).reshape(xs[t].shape));
  }
}

export interface CrossStitchOptions {
  /** columns[t]: task t's layers, all columns of one depth (layer l of every column gives one shape). */
  columns: readonly (readonly Layer[])[];
  /** The initial weight a task gives itself (the paper's αS, 0.9). */
  selfWeight?: number;
}

export class CrossStitchNet extends Module {
  readonly columns: ModuleList<ModuleList<Layer>>;
  readonly stitches: ModuleList<CrossStitchUnit>;

  constructor({ columns, selfWeight = 0.9 }: CrossStitchOptions) {
    super();
    const ok = Array.isArray(columns) && columns.length > 0 && columns.every((c) => Array.isArray(c) && c.length === columns[0].length && c.length > 0 && c.every((l) => l instanceof Module));
    if (!ok) throw new Error(`CrossStitchNet: columns must be T ≥ 1 arrays of modules, all of one depth ≥ 1, got ${describe(columns)}`);
    numberOption('CrossStitchNet', 'selfWeight', selfWeight, 0, { max: 1 });
    this.columns = new ModuleList(columns.map((c) => new ModuleList(c)));
    this.stitches = new ModuleList(Array.from({ length: columns[0].length - 1 }, () => new CrossStitchUnit(columns.length, selfWeight)));
  }

  /** One input for every task (or one per task); each task's output. */
  forward(x: Tensor | readonly Tensor[]): { tasks: Tensor[] } {
    let hs = Array.isArray(x) ? [...x] : this.columns.map(() => x as Tensor);
    if (hs.length !== this.columns.length) throw new Error(`CrossStitchNet: got ${hs.length} task inputs for ${this.columns.length} tasks`);
    const depth = this.columns[0].length;
    for (let l = 0; l < depth; l++) {
      hs = hs.map((h, t) => this.columns[t][l].forward(h));
      if (l < depth - 1) hs = this.stitches[l].forward(hs);
    }
    return { tasks: hs };
  }
}
