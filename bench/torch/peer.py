#!/usr/bin/env python3
"""PyTorch CPU as a bench peer (bench/torch-peer.js drives it): one JSON request a line on stdin, one
JSON reply a line on stdout. Requests:
  {"op": "hello"}                               -> versions, BLAS, threads, the case ids of cases.py
  {"op": "open", "id", "data", "config"}        -> builds the case's step from prepare()'s data
  {"op": "check", "steps"}                      -> the first `steps` results (+ the case's state), f32
  {"op": "measure", "warmup", "bench"}          -> timings, sampled here as bench/run.js samples its sides
Typed arrays travel as {"f32" | "i32": base64} (little-endian), decoded to numpy arrays.
Thread counts come from OMP_NUM_THREADS (set by the driver before torch loads)."""
import base64
import ctypes
import json
import math
import os
import sys
import time

import numpy as np
import torch

from cases import CASES

DTYPES = {"f32": np.float32, "i32": np.int32}


def decode(value):
    if isinstance(value, dict):
        for key, dtype in DTYPES.items():
            if key in value:
                return np.frombuffer(base64.b64decode(value[key]), dtype=dtype).copy()
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def readback(out):
    """What the step returned, copied to host float32 as webgrad's `await t.data()` copies."""
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [o.detach().reshape(-1).to(torch.float32).numpy().copy() for o in outs]


def blas():
    """The BLAS library torch's GEMMs run on (Debian's torch links the libblas.so.3 alternative)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as maps:
        paths = sorted({line.split()[-1] for line in maps if "blas" in line.split()[-1]})
    for path in paths:
        lib = ctypes.CDLL(path)
        if hasattr(lib, "openblas_get_config"):
            lib.openblas_get_config.restype = ctypes.c_char_p
            return f"{lib.openblas_get_config().decode()} ({os.path.realpath(path)})"
    return f"reference BLAS, not OpenBLAS ({', '.join(os.path.realpath(p) for p in paths) or 'none found'})"


# Student's t at 97.5 % for 1..30 degrees of freedom, as benchmark.js's margin of error uses; 1.96 beyond.
T_975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
         2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042]
MIN_SAMPLE_S = 0.05  # benchmark.js's minTime on a microsecond timer: each sample runs enough calls for 50 ms


def quantile(sorted_values, q):
    at = (len(sorted_values) - 1) * q
    lo, hi = math.floor(at), math.ceil(at)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (at - lo)


def measure(step, warmup, bench):
    start = time.perf_counter()
    calls = 0
    while calls < warmup["calls"] or time.perf_counter() - start < warmup["seconds"]:
        readback(step())
        calls += 1
    count, samples, began = 1, [], time.perf_counter()
    while len(samples) < bench["minSamples"] or time.perf_counter() - began < bench["maxTime"]:
        t0 = time.perf_counter()
        for _ in range(count):
            readback(step())
        elapsed = time.perf_counter() - t0
        if elapsed < MIN_SAMPLE_S and not samples:  # still calibrating the calls per sample
            count = max(count + 1, math.ceil(count * MIN_SAMPLE_S / max(elapsed, 1e-9)))
            began = time.perf_counter()
            continue
        samples.append(elapsed / count)
    ms = sorted(s * 1000 for s in samples)
    mean = sum(ms) / len(ms)
    sem = math.sqrt(sum((s - mean) ** 2 for s in ms) / (len(ms) - 1) / len(ms))
    critical = T_975[len(ms) - 2] if len(ms) - 1 <= len(T_975) else 1.96
    return {"medianMs": quantile(ms, 0.5), "meanMs": mean, "iqrMs": quantile(ms, 0.75) - quantile(ms, 0.25),
            "rmePct": 100 * critical * sem / mean, "samples": len(ms), "callsPerSample": count}


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    case = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            op = request["op"]
            if op == "hello":
                reply = {"torch": torch.__version__, "python": sys.version.split()[0], "blas": blas(),
                         "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
                         "cases": sorted(CASES)}
            elif op == "open":
                built = CASES[request["id"]](decode(request["data"]), request.get("config", {}))
                case = built if isinstance(built, tuple) else (built, None)
                reply = {}
            elif op == "check":
                step, state = case
                values = [v for _ in range(request["steps"]) for v in readback(step())]
                if state:
                    values += readback(state())
                reply = {"f32": base64.b64encode(np.concatenate(values).astype("<f4").tobytes()).decode()}
            elif op == "measure":
                reply = measure(case[0], request["warmup"], request["bench"])
            else:
                raise ValueError(f"unknown request {op!r}")
        except Exception as err:  # the driver reports it as this case's error and goes on
            reply = {"error": f"{type(err).__name__}: {err}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
