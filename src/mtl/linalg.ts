// Small dense linear algebra in float64 on the host, for the T×T problems of the aggregators (T, the
// number of tasks, is small): solves, the symmetric eigendecomposition, the pseudo-inverse, and a
// quadratic program over the non-negative orthant.

export type Matrix = number[][];

export const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);
export const matVec = (A: Matrix, x: readonly number[]): number[] => A.map((row) => dot(row, x));
export const identity = (n: number): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
export const trace = (A: Matrix): number => A.reduce((s, row, i) => s + row[i], 0);

/** x with A·x = b, by Gaussian elimination with partial pivoting; null when A is singular. */
export function solve(A: Matrix, b: readonly number[]): number[] | null {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  const scale = Math.max(...A.flat().map(Math.abs), 0);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[pivot][col])) pivot = r;
    if (Math.abs(M[pivot][col]) <= 1e-14 * scale || M[pivot][col] === 0) return null;
    [M[col], M[pivot]] = [M[pivot], M[col]];
    for (let r = col + 1; r < n; r++) {
      const f = M[r][col] / M[col][col];
      for (let c = col; c <= n; c++) M[r][c] -= f * M[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let c = r + 1; c < n; c++) s -= M[r][c] * x[c];
    x[r] = s / M[r][r];
  }
  return x;
}

/** Eigenvalues (ascending) and orthonormal eigenvectors (columns of `vectors`) of a symmetric A, by cyclic Jacobi rotations. */
export function symmetricEigen(A: Matrix): { values: number[]; vectors: Matrix } {
  const n = A.length;
  const M = A.map((row) => [...row]);
  const V = identity(n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += M[p][q] * M[p][q];
    if (off <= 1e-30 * Math.max(1e-300, M.reduce((s, row, i) => s + row[i] * row[i], 0))) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (M[p][q] === 0) continue;
        const theta = (M[q][q] - M[p][p]) / (2 * M[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [mkp, mkq] = [M[k][p], M[k][q]];
          M[k][p] = c * mkp - s * mkq;
          M[k][q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const [mpk, mqk] = [M[p][k], M[q][k]];
          M[p][k] = c * mpk - s * mqk;
          M[q][k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const [vkp, vkq] = [V[k][p], V[k][q]];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = M.map((_, i) => i).sort((i, j) => M[i][i] - M[j][j]);
  return { values: order.map((i) => M[i][i]), vectors: V.map((row) => order.map((i) => row[i])) };
}

/** The Moore–Penrose pseudo-inverse of a symmetric A (eigenvalues below rtol·max|λ| count as 0, as torch.linalg.pinv). */
export function pinvSymmetric(A: Matrix, rtol = A.length * 2.220446049250313e-16): Matrix {
  const { values, vectors: V } = symmetricEigen(A);
  const cutoff = rtol * Math.max(...values.map(Math.abs));
  const inv = values.map((l) => (Math.abs(l) > cutoff ? 1 / l : 0));
  return A.map((_, i) => A.map((__, j) => inv.reduce((s, li, k) => s + V[i][k] * li * V[j][k], 0)));
}

/**
 * argmin ½·zᵀQz + cᵀz subject to z ≥ 0, for a positive definite Q: the active-set method of
 * Lawson and Hanson, exact in finitely many steps.
 */
export function nonnegativeQp(Q: Matrix, c: readonly number[]): number[] {
  const n = c.length;
  const z = new Array<number>(n).fill(0);
  const free = new Set<number>();
  const tol = 1e-12 * Math.max(1, ...c.map(Math.abs), ...Q.flat().map(Math.abs));
  /** Minimiser over the free variables (the others held at 0). */
  const freeMinimiser = (): number[] => {
    const idx = [...free];
    const sol = solve(idx.map((i) => idx.map((j) => Q[i][j])), idx.map((i) => -c[i]));
    if (!sol) throw new Error('nonnegativeQp: the matrix is singular on the free set (it must be positive definite; regularise it)');
    const s = new Array<number>(n).fill(0);
    idx.forEach((i, k) => (s[i] = sol[k]));
    return s;
  };
  for (let outer = 0; outer < 10 * n + 10; outer++) {
    const descent = matVec(Q, z).map((v, i) => -(v + c[i])); // the negative gradient
    let enter = -1;
    for (let i = 0; i < n; i++) if (!free.has(i) && descent[i] > tol && (enter < 0 || descent[i] > descent[enter])) enter = i;
    if (enter < 0) return z;
    free.add(enter);
    for (let inner = 0; inner <= n; inner++) {
      const s = freeMinimiser();
      const blocking = [...free].filter((i) => s[i] <= 0);
      if (blocking.length === 0) {
        s.forEach((v, i) => (z[i] = v));
        break;
      }
      const alpha = Math.min(...blocking.map((i) => z[i] / (z[i] - s[i])));
      for (let i = 0; i < n; i++) z[i] += alpha * (s[i] - z[i]);
      for (const i of [...free]) {
        if (z[i] <= tol) {
          z[i] = 0;
          free.delete(i);
        }
      }
    }
  }
  return z;
}

/** softmax(z), shifted by its maximum so that no exponential overflows. */
export function softmax(z: readonly number[]): number[] {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

/** The Euclidean projection of v onto the probability simplex {w ≥ 0, Σw = 1}. */
export function projectSimplex(v: readonly number[]): number[] {
  const sorted = [...v].sort((a, b) => b - a);
  let sum = 0;
  let shift = 0;
  sorted.forEach((u, k) => {
    sum += u;
    const t = (sum - 1) / (k + 1);
    if (u - t > 0) shift = t;
  });
  return v.map((x) => Math.max(x - shift, 0));
}
