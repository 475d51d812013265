// Linux stops a process at vm.max_map_count memory mappings (65,530 by default), and Dawn on lavapipe
// then crashes inside the driver. Every bind group holds one mapping there until the event loop lets
// Dawn free it, so the backend counts the Dawn objects it creates and, now and then, the process's
// mappings: near the limit the op throws an Error that says what is alive and how to free it.
import { readFileSync } from 'node:fs';

/** Mappings left to Node, V8 and the driver's own needs. */
const RESERVE = 4096;
/** Objects created between two counts at least (a count reads /proc/self/maps). */
const MIN_INTERVAL = 256;

function readNumber(path: string): number | null {
  try {
    const value = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(value) ? value : null;
  } catch {
    return null; // not Linux: nothing to guard
  }
}

export function countMappings(): number {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  let lines = 0;
  for (let i = maps.indexOf('\n'); i !== -1; i = maps.indexOf('\n', i + 1)) lines++;
  return lines;
}

export class MappingGuard {
  private maxMappings = readNumber('/proc/sys/vm/max_map_count');
  private sinceCount = 0;
  private nextCount = 0;

  /** The kernel's limit (null where there is none to read). Tests lower it: the next check counts. */
  get limit(): number | null {
    return this.maxMappings;
  }
  set limit(value: number | null) {
    this.maxMappings = value;
    this.nextCount = 0;
  }

  /** Records `n` created Dawn objects (bind groups, buffers). */
  created(n = 1): void {
    this.sinceCount += n;
  }

  /** Throws, with `whatIsAlive` in the message, when the process nears the limit. */
  check(whatIsAlive: () => string): void {
    if (this.maxMappings === null || this.sinceCount < this.nextCount) return;
    const count = countMappings();
    const ceiling = this.maxMappings - RESERVE;
    // Each object adds at most about one mapping: count again before the headroom can run out.
    this.sinceCount = 0;
    this.nextCount = Math.max(MIN_INTERVAL, (ceiling - count) / 4);
    if (count < ceiling) return;
    this.nextCount = 0;
    throw new Error(
      `webgpu: this process holds ${count} memory mappings, close to Linux's limit of ${this.maxMappings} (vm.max_map_count), past which ` +
        `the GPU driver would crash it. ${whatIsAlive()}. Free what you no longer need (dispose() tensors, run loops inside tidy()), ` +
        'and let the event loop turn now and then (await a readback such as item()) so that Dawn can release what was collected; ' +
        'or raise the limit: sudo sysctl vm.max_map_count=262144',
    );
  }
}
