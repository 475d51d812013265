// Parameter initialisation, as torch.nn.init. Like PyTorch's trailing-underscore functions, each one
// overwrites the values of the tensor it is given, in place (its storage; the tensor stays the same
// object, so a module's field, an optimizer's list and a state dict all see the new values), and
// returns that tensor: init.kaimingNormal(layer.weight, { mode: 'fanOut' }). No graph is recorded.
// The values come from the seeded host generator (manualSeed), so every backend gets the same ones.
import { checkChoice, checkOptions, checkTensor, describe } from '../check.js';
import { tensor, zeros as zerosOf } from '../creation.js';
import { normalValues, uniformValues } from '../random.js';
import { formatShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assign } from './module.js';

/** PyTorch's nonlinearity names, as calculate_gain takes them. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

const NONLINEARITIES: readonly Nonlinearity[] = [
  'linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu',
];

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear, conv and
 * sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu (param = slope, 0.01 by
 * default), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  checkChoice('calculateGain', 'nonlinearity', nonlinearity, NONLINEARITIES);
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'selu':
      return 3 / 4;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`calculateGain: the negative slope of leaky_relu must be a finite number, got ${describe(slope)}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      return 1;
  }
}

/** fan_in = size(1) · receptive field, fan_out = size(0) · receptive field (torch's _calculate_fan_in_and_fan_out). */
function fans(op: string, t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`${op}: fan in and fan out need a tensor of at least 2 dims ([out, in, ...]), got ${formatShape(t.shape)}`);
  const receptive = sizeOf(t.shape.slice(2));
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Writes `values` into `t` in place and returns `t`. */
function fill(op: string, t: Tensor, values: (n: number) => Float32Array): Tensor {
  checkTensor(op, 'tensor', t, 'pass a parameter, e.g. layer.weight');
  const source = tensor(values(t.size), { shape: t.shape, device: t.device });
  assign(t, source);
  source.dispose();
  return t;
}

function checkFinite(op: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${op}: ${what} must be a finite number, got ${describe(value)}`);
  return value;
}

/** Fills `t` with samples of U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1): Tensor {
  checkFinite('uniform', 'a', a);
  checkFinite('uniform', 'b', b);
  if (!(a <= b)) throw new Error(`uniform: needs a ≤ b, got a = ${a}, b = ${b}`);
  return fill('uniform', t, (n) => uniformValues(n, a, b));
}

/** Fills `t` with samples of N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  checkFinite('normal', 'mean', mean);
  if (!(checkFinite('normal', 'std', std) >= 0)) throw new Error(`normal: std must be ≥ 0, got ${std}`);
  return fill('normal', t, (n) => normalValues(n, mean, std));
}

/** Fills `t` with 0. */
export const zeros = (t: Tensor): Tensor => fill('zeros', t, (n) => new Float32Array(n));
/** Fills `t` with 1. */
export const ones = (t: Tensor): Tensor => fill('ones', t, (n) => new Float32Array(n).fill(1));

export interface KaimingOptions {
  /** The negative slope of the leaky_relu that follows (0 by default: plain relu). */
  a?: number;
  /** 'fanIn' (default) keeps the forward variance, 'fanOut' the backward's (torch's 'fan_in' / 'fan_out'). */
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

/** std = gain / √fan for Kaiming (He) initialisation. */
function kaimingStd(op: string, t: Tensor, options: KaimingOptions | undefined): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = checkOptions(op, options, ['a', 'mode', 'nonlinearity']);
  checkChoice(op, 'mode', mode, ['fanIn', 'fanOut']);
  checkFinite(op, 'a', a);
  const { fanIn, fanOut } = fans(op, t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  return fan > 0 ? calculateGain(nonlinearity, a) / Math.sqrt(fan) : 0;
}

/** U(−bound, bound) with bound = gain · √(3 / fan) (torch.nn.init.kaiming_uniform_). */
export function kaimingUniform(t: Tensor, options?: KaimingOptions): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', t, options);
  return fill('kaimingUniform', t, (n) => uniformValues(n, -bound, bound));
}

/** N(0, std²) with std = gain / √fan (torch.nn.init.kaiming_normal_). */
export function kaimingNormal(t: Tensor, options?: KaimingOptions): Tensor {
  const std = kaimingStd('kaimingNormal', t, options);
  return fill('kaimingNormal', t, (n) => normalValues(n, 0, std));
}

/** std = gain · √(2 / (fan_in + fan_out)) for Xavier (Glorot) initialisation. */
function xavierStd(op: string, t: Tensor, gain: number): number {
  checkFinite(op, 'gain', gain);
  const { fanIn, fanOut } = fans(op, t);
  return fanIn + fanOut > 0 ? gain * Math.sqrt(2 / (fanIn + fanOut)) : 0;
}

/** U(−a, a) with a = gain · √(6 / (fan_in + fan_out)) (torch.nn.init.xavier_uniform_). */
export function xavierUniform(t: Tensor, gain = 1): Tensor {
  const bound = Math.sqrt(3) * xavierStd('xavierUniform', t, gain);
  return fill('xavierUniform', t, (n) => uniformValues(n, -bound, bound));
}

/** N(0, std²) with std = gain · √(2 / (fan_in + fan_out)) (torch.nn.init.xavier_normal_). */
export function xavierNormal(t: Tensor, gain = 1): Tensor {
  const std = xavierStd('xavierNormal', t, gain);
  return fill('xavierNormal', t, (n) => normalValues(n, 0, std));
}

/**
 * @internal A new tensor of `shape` drawn from U(±1/√fanIn): PyTorch's default for a Linear's or a
 * conv's bias, and what kaiming_uniform_(a = √5) gives their weight (gain √(1/3), bound
 * gain · √(3 / fanIn) = 1/√fanIn).
 */
export function kaimingUniformLinear(shape: readonly number[], fanIn: number): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(zerosOf(shape), -bound, bound);
}
