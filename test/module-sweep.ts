// One instance and input of every module class that nn and models export (the containers have no
// forward), for the tests that must hold on all of them: functionalCall, batched learners.
import { models, nn, randn, tensor, type Tensor } from '../src/index.js';

/** Every tensor in a module's output (a tensor, an array, or an object of them), in order. */
export const tensorsOf = (out: unknown): Tensor[] =>
  out instanceof nn.Module ? [] : typeof out === 'object' && out !== null && !('shape' in out) ? Object.values(out).flatMap(tensorsOf) : [out as Tensor];

export type Sweep = [name: string, make: () => nn.Module, inputs: () => Tensor[]];
const linear = (i: number, o: number) => new nn.Linear(i, o);
const expert = (d: number) => new nn.Sequential(linear(d, 4), new nn.ReLU());
const towers = () => [linear(4, 1), linear(4, 2)];
const x = (...shape: number[]) => () => [randn(shape)];
/** One instance and input of every module class that nn and models export (the containers have no forward). */
export const sweep: Sweep[] = [
  ['Linear', () => linear(3, 2), x(4, 3)],
  ['ReLU', () => new nn.ReLU(), x(5)],
  ['Sigmoid', () => new nn.Sigmoid(), x(5)],
  ['Tanh', () => new nn.Tanh(), x(5)],
  ['GELU', () => new nn.GELU(), x(5)],
  ['LeakyReLU', () => new nn.LeakyReLU(0.1), x(5)],
  ['Softmax', () => new nn.Softmax(1), x(2, 5)],
  ['LogSoftmax', () => new nn.LogSoftmax(1), x(2, 5)],
  ['Dropout', () => new nn.Dropout(0.5).eval(), x(6)],
  ['Identity', () => new nn.Identity(), x(3)],
  ['Flatten', () => new nn.Flatten(), x(2, 3, 2)],
  ['Embedding', () => new nn.Embedding(6, 3), () => [tensor([0, 5, 2])]],
  ['Sequential', () => new nn.Sequential(linear(3, 4), new nn.Tanh(), linear(4, 2)), x(2, 3)],
  ['BatchNorm1d', () => new nn.BatchNorm1d(3).eval(), x(4, 3)],
  ['BatchNorm2d', () => new nn.BatchNorm2d(2).eval(), x(3, 2, 3, 3)],
  ['LayerNorm', () => new nn.LayerNorm(4), x(2, 4)],
  ['Conv2d', () => new nn.Conv2d(2, 3, 3, { padding: 1 }), x(1, 2, 4, 4)],
  ['MaxPool2d', () => new nn.MaxPool2d(2), x(1, 2, 4, 4)],
  ['AvgPool2d', () => new nn.AvgPool2d(2), x(1, 2, 4, 4)],
  ['AdaptiveAvgPool2d', () => new nn.AdaptiveAvgPool2d(1), x(1, 2, 4, 4)],
  ['MSELoss', () => new nn.MSELoss(), () => [randn([4]), randn([4])]],
  ['L1Loss', () => new nn.L1Loss(), () => [randn([4]), randn([4])]],
  ['SmoothL1Loss', () => new nn.SmoothL1Loss(), () => [randn([4]), randn([4])]],
  ['HuberLoss', () => new nn.HuberLoss(), () => [randn([4]), randn([4])]],
  ['CrossEntropyLoss', () => new nn.CrossEntropyLoss(), () => [randn([3, 4]), tensor([0, 3, 1])]],
  ['NLLLoss', () => new nn.NLLLoss(), () => [randn([3, 4]).logSoftmax(1), tensor([0, 3, 1])]],
  ['BCEWithLogitsLoss', () => new nn.BCEWithLogitsLoss(), () => [randn([4]), tensor([0, 1, 1, 0])]],
  ['BCELoss', () => new nn.BCELoss(), () => [randn([4]).sigmoid(), tensor([0, 1, 1, 0])]],
  ['KLDivLoss', () => new nn.KLDivLoss(), () => [randn([2, 3]).logSoftmax(1), randn([2, 3]).softmax(1)]],
  ['CosineEmbeddingLoss', () => new nn.CosineEmbeddingLoss(), () => [randn([3, 4]), randn([3, 4]), tensor([1, -1, 1])]],
  ['ContrastiveLoss', () => new nn.ContrastiveLoss(), () => [randn([3, 4]), randn([3, 4]), tensor([0, 1, 1])]],
  ['OneShotNet', () => new models.OneShotNet(3, 2), x(2, 3)],
  ['MultiTaskNet', () => new models.MultiTaskNet(3, 2, 4), x(2, 3)],
  ['SharedParameterNet', () => new models.SharedParameterNet({ inputDim: 3, taskNum: 2, sharedDims: [4, 2] }), x(2, 3)],
  ['HardSharingNet', () => new models.HardSharingNet({ trunk: linear(3, 4), heads: { a: linear(4, 1), b: linear(4, 2) } }), x(2, 3)],
  ['CrossStitchNet', () => new models.CrossStitchNet({ columns: [[linear(3, 4), linear(4, 1)], [linear(3, 4), linear(4, 1)]] }), x(2, 3)],
  ['MMoE', () => new models.MMoE({ inputDim: 3, expert, expertDim: 4, experts: 3, towers: towers() }), x(2, 3)],
  ['CGC', () => new models.CGC({ inputDim: 3, expert, expertDim: 4, sharedExperts: 2, taskExperts: 1, towers: towers() }), x(2, 3)],
  ['PLE', () => new models.PLE({ inputDim: 3, expert, expertDim: 4, sharedExperts: 2, taskExperts: 1, levels: 2, towers: towers() }), x(2, 3)],
  ['Conv4', () => new models.Conv4({ hidden: 3, depth: 2, imageSize: 8 }).eval(), x(2, 1, 8, 8)],
];

const CONTAINERS = ['Module', 'ModuleList', 'ModuleDict', 'ParameterList'];

/** The names of the module classes nn and models export, sorted (the containers left out). */
export const exportedModuleClasses = (): string[] =>
  [...Object.entries(nn), ...Object.entries(models)]
    .filter(([, v]) => typeof v === 'function' && (v === nn.Module || v.prototype instanceof nn.Module))
    .map(([name]) => name)
    .filter((name) => !CONTAINERS.includes(name))
    .sort();
