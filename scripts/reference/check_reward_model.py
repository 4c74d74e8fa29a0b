"""Loads the reward model trained here (test/fixtures/reward/rm-trained-here/, made by
scripts/make-reward-fixture.ts) in transformers as it is, and scores the pairs' chat renderings:
checks that AutoModelForSequenceClassification gives LlamaForSequenceClassification with num_labels 1
and pad_token_id 0 (not </s>), that apply_chat_template gives our token ids, and that transformers'
scores (right padding + attention mask, pooled at the last non-pad token) equal ours (<= 1e-4).
Writes test/fixtures/reward/rm-trained-here-hf.json for the TypeScript test.

Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/check_reward_model.py
"""
import json
import os

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "reward")
DIR = os.path.join(FIX, "rm-trained-here")
model = AutoModelForSequenceClassification.from_pretrained(DIR, dtype=torch.float32).eval()
tok = AutoTokenizer.from_pretrained(DIR)
cfg = model.config
assert type(model).__name__ == "LlamaForSequenceClassification", type(model).__name__
assert cfg.num_labels == 1 and cfg.pad_token_id == 0 and cfg.eos_token_id != 0
stats = json.load(open(os.path.join(DIR, "config.json")))["llama2_reward_stats"]
assert getattr(cfg, "llama2_reward_stats", None) is not None, "transformers keeps llama2_reward_stats"

rows = [json.loads(l) for l in open(os.path.join(FIX, "rm-trained-here-pairs.jsonl"), encoding="utf8") if l.strip()]
ours = json.load(open(os.path.join(FIX, "rm-trained-here-ours.json")))
template_ids = []
for r in rows:
    msgs = r["messages"] if "messages" in r else [{"role": "user", "content": r["prompt"]}]
    for reply in (r["chosen"], r["rejected"]):
        out = tok.apply_chat_template(msgs + [{"role": "assistant", "content": reply}], tokenize=True)
        template_ids.append(list(out["input_ids"] if hasattr(out, "keys") else out))
seqs = ours["ids"]
T = max(len(s) for s in seqs)
ids = torch.zeros(len(seqs), T, dtype=torch.long)
mask = torch.zeros(len(seqs), T, dtype=torch.long)
for i, s in enumerate(seqs):
    ids[i, : len(s)] = torch.tensor(s)
    mask[i, : len(s)] = 1
with torch.no_grad():
    scores = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1).tolist()
err = max(abs(a - b) for a, b in zip(scores, ours["scores"]))
res = {"transformers_class": type(model).__name__, "num_labels": cfg.num_labels, "pad_token_id": cfg.pad_token_id,
       "llama2_reward_stats": stats, "template_ids_equal": template_ids == seqs, "scores": scores, "max_abs_diff": err}
with open(os.path.join(FIX, "rm-trained-here-hf.json"), "w") as f:
    json.dump(res, f)
print(f"template ids equal: {template_ids == seqs}; max |transformers - ours| = {err:.3g}")
assert err <= 1e-4
