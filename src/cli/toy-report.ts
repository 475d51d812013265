// The toy's outputs: trajectories.csv (step, start, θ) and trajectories.svg — the trajectories over
// the average loss, with the Pareto set (found numerically: the non-dominated points of a fine grid).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { tensor, tidy } from '../index.js';
import { toyLosses, type ToyRun } from './toy.js';

const range = (from: number, to: number, step: number): number[] => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);

interface Landscape {
  cells: { x1: number; x2: number; loss: number }[];
  pareto: [number, number][];
}
let landscape: Promise<Landscape> | null = null;

/** The average loss on a coarse grid (for the background) and the Pareto set, from one evaluation of a fine grid (once per process). */
export const toyLandscape = (): Promise<Landscape> => (landscape ??= evaluateLandscape());

async function evaluateLandscape(): Promise<Landscape> {
  const [xs, ys] = [range(-10, 10, 0.1), range(-10, 10, 0.02)];
  const points = xs.flatMap((x) => ys.map((y) => [x, y]));
  const theta = tensor(points, { device: 'reference' });
  const [f1, f2] = tidy(() => toyLosses(theta).map((f) => f.detach()));
  const [l1, l2] = await Promise.all([f1, f2].map((t) => t.data()));
  [theta, f1, f2].forEach((t) => t.dispose());
  // The Pareto set: the grid points no other grid point beats on both losses (sorted by f₁, a
  // point is kept when its f₂ is below every f₂ before it).
  const order = points.map((_, k) => k).sort((i, j) => l1[i] - l1[j] || l2[i] - l2[j]);
  const byColumn = new Map<number, [number, number]>(); // one point per grid column is drawn
  let bestF2 = Infinity;
  for (const k of order) {
    if (l2[k] < bestF2) {
      bestF2 = l2[k];
      if (!byColumn.has(points[k][0])) byColumn.set(points[k][0], [points[k][0], points[k][1]]);
    }
  }
  const pareto = [...byColumn.values()].sort((p, q) => p[0] - q[0]);
  const cells = xs.filter((_, i) => i % 10 === 0).flatMap((x) => ys.filter((_, j) => j % 50 === 0).map((y) => {
    const k = Math.round((x + 10) / 0.1) * ys.length + Math.round((y + 10) / 0.02);
    return { x1: x, x2: y, loss: (l1[k] + l2[k]) / 2 };
  }));
  return { cells, pareto };
}

export interface ToyReport {
  csv: string;
  svg: string;
}

/** Writes <dir>/trajectories.csv and <dir>/trajectories.svg for one method's run. */
export async function writeToyReport(dir: string, title: string, run: ToyRun, every: number): Promise<ToyReport> {
  await mkdir(dir, { recursive: true });
  const files = { csv: join(dir, 'trajectories.csv'), svg: join(dir, 'trajectories.svg') };
  const rows = run.trajectories.flatMap((t, k) => t.map(([x1, x2], i) => `${Math.min(i * every, (t.length - 1) * every)},${k},${x1.toPrecision(7)},${x2.toPrecision(7)}`));
  await writeFile(files.csv, ['step,start,x1,x2', ...rows].join('\n') + '\n');
  const { cells, pareto } = await toyLandscape();
  // At most ~400 points of each trajectory are drawn (the CSV has them all).
  const drawn = run.trajectories.map((t) => t.filter((_, i) => i % Math.ceil(t.length / 400) === 0 || i === t.length - 1));
  const axis = (field: string) => ({ field, type: 'quantitative' as const, scale: { domain: [-10, 10] }, title: field === 'x1' ? 'θ₁' : 'θ₂' });
  const spec: TopLevelSpec = {
    title: { text: title, subtitle: 'average loss; black: the Pareto set; lines: Adam from the three starts (○ start, ● end)' },
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', width: 21, height: 21 },
        encoding: { x: axis('x1'), y: axis('x2'), color: { field: 'loss', type: 'quantitative', scale: { scheme: 'greys', reverse: true }, legend: { title: 'mean loss' } } },
      },
      { data: { values: pareto.map(([x1, x2]) => ({ x1, x2 })) }, mark: { type: 'line', color: 'black', strokeWidth: 4 }, encoding: { x: axis('x1'), y: axis('x2') } },
      {
        data: { values: drawn.flatMap((t, k) => t.map(([x1, x2], i) => ({ x1, x2, i, start: `start ${k + 1}` }))) },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x: axis('x1'), y: axis('x2'), order: { field: 'i', type: 'quantitative' }, color: { field: 'start', type: 'nominal', scale: { scheme: 'set1' }, title: null } },
      },
      {
        data: { values: run.trajectories.flatMap((t, k) => [{ ...xy(t[0]), kind: 'start', start: `start ${k + 1}` }, { ...xy(t.at(-1)!), kind: 'end', start: `start ${k + 1}` }]) },
        mark: { type: 'point', size: 80, strokeWidth: 2 },
        encoding: { x: axis('x1'), y: axis('x2'), color: { field: 'start', type: 'nominal', scale: { scheme: 'set1' }, legend: null }, fill: { condition: { test: "datum.kind === 'end'", field: 'start', type: 'nominal', legend: null }, value: 'white' } },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    await writeFile(files.svg, await view.toSVG());
  } finally {
    view.finalize();
  }
  return files;
}

const xy = ([x1, x2]: number[]) => ({ x1, x2 });
