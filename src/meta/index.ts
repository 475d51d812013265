// meta: the few-shot toolkit. Optimisation-based meta-learners (MAML, FOMAML, Meta-SGD, ANIL,
// Reptile) that clone a learner per task and adapt it, and metric learners (ProtoNet, MatchingNet,
// SiameseNet) that score queries against an episode's support set.
export { MAML, MetaSGD, ANIL, type MamlOptions } from './maml.js';
export { Reptile, type ReptileOptions } from './reptile.js';
export { Learner, type AdaptOptions } from './learner.js';
export { ProtoNet, MatchingNet, SiameseNet } from './metric.js';
export type { InnerOptimizer, InnerAdamOptions } from './inner.js';
