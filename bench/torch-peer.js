// PyTorch on the CPU as a peer of webgrad-cpu: bench/torch/peer.py in a child process, given each
// case's prepare() data, builds the case from bench/torch/cases.py, returns its first results for the
// cross-check and times it in Python with run.js's method (so no IPC is timed). Same thread count as
// webgrad's native pool. Unavailable (with the reason, shown in the table) where no python3 has torch.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PYTHONS = [process.env.WEBGRAD_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
const INSTALL = 'sudo apt-get install python3-torch libopenblas0-openmp (or: bash scripts/setup-torch.sh)';

/** JSON.stringify replacer: typed arrays as base64 of their bytes (little-endian, as x86 and ARM store them). */
const typed = (_, v) => {
  const kind = v instanceof Float32Array ? 'f32' : v instanceof Int32Array ? 'i32' : undefined;
  return kind ? { [kind]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v;
};

function pythonWithTorch() {
  return PYTHONS.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

/** The torch-cpu side, or `{ unavailable }`. `threads`: webgrad-cpu's thread count. */
export async function torchPeer(threads) {
  const python = pythonWithTorch();
  if (!python) return { unavailable: `no python3 with torch among ${PYTHONS.join(', ')}: ${INSTALL}` };
  const counts = String(threads);
  const child = spawn(python, [path.join(here, 'torch', 'peer.py')], {
    env: { ...process.env, OMP_NUM_THREADS: counts, OPENBLAS_NUM_THREADS: counts, MKL_NUM_THREADS: counts },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', (code, signal) => waiting.splice(0).forEach((w) => w.reject(new Error(`bench/torch/peer.py exited (${signal ?? code})`))));
  const request = async (message) => {
    const reply = await new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin.write(JSON.stringify(message, typed) + '\n');
    });
    if (reply.error) throw new Error(`torch: ${reply.error}`);
    return reply;
  };
  let hello;
  try {
    hello = await request({ op: 'hello' });
  } catch (err) {
    child.kill();
    return { unavailable: `${python} bench/torch/peer.py: ${err.message}` };
  }
  return {
    name: 'torch-cpu', kind: 'torch', pairing: 'cpu',
    description: `PyTorch ${hello.torch} (Python ${hello.python}), CPU, ${hello.threads} threads; GEMM: ${hello.blas}; convolutions: oneDNN${hello.mkldnn ? '' : ' (unavailable: ATen\'s own)'}`,
    /** Why a case is not measured on this side, or undefined. */
    skip: (c) => (hello.cases.includes(c.id) ? undefined : 'no PyTorch counterpart (bench/torch/cases.py)'),
    /** The case built in Python: check(n) → its first n results and state, measure(settings) → timings. */
    async open(c, data) {
      await request({ op: 'open', id: c.id, data, config: c.torch ?? {} });
      return {
        check: async (steps) => {
          const { f32 } = await request({ op: 'check', steps });
          const bytes = Buffer.from(f32, 'base64');
          return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
        },
        measure: ({ warmup, bench }) => request({ op: 'measure', warmup, bench }),
        dispose() {},
      };
    },
    close: () => child.stdin.end(),
  };
}
