// Parameter initialisation, as torch.nn.init.
import { rand, type TensorOptions } from '../creation.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';

/** U(low, high) of `shape`. */
export const uniform = (shape: readonly number[], low: number, high: number, options: TensorOptions = {}): Tensor =>
  tidy(() => rand(shape, { device: options.device }).mul(high - low).add(low));

/**
 * PyTorch's kaiming_uniform_(a = √5) for a Linear weight [out, in]: gain √(2 / (1 + a²)) = √(1/3),
 * bound = gain · √(3 / fanIn) = 1 / √fanIn.
 */
export const kaimingUniformLinear = (shape: readonly number[], fanIn: number, options: TensorOptions = {}): Tensor => {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return uniform(shape, -bound, bound, options);
};
