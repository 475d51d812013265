// mtl.aggregators: from a [T, P] Jacobian to one update direction (TorchJD's aggregators).
export { Aggregator, WeightedAggregator } from '../aggregator.js';
export { GradDrop, Mean, Random, Sum, type GradDropOptions, type RandomOptions } from './basic.js';
export { DualProj, GradVac, PCGrad, UPGrad, type DualConeOptions, type GradVacOptions, type ShuffledOptions } from './projection.js';
export { AlignedMTL, CAGrad, ConFIG, IMTLG, MGDA, NashMTL, type CaGradOptions, type MgdaOptions, type NashMtlOptions, type PreferenceOptions } from './balance.js';
