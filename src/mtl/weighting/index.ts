// mtl.weighting: loss weightings (LibMTL's), used by mtl.backward like the aggregators.
export { Weighting, LossWeighting, type TaskProblem } from './weighting.js';
export { DWA, EW, GLS, RLW, UW, type DwaOptions, type SeedOptions, type UwOptions } from './losses.js';
export { DBMTL, GradNorm, type DbMtlOptions, type GradNormOptions } from './gradients.js';
