"""PyTorch side of `llama2 bench kernels`: the same layer ops at the same shapes (stories15M or
stories110M, B=8, T=256), forward and backward, on CPU float32, median wall ms of --repeat runs.
Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/bench_kernels.py [--shape 15m] [--threads 2]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from transformers.models.llama.modeling_llama import LlamaRMSNorm, apply_rotary_pos_emb

SHAPES = {
    "15m": dict(B=8, T=256, C=288, H=6, KH=6, D=48, F=768, V=32000, params=15_191_712),
    "110m": dict(B=8, T=256, C=768, H=12, KH=12, D=64, F=2048, V=32000, params=109_529_856),
}


def timeit(fn, repeats):
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1e3)
    return {"ms": statistics.median(samples), "minMs": min(samples)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="15m")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    s = SHAPES[a.shape]
    B, T, C, H, KH, D, Fh, V = (s[k] for k in ("B", "T", "C", "H", "KH", "D", "F", "V"))
    N = B * T
    g = torch.Generator().manual_seed(0)
    r = lambda *shape: torch.randn(*shape, generator=g)
    res = {}

    emb = torch.nn.Embedding(V, C)
    ids = torch.randint(0, V, (B, T), generator=g)
    res["embeddingForward"] = timeit(lambda: emb(ids), a.repeat)
    e_out = emb(ids)
    e_d = r(B, T, C)
    res["embeddingBackward"] = timeit(lambda: torch.autograd.grad(e_out, emb.weight, e_d, retain_graph=True), a.repeat)

    norm = LlamaRMSNorm(C, eps=1e-5)
    x = r(B, T, C).requires_grad_()
    res["rmsnormForward"] = timeit(lambda: norm(x), a.repeat)
    y = norm(x)
    dy = r(B, T, C)
    res["rmsnormBackward"] = timeit(lambda: torch.autograd.grad(y, (x, norm.weight), dy, retain_graph=True), a.repeat)

    q = r(B, H, T, D)
    inv = 1.0 / (10000.0 ** (torch.arange(0, D, 2, dtype=torch.float) / D))
    fr = torch.outer(torch.arange(T, dtype=torch.float), inv)
    emb2 = torch.cat((fr, fr), dim=-1)
    cos, sin = emb2.cos()[None], emb2.sin()[None]
    res["ropeForward(q)"] = timeit(lambda: apply_rotary_pos_emb(q, q, cos, sin), a.repeat)

    qa, ka, va = (r(B, H, T, D).requires_grad_() for _ in range(3))
    res["attentionForward"] = timeit(lambda: F.scaled_dot_product_attention(qa, ka, va, is_causal=True), a.repeat)
    o = F.scaled_dot_product_attention(qa, ka, va, is_causal=True)
    do = r(B, H, T, D)
    res["attentionBackward"] = timeit(lambda: torch.autograd.grad(o, (qa, ka, va), do, retain_graph=True), a.repeat)

    gate, up = r(N, Fh).requires_grad_(), r(N, Fh).requires_grad_()
    res["swigluForward"] = timeit(lambda: F.silu(gate) * up, a.repeat)
    h = F.silu(gate) * up
    dh = r(N, Fh)
    res["swigluBackward"] = timeit(lambda: torch.autograd.grad(h, (gate, up), dh, retain_graph=True), a.repeat)

    logits = (r(N, V) * 5).requires_grad_()
    tg = torch.randint(0, V, (N,), generator=g)

    def ce():
        loss = F.cross_entropy(logits, tg)
        torch.autograd.grad(loss, logits)

    res["crossEntropy"] = timeit(ce, a.repeat)
    with torch.no_grad():
        res["logSoftmax"] = timeit(lambda: F.log_softmax(logits, dim=-1), a.repeat)

    p = torch.nn.Parameter(r(s["params"]) * 0.02)
    p.grad = r(s["params"]) * 0.01
    opt = torch.optim.AdamW([p], lr=1e-3, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1, foreach=False)
    res["adamwStep"] = timeit(opt.step, a.repeat)
    xa, ya = r(N * C), r(N * C)
    res["addInPlace"] = timeit(lambda: xa.add_(ya), a.repeat)

    if a.json:
        print(json.dumps({"shape": s, "threads": a.threads, "torch": torch.__version__, "results": res}))
        return
    print(f"torch {torch.__version__}, {a.threads} threads, shape {a.shape} {s}, median of {a.repeat}")
    print(f"{'kernel':20} {'median ms':>10} {'min ms':>9}")
    for k, v in res.items():
        print(f"{k:20} {v['ms']:10.2f} {v['minMs']:9.2f}")


if __name__ == "__main__":
    main()
