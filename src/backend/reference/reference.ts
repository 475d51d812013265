// The reference backend: plain TypeScript loops in float64, written to be obviously correct.
// It is the oracle for gradient checks (finite differences need float64) and for the GPU kernels,
// and the fallback where no GPU is found. Speed is the native backend's job, not this one's.
import { cpus } from 'node:os';
import { alongAxis, reduceAlong, softmaxPlan } from '../axis.js';
import type { AxisView, Backend, BinaryOp, MatmulArgs, ReduceOp, Storage, UnaryOp } from '../backend.js';
import { BINARY_OPS, UNARY_OPS } from '../elementwise-ops.js';
import { contiguousStrides, sizeOf, type Layout, type Shape } from '../../shape.js';

class ReferenceStorage implements Storage {
  constructor(readonly data: Float64Array) {}
  get length(): number {
    return this.data.length;
  }
}

/** Storage offset of every element of `layout`, in row-major order. */
function offsets(layout: Layout): Int32Array {
  const n = sizeOf(layout.shape);
  const out = new Int32Array(n);
  const rank = layout.shape.length;
  const index = new Array<number>(rank).fill(0);
  let off = layout.offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      off += layout.strides[d];
      if (index[d] < layout.shape[d]) break;
      off -= layout.strides[d] * layout.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

const dataOf = (s: Storage): Float64Array => (s as ReferenceStorage).data;
const wrap = (data: Float64Array): ReferenceStorage => new ReferenceStorage(data);

export class ReferenceBackend implements Backend {
  readonly name = 'reference' as const;
  readonly description = `TypeScript reference (float64) on ${cpus()[0]?.model.trim() ?? 'this CPU'}`;

  upload(data: Float32Array | Float64Array): Storage {
    return wrap(Float64Array.from(data));
  }
  fill(length: number, value: number): Storage {
    return wrap(new Float64Array(length).fill(value));
  }
  async read(storage: Storage): Promise<Float64Array> {
    return this.readSync(storage);
  }
  readSync(storage: Storage): Float64Array {
    return dataOf(storage).slice();
  }
  release(): void {}
  async flush(): Promise<void> {}

  unary(op: UnaryOp, x: Storage, layout: Layout, alpha: number): Storage {
    const f = UNARY_OPS[op].ref;
    const src = dataOf(x);
    return wrap(Float64Array.from(offsets(layout), (o) => f(src[o], alpha)));
  }

  binary(op: BinaryOp, a: Storage, al: Layout, b: Storage, bl: Layout): Storage {
    const f = BINARY_OPS[op].ref;
    const [da, db] = [dataOf(a), dataOf(b)];
    const ob = offsets(bl);
    return wrap(Float64Array.from(offsets(al), (o, i) => f(da[o], db[ob[i]])));
  }

  reduce(op: ReduceOp, x: Storage, layout: Layout, dims: readonly number[], scale = 1): Storage {
    return reduceAlong(this, x, layout, dims, (s, offset, view, last) => reduceAxis(op, dataOf(s), offset, view, last ? scale : 1));
  }

  softmax(x: Storage, layout: Layout, dim: number, log: boolean): Storage {
    return alongAxis(this, x, softmaxPlan(layout, dim), (s, offset, view) => softmaxAxis(dataOf(s), offset, view, log));
  }

  matmul(a: Storage, b: Storage, { a: al, b: bl, bias }: MatmulArgs): Storage {
    const [batch, m, k] = al.shape;
    const n = bl.shape[2];
    const [da, db] = [dataOf(a), dataOf(b)];
    const [sa, sb] = [al.strides, bl.strides];
    const out = new Float64Array(batch * m * n);
    const biasData = bias && dataOf(bias.storage);
    for (let p = 0; p < batch; p++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = biasData ? biasData[bias.layout.offset + j * bias.layout.strides[0]] : 0;
          for (let q = 0; q < k; q++) {
            acc += da[al.offset + p * sa[0] + i * sa[1] + q * sa[2]] * db[bl.offset + p * sb[0] + q * sb[1] + j * sb[2]];
          }
          out[(p * m + i) * n + j] = acc;
        }
      }
    }
    return wrap(out);
  }

  copy(src: Storage, srcLayout: Layout, dst: Storage, dstLayout: Layout): void {
    const [s, d] = [dataOf(src), dataOf(dst)];
    const from = offsets(srcLayout);
    offsets(dstLayout).forEach((o, i) => (d[o] = s[from[i]]));
  }

  gather(x: Storage, xl: Layout, dim: number, index: Storage, il: Layout): Storage {
    const [dx, di] = [dataOf(x), dataOf(index)];
    const io = offsets(il);
    const out = new Float64Array(io.length);
    forEachIndex(il.shape, (idx, i) => {
      const k = di[io[i]];
      if (!Number.isInteger(k) || k < 0 || k >= xl.shape[dim]) {
        out[i] = NaN; // not an element of x: NaN rather than a silent wrong value
        return;
      }
      let off = xl.offset;
      idx.forEach((v, d) => (off += (d === dim ? k : v) * xl.strides[d]));
      out[i] = dx[off];
    });
    return wrap(out);
  }

  scatterAdd(shape: Shape, dim: number, index: Storage, il: Layout, src: Storage, sl: Layout): Storage {
    const [di, ds] = [dataOf(index), dataOf(src)];
    const [io, so] = [offsets(il), offsets(sl)];
    const strides = contiguousStrides(shape);
    const out = new Float64Array(sizeOf(shape));
    forEachIndex(il.shape, (idx, i) => {
      const k = di[io[i]];
      if (!Number.isInteger(k) || k < 0 || k >= shape[dim]) return; // targets no element: dropped
      let off = 0;
      idx.forEach((v, d) => (off += (d === dim ? k : v) * strides[d]));
      out[off] += ds[so[i]];
    });
    return wrap(out);
  }

}

function reduceAxis(op: ReduceOp, src: Float64Array, offset: number, { outer, size, inner }: AxisView, scale: number): ReferenceStorage {
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = op === 'sum' ? 0 : -Infinity;
      for (let r = 0; r < size; r++) {
        const v = src[offset + (o * size + r) * inner + i];
        acc = op === 'sum' ? acc + v : BINARY_OPS.maximum.ref(acc, v);
      }
      out[o * inner + i] = op === 'sum' ? acc * scale : acc;
    }
  }
  return wrap(out);
}

function softmaxAxis(src: Float64Array, offset: number, { outer, size, inner }: AxisView, log: boolean): ReferenceStorage {
  const out = new Float64Array(outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (r: number) => (o * size + r) * inner + i;
      let max = -Infinity;
      for (let r = 0; r < size; r++) max = Math.max(max, src[offset + at(r)]);
      let sum = 0;
      for (let r = 0; r < size; r++) sum += Math.exp(src[offset + at(r)] - max);
      for (let r = 0; r < size; r++) {
        const shifted = src[offset + at(r)] - max;
        out[at(r)] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
      }
    }
  }
  return wrap(out);
}

function forEachIndex(shape: Shape, fn: (index: number[], flat: number) => void): void {
  const n = sizeOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    fn(index, i);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

