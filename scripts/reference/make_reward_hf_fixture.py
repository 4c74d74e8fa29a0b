"""An HF LlamaForSequenceClassification checkpoint with the real 32k Llama 2 vocabulary, and what
transformers computes with it on a small preference file: the chat-template token ids of every
prompt + reply, the score at the last non-pad token (right padding, pad_token_id 0), and the
`llama2 reward eval` metrics (accuracy r_c > r_r, the margin loss with Table 27's small margins,
mean r_c - r_r, by rating and by safety label). The TypeScript test runs `llama2 reward eval` on the
same directory (with test/fixtures/tokenizer/llama2-32k's tokenizer files) and compares.

Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_reward_hf_fixture.py
Writes test/fixtures/reward/hf-seqcls-32k/ (config.json, model.safetensors in bfloat16) and
test/fixtures/reward/hf-seqcls-32k.json; reads test/fixtures/reward/pairs-32k.jsonl.
"""
import json
import os

import torch
import torch.nn.functional as F
from transformers import AutoTokenizer, LlamaConfig, LlamaForSequenceClassification

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FIX = os.path.join(ROOT, "test", "fixtures")
OUT = os.path.join(FIX, "reward", "hf-seqcls-32k")
SMALL = {"significantly_better": 1.0, "better": 2 / 3, "slightly_better": 1 / 3, "negligibly_better": 0.0}
RATINGS = list(SMALL)
SAFETY = ["both_safe", "only_chosen_safe", "both_unsafe"]

torch.manual_seed(12)
cfg = LlamaConfig(vocab_size=32000, hidden_size=8, intermediate_size=24, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
                  tie_word_embeddings=False, pad_token_id=0, bos_token_id=1, eos_token_id=2, num_labels=1,
                  initializer_range=0.5)
model = LlamaForSequenceClassification(cfg).eval()
# Store bfloat16 weights (half the bytes); score from the stored values, upcast to float32.
model = model.to(torch.bfloat16)
model.save_pretrained(OUT, safe_serialization=True)
model = LlamaForSequenceClassification.from_pretrained(OUT, dtype=torch.float32).eval()
assert type(model).__name__ == "LlamaForSequenceClassification"

tok = AutoTokenizer.from_pretrained(os.path.join(FIX, "tokenizer", "llama2-32k"))
rows = [json.loads(l) for l in open(os.path.join(FIX, "reward", "pairs-32k.jsonl"), encoding="utf8") if l.strip()]


def conv(row, reply):
    msgs = row["messages"] if "messages" in row else [{"role": "user", "content": row["prompt"]}]
    return msgs + [{"role": "assistant", "content": reply}]


def ids_of(row, reply):
    out = tok.apply_chat_template(conv(row, reply), tokenize=True)
    return list(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)


seqs = []
for r in rows:
    seqs.append(ids_of(r, r["chosen"]))
    seqs.append(ids_of(r, r["rejected"]))
T = max(len(s) for s in seqs)
ids = torch.zeros(len(seqs), T, dtype=torch.long)  # pad id 0, right padding
mask = torch.zeros(len(seqs), T, dtype=torch.long)
for i, s in enumerate(seqs):
    ids[i, : len(s)] = torch.tensor(s)
    mask[i, : len(s)] = 1
with torch.no_grad():
    scores = model(input_ids=ids, attention_mask=mask).logits.squeeze(-1).double()
rc, rr = scores[0::2], scores[1::2]
margin = torch.tensor([SMALL[r["rating"]] for r in rows], dtype=torch.float64)
loss = float(-F.logsigmoid(rc - rr - margin).mean())
correct = (rc > rr)


def group(sel):
    n = int(sel.sum())
    return {"n": n, "accuracy": float(correct[sel].double().mean()) if n else None}


by_rating = {k: group(torch.tensor([r["rating"] == k for r in rows])) for k in RATINGS}
lab = [(r.get("safety") or {}).get("label") if isinstance(r.get("safety"), dict) else r.get("safety") for r in rows]
by_safety = {k: group(torch.tensor([l == k for l in lab])) for k in SAFETY}
out = {
    "transformers_class": type(model).__name__,
    "ids": seqs,
    "scores": scores.tolist(),
    "eval": {"n": len(rows), "accuracy": float(correct.double().mean()), "loss": loss, "by_rating": by_rating,
             "by_safety": by_safety, "mean_margin": float((rc - rr).mean())},
}
with open(os.path.join(FIX, "reward", "hf-seqcls-32k.json"), "w") as f:
    json.dump(out, f)
print(json.dumps(out["eval"]))
