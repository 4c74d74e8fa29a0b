"""Reference values for src/train/losses/*: each loss written the way PyTorch / TRL / OpenRLHF write it,
on fixed random inputs, with autograd gradients w.r.t. the quantity our function writes back.

- weighted masked CE: (F.cross_entropy(logits, t, ignore_index=-100, reduction="none") * w).sum() * scale
- pairwise margin: TRL 1.13 RewardTrainer.compute_loss (trl/trainer/reward_trainer.py):
  -logsigmoid(r_c - r_r - margin).mean() + center_rewards_coefficient * mean((r_c + r_r) ** 2)
- token log-probs: trl.trainer.utils.selective_log_softmax(logits, tokens)
- clipped policy / value: TRL's last PPO trainer (trl/experimental/ppo/ppo_trainer.py before its removal;
  the formulas as they stood there, since TRL 1.13 no longer ships it) and OpenRLHF's PolicyLoss /
  ValueLoss (openrlhf/models/loss.py), on the same inputs.

Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_loss_fixtures.py
Writes test/fixtures/losses/losses.json.
"""
import json
import os

import torch
import torch.nn.functional as F
import trl
from trl.trainer.utils import selective_log_softmax

torch.manual_seed(20261201)
out = {"torch": torch.__version__, "trl": trl.__version__}


def masked_mean(x, mask):  # trl.trainer.utils.masked_mean (axis=None)
    return (x * mask).sum() / mask.sum()


def L(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# Weighted masked cross-entropy.
N, V, scale = 12, 50, 0.125
logits = (torch.randn(N, V) * 3).requires_grad_()
targets = torch.randint(0, V, (N,))
targets[[2, 7]] = -100
w = torch.rand(N) * 2
w[5] = 0
loss = (F.cross_entropy(logits, targets, ignore_index=-100, reduction="none") * w).sum() * scale
loss.backward()
out["weighted_ce"] = dict(N=N, V=V, scale=scale, logits=L(logits), targets=targets.tolist(), weights=L(w),
                          loss=float(loss), grad=L(logits.grad))

# Pairwise margin loss (TRL RewardTrainer), margins from both Table 27 columns, with and without centering.
P = 8
rc = torch.randn(P).requires_grad_()
rr = torch.randn(P).requires_grad_()
margin = torch.tensor([1, 2 / 3, 1 / 3, 0, 3, 2, 1, 0], dtype=torch.float32)
cases = []
for coef in [None, 0.01]:
    rc.grad = None
    rr.grad = None
    loss = -F.logsigmoid(rc - rr - margin).mean()
    if coef is not None:
        loss = loss + coef * torch.mean((rc + rr) ** 2)
    loss.backward()
    acc = float((rc > rr).float().mean())
    cases.append(dict(coef=coef or 0, loss=float(loss), accuracy=acc, grad_chosen=L(rc.grad), grad_rejected=L(rr.grad)))
out["pairwise"] = dict(chosen=L(rc), rejected=L(rr), margins=L(margin), cases=cases)

# Token log-probabilities (TRL selective_log_softmax) and the gradient of sum(c * logp).
N2, V2 = 10, 37
lg = (torch.randn(N2, V2) * 2).requires_grad_()
toks = torch.randint(0, V2, (N2,))
c = torch.randn(N2)
logp = selective_log_softmax(lg, toks)
(logp * c).sum().backward()
out["logprobs"] = dict(N=N2, V=V2, logits=L(lg), tokens=toks.tolist(), upstream=L(c), logp=L(logp), grad=L(lg.grad))

# Clipped policy loss: TRL PPO and OpenRLHF PolicyLoss.
T = 24
cliprange = 0.2
old = torch.randn(T) * 0.5 - 2
new = (old + torch.randn(T) * 0.3).requires_grad_()  # ratios spread over and beyond [0.8, 1.2]
adv = torch.randn(T)
mask = (torch.rand(T) > 0.2).float()
logprobs_diff = new - old
ratio = torch.exp(logprobs_diff)
pg_losses = -adv * ratio
pg_losses2 = -adv * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
pg_loss_max = torch.max(pg_losses, pg_losses2)
pg_loss = masked_mean(pg_loss_max, mask)
pg_loss.backward()
pg_clipfrac = masked_mean((pg_losses2 > pg_losses).float(), mask)
approxkl = 0.5 * masked_mean(logprobs_diff ** 2, mask)
new2 = new.detach().clone().requires_grad_()
ratio2 = (new2 - old).exp()
surr1 = ratio2 * adv
surr2 = ratio2.clamp(1 - cliprange, 1 + cliprange) * adv
openrlhf = masked_mean(-torch.min(surr1, surr2), mask)
openrlhf.backward()
out["policy"] = dict(T=T, clip=cliprange, logp=L(new), old_logp=L(old), advantages=L(adv), mask=L(mask),
                     loss=float(pg_loss), clipfrac=float(pg_clipfrac), approxkl=float(approxkl), grad=L(new.grad),
                     ratio_mean=float(masked_mean(ratio, mask)),
                     openrlhf_loss=float(openrlhf), openrlhf_grad=L(new2.grad))

# Clipped value loss: TRL PPO and OpenRLHF ValueLoss.
cliprange_value = 0.2
vold = torch.randn(T)
vpred = (vold + torch.randn(T) * 0.3).requires_grad_()
ret = vold + torch.randn(T) * 0.5
vpredclipped = torch.clamp(vpred, vold - cliprange_value, vold + cliprange_value)
vf_losses1 = torch.square(vpred - ret)
vf_losses2 = torch.square(vpredclipped - ret)
vf_loss_max = torch.max(vf_losses1, vf_losses2)
vf_loss = 0.5 * masked_mean(vf_loss_max, mask)
vf_loss.backward()
vf_clipfrac = masked_mean((vf_losses2 > vf_losses1).float(), mask)
v2 = vpred.detach().clone().requires_grad_()
values_clipped = vold + (v2 - vold).clamp(-cliprange_value, cliprange_value)
o_loss = 0.5 * masked_mean(torch.max((values_clipped - ret) ** 2, (v2 - ret) ** 2), mask)
o_loss.backward()
out["value"] = dict(T=T, clip=cliprange_value, values=L(vpred), old_values=L(vold), returns=L(ret), mask=L(mask),
                    loss=float(vf_loss), clipfrac=float(vf_clipfrac), grad=L(vpred.grad),
                    openrlhf_loss=float(o_loss), openrlhf_grad=L(v2.grad))

path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "losses", "losses.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
