"""Reference for the trainer's optimizer path: torch.nn.utils.clip_grad_norm_ + torch.optim.AdamW
(two param groups: decay / no decay) + LambdaLR with Llama 2's warm-up + cosine-to-10% schedule.
Gradients are fixed random tensors per step (scaled so some steps clip and some do not), so the
TypeScript test feeds the same gradients and compares the parameters after 10 steps.

Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/trainer_fixture.py
Writes test/fixtures/train/trainer_fixture.json.
"""
import json
import math
import os

import torch

torch.manual_seed(1234)
STEPS = 10
CFG = dict(lr=3e-2, warmup=3, max_steps=STEPS, min_lr_ratio=0.1, beta1=0.9, beta2=0.95, eps=1e-5,
           weight_decay=0.1, grad_clip=1.0)


def lr_multiplier(step: int) -> float:
    """Same formula as src/train/schedule.ts lrMultiplier (cosine kind)."""
    w, n, r = CFG["warmup"], CFG["max_steps"], CFG["min_lr_ratio"]
    if w > 0 and step < w:
        return (step + 1) / w
    span = max(1, n - w)
    progress = min(1.0, (step - w) / span)
    return r + (1 - r) * 0.5 * (1 + math.cos(math.pi * progress))


shapes = {"model.embed_tokens.weight": [5, 3], "model.layers.0.self_attn.q_proj.weight": [4, 3],
          "model.norm.weight": [3]}
decay = {"model.embed_tokens.weight": True, "model.layers.0.self_attn.q_proj.weight": True,
         "model.norm.weight": False}
params = {n: torch.nn.Parameter(torch.randn(*s, dtype=torch.float32)) for n, s in shapes.items()}
initial = {n: p.detach().clone() for n, p in params.items()}
# Per-step gradient scale: large steps are clipped to norm 1, small ones are not.
scales = [0.1, 3.0, 0.2, 5.0, 0.05, 1.5, 0.3, 4.0, 0.15, 2.5]
grads = [{n: (torch.randn(*s, dtype=torch.float32) * scales[i]) for n, s in shapes.items()} for i in range(STEPS)]

opt = torch.optim.AdamW(
    [{"params": [p for n, p in params.items() if decay[n]], "weight_decay": CFG["weight_decay"]},
     {"params": [p for n, p in params.items() if not decay[n]], "weight_decay": 0.0}],
    lr=CFG["lr"], betas=(CFG["beta1"], CFG["beta2"]), eps=CFG["eps"])
sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_multiplier)
lrs, norms = [], []
for i in range(STEPS):
    for n, p in params.items():
        p.grad = grads[i][n].clone()
    lrs.append(sched.get_last_lr()[0])
    norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), CFG["grad_clip"])))
    opt.step()
    sched.step()

out = {
    "config": CFG,
    "params": [{"name": n, "shape": shapes[n], "decay": decay[n], "initial": initial[n].flatten().tolist(),
                "final": params[n].detach().flatten().tolist(),
                "exp_avg": opt.state[params[n]]["exp_avg"].flatten().tolist(),
                "exp_avg_sq": opt.state[params[n]]["exp_avg_sq"].flatten().tolist()} for n in shapes],
    "grads": [{n: g[n].flatten().tolist() for n in shapes} for g in grads],
    "lrs": lrs,
    "grad_norms": norms,
    "torch": torch.__version__,
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "train", "trainer_fixture.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), "lrs", [round(x, 6) for x in lrs], "norms", [round(x, 3) for x in norms])
