#!/usr/bin/env node
// webgrad-train (npm start): runs the article's two experiments on the best device found, with a
// progress bar, then prints each task's final loss, steps per second and the device, and writes
// <out>/<experiment>/losses.csv and losses.svg.
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NO_ADAPTER_MESSAGE } from '../backend/webgpu/device.js';
import { init, type BackendChoice } from '../index.js';
import { multiTaskBytes, trainMultiTask, trainOneShot, type LossHistory, type TrainOptions } from './experiments.js';
import { attachNegativeNumbers, integerAtLeast, positiveNumber, prepareOutput, UsageError } from './args.js';
import { metaMain } from './meta.js';
import { mtlMain } from './mtl.js';
import { ProgressBar } from './progress.js';
import { writeReport } from './report.js';

const USAGE = `Usage: webgrad-train [options]        (or: npm start -- [options])

Trains the article's multi-task net (4.1) and one-shot net (4.2) with Adam and MSE, writes
<out>/multitask/ and <out>/oneshot/ (losses.csv, losses.svg), and prints the final losses.

Options:
  --epochs N    epochs per experiment (default 1000)
  --lr X        Adam learning rate (default 0.001)
  --device D    auto | webgpu | cpu | reference (default auto: WebGPU through Dawn if it finds an
                adapter, else the CPU; cpu is native C++, reference the float64 TypeScript oracle)
  --seed N      seed for the initial weights and the random data (default 0)
  --hidden N    MultiTaskNet hidden size (default 5)
  --tasks N     MultiTaskNet task count (default 3)
  --out DIR     output folder (default runs)
  -h, --help    print this help

  webgrad-train mtl --method NAME [--task toy]   multi-task reproductions (see webgrad-train mtl --help)
  webgrad-train maml --task sinusoid|mnist       few-shot reproductions (see webgrad-train maml --help)
  webgrad-train protonet --task mnist            (ProtoNet, MatchingNet, SiameseNet)`;

const DEVICES: readonly BackendChoice[] = ['auto', 'webgpu', 'cpu', 'reference'];
const NUMERIC_FLAGS = new Set(['--epochs', '--lr', '--seed', '--hidden', '--tasks']);

interface Options {
  epochs: number;
  lr: number;
  device: BackendChoice;
  seed: number;
  hidden: number;
  tasks: number;
  out: string;
}

function parseOptions(args: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: attachNegativeNumbers(args, NUMERIC_FLAGS),
      options: {
        epochs: { type: 'string', default: '1000' },
        lr: { type: 'string', default: '0.001' },
        device: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '0' },
        hidden: { type: 'string', default: '5' },
        tasks: { type: 'string', default: '3' },
        out: { type: 'string', default: 'runs' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  if (!DEVICES.includes(values.device as BackendChoice)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${values.device}'`);
  if (values.out === '') throw new UsageError('--out must name a folder');
  return {
    epochs: integerAtLeast('epochs', values.epochs, 1),
    lr: positiveNumber('lr', values.lr),
    device: values.device as BackendChoice,
    seed: integerAtLeast('seed', values.seed, 0),
    hidden: integerAtLeast('hidden', values.hidden, 1),
    tasks: integerAtLeast('tasks', values.tasks, 1),
    out: values.out,
  };
}

const gibibytes = (bytes: number): string => `${Math.ceil(bytes / 2 ** 30).toLocaleString('en-US')} GiB`;

/** Refuses sizes whose tensors could not fit in this machine's memory, before any is allocated. */
function checkFitsInMemory({ tasks, hidden, epochs }: Options): void {
  const bytes = multiTaskBytes({ tasks, hidden, epochs });
  if (bytes > totalmem()) {
    throw new UsageError(
      `--tasks ${tasks} --hidden ${hidden}: MultiTaskNet(10, ${tasks}, ${hidden}) needs about ${gibibytes(bytes)} ` +
        `(weights, gradients, Adam's state, activations and the loss history), and this machine has ${gibibytes(totalmem())}`,
    );
  }
}

interface Experiment {
  name: string;
  title: string;
  train: (options: TrainOptions) => Promise<LossHistory>;
}

const experiments = ({ tasks, hidden }: Options): Experiment[] => [
  {
    name: 'multitask',
    title: `Multi-task (article 4.1): MultiTaskNet(10, ${tasks}, ${hidden}), 100 examples, per-task MSE`,
    train: (options) => trainMultiTask({ ...options, tasks, hidden }),
  },
  { name: 'oneshot', title: 'One-shot (article 4.2): OneShotNet(10, 3), 1 example, MSE', train: trainOneShot },
];

const formatLoss = (loss: number): string => (loss !== 0 && Math.abs(loss) < 1e-3 ? loss.toExponential(4) : loss.toPrecision(5));

const formatLosses = (columns: readonly string[], losses: readonly number[]): string =>
  losses.map((loss, i) => `${columns[i]} ${formatLoss(loss)}`).join('  ');

/** init's no-adapter advice in command-line terms. */
const forCommandLine = (text: string): string => text.replace("use init({ backend: 'cpu' })", 'run with --device cpu');

async function initDevice(backend: BackendChoice): ReturnType<typeof init> {
  try {
    const device = await init({ backend });
    return { ...device, ...(device.reason && { reason: forCommandLine(device.reason) }) };
  } catch (err) {
    if ((err as Error).message === NO_ADAPTER_MESSAGE) throw new Error(forCommandLine(NO_ADAPTER_MESSAGE));
    throw err;
  }
}

async function run(options: Options): Promise<void> {
  const device = await initDevice(options.device);
  console.log(`device: ${device.backend} (${device.adapter}) — ${device.reason ?? 'requested with --device'}`);
  console.log(`Adam lr ${options.lr}, ${options.epochs} epochs, seed ${options.seed}\n`);

  for (const { name, title, train } of experiments(options)) {
    console.log(title);
    const bar = new ProgressBar(name, options.epochs);
    const history = await train({
      epochs: options.epochs,
      lr: options.lr,
      seed: options.seed,
      onProgress: (done, latest) => bar.update(done, `loss ${formatLoss(latest.reduce((a, b) => a + b, 0))}`),
    });
    bar.finish();
    const timing = history.warmupEpochs ? `, timed after ${history.warmupEpochs} warm-up epochs` : '';
    const files = await writeReport(join(options.out, name), title, history);
    console.log(`  final loss: ${formatLosses(history.columns, history.losses[history.losses.length - 1])}`);
    console.log(`  steps/s: ${history.stepsPerSecond.toFixed(1)} on ${device.backend}${timing}`);
    console.log(`  wrote ${files.csv}, ${files.svg}`);
    if (files.plottedColumns < history.columns.length) {
      console.log(`  note: losses.svg draws the first ${files.plottedColumns} of ${history.columns.length} tasks; losses.csv has all of them`);
    }
    console.log('');
  }
}

async function main(args: string[]): Promise<number> {
  if (args[0] === 'mtl') return mtlMain(args.slice(1));
  if (args[0] === 'maml' || args[0] === 'protonet') return metaMain(args[0], args.slice(1));
  let options: Options | 'help';
  try {
    options = parseOptions(args);
    if (options === 'help') {
      console.log(USAGE);
      return 0;
    }
    checkFitsInMemory(options);
    await prepareOutput(options.out, experiments(options).map(({ name }) => name));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`webgrad-train: ${err.message}\nRun webgrad-train --help for usage.`);
    return 2;
  }
  try {
    await run(options);
    return 0;
  } catch (err) {
    console.error(`webgrad-train: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
