// The main job: the article's experiments as functions (CPU and WebGPU), the article's loss bugs,
// and the built CLI end to end (outputs on disk, exit codes).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, manualSeed, memory, models, nn, randn, type DeviceName } from '../src/index.js';
import { trainMultiTask, trainOneShot, type LossHistory } from '../src/cli/experiments.js';
import { lossesSvg, MAX_PLOTTED_SERIES } from '../src/cli/report.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

const total = (row: readonly number[]): number => row.reduce((a, b) => a + b, 0);

function expectHistory(history: LossHistory, epochs: number, columns: string[]): void {
  expect(history.columns).toEqual(columns);
  expect(history.losses).toHaveLength(epochs);
  for (const row of history.losses) {
    expect(row).toHaveLength(columns.length);
    row.forEach((loss) => expect(Number.isFinite(loss) && loss >= 0).toBe(true));
  }
  expect(total(history.losses[epochs - 1])).toBeLessThan(total(history.losses[0]));
  expect(history.stepsPerSecond).toBeGreaterThan(0);
}

describe("the article's loss, which webgrad's MSELoss refuses", () => {
  test('criterion(shared_output, y_train) and criterion(task_output, y_train[:, i]) raise, naming both shapes', async () => {
    await init({ backend: 'cpu' });
    const model = new models.MultiTaskNet(10, 3, 5);
    const criterion = new nn.MSELoss();
    const y = randn([100, 3]);
    const { shared, tasks } = model.forward(randn([100, 10]));
    expect(() => criterion.forward(shared, y)).toThrow(/\[100,5\].*\[100,3\]/);
    expect(() => criterion.forward(tasks[0], y.narrow(1, 0, 1).reshape([100]))).toThrow(/\[100,1\].*\[100\]/);
  });
});

describe.each<DeviceName>(['cpu', 'webgpu'])('the experiments on %s', (device) => {
  beforeAll(async () => {
    await init({ backend: device }); // fails, not skips, when Dawn finds no adapter
  }, 60_000);

  test('multi-task: 20 epochs of per-task losses that go down, read back every 5, memory flat', async () => {
    const readbacks: { epochs: number; tensors: number }[] = [];
    const history = await trainMultiTask({ epochs: 20, readEvery: 5, onProgress: (epochs) => readbacks.push({ epochs, tensors: memory(device).tensors }) });
    expectHistory(history, 20, ['task1', 'task2', 'task3']);
    expect(history.warmupEpochs).toBe(5);
    expect(readbacks.map((r) => r.epochs)).toEqual([5, 10, 15, 20]);
    // Flat: no readback holds more than the first. (A readback may let the garbage collector's
    // finalizers free tensors earlier tests dropped, so the count can only go down.)
    const live = readbacks.map((r) => r.tensors);
    expect(Math.max(...live), `live tensors at each readback: ${live.join(', ')}`).toBeLessThanOrEqual(live[0]);
  }, 60_000);

  test('multi-task with other sizes: one column per task', async () => {
    const history = await trainMultiTask({ epochs: 3, tasks: 2, hidden: 4, lr: 1e-2 });
    expect(history.columns).toEqual(['task1', 'task2']);
    expect(history.losses.map((row) => row.length)).toEqual([2, 2, 2]);
  }, 60_000);

  test('one-shot: 20 epochs of one loss that goes down', async () => {
    expectHistory(await trainOneShot({ epochs: 20 }), 20, ['loss']);
  }, 60_000);
});

describe('the multi-task loss', () => {
  test("is the article's per-task MSE(task_i, y[:, i:i+1]), computed for all tasks at once", async () => {
    await init({ backend: 'cpu' });
    manualSeed(4);
    const model = new models.MultiTaskNet(10, 6, 5);
    const x = randn([100, 10]);
    const y = randn([100, 6]);
    const criterion = new nn.MSELoss();
    const perTask = await Promise.all(model.forward(x).tasks.map((output, i) => criterion.forward(output, y.narrow(1, i, 1)).item()));
    const [first] = (await trainMultiTask({ epochs: 1, tasks: 6, seed: 4 })).losses;
    first.forEach((loss, i) => expect(loss).toBeCloseTo(perTask[i], 6));
  });
});

describe('the loss plot', () => {
  test(`draws the first ${MAX_PLOTTED_SERIES} of 1,000 series and says so in a subtitle (vega overflowed the stack)`, async () => {
    const columns = Array.from({ length: 1000 }, (_, i) => `task${i + 1}`);
    const losses = Array.from({ length: 20 }, (_, epoch) => columns.map((_, c) => 1 / (epoch + 1) + c));
    const svg = await lossesSvg('many tasks', { columns, losses, stepsPerSecond: 1, warmupEpochs: 0 });
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(MAX_PLOTTED_SERIES);
    expect(svg).toContain(`the first ${MAX_PLOTTED_SERIES} of 1000 series; losses.csv has them all`);
  });
});

describe('the experiments agree across devices', () => {
  test('same seed → the same multi-task losses on the CPU and on WebGPU', async () => {
    await init({ backend: 'cpu' });
    const cpu = await trainMultiTask({ epochs: 20, seed: 3 });
    await init({ backend: 'webgpu' });
    const gpu = await trainMultiTask({ epochs: 20, seed: 3 });
    cpu.losses.flat().forEach((loss, i) => expect(gpu.losses.flat()[i]).toBeCloseTo(loss, 4));
  }, 60_000);
});

/** Newest modification time of any file under `dir`. */
const newestIn = (dir: string): number => Math.max(...readdirSync(dir, { recursive: true }).map((f) => statSync(join(dir, String(f))).mtimeMs));

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('the built CLI (dist/cli/main.js)', () => {
  const out = mkdtempSync(join(tmpdir(), 'webgrad-cli-'));

  beforeAll(() => {
    if (!existsSync(cli) || statSync(cli).mtimeMs < newestIn(join(root, 'src'))) {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
    }
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const mtl = (args: string[]) => spawnSync(process.execPath, [cli, 'mtl', ...args], { encoding: 'utf8' });

  test('mtl --task toy writes each method its trajectories.csv and .svg and says where each start ended', () => {
    const result = mtl(['--method', 'UPGrad,MGDA', '--steps', '200', '--lr', '0.05', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/start 3 \(9, 9\) → \(.*\): f1 .*, gap .* — (not )?on the Pareto set/);
    for (const method of ['UPGrad', 'MGDA']) {
      const csv = readFileSync(join(out, 'mtl-toy', method, 'trajectories.csv'), 'utf8').trim().split('\n');
      expect(csv[0]).toBe('step,start,x1,x2');
      expect(csv).toHaveLength(1 + 3 * 201);
      expect(csv[1]).toBe('0,0,-8.500000,7.500000');
      expect(readFileSync(join(out, 'mtl-toy', method, 'trajectories.svg'), 'utf8')).toMatch(/^<svg[\s\S]*CAGrad toy, [A-Za-z]+: Adam lr 0\.05, 200 steps[\s\S]*<\/svg>$/);
    }
  }, 300_000);

  const train = (command: string, args: string[]) => spawnSync(process.execPath, [cli, command, ...args], { encoding: 'utf8' });

  test('maml --task sinusoid: a row per run in results.csv (MSE after 0 … 10 steps), curves.svg, each run its losses', () => {
    const result = train('maml', ['--task', 'sinusoid', '--method', 'MAML,Pretrained', '--shots', '5', '--iterations', '40', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/MAML, K = 5: test MSE [\d.]+ before, [\d.]+ ± [\d.]+ after 1 step, [\d.]+ ± [\d.]+ after 10/);
    const dir = join(out, 'maml-sinusoid', 'K-5');
    const rows = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').map((r) => r.split(','));
    expect(rows[0].slice(0, 6)).toEqual(['method', 'seed', 'iterations', 'seconds', 'mse_0', 'mse_1']);
    expect(rows.slice(1).map((r) => [r[0], r[2]])).toEqual([['MAML', '40'], ['Pretrained', '40']]);
    rows.slice(1).forEach((r) => r.slice(4).forEach((v) => expect(Number(v)).toBeGreaterThan(0)));
    expect(readFileSync(join(dir, 'curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*Sinusoid regression, K = 5[\s\S]*<\/svg>$/);
    expect(readFileSync(join(dir, 'MAML', 'seed-0', 'losses.csv'), 'utf8')).toMatch(/^epoch,query MSE\n1,/);
  }, 300_000);

  test('protonet --task mnist: accuracy ± 95 % over the test episodes, appended to results.csv', () => {
    const result = train('protonet', ['--task', 'mnist', '--method', 'ProtoNet', '--shots', '1', '--iterations', '3', '--episodes', '10', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ProtoNet, 5-way 1-shot on digits 5–9: accuracy [\d.]+ ± [\d.]+ % over 10 episodes/);
    const rows = readFileSync(join(out, 'protonet-mnist', 'results.csv'), 'utf8').trim().split('\n');
    expect(rows[0]).toBe('method,ways,shots,seed,iterations,seconds,accuracy,ci95,episodes');
    expect(rows[1]).toMatch(/^ProtoNet,5,1,0,3,[\d.]+,[\d.]+,[\d.]+,10$/);
  }, 300_000);

  test('maml / protonet: bad flags exit 2 naming the flag and the choices', () => {
    expect(train('maml', ['--method', 'MAML']).stderr).toMatch(/--task must be one of sinusoid, mnist for maml, got none/);
    expect(train('protonet', ['--task', 'sinusoid']).stderr).toMatch(/--task must be one of mnist for protonet, got 'sinusoid'/);
    const unknown = train('maml', ['--task', 'sinusoid', '--method', 'MAMl']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--method must be one of MAML, FOMAML, Reptile, MetaSGD, ANIL, Pretrained .*got 'MAMl'/);
    expect(train('protonet', ['--task', 'mnist', '--method', 'MAML']).stderr).toMatch(/--method must be one of ProtoNet, MatchingNet, SiameseNet/);
    expect(train('maml', ['--task', 'sinusoid', '--shots', '5,0']).stderr).toMatch(/--shots must be an integer ≥ 1, got '0'/);
    expect(train('maml', ['--help']).stdout).toMatch(/Usage: webgrad-train maml --task sinusoid\|mnist/);
  });

  test('mtl: bad flags exit 2 naming the flag and the choices', () => {
    const unknown = mtl(['--method', 'Foo']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--method must be one of EW, Sum, UPGrad.*got 'Foo'/);
    expect(mtl(['--method', 'UPGrad', '--task', 'cifar']).stderr).toMatch(/--task must be one of toy, multimnist, got 'cifar'/);
    expect(mtl(['--method', 'UPGrad', '--steps', '-3']).stderr).toMatch(/--steps must be an integer ≥ 1, got '-3'/);
    expect(mtl(['--help']).stdout).toMatch(/Usage: webgrad-train mtl --method NAME/);
  });

  test('runs both experiments on the CPU: prints device, final losses, steps/s; writes CSV and SVG', async () => {
    const { code, stdout, stderr } = await runCli(['--epochs', '30', '--device', 'cpu', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^device: cpu \(.+\) — requested with --device$/m);
    expect(stdout).toMatch(/final loss: task1 [\d.e+-]+ {2}task2 [\d.e+-]+ {2}task3 [\d.e+-]+$/m);
    expect(stdout).toMatch(/final loss: loss [\d.e+-]+$/m);
    expect(stdout.match(/steps\/s: \d+(\.\d+)? on cpu/g)).toHaveLength(2);
    expect(stderr).toMatch(/^multitask 30\/30 loss [\d.e+-]+$/m);

    for (const [name, header, lines] of [['multitask', 'epoch,task1,task2,task3', 3], ['oneshot', 'epoch,loss', 1]] as const) {
      const csv = readFileSync(join(out, name, 'losses.csv'), 'utf8').trimEnd().split('\n');
      expect(csv[0]).toBe(header);
      expect(csv).toHaveLength(31);
      csv.slice(1).forEach((row, i) => {
        const [epoch, ...losses] = row.split(',').map(Number);
        expect(epoch).toBe(i + 1);
        expect(losses).toHaveLength(lines);
        losses.forEach((loss) => expect(Number.isFinite(loss)).toBe(true));
      });
      const svg = readFileSync(join(out, name, 'losses.svg'), 'utf8');
      expect(svg).toContain('<svg');
      expect(svg.match(/aria-roledescription="line mark"/g), `${name}: one path per task`).toHaveLength(lines);
    }
  }, 120_000);

  test('--tasks 1000: the plot draws ten tasks with a note, and the one-shot experiment still runs', async () => {
    const { code, stdout, stderr } = await runCli(['--epochs', '3', '--tasks', '1000', '--device', 'cpu', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('note: losses.svg draws the first 10 of 1000 tasks; losses.csv has all of them');
    expect(readFileSync(join(out, 'multitask', 'losses.csv'), 'utf8').split('\n')[0].split(',')).toHaveLength(1001);
    expect(stdout).toMatch(/final loss: loss [\d.e+-]+$/m);
    expect(readFileSync(join(out, 'oneshot', 'losses.svg'), 'utf8')).toContain('<svg');
  }, 120_000);

  test('--tasks 5000 --device webgpu trains and writes both experiments (it segfaulted: a memory mapping per bind group)', async () => {
    const { code, stdout, stderr } = await runCli(['--epochs', '1', '--tasks', '5000', '--device', 'webgpu', '--out', out]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/task5000 [\d.e+-]+/);
    expect(readFileSync(join(out, 'multitask', 'losses.csv'), 'utf8').split('\n')[0].split(',')).toHaveLength(5001);
    expect(stdout).toMatch(/final loss: loss [\d.e+-]+$/m);
  }, 120_000);

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: webgrad-train/);
    for (const flag of ['--epochs', '--lr', '--device', '--seed', '--hidden', '--tasks', '--out']) expect(stdout).toContain(flag);
  });

  test.each([
    [['--epochs', 'ten'], /--epochs must be an integer ≥ 1, got 'ten'/],
    [['--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
    [['--lr=0'], /--lr must be a positive finite number, got '0'/],
    [['--lr', 'Infinity'], /--lr must be a positive finite number, got 'Infinity'/],
    [['--lr', '-0.5'], /--lr must be a positive finite number, got '-0.5'/],
    [['--epochs', '-3'], /--epochs must be an integer ≥ 1, got '-3'/],
    [['--seed', '-1'], /--seed must be an integer ≥ 0, got '-1'/],
    [['--hidden', '0x10'], /--hidden must be an integer ≥ 1, got '0x10'/],
    [['--tasks', 'NaN'], /--tasks must be an integer ≥ 1, got 'NaN'/],
    [['--device', 'tpu'], /--device must be one of auto, webgpu, cpu, reference, got 'tpu'/],
    [['--tasks', '2.5'], /--tasks must be an integer ≥ 1, got '2.5'/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--out'], /argument missing/],
  ])('%j exits 2 with a clear message', async (args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/--help/);
  });

  test('--hidden 1e9 is refused before training, saying how much memory it would need', async () => {
    const { code, stdout, stderr } = await runCli(['--hidden', '1e9', '--device', 'cpu', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--tasks 3 --hidden 1000000000: MultiTaskNet\(10, 3, 1000000000\) needs about [\d,]+ GiB .*this machine has [\d,]+ GiB/);
    expect(stdout).not.toContain('device:');
  });

  test.each([
    ['a file', (file: string) => file],
    ['inside a file', (file: string) => join(file, 'runs')],
  ])('--out %s is refused before training with exit 2', async (_, outUnder) => {
    const file = join(out, 'not-a-folder');
    writeFileSync(file, '');
    const { code, stdout, stderr } = await runCli(['--device', 'cpu', '--out', outUnder(file)]);
    expect(code).toBe(2);
    expect(stderr).toContain(`webgrad-train: --out ${outUnder(file)}: cannot write ${join(outUnder(file), 'multitask')}: a file is in the way of a folder`);
    expect(stdout).not.toContain('device:');
  });

  test('--device webgpu without an adapter advises --device cpu', async () => {
    const { code, stderr } = await runCli(['--epochs', '3', '--device', 'webgpu', '--out', out], { ...process.env, VK_ICD_FILENAMES: join(out, 'no-such-driver.json') });
    expect(code).toBe(1);
    expect(stderr).toMatch(/webgrad-train: no WebGPU adapter was found\..* or run with --device cpu\.$/m);
    expect(stderr).not.toContain('init(');
  });
});
