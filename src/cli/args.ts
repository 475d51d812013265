// Command-line parsing shared by webgrad-train's jobs: usage errors (exit code 2), numbers as typed,
// negative values after numeric flags, and an output folder checked before any training.
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** A mistake in the command line, found before training: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** A decimal number as typed on a command line: 3, -3, 0.5, .5, 1e9. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
/** A value that starts like a negative number (-3, -.5, -Infinity), not like an option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|infinity$)/i;

/**
 * `--epochs -3` as `--epochs=-3`: parseArgs takes a value that starts with a dash for a forgotten
 * value ("argument is ambiguous"), so a negative number would never reach the range checks.
 */
export function attachNegativeNumbers(args: readonly string[], numericFlags: ReadonlySet<string>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (numericFlags.has(args[i]) && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

/** The number `text` spells in decimal, or NaN (for '', '0x10', 'Infinity', '1,000' …). */
const decimal = (text: string): number => (DECIMAL.test(text.trim()) ? Number(text) : NaN);

export function integerAtLeast(flag: string, text: string, min: number): number {
  const value = decimal(text);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${text}'`);
  return value;
}

export function positiveNumber(flag: string, text: string): number {
  const value = decimal(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`--${flag} must be a positive finite number, got '${text}'`);
  return value;
}

const FILE_SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a file is in the way of a folder',
  EEXIST: 'a file is in the way of a folder',
  ENOSPC: 'no space left on the device',
};

/** Creates `<out>/<experiment>/` for every experiment and checks each can be written, before training. */
export async function prepareOutput(out: string, folders: readonly string[]): Promise<void> {
  for (const folder of folders) {
    const dir = join(out, folder);
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
    } catch (err) {
      const { code, message } = err as NodeJS.ErrnoException;
      throw new UsageError(`--out ${out}: cannot write ${dir}: ${(code && FILE_SYSTEM_ERRORS[code]) ?? message}`);
    }
  }
}

