// nn: modules, layers, losses and their functional forms (torch.nn's shape, camelCase names).
export { Module, ModuleList, Sequential, Parameter, isParameter, type StateDict } from './module.js';
export { Linear, ReLU, Sigmoid, Tanh, MSELoss, CrossEntropyLoss, BCEWithLogitsLoss } from './layers.js';
export { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Conv2dModuleOptions } from './conv.js';
export * as functional from './functional.js';
export * as init from './init.js';
export * as utils from './utils.js';
