export { HardSharingNet, MultiTaskNet, OneShotNet, SharedParameterNet, type MultiTaskOutput, type SharedParameterNetOptions } from './multitask.js';
