// nn: modules, layers, losses and their functional forms (torch.nn's shape, camelCase names).
export { Module, ModuleList, ModuleDict, ParameterList, Sequential, Parameter, isParameter, Buffer, isBuffer, type StateDict } from './module.js';
export { Linear, ReLU, Sigmoid, Tanh, MSELoss, CrossEntropyLoss, BCEWithLogitsLoss, Identity, Flatten, GELU, LeakyReLU, Softmax, LogSoftmax, Dropout, Embedding } from './layers.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, type BatchNormLayerOptions } from './norm-layers.js';
export { L1Loss, NLLLoss, BCELoss, SmoothL1Loss, HuberLoss, KLDivLoss, CosineEmbeddingLoss, ContrastiveLoss } from './loss-layers.js';
export { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Conv2dModuleOptions } from './conv.js';
export { functionalCall } from './functional-call.js';
export * as functional from './functional.js';
export * as init from './init.js';
export * as utils from './utils.js';
