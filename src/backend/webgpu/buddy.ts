// A buddy allocator over one slab's bytes: blocks are powers of two of at least MIN_BLOCK bytes,
// aligned to their size. Free blocks are coalesced eagerly and the lowest free offset is always taken,
// so the layout depends only on which blocks are live, not on the order they came and went: a
// training loop that frees what each step allocated replays the same offsets every step (and so the
// same parameter blocks and bind groups).
export const MIN_BLOCK = 256;

export const blockSize = (bytes: number): number => Math.max(MIN_BLOCK, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));

export class Buddy {
  /** free[log2(size)]: ascending offsets of the free blocks of that size. */
  private readonly free: number[][] = [];
  private readonly top: number;
  usedBytes = 0;

  constructor(readonly bytes: number) {
    this.top = Math.log2(bytes);
    if (!Number.isInteger(this.top) || bytes < MIN_BLOCK) throw new Error(`buddy: a slab of ${bytes} bytes is not a power of two ≥ ${MIN_BLOCK}`);
    for (let o = 0; o <= this.top; o++) this.free.push([]);
    this.free[this.top].push(0);
  }

  get isEmpty(): boolean {
    return this.usedBytes === 0;
  }

  /** The offset of a free block of `size` bytes (a power of two ≥ MIN_BLOCK), or null when none is left. */
  allocate(size: number): number | null {
    const order = Math.log2(size);
    let o = order;
    while (o <= this.top && this.free[o].length === 0) o++;
    if (o > this.top) return null;
    const offset = this.free[o].shift()!;
    while (o > order) insertSorted(this.free[--o], offset + 2 ** o); // keep the lower half, free the upper
    this.usedBytes += size;
    return offset;
  }

  release(offset: number, size: number): void {
    let o = Math.log2(size);
    let at = offset;
    this.usedBytes -= size;
    while (o < this.top) {
      const list = this.free[o];
      const i = sortedIndex(list, at ^ (2 ** o));
      if (list[i] !== (at ^ (2 ** o))) break;
      list.splice(i, 1);
      at = Math.min(at, at ^ (2 ** o));
      o++;
    }
    insertSorted(this.free[o], at);
  }
}

function sortedIndex(list: readonly number[], value: number): number {
  let [lo, hi] = [0, list.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(list: number[], value: number): void {
  list.splice(sortedIndex(list, value), 0, value);
}
