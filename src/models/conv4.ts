// Conv-4, the few-shot backbone of Matching Networks, Prototypical Networks and MAML: `depth` blocks
// of [conv 3×3 (padding 1) → BatchNorm2d → ReLU → max-pool 2], flattened to [N, outFeatures].
import { checkOptions, describe, numberOption } from '../check.js';
import { Conv2d, MaxPool2d } from '../nn/conv.js';
import { Flatten, ReLU } from '../nn/layers.js';
import { Sequential } from '../nn/module.js';
import { BatchNorm2d } from '../nn/norm-layers.js';

export interface Conv4Options {
  /** Input channels (default 1: Omniglot, MNIST). */
  inChannels?: number;
  /** Channels of every block (default 64). */
  hidden?: number;
  /** Blocks (default 4). */
  depth?: number;
  /** The input's height and width, for outFeatures (default 28). */
  imageSize?: number;
  /** BatchNorm's running statistics (default true); false: batch statistics in eval too, as MAML's transductive setting. */
  trackRunningStats?: boolean;
}

export class Conv4 extends Sequential {
  /** Features of the flattened output for imageSize × imageSize inputs. */
  readonly outFeatures: number;

  constructor(options: Conv4Options = {}) {
    const op = 'Conv4';
    const given = checkOptions(op, options, ['inChannels', 'hidden', 'depth', 'imageSize', 'trackRunningStats']);
    const inChannels = numberOption(op, 'inChannels', given.inChannels ?? 1, 1, { integer: true });
    const hidden = numberOption(op, 'hidden', given.hidden ?? 64, 1, { integer: true });
    const depth = numberOption(op, 'depth', given.depth ?? 4, 1, { integer: true });
    const imageSize = numberOption(op, 'imageSize', given.imageSize ?? 28, 2 ** depth, { integer: true });
    const trackRunningStats = given.trackRunningStats ?? true;
    if (typeof trackRunningStats !== 'boolean') throw new Error(`${op}: trackRunningStats must be true or false, got ${describe(trackRunningStats)}`);
    const blocks = Array.from({ length: depth }, (_, i) =>
      new Sequential(new Conv2d(i === 0 ? inChannels : hidden, hidden, 3, { padding: 1 }), new BatchNorm2d(hidden, { trackRunningStats }), new ReLU(), new MaxPool2d(2)),
    );
    super(...blocks, new Flatten());
    let side = imageSize;
    for (let i = 0; i < depth; i++) side = Math.floor(side / 2);
    this.outFeatures = hidden * side * side;
  }
}
