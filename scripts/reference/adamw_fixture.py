"""AdamW fixture: torch.optim.AdamW (foreach=False, i.e. _single_tensor_adam with decoupled weight
decay) run for 10 steps on a small float32 parameter with recorded gradients, for several lr / weight
decay settings; eps 1e-5, betas (0.9, 0.95) as in the paper (§2.2). Writes
test/fixtures/adamw/adamw.json, read by test/native/adamw.test.ts.
Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/adamw_fixture.py
"""
import json
import os

import torch

STEPS = 10
N = 41
CASES = [
    {"lr": 3e-4, "weight_decay": 0.1},
    {"lr": 1e-3, "weight_decay": 0.0},
    {"lr": 2e-2, "weight_decay": 0.5},
]


def f32_list(t):
    return [float(x) for x in t.detach().to(torch.float32).reshape(-1).tolist()]


def main():
    gen = torch.Generator().manual_seed(1234)
    out = {"torch": torch.__version__, "betas": [0.9, 0.95], "eps": 1e-5, "steps": STEPS, "cases": []}
    for case in CASES:
        p0 = torch.randn(N, generator=gen, dtype=torch.float32)
        p = torch.nn.Parameter(p0.clone())
        opt = torch.optim.AdamW([p], lr=case["lr"], betas=(0.9, 0.95), eps=1e-5,
                                weight_decay=case["weight_decay"], foreach=False, fused=False)
        grads, params = [], []
        for step in range(STEPS):
            # mixed magnitudes: ordinary, tiny (eps matters), exact zeros
            g = torch.randn(N, generator=gen, dtype=torch.float32)
            g[:5] *= 1e-7
            g[5:8] = 0.0
            g[8:11] *= 100.0
            p.grad = g.clone()
            opt.step()
            grads.append(f32_list(g))
            params.append(f32_list(p))
        st = opt.state[p]
        out["cases"].append({**case, "param0": f32_list(p0), "grads": grads, "params": params,
                             "exp_avg": f32_list(st["exp_avg"]), "exp_avg_sq": f32_list(st["exp_avg_sq"])})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "adamw", "adamw.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
