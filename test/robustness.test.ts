// Bad input gets a clear error, PyTorch habits work (issue 9, items 13–14): optimizer options
// (a number as lr, unknown keys, out-of-range values, a NaN lr set before step), frozen parameters.
import { describe, expect, test } from 'vitest';
import { init, models, nn, optim, tensor, type DeviceName, type Tensor } from '../src/index.js';

const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];
const leaf = (values: number[], device?: DeviceName): Tensor => tensor(values, { requiresGrad: true, device });

describe('optimizer options (item 13)', () => {
  test.each([
    ['Adam', (ps: Tensor[]) => new optim.Adam(ps, 0.01)],
    ['AdamW', (ps: Tensor[]) => new optim.AdamW(ps, 0.01)],
    ['SGD', (ps: Tensor[]) => new optim.SGD(ps, 0.01)],
  ])('new %s(params, 0.01) takes the number as the learning rate', (_, make) => {
    const opt = make([leaf([1], 'reference')]);
    expect(opt.paramGroups[0]).toMatchObject({ lr: 0.01 });
  });

  test('AdamW keeps its own weightDecay default', () => {
    expect(new optim.AdamW([leaf([1], 'reference')], 0.01).paramGroups[0].weightDecay).toBe(1e-2);
  });

  test('unknown option keys are refused naming the known ones, for the optimizer and for a group', () => {
    const p = leaf([1], 'reference');
    expect(() => new optim.Adam([p], { lR: 0.5 } as object)).toThrow("Adam: unknown option(s) 'lR'; the options are lr, betas, eps, weightDecay, amsgrad");
    expect(() => new optim.SGD([{ params: [p], momentun: 0.9 }], { lr: 0.1 })).toThrow("SGD: param group 0: unknown option(s) 'momentun'; the options are params, lr, momentum");
    expect(() => new optim.Adam([p], '0.1' as unknown as number)).toThrow('Adam: options must be an object {lr, betas, eps, weightDecay, amsgrad}, got the string "0.1"');
  });

  test('lr Infinity, negative or NaN, and betas outside [0, 1), are refused', () => {
    const p = leaf([1], 'reference');
    expect(() => new optim.Adam([p], Infinity)).toThrow('Adam: invalid lr Infinity (must be a finite number ≥ 0)');
    expect(() => new optim.Adam([p], { lr: -0.1 })).toThrow('Adam: invalid lr -0.1');
    expect(() => new optim.SGD([p], NaN)).toThrow('SGD: invalid lr NaN');
    expect(() => new optim.Adam([p], { betas: [0.9, 1] })).toThrow('Adam: invalid betas[1] 1 (must be in [0, 1))');
    expect(() => new optim.Adam([p], { betas: [-0.5, 0.9] })).toThrow('Adam: invalid betas[0] -0.5');
  });

  test('a paramGroups[i].lr set to NaN before step() is refused at step, and nothing moves', async () => {
    const p = leaf([1, 2], 'reference');
    const opt = new optim.Adam([p], 0.5);
    opt.paramGroups[0].lr = NaN;
    p.grad = tensor([1, 1], { device: 'reference' });
    expect(() => opt.step()).toThrow('Adam.step: param group 0: invalid lr NaN (must be a finite number ≥ 0)');
    expect(Array.from(await p.data())).toEqual([1, 2]);
  });

  test('SGD without lr says how to give one', () => {
    const p = leaf([1], 'reference');
    expect(() => new (optim.SGD as new (ps: Tensor[]) => optim.SGD)([p])).toThrow('SGD: lr is required: new SGD(params, 0.01) or new SGD(params, { lr: 0.01, momentum: 0.9 })');
  });
});

describe.each(DEVICES)('frozen parameters on %s (item 14)', (device) => {
  test.each([
    ['Adam', (ps: Tensor[]) => new optim.Adam(ps, 0.1)],
    ['SGD', (ps: Tensor[]) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 })],
  ])('%s accepts a parameter with requiresGrad = false and skips it', async (_, make) => {
    await init({ backend: device });
    const net = new models.OneShotNet(2, 1);
    net.layer.bias!.requiresGrad = false; // fine-tuning: freeze the bias
    const before = await net.layer.bias!.data();
    const weight = await net.layer.weight.data();
    const opt = make(net.parameters());
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      nn.functional.mseLoss(net.forward(tensor([[1, 2]])), tensor([[3]])).backward();
      opt.step();
    }
    expect(net.layer.bias!.grad).toBeNull();
    expect(await net.layer.bias!.data()).toEqual(before);
    expect(await net.layer.weight.data()).not.toEqual(weight);
  });
});

test('an optimizer still refuses tensors that are not leaves, naming the op that made them', () => {
  const p = leaf([1, 2], 'reference');
  expect(() => new optim.Adam([p.mul(2)])).toThrow("Adam: parameter 0 (group 0, [2]) is not a leaf tensor (it was computed by 'mulS')");
});
