// webgrad-train mtl: multi-task reproductions. --task toy runs the CAGrad paper's two-objective toy
// with one aggregator from its three starts, writes <out>/mtl-toy/<method>/trajectories.{csv,svg}
// and prints where each start ended and how far from the Pareto set.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { manualSeed, mtl } from '../index.js';
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

const TASKS = ['toy'] as const;

export const MTL_USAGE = `Usage: webgrad-train mtl --method NAME [options]

Runs a multi-task reproduction with each method and writes <out>/mtl-<task>/<method>/.
  --task toy     the two-objective toy of the CAGrad paper (Liu et al. 2021, Fig. 1): Adam from
                 its three starts on the aggregated direction; trajectories.csv and .svg

Options:
  --method NAME  one, a comma-separated list, or all of: ${Object.keys(METHODS).join(', ')}
  --task T       ${TASKS.join(', ')} (default toy)
  --steps N      Adam steps (default 100000, the paper's)
  --lr X         Adam learning rate (default 0.001, the paper's)
  --seed N       seed of the randomised methods (PCGrad, GradDrop, Random; default 0)
  --out DIR      output folder (default runs)
  -h, --help     print this help`;

interface MtlOptions {
  methods: string[];
  task: (typeof TASKS)[number];
  steps: number;
  lr: number;
  seed: number;
  out: string;
}

function parse(args: string[]): MtlOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: attachNegativeNumbers(args, new Set(['--steps', '--lr', '--seed'])),
      options: {
        method: { type: 'string' },
        task: { type: 'string', default: 'toy' },
        steps: { type: 'string', default: '100000' },
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
  const methods = values.method === 'all' ? Object.keys(METHODS) : (values.method ?? '').split(',').filter(Boolean);
  const unknown = methods.filter((m) => !(m in METHODS));
  if (methods.length === 0 || unknown.length > 0) {
    throw new UsageError(`--method must be one of ${Object.keys(METHODS).join(', ')} (a comma-separated list, or all), got ${values.method === undefined ? 'none' : `'${values.method}'`}`);
  }
  if (!TASKS.includes(values.task as MtlOptions['task'])) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${values.task}'`);
  if (values.out === '') throw new UsageError('--out must name a folder');
  return {
    methods,
    task: values.task as MtlOptions['task'],
    steps: integerAtLeast('steps', values.steps, 1),
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
    await toy(options);
    return 0;
  } catch (err) {
    console.error(`webgrad-train mtl: ${(err as Error).message}`);
    return 1;
  }
}
