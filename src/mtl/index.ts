// mtl: the multi-task toolkit. Per-task Jacobians from one batched backward, aggregators that turn
// them into one update (TorchJD's), and mtl.backward that wires both into a training step.
export { jacobian, flattenJacobian, type JacobianOptions } from './jacobian.js';
export { backward, type MtlBackwardOptions, type MtlBackwardResult } from './backward.js';
export * as aggregators from './aggregators/index.js';
export * as weighting from './weighting/index.js';
