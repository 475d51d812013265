// Optimizers (torch.optim): Adam, AdamW and SGD over parameter groups, each step a few in-place
// multi-tensor kernel launches per group (the state of a group's parameters packed in flat storages);
// RMSprop and Adagrad, composed of tensor ops.
export { Optimizer, type OptimizerStateDict, type ParamGroup, type ParamsInput } from './optimizer.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { SGD, type SgdOptions } from './sgd.js';
export { RMSprop, type RmspropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export type { ParamState } from './state.js';
export * as lrScheduler from './lr-scheduler.js';
