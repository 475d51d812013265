// Memory a long session can live with (issue 9, items 3, 4, 10, 11): readbacks let forgotten
// tensors be finalized, tidy() owns the modules and optimizers made in it, what a tidy returns
// survives (a leaf's .grad included), and memory(device) counts tensors and bytes under the device.
import { describe, expect, test } from 'vitest';
import { countMappings } from '../src/backend/webgpu/mappings.js';
import { init, keep, manualSeed, memory, models, nn, optim, randn, tensor, tidy, type DeviceName, type Tensor } from '../src/index.js';

const DEVICES: DeviceName[] = ['reference', 'cpu', 'webgpu'];

/** One fit of `net` to (x, y) by MSE: forward, backward, step. */
function fitStep(net: nn.Module & { forward(x: Tensor): Tensor }, opt: optim.Optimizer<object>, x: Tensor, y: Tensor): Tensor {
  opt.zeroGrad();
  const loss = nn.functional.mseLoss(net.forward(x), y);
  loss.backward();
  opt.step();
  return loss;
}

describe.each(DEVICES)('on %s', (device) => {
  test('tidy returns x.grad of a leaf made inside it alive, with or without keep()', async () => {
    await init({ backend: device });
    const grads = [false, true].map((kept) =>
      tidy(() => {
        const x = tensor([1, 2], { requiresGrad: true });
        x.mul(3).sum().backward();
        return kept ? keep(x.grad!) : x.grad;
      }),
    );
    for (const g of grads) expect(Array.from(await g!.data())).toEqual([3, 3]);
  });

  test('an optimizer and a module made inside tidy are disposed at its end, with no dispose() call', async () => {
    await init({ backend: device });
    const x = randn([1, 8]);
    const y = randn([1, 1]);
    const episodes = device === 'webgpu' ? 300 : 4000; // WebGPU on lavapipe: a lighter check
    // Synchronous from here: no finalizer can run between the two readings, so the count is exact.
    const [before, mappings] = [memory(device).tensors, countMappings()];
    for (let episode = 0; episode < episodes; episode++) {
      tidy(() => {
        const net = new models.OneShotNet(8, 1);
        const opt = new optim.Adam(net.parameters(), 0.01);
        for (let step = 0; step < 3; step++) fitStep(net, opt, x, y);
      });
    }
    expect(memory(device).tensors).toBe(before); // 4 more per episode (Adam's moments) before
    expect(countMappings() - mappings, 'memory mappings added').toBeLessThan(500);
  }, 60_000);

  test('a module and optimizer returned from tidy keep their parameters and state; an inner tidy hands them to the outer one', async () => {
    await init({ backend: device });
    const [x, y] = [randn([2, 3]), randn([2, 1])];
    const before = memory(device).tensors;
    const outer = tidy(() => {
      const { net, opt } = tidy(() => {
        const net = new nn.Linear(3, 1);
        const opt = new optim.Adam(net.parameters(), 0.01);
        fitStep(net, opt, x, y);
        return { net, opt };
      });
      fitStep(net, opt, x, y); // the moments carried over: this is step 2
      expect(opt.stateDict().state[0].step).toBe(2);
      expect(net.parameters().some((p) => p.isDisposed)).toBe(false);
      return net.parameters();
    });
    expect(outer.map((p) => p.isDisposed)).toEqual([false, false]);
    outer.forEach((p) => p.dispose());
    expect(memory(device).tensors).toBe(before);
  });

  test('Module.dispose() frees its parameters and their gradients', async () => {
    await init({ backend: device });
    const before = memory(device).tensors;
    const net = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 1));
    tidy(() => net.forward(randn([2, 3])).sum().backward());
    expect(memory(device).tensors).toBe(before + 8); // 4 parameters, 4 gradients
    net.dispose();
    expect(net.parameters().every((p) => p.isDisposed)).toBe(true);
    expect(memory(device).tensors).toBe(before);
  });

  test('every readback (data, item, array) gives the event loop a macrotask turn', async () => {
    await init({ backend: device });
    const t = tensor([5]);
    for (const read of [() => t.data(), () => t.item(), () => t.array()]) {
      let turned = false;
      setImmediate(() => (turned = true));
      await read();
      expect(turned).toBe(true); // so pending FinalizationRegistry callbacks have run
    }
  });
});

describe.each(['reference', 'cpu'] as DeviceName[])('a PyTorch-style loop with no tidy and no dispose on %s', (device) => {
  test('10,000 steps reading the loss every 100 keep the live tensors bounded', async () => {
    await init({ backend: device });
    manualSeed(1);
    const steps = 10_000;
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const [x, y] = [randn([16, 4]), randn([16, 1])];
    const opt = new optim.Adam(net.parameters(), 0.01);
    const live: number[] = [];
    const mappings = countMappings();
    let peakMappings = mappings;
    for (let step = 1; step <= steps; step++) {
      const loss = fitStep(net, opt, x, y);
      if (step % 100 === 0) {
        await loss.item();
        live.push(memory(device).tensors);
        peakMappings = Math.max(peakMappings, countMappings());
      }
    }
    // Each step leaves 4 tensors to the garbage collector (40,000 live at the end without
    // finalizers). V8 collects them in batches, so the count saws up and down: it must come down.
    expect(live.some((n, i) => n < live[i - 1])).toBe(true);
    expect(Math.max(...live)).toBeLessThan(4 * steps);
    expect(peakMappings - mappings, 'memory mappings added').toBeLessThan(2_000);
  }, 60_000);
});

describe('memory(device) counts under the device name', () => {
  test("a cpu tensor counts its bytes and itself under 'cpu', none under 'reference'", async () => {
    await init({ backend: 'cpu' });
    const [cpu, reference] = [memory('cpu'), memory('reference')];
    const t = tensor(new Float32Array(10), { device: 'cpu' });
    expect(memory('cpu')).toEqual({ tensors: cpu.tensors + 1, bytes: cpu.bytes + 40 });
    expect(memory('reference')).toEqual(reference);
    t.dispose();
    expect(memory('cpu')).toEqual(cpu);
  });
});
