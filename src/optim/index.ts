// Optimizers (torch.optim): Adam, AdamW and SGD over parameter groups, each step one in-place kernel
// launch per parameter.
export { Optimizer, type OptimizerStateDict, type ParamGroup, type ParamsInput } from './optimizer.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { SGD, type SgdOptions } from './sgd.js';
export type { ParamState } from './state.js';
