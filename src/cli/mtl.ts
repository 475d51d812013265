// webgrad-train mtl: multi-task reproductions. --task toy runs the CAGrad paper's two-objective toy
// with one aggregator from its three starts, writes <out>/mtl-toy/<method>/trajectories.{csv,svg}
// and prints where each start ended and how far from the Pareto set.
import { access, appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { init, manualSeed, mtl, type BackendChoice } from '../index.js';
import { MULTIMNIST_METHODS, trainMultiMnist } from './multimnist.js';
import { writeReport } from './report.js';
import { attachNegativeNumbers, integerAtLeast, positiveNumber, prepareOutput, UsageError } from './args.js';
import { ProgressBar } from './progress.js';
import { runToy, TOY_STARTS } from './toy.js';
import { writeToyReport } from './toy-report.js';

const A = mtl.aggregators;
/** The aggregators by name, with the options the reproductions use (TorchJD's defaults). */
export const METHODS: Readonly<Record<string, (seed: number) => InstanceType<typeof A.Aggregator>>> = {
  EW: () => new A.Mean(),
  Sum: () => new A.Sum(),
  UPGrad: () => new A.UPGrad(),
  DualProj: () => new A.DualProj(),
  MGDA: () => new A.MGDA(),
  PCGrad: (seed) => new A.PCGrad({ seed }),
  GradVac: () => new A.GradVac(),
  CAGrad: () => new A.CAGrad(),
  IMTLG: () => new A.IMTLG(),
  AlignedMTL: () => new A.AlignedMTL(),
  ConFIG: () => new A.ConFIG(),
  NashMTL: () => new A.NashMTL(),
  GradDrop: (seed) => new A.GradDrop({ seed }),
  Random: (seed) => new A.Random({ seed }),
};

const TASKS = ['toy', 'multimnist'] as const;
const DEVICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu', 'reference'];

export const MTL_USAGE = `Usage: webgrad-train mtl --method NAME [options]

Runs a multi-task reproduction with each method and writes <out>/mtl-<task>/<method>/.
  --task toy     the two-objective toy of the CAGrad paper (Liu et al. 2021, Fig. 1): Adam from
                 its three starts on the aggregated direction; trajectories.csv and .svg
  --task multimnist
                 MultiMNIST (left and right digit) with a LeNet trunk; per method and seed
                 seed-N/losses.csv and .svg, and a row per run in results.csv (test accuracies)

Options:
  --method NAME  one, a comma-separated list, or all of (toy): ${Object.keys(METHODS).join(', ')}
                 (multimnist): ${Object.keys(MULTIMNIST_METHODS).join(', ')}
  --task T       ${TASKS.join(', ')} (default toy)
  --steps N      toy: Adam steps (default 100000, the paper's)
  --epochs N     multimnist: epochs (default 5)
  --lr X         Adam learning rate (default 0.001)
  --seed N       seed of the data, the initial weights and the randomised methods (default 0)
  --device D     auto | webgpu | cpu | reference (multimnist; default auto; the toy runs on reference)
  --out DIR      output folder (default runs)
  -h, --help     print this help`;

interface MtlOptions {
  methods: string[];
  task: (typeof TASKS)[number];
  steps: number;
  epochs: number;
  device: BackendChoice;
  lr: number;
  seed: number;
  out: string;
}

function parse(args: string[]): MtlOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: attachNegativeNumbers(args, new Set(['--steps', '--epochs', '--lr', '--seed'])),
      options: {
        method: { type: 'string' },
        task: { type: 'string', default: 'toy' },
        steps: { type: 'string', default: '100000' },
        epochs: { type: 'string', default: '5' },
        device: { type: 'string', default: 'auto' },
        lr: { type: 'string', default: '0.001' },
        seed: { type: 'string', default: '0' },
        out: { type: 'string', default: 'runs' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!TASKS.includes(values.task as MtlOptions['task'])) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${values.task}'`);
  const known = Object.keys(values.task === 'toy' ? METHODS : MULTIMNIST_METHODS);
  const methods = values.method === 'all' ? known : (values.method ?? '').split(',').filter(Boolean);
  const unknown = methods.filter((m) => !known.includes(m));
  if (methods.length === 0 || unknown.length > 0) {
    throw new UsageError(`--method must be one of ${known.join(', ')} (a comma-separated list, or all) for --task ${values.task}, got ${values.method === undefined ? 'none' : `'${values.method}'`}`);
  }
  if (!DEVICES.includes(values.device as BackendChoice)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${values.device}'`);
  if (values.out === '') throw new UsageError('--out must name a folder');
  return {
    methods,
    task: values.task as MtlOptions['task'],
    steps: integerAtLeast('steps', values.steps, 1),
    epochs: integerAtLeast('epochs', values.epochs, 1),
    device: values.device as BackendChoice,
    lr: positiveNumber('lr', values.lr),
    seed: integerAtLeast('seed', values.seed, 0),
    out: values.out,
  };
}

/** A start ended on the Pareto set when the min-norm combination of its two gradients is below this. */
export const PARETO_GAP = 1e-3;

async function toy({ methods, steps, lr, seed, out }: MtlOptions): Promise<void> {
  manualSeed(seed);
  console.log(`CAGrad toy: ${methods.join(', ')} — Adam lr ${lr}, ${steps} steps from ${TOY_STARTS.length} starts, all at once`);
  const bar = new ProgressBar('toy', steps);
  const every = Math.max(1, Math.floor(steps / 2000));
  const started = performance.now();
  const runs = await runToy({ methods: Object.fromEntries(methods.map((m) => [m, () => METHODS[m](seed)])), steps, lr, every, onStep: (done) => done % 100 === 0 && bar.update(done, '') });
  bar.finish();
  console.log(`  steps/s: ${(steps / ((performance.now() - started) / 1000)).toFixed(0)}`);
  for (const method of methods) {
    const run = runs[method];
    console.log(method);
    run.trajectories.forEach((t, k) => {
      const [x1, x2] = t.at(-1)!;
      const [f1, f2] = run.finalLosses[k];
      const reached = run.finalGaps[k] < PARETO_GAP ? 'on the Pareto set' : 'not on the Pareto set';
      console.log(`  start ${k + 1} (${t[0].join(', ')}) → (${x1.toFixed(3)}, ${x2.toFixed(3)}): f1 ${f1.toFixed(4)}, f2 ${f2.toFixed(4)}, gap ${run.finalGaps[k].toExponential(2)} — ${reached}`);
    });
    const files = await writeToyReport(join(out, 'mtl-toy', method), `CAGrad toy, ${method}: Adam lr ${lr}, ${steps} steps`, run, every);
    console.log(`  wrote ${files.csv}, ${files.svg}`);
  }
}

async function multimnist({ methods, epochs, lr, seed, device, out }: MtlOptions): Promise<void> {
  const chosen = await init({ backend: device });
  console.log(`MultiMNIST, LeNet trunk: ${methods.join(', ')} — Adam lr ${lr}, ${epochs} epochs, seed ${seed}, on ${chosen.backend} (${chosen.adapter})`);
  const results = join(out, 'mtl-multimnist', 'results.csv');
  try {
    await access(results);
  } catch {
    await writeFile(results, 'method,seed,epochs,left,right\n');
  }
  for (const method of methods) {
    const bar = new ProgressBar(method, epochs);
    const run = await trainMultiMnist({ method, seed, epochs, lr, onEpoch: (done, losses) => bar.update(done, `loss ${losses.map((l) => l.toFixed(3)).join(' ')}`) });
    bar.finish();
    const [left, right] = run.accuracy;
    console.log(`  ${method}: test accuracy left ${(100 * left).toFixed(2)} %, right ${(100 * right).toFixed(2)} %`);
    const files = await writeReport(join(out, 'mtl-multimnist', method, `seed-${seed}`), `MultiMNIST, ${method}, seed ${seed}: training loss per task`, {
      columns: ['left', 'right'],
      losses: run.losses,
      stepsPerSecond: 0,
      warmupEpochs: 0,
    }, 'cross-entropy');
    await appendFile(results, `${method},${seed},${epochs},${left},${right}\n`);
    console.log(`  wrote ${files.csv}, ${files.svg}; appended ${results}`);
  }
}

export async function mtlMain(args: string[]): Promise<number> {
  let options: MtlOptions | 'help';
  try {
    options = parse(args);
    if (options === 'help') {
      console.log(MTL_USAGE);
      return 0;
    }
    await prepareOutput(join(options.out, `mtl-${options.task}`), options.methods);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`webgrad-train mtl: ${err.message}\nRun webgrad-train mtl --help for usage.`);
    return 2;
  }
  try {
    await (options.task === 'toy' ? toy(options) : multimnist(options));
    return 0;
  } catch (err) {
    console.error(`webgrad-train mtl: ${(err as Error).message}`);
    return 1;
  }
}
