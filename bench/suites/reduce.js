// Reductions along one axis of a [1024,1024] matrix: down the columns (axis 0, strided reads) and
// along the rows (axis 1, contiguous reads); the [1024] result read back.
import { opCase } from './common.js';

const N = 1024;
// max is amax: the values alone (webgrad's max(dim), like torch's, also returns the indices).
const CASES = [
  { op: 'sum', axis: 0, webgrad: (x) => x.sum(0) },
  { op: 'sum', axis: 1, webgrad: (x) => x.sum(1) },
  { op: 'max', axis: 1, webgrad: (x) => x.amax(1) },
];

export default {
  name: 'reduce',
  title: `Axis reductions of a [${N},${N}] matrix, result read back`,
  cases: CASES.map(({ op, axis, webgrad }) => ({
    id: `reduce/${op}${axis}`,
    label: `${op} over axis ${axis} of [${N},${N}]`,
    // A sum of N terms of N(0, 1) is ≈√N in size, with rounding that depends on the summation order.
    tolerance: { rtol: 1e-5, atol: 1e-6 * N },
    ...opCase({
      seed: 3,
      inputs: { x: [N, N] },
      webgrad: ({ x }) => webgrad(x),
      tfjs: (tf, { x }) => tf[op](x, axis),
    }),
  })),
};
