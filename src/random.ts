// Seeded random numbers, generated on the host so one seed gives the same values on every backend.
import { numberOption } from './check.js';

// xoshiro128** (Blackman & Vigna): small, fast, and good enough for initialisation and sampling.
class Xoshiro128 {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    // splitmix32 spreads the seed over the state.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

let generator = new Xoshiro128(Date.now() ^ (process.pid << 16));

/** Makes every random op reproducible: the same seed gives the same numbers on every backend. */
export function manualSeed(seed: number): void {
  generator = new Xoshiro128(seed);
}

/** A random stream: uniform numbers in [0, 1). */
export interface Stream {
  next(): number;
}

/** A stream of its own from `seed`, or without one, seeded from the manualSeed stream (reproducible under it). */
export const randomStream = (seed?: number): Stream => new Xoshiro128(seed ?? generator.nextUint32());

/** The stream of something that takes a `seed` option (checked: an integer ≥ 0): see randomStream. */
export const seededStream = (op: string, seed: unknown): Stream => randomStream(seed === undefined ? undefined : numberOption(op, 'seed', seed, 0, { integer: true }));

/** `n` samples of U(low, high), rounded to float32. */
export function uniformValues(n: number, low = 0, high = 1, rng: Stream = generator): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng.next();
  return out;
}

/** `n` samples of N(mean, std²) by the Box–Muller transform, rounded to float32. */
export function normalValues(n: number, mean = 0, std = 1, rng: Stream = generator): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng.next(); // (0, 1]: log stays finite
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * A uniformly random permutation of 0 … n-1 (Fisher–Yates), drawn from the stream manualSeed
 * sets, or with `seed` from a generator of its own, which leaves that stream untouched.
 */
export function permutation(n: number, seed?: number | Stream): number[] {
  const rng = seed === undefined ? generator : typeof seed === 'number' ? new Xoshiro128(seed) : seed;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** `n` integers drawn uniformly from low … high − 1 (in float64, so high is never reached by rounding). */
export function integerValues(n: number, low: number, high: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + Math.floor((high - low) * generator.next());
  return out;
}
