// A run's outputs on disk: losses.csv (one row per epoch, one column per task) and losses.svg
// (one line per task), the plot drawn by vega-lite and rendered to SVG by vega without a browser.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { LossHistory } from './experiments.js';

/**
 * Lines one plot draws at most: the colour scheme's ten distinct colours. Vega also cannot draw many
 * more (1,000 series overflow the stack while it parses the spec); the CSV keeps every column.
 */
export const MAX_PLOTTED_SERIES = 10;

export interface ReportFiles {
  csv: string;
  svg: string;
  /** Columns the SVG draws: the first MAX_PLOTTED_SERIES. */
  plottedColumns: number;
}

/** Writes `<dir>/losses.csv` and `<dir>/losses.svg`, creating `dir`. */
export async function writeReport(dir: string, title: string, history: LossHistory, lossName = 'MSE loss'): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = { csv: join(dir, 'losses.csv'), svg: join(dir, 'losses.svg') };
  await writeFile(files.csv, lossesCsv(history));
  await writeFile(files.svg, await lossesSvg(title, history, lossName));
  return { ...files, plottedColumns: Math.min(history.columns.length, MAX_PLOTTED_SERIES) };
}

/** `epoch,<column>…` then one row per epoch (epochs counted from 1), float32 precision. */
export function lossesCsv({ columns, losses }: LossHistory): string {
  const rows = losses.map((row, i) => [i + 1, ...row.map((v) => Number(v.toPrecision(7)))].join(','));
  return [['epoch', ...columns].join(','), ...rows].join('\n') + '\n';
}

/**
 * The loss curves as an SVG document: loss (log scale) against epoch, one coloured line per column
 * for the first MAX_PLOTTED_SERIES columns (a subtitle says so when there are more).
 */
export async function lossesSvg(title: string, { columns, losses }: LossHistory, lossName = 'MSE loss'): Promise<string> {
  const plotted = columns.slice(0, MAX_PLOTTED_SERIES);
  const subtitle = plotted.length < columns.length ? `the first ${plotted.length} of ${columns.length} series; losses.csv has them all` : undefined;
  const points = losses.flatMap((row, i) => plotted.map((series, c) => ({ x: i + 1, y: row[c], series })));
  return linesSvg({ title, subtitle, x: 'epoch', y: `${lossName} (log scale)`, logY: true, points, series: plotted });
}

export interface LinePlot {
  title: string;
  subtitle?: string;
  /** The axes' titles. */
  x: string;
  y: string;
  /** A log y axis (points with y ≤ 0 are left out: it cannot place them). */
  logY?: boolean;
  /** The y axis's range; lines leaving it are clipped at its edge. */
  yDomain?: readonly [number, number];
  points: readonly { x: number; y: number; series: string }[];
  /** The series in legend order. */
  series: readonly string[];
}

/** One coloured line per series, drawn by vega-lite and rendered to SVG by vega without a browser. */
export async function linesSvg({ title, subtitle, x, y, logY = false, yDomain, points, series }: LinePlot): Promise<string> {
  const spec: TopLevelSpec = {
    title: { text: title, ...(subtitle && { subtitle }) },
    width: 600,
    height: 300,
    data: { values: points.filter((p) => Number.isFinite(p.y)) },
    transform: logY ? [{ filter: 'datum.y > 0' }] : [],
    mark: { type: 'line', strokeWidth: 1.5, point: points.length <= 200, clip: yDomain !== undefined },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: x },
      y: { field: 'y', type: 'quantitative', title: y, scale: { ...(logY && { type: 'log' }), ...(yDomain && { domain: [...yDomain] }) } },
      color: { field: 'series', type: 'nominal', title: null, sort: [...series] },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
