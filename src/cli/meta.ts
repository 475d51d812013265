// webgrad-train maml | protonet: few-shot reproductions. maml --task sinusoid meta-trains each method
// on the MAML paper's sinusoids and writes <out>/maml-sinusoid/K-<k>/: per run <method>/seed-N/
// losses.{csv,svg}, a row per run in results.csv (test MSE after 0 … 10 steps, ± 95 %), and
// curves.svg (MSE against gradient steps, the mean over the seeds in results.csv, Figure 2's plot).
// protonet / maml --task mnist: 5-way episodes on MNIST's unseen digits (see fewshot.ts).
import { access, appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { init, manualSeed, type BackendChoice } from '../index.js';
import { attachNegativeNumbers, integerAtLeast, prepareOutput, UsageError } from './args.js';
import { FEW_SHOT_METHODS, trainFewShot, type FewShotMethod } from './fewshot.js';
import { ProgressBar } from './progress.js';
import { linesSvg, writeReport } from './report.js';
import { evaluateSinusoid, SINUSOID_METHODS, trainSinusoid, type SinusoidMethod } from './sinusoid.js';

const DEVICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu', 'reference'];
const COMMANDS = { maml: ['sinusoid', 'mnist'], protonet: ['mnist'] } as const;
type Command = keyof typeof COMMANDS;

export const META_USAGE = `Usage: webgrad-train maml --task sinusoid|mnist [options]
       webgrad-train protonet --task mnist [options]

maml --task sinusoid   the MAML paper's sinusoid regression (Finn et al. 2017, §5.1): MLP 1-40-40-1,
                       meta-batch 25, inner SGD α 0.01, Adam 1e-3; test MSE on 600 new tasks after
                       0 … 10 SGD steps. Writes <out>/maml-sinusoid/K-<k>/ (results.csv, curves.svg).
maml --task mnist      5-way MAML on MNIST's unseen digits 5–9 (meta-trained on 0–4), Conv-4 backbone
protonet --task mnist  the metric learners on the same episodes: ProtoNet, MatchingNet, SiameseNet
                       Both write <out>/<command>-mnist/results.csv (accuracy ± 95 % over 600 episodes).

Options:
  --method NAME    one, a comma-separated list, or all of
                   (maml sinusoid): ${SINUSOID_METHODS.join(', ')}
                   (maml mnist): MAML, FOMAML   (protonet): ${FEW_SHOT_METHODS.filter((m) => !m.includes('MAML')).join(', ')}
                   (default all)
  --shots LIST     K, support points or examples per class, e.g. 5,10 (default: sinusoid 5,10; mnist 1,5)
  --iterations N   meta-iterations (default: sinusoid 70000, the paper's; mnist 2000)
  --episodes N     mnist: test episodes (default 600)
  --seed N         seed of the tasks and the initial weights (default 0)
  --device D       auto | webgpu | cpu | reference (default cpu: small nets run fastest there)
  --out DIR        output folder (default runs)
  -h, --help       print this help`;

interface MetaOptions {
  command: Command;
  task: string;
  methods: string[];
  shots: number[];
  iterations: number;
  episodes: number;
  seed: number;
  device: BackendChoice;
  out: string;
}

function parse(command: Command, args: string[]): MetaOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: attachNegativeNumbers(args, new Set(['--iterations', '--episodes', '--seed'])),
      options: {
        task: { type: 'string' },
        method: { type: 'string', default: 'all' },
        shots: { type: 'string' },
        iterations: { type: 'string' },
        episodes: { type: 'string', default: '600' },
        seed: { type: 'string', default: '0' },
        device: { type: 'string', default: 'cpu' },
        out: { type: 'string', default: 'runs' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const tasks: readonly string[] = COMMANDS[command];
  if (values.task === undefined || !tasks.includes(values.task)) throw new UsageError(`--task must be one of ${tasks.join(', ')} for ${command}, got ${values.task === undefined ? 'none' : `'${values.task}'`}`);
  const sinusoid = values.task === 'sinusoid';
  const known: readonly string[] = sinusoid ? SINUSOID_METHODS : FEW_SHOT_METHODS.filter((m) => (command === 'maml') === m.includes('MAML'));
  const methods = values.method === 'all' ? [...known] : values.method.split(',').filter(Boolean);
  const unknown = methods.filter((m) => !known.includes(m));
  if (methods.length === 0 || unknown.length) throw new UsageError(`--method must be one of ${known.join(', ')} (a comma-separated list, or all) for ${command} --task ${values.task}, got '${values.method}'`);
  const shots = (values.shots ?? (sinusoid ? '5,10' : '1,5')).split(',').map((k) => integerAtLeast('shots', k, 1));
  if (!DEVICES.includes(values.device as BackendChoice)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${values.device}'`);
  if (values.out === '') throw new UsageError('--out must name a folder');
  return {
    command,
    task: values.task,
    methods,
    shots,
    iterations: integerAtLeast('iterations', values.iterations ?? (sinusoid ? '70000' : '2000'), 1),
    episodes: integerAtLeast('episodes', values.episodes, 2),
    seed: integerAtLeast('seed', values.seed, 0),
    device: values.device as BackendChoice,
    out: values.out,
  };
}

const STEPS = 10;
const format = (v: number) => Number(v.toPrecision(6));

/** Appends a row to `file`, writing `header` first when the file is new. */
async function appendRow(file: string, header: string, row: string): Promise<void> {
  try {
    await access(file);
  } catch {
    await writeFile(file, `${header}\n`);
  }
  await appendFile(file, `${row}\n`);
}

/** curves.svg from every row of results.csv: each method's test MSE against steps, averaged over its seeds. */
export async function writeCurves(dir: string, shots: number): Promise<string> {
  const [header, ...rows] = (await readFile(join(dir, 'results.csv'), 'utf8')).trim().split('\n').map((line) => line.split(','));
  const first = header.indexOf('mse_0');
  const byMethod = new Map<string, number[][]>();
  for (const row of rows) byMethod.set(row[0], [...(byMethod.get(row[0]) ?? []), row.slice(first, first + STEPS + 1).map(Number)]);
  const points = [...byMethod].flatMap(([series, runs]) => runs[0].map((_, k) => ({ x: k, y: runs.reduce((sum, r) => sum + r[k], 0) / runs.length, series })));
  const seeds = Math.max(...[...byMethod.values()].map((r) => r.length));
  const svg = await linesSvg({
    title: `Sinusoid regression, K = ${shots}: test MSE after fine-tuning`,
    subtitle: `600 test tasks, mean over ${seeds} seed${seeds > 1 ? 's' : ''} (results.csv); a curve that leaves the plot diverges`,
    x: 'gradient steps',
    y: 'mean squared error (log scale)',
    logY: true,
    yDomain: [0.05, 10],
    points,
    series: [...byMethod.keys()],
  });
  const file = join(dir, 'curves.svg');
  await writeFile(file, svg);
  return file;
}

async function sinusoid({ methods, shots, iterations, seed, out }: MetaOptions): Promise<void> {
  for (const k of shots) {
    const dir = join(out, 'maml-sinusoid', `K-${k}`);
    for (const method of methods as SinusoidMethod[]) {
      manualSeed(seed);
      const bar = new ProgressBar(`${method} K=${k}`, iterations);
      const started = performance.now();
      const every = Math.max(1, Math.floor(iterations / 500));
      const trained = await trainSinusoid({ method, shots: k, iterations, seed, every, onProgress: (done, loss) => bar.update(done, `query MSE ${loss.toFixed(3)}`) });
      bar.finish();
      const seconds = (performance.now() - started) / 1000;
      const curve = await evaluateSinusoid(trained, { shots: k, steps: STEPS });
      console.log(`  ${method}, K = ${k}: test MSE ${curve.mse[0].toFixed(3)} before, ${curve.mse[1].toFixed(3)} ± ${curve.interval[1].toFixed(3)} after 1 step, ${curve.mse[STEPS].toFixed(3)} ± ${curve.interval[STEPS].toFixed(3)} after ${STEPS} (${(iterations / seconds).toFixed(0)} it/s)`);
      const history = { columns: ['query MSE'], losses: trained.losses.map((l) => [l]), stepsPerSecond: iterations / seconds, warmupEpochs: 0 };
      const run = await writeReport(join(dir, method, `seed-${seed}`), `Sinusoid, ${method}, K = ${k}, seed ${seed}: meta-batch query MSE every ${every} iterations`, history);
      const steps = Array.from({ length: STEPS + 1 }, (_, i) => i);
      await appendRow(
        join(dir, 'results.csv'),
        ['method', 'seed', 'iterations', 'seconds', ...steps.map((i) => `mse_${i}`), ...steps.map((i) => `ci95_${i}`)].join(','),
        [method, seed, iterations, format(seconds), ...curve.mse.map(format), ...curve.interval.map(format)].join(','),
      );
      console.log(`  wrote ${run.csv}, ${run.svg}; appended ${join(dir, 'results.csv')}; ${await writeCurves(dir, k)}`);
    }
  }
}

async function mnist({ command, methods, shots, iterations, episodes, seed, out }: MetaOptions): Promise<void> {
  const dir = join(out, `${command}-mnist`);
  for (const k of shots) {
    for (const method of methods as FewShotMethod[]) {
      manualSeed(seed);
      const bar = new ProgressBar(`${method} 5-way ${k}-shot`, iterations);
      const started = performance.now();
      const run = await trainFewShot({ method, shots: k, iterations, seed, episodes, onProgress: (done, loss) => bar.update(done, `loss ${loss.toFixed(3)}`) });
      bar.finish();
      const seconds = (performance.now() - started) / 1000;
      console.log(`  ${method}, 5-way ${k}-shot on digits 5–9: accuracy ${(100 * run.accuracy).toFixed(2)} ± ${(100 * run.interval).toFixed(2)} % over ${run.episodes} episodes (${(iterations / seconds).toFixed(1)} it/s)`);
      const history = { columns: ['episode loss'], losses: run.losses.map((l) => [l]), stepsPerSecond: iterations / seconds, warmupEpochs: 0 };
      const files = await writeReport(join(dir, method, `${k}-shot`, `seed-${seed}`), `MNIST 5-way ${k}-shot, ${method}, seed ${seed}: meta-training loss`, history, 'loss');
      await appendRow(join(dir, 'results.csv'), 'method,ways,shots,seed,iterations,seconds,accuracy,ci95,episodes', [method, 5, k, seed, iterations, format(seconds), format(run.accuracy), format(run.interval), run.episodes].join(','));
      console.log(`  wrote ${files.csv}, ${files.svg}; appended ${join(dir, 'results.csv')}`);
    }
  }
}

export async function metaMain(command: Command, args: string[]): Promise<number> {
  let options: MetaOptions | 'help';
  try {
    options = parse(command, args);
    if (options === 'help') {
      console.log(META_USAGE);
      return 0;
    }
    await prepareOutput(join(options.out, `${command}-${options.task}`), ['.']);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`webgrad-train ${command}: ${err.message}\nRun webgrad-train ${command} --help for usage.`);
    return 2;
  }
  try {
    const chosen = await init({ backend: options.device });
    console.log(`webgrad-train ${command} --task ${options.task}: ${options.methods.join(', ')}, K = ${options.shots.join(', ')}, ${options.iterations} iterations, seed ${options.seed}, on ${chosen.backend}`);
    await (options.task === 'sinusoid' ? sinusoid(options) : mnist(options));
    return 0;
  } catch (err) {
    console.error(`webgrad-train ${command}: ${(err as Error).message}`);
    return 1;
  }
}
