"""numpy (OpenBLAS) sgemm GFLOP/s on the shapes of `llama2 bench gemm` (src/cli/commands/bench/gemm.ts).

Peer numbers for bench/gemm.sh; dev only. Run with the reference env python, e.g.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /root/.cache/llama2-reference-venv/bin/python bench/gemm_numpy.py --json
Each shape: out = op(a) @ op(b) (accumulate: out += ...), median seconds over --repeat samples,
each sample a batch of calls lasting >= 0.2 s, after one warm-up call; also GFLOP per CPU-second
(process_time: all threads), the per-core figure that survives a busy machine.
"""
import argparse
import json
import statistics
import time

import numpy as np

BT = 2048
# name, M, N, K, transA, transB, accumulate: the same list as defaultShapes in bench/gemm.ts.
SHAPES = [
    ("square 1024", 1024, 1024, 1024, False, False, False),
    ("x·Wqkvo^T [288,288]", BT, 288, 288, False, True, False),
    ("x·W1^T [768,288]", BT, 768, 288, False, True, False),
    ("h·W2^T [288,768]", BT, 288, 768, False, True, False),
    ("x·Wcls^T [32000,288]", BT, 32000, 288, False, True, False),
    ("dX=dY·W1 [768,288]", BT, 288, 768, False, False, False),
    ("dX=dY·Wcls", BT, 288, 32000, False, False, False),
    ("dW1+=dY^T·X", 768, 288, BT, True, False, True),
    ("dWcls+=dY^T·X", 32000, 288, BT, True, False, True),
    ("decode M=1 x·W1^T", 1, 768, 288, False, True, False),
    ("decode M=1 cls", 1, 32000, 288, False, True, False),
    ("decode M=16 cls", 16, 32000, 288, False, True, False),
]


def bench(M, N, K, ta, tb, acc, repeats):
    rng = np.random.default_rng(0)
    a = (rng.random((K, M) if ta else (M, K), dtype=np.float32) - 0.5)
    b = (rng.random((N, K) if tb else (K, N), dtype=np.float32) - 0.5)
    A = a.T if ta else a  # views: numpy passes the transpose flag to sgemm, no copy
    B = b.T if tb else b
    out = np.zeros((M, N), dtype=np.float32)
    if acc:
        tmp = np.empty((M, N), dtype=np.float32)
        def f():
            np.matmul(A, B, out=tmp)  # numpy has no beta=1 matmul; the add is timed too
            np.add(out, tmp, out=out)
    else:
        def f():
            np.matmul(A, B, out=out)
    f()
    t0 = time.perf_counter(); f(); once = max(time.perf_counter() - t0, 1e-7)
    batch = max(1, int(np.ceil(0.2 / once)))
    samples, cpu = [], []
    for _ in range(repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(batch):
            f()
        samples.append((time.perf_counter() - t0) / batch)
        cpu.append((time.process_time() - c0) / batch)
    med = statistics.median(samples)
    flop = 2.0 * M * N * K
    return flop / med / 1e9, med, (max(samples) - min(samples)) / med, flop / statistics.median(cpu) / 1e9


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--m", type=int); p.add_argument("--n", type=int); p.add_argument("--k", type=int)
    p.add_argument("--ta", action="store_true"); p.add_argument("--tb", action="store_true")
    p.add_argument("--acc", action="store_true")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    shapes = SHAPES
    if args.m is not None:
        shapes = [("custom", args.m, args.n, args.k, args.ta, args.tb, args.acc)]
    rows = []
    for name, M, N, K, ta, tb, acc in shapes:
        g, sec, spread, gcpu = bench(M, N, K, ta, tb, acc, args.repeat)
        rows.append(dict(name=name, M=M, N=N, K=K, transA=ta, transB=tb, accumulate=acc,
                         gflops=g, gflopsPerCpuSecond=gcpu, seconds=sec, spread=spread))
    if args.json:
        if args.m is not None:
            print(json.dumps({"gflops": rows[0]["gflops"], **rows[0]}))
        else:
            print(json.dumps({"numpy": np.__version__, "repeats": args.repeat, "results": rows}))
    else:
        for r in rows:
            print(f"{r['name']:24} {r['M']:6} {r['N']:6} {r['K']:6} {r['gflops']:8.1f} GFLOP/s  spread {100*r['spread']:.0f}%"
                  f"  {r['gflopsPerCpuSecond']:.1f} GFLOP/cpu-s")


if __name__ == "__main__":
    main()
