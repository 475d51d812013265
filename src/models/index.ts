export { HardSharingNet, MultiTaskNet, OneShotNet, SharedParameterNet, type MultiTaskOutput, type SharedParameterNetOptions } from './multitask.js';
export { CrossStitchNet, type CrossStitchOptions } from './cross-stitch.js';
export { CGC, MMoE, PLE, type CgcOptions, type ExpertOptions } from './experts.js';
export { Conv4, type Conv4Options } from './conv4.js';
