// Bad input gets a clear error, PyTorch habits work (issue 9, items 13–16): optimizer options
// (a number as lr, unknown keys, out-of-range values, a NaN lr set before step), frozen parameters,
// init's choices, and argument checks at the public entry points.
import { describe, expect, test } from 'vitest';
import { cat, full, init, matmul, models, nn, optim, tensor, zeros, type DeviceName, type Tensor } from '../src/index.js';

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
    expect(() => new optim.SGD([{ params: [p], momentun: 0.9 } as { params: Tensor[] }], { lr: 0.1 })).toThrow("SGD: param group 0: unknown option(s) 'momentun'; the options are params, lr, momentum");
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
    expect(() => new (optim.SGD as unknown as new (ps: Tensor[]) => optim.SGD)([p])).toThrow('SGD: lr is required: new SGD(params, 0.01) or new SGD(params, { lr: 0.01, momentum: 0.9 })');
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

describe('init (item 15)', () => {
  test.each([
    [{ backend: 'tpu' }, "init: backend must be one of 'auto', 'webgpu', 'cpu', 'reference', got the string \"tpu\""],
    ['cpu', "init: expects an options object, init({ backend: 'cpu' }), got the string \"cpu\""],
    [null, 'init: options must be an object {backend}, got null'],
    [{ device: 'cpu' }, "init: unknown option(s) 'device'; the options are backend"],
  ])('init(%j) is refused listing the valid choices', async (options, message) => {
    await expect(init(options as { backend: 'cpu' })).rejects.toThrow(message);
  });
});

describe.each(DEVICES)('argument checks on %s (item 16)', (device) => {
  test('binary ops want a Tensor or a number', async () => {
    await init({ backend: device });
    const x = tensor([1, 2, 3]);
    const bad: unknown[] = ['3', [1, 2, 3], undefined];
    const got = ['the string "3"', 'an array of 3 item(s)', 'undefined'];
    bad.forEach((b, i) => expect(() => x.add(b as number)).toThrow(`add: the other operand must be a Tensor or a number, got ${got[i]}; make a tensor with tensor(...)`));
    expect(() => x.mul(true as unknown as number)).toThrow('mul: the other operand must be a Tensor or a number, got the boolean true');
    expect(() => matmul(x, [1, 2, 3] as unknown as Tensor)).toThrow('matmul: operand 1 must be a Tensor, got an array of 3 item(s)');
    expect(() => cat([x, 1 as unknown as Tensor])).toThrow('cat: tensors[1] must be a Tensor, got the number 1');
    expect(() => nn.functional.mseLoss(x, [1, 2, 3] as unknown as Tensor)).toThrow('mseLoss: target must be a Tensor, got an array of 3 item(s)');
  });

  test('reshape and expand take sizes as PyTorch varargs or one array', async () => {
    await init({ backend: device });
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(x.reshape(3, 2).shape).toEqual([3, 2]);
    expect(x.reshape(-1, 3).shape).toEqual([2, 3]);
    expect(x.reshape([2, 3]).shape).toEqual([2, 3]);
    expect(await x.reshape(1, 6).expand(2, 6).sum().item()).toBe(42);
    expect(() => x.reshape('3' as unknown as number)).toThrow('reshape: expects the sizes as numbers, reshape(2, 3), or one array of them, reshape([2, 3]); got (the string "3")');
    expect(() => x.sum('0' as unknown as number)).toThrow('sum: dim must be a number or an array of numbers, got the string "0"');
  });

  test('tensor() converts typed arrays and refuses bigints, naming where', async () => {
    await init({ backend: device });
    expect(Array.from(await tensor(new Float64Array([0.5, 2])).data())).toEqual([0.5, 2]);
    const ints = tensor(new Int32Array([1, -2, 3, 4]), { shape: [2, 2] });
    expect(await ints.array()).toEqual([[1, -2], [3, 4]]);
    expect(Array.from(await tensor(new Uint8Array([255, 0])).data())).toEqual([255, 0]);
    expect(() => tensor([1n] as unknown as number[])).toThrow('tensor: expected a number, nested arrays of numbers or a typed array; got the bigint 1n at [0]; convert it with Number(x)');
    expect(() => tensor(new BigInt64Array(2) as unknown as Int32Array)).toThrow('tensor: cannot read numbers from a BigInt64Array');
    expect(() => tensor([[1, 'a']] as unknown as number[][])).toThrow('got the string "a" at [0][1]');
    expect(() => tensor([1], { requires_grad: true } as object)).toThrow("tensor: unknown option(s) 'requires_grad'; the options are shape, requiresGrad, device");
    expect(() => tensor([1], { device: 'gpu' as DeviceName })).toThrow("webgrad: the device must be one of 'webgpu', 'cpu', 'reference', got the string \"gpu\"");
  });

  test('full() wants a number to fill with; zeros() a shape array', async () => {
    await init({ backend: device });
    expect(() => full([2], 'a' as unknown as number)).toThrow('full: the fill value must be a number, got the string "a"');
    expect(() => zeros(3 as unknown as number[])).toThrow('zeros: shape must be an array of non-negative integers, e.g. [2, 3]; got the number 3');
    expect(() => zeros([2, 1.5])).toThrow('zeros: shape must be an array of non-negative integers, e.g. [2, 3]; got [2, 1.5]');
  });

  test('loadStateDict refuses plain arrays, naming the key', async () => {
    await init({ backend: device });
    const net = new models.OneShotNet(2, 1);
    expect(() => net.loadStateDict({ 'layer.weight': [[1, 2]], 'layer.bias': [0] } as unknown as nn.StateDict)).toThrow(
      "loadStateDict: 'layer.weight' must be a Tensor, got an array of 1 item(s); convert it with tensor(values)",
    );
    const opt = new optim.Adam(net.parameters());
    expect(() => opt.loadStateDict([1] as never)).toThrow('Adam.loadStateDict: expects { state: { [param]: ParamState }, paramGroups: [{ params: number[], …options }] } as stateDict() returns, got an array of 1 item(s)');
  });

  test('optimizers refuse a module or a lone tensor as params, saying what to pass', async () => {
    await init({ backend: device });
    const net = new models.OneShotNet(2, 1);
    expect(() => new optim.SGD(net as never, 0.1)).toThrow('SGD: params must be an array of tensors or of param groups { params, …options }, got a OneShotNet; pass module.parameters()');
    expect(() => new optim.Adam(net.layer.weight as never)).toThrow('got a tensor [1,2]; wrap it: [t]');
    expect(() => new optim.Adam([1, 2] as never)).toThrow('Adam: param group 0 must be a tensor or { params: Tensor[], …options } (tensors and groups cannot be mixed), got the number 1');
  });
});
