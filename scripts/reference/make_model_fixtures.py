# Builds the small random Hugging Face checkpoints that pin llama2-ts's model to transformers:
# logits, HF's shifted cross-entropy loss, the gradient of that loss w.r.t. every parameter,
# greedy generate() ids and the sequence-classification score (last non-pad token).
# Run with the reference env: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_model_fixtures.py
# Output: test/fixtures/models/<name>/ (save_pretrained) + expected.safetensors + expected.json per fixture.
# `--only llama-long` rebuilds just that fixture (the long batch through the packed GEMM / tiled attention
# paths, and packed segments with restarted positions against transformers run sample by sample).
import json
import math
import os
import shutil
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "models")
B, T = 2, 12
MAX_NEW = 12


def init_weights(model, seed):
    """Seeded init with O(1) activations (HF's std 0.02 gives near-uniform logits and near-tied argmaxes)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:  # RMSNorm gains: around 1 so their gradients are exercised non-trivially
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("embed_tokens.weight"):  # tied: it is also the output head, keep logits O(1)
                std = 2.0 / math.sqrt(p.shape[1]) if model.config.tie_word_embeddings else 1.0
                p.copy_(std * torch.randn(p.shape, generator=g))
            else:  # nn.Linear (out, in): std 1/sqrt(in)
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def make_config(*, hidden, layers, heads, kv_heads, head_dim, inter, vocab, theta, tied, pad=None, num_labels=None, max_pos=64):
    kw = dict(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=layers,
        num_attention_heads=heads, num_key_value_heads=kv_heads, head_dim=head_dim,
        max_position_embeddings=max_pos, rms_norm_eps=1e-5,
        rope_parameters={"rope_type": "default", "rope_theta": float(theta)},
        tie_word_embeddings=tied, bos_token_id=1, eos_token_id=2, pad_token_id=pad,
        attn_implementation="eager",
    )
    if num_labels is not None:
        kw["num_labels"] = num_labels
    return LlamaConfig(**kw)


def batch_ids(g, vocab, pad=None):
    ids = torch.randint(3, vocab, (B, T), generator=g)
    ids[:, 0] = 1  # BOS
    attn = torch.ones(B, T, dtype=torch.long)
    if pad is not None:  # right padding in row 1: the score is read at its last real token (index 8)
        ids[1, 9:] = pad
        attn[1, 9:] = 0
    return ids, attn


def causal_labels(ids):
    labels = ids.clone()
    labels[0, :3] = -100   # e.g. a masked prompt
    labels[1, 7:10] = -100  # a masked span mid-sequence
    return labels


def grads_of(model):
    return {"grad." + n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters()}


def greedy(model, prompt):
    """generate(do_sample=False) ids plus the smallest top1-top2 logit margin seen (guards against near ties)."""
    out = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                         max_new_tokens=MAX_NEW, output_scores=True, return_dict_in_generate=True)
    margins = []
    for s in out.scores:
        top = torch.topk(s[0].float(), 2).values
        margins.append(float(top[0] - top[1]))
    return out.sequences, min(margins)


def save_fixture(name, model, tensors, info):
    d = os.path.join(ROOT, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    model.save_pretrained(d, safe_serialization=True)
    if tensors is not None:
        save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(d, "expected.safetensors"),
                  metadata={"format": "pt"})
        info["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__}
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(info, f, indent=2)
            f.write("\n")


def causal_fixture(name, cfg, seed, prompt_len=5):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg).float()
    init_weights(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    ids, _ = batch_ids(g, cfg.vocab_size)
    labels = causal_labels(ids)
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    tensors = {"input_ids": ids, "labels": labels, "logits": out.logits.detach(), "loss": out.loss.detach().reshape(())}
    tensors.update(grads_of(model))
    model.zero_grad(set_to_none=True)
    prompt = ids[:1, :prompt_len].clone()
    with torch.no_grad():
        seq, margin = greedy(model, prompt)
    tensors["generate.prompt"] = prompt
    tensors["generate.output"] = seq
    info = {
        "kind": "causal-lm", "seed": seed, "loss": out.loss.item(), "batch": [B, T],
        "ignored_label_positions": int((labels == -100).sum()),
        "generate": {"prompt": prompt[0].tolist(), "output": seq[0].tolist(), "max_new_tokens": MAX_NEW,
                     "do_sample": False, "min_top1_top2_margin": margin},
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
    }
    save_fixture(name, model, tensors, info)
    return model


def seqcls_fixture(name, cfg, seed):
    torch.manual_seed(seed)
    model = LlamaForSequenceClassification(cfg).float()
    init_weights(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    ids, attn = batch_ids(g, cfg.vocab_size, pad=cfg.pad_token_id)
    targets = torch.tensor([0.5, -1.0])  # num_labels 1 → HF's regression (MSE) loss on the pooled score
    out = model(input_ids=ids, attention_mask=attn, labels=targets)
    out.loss.backward()
    model.config.problem_type = None  # computing the loss set it to "regression"; a reward model dir has none
    with torch.no_grad():  # the per-token scores before pooling (a value head reads all of them)
        h = model.model(input_ids=ids, attention_mask=attn).last_hidden_state
        per_token = model.score(h)
    last = (torch.arange(T) * (ids != cfg.pad_token_id).int()).argmax(-1)
    tensors = {"input_ids": ids, "attention_mask": attn, "score_labels": targets, "scores": out.logits.detach(),
               "scores_per_token": per_token, "last_non_pad": last, "loss": out.loss.detach().reshape(())}
    tensors.update(grads_of(model))
    info = {
        "kind": "sequence-classification", "seed": seed, "loss": out.loss.item(), "loss_type": "mse (num_labels 1)",
        "scores": out.logits.detach()[:, 0].tolist(), "last_non_pad": last.tolist(), "pad_token_id": cfg.pad_token_id,
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
    }
    save_fixture(name, model, tensors, info)


LONG_B, LONG_T = 2, 72
# Packed rows: segment lengths per row (sum LONG_T); positions restart at 0 in every segment.
PACKED_SEGMENTS = [[20, 30, 22], [41, 31]]


def long_fixture(name, cfg, seed):
    """B*T = 144 rows (> 32: the packed GEMM path) at T = 72 (>= 64: attention beyond one tile), and the
    same weights on packed segments, compared with transformers on each segment alone."""
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg).float()
    init_weights(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(3, cfg.vocab_size, (LONG_B, LONG_T), generator=g)
    ids[:, 0] = 1
    labels = ids.clone()
    labels[0, :5] = -100
    labels[1, 30:41] = -100
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    tensors = {"input_ids": ids, "labels": labels, "logits": out.logits.detach(), "loss": out.loss.detach().reshape(())}
    tensors.update(grads_of(model))
    model.zero_grad(set_to_none=True)

    # Packed: each segment is its own sample (BOS first, positions from 0). The loss is the mean over every
    # trained token of every segment: sum-reduced per segment, divided by the total count.
    pids = torch.randint(3, cfg.vocab_size, (LONG_B, LONG_T), generator=g)
    pos = torch.zeros(LONG_B, LONG_T, dtype=torch.long)
    seg = torch.zeros(LONG_B, LONG_T, dtype=torch.long)
    targets = torch.full((LONG_B, LONG_T), -100, dtype=torch.long)  # already shifted: targets[t] = ids[t+1] in-segment
    segments = []
    for b, lens in enumerate(PACKED_SEGMENTS):
        assert sum(lens) == LONG_T
        start = 0
        for si, n in enumerate(lens):
            pids[b, start] = 1
            pos[b, start:start + n] = torch.arange(n)
            seg[b, start:start + n] = si
            targets[b, start:start + n - 1] = pids[b, start + 1:start + n]
            segments.append((b, start, n))
            start += n
    targets[0, 20:24] = -100  # a masked span inside a segment (e.g. a prompt)
    count = int((targets != -100).sum())
    plogits = torch.zeros(LONG_B, LONG_T, cfg.vocab_size)
    total = 0.0
    for b, start, n in segments:
        x = pids[b:b + 1, start:start + n]
        lg = model(input_ids=x).logits[0]
        tg = targets[b, start:start + n]
        loss = torch.nn.functional.cross_entropy(lg, tg, ignore_index=-100, reduction="sum") / count
        loss.backward()
        total += loss.item()
        plogits[b, start:start + n] = lg.detach()
    packed = {"input_ids": pids, "position_ids": pos, "segment_ids": seg, "targets": targets, "logits": plogits,
              "loss": torch.tensor(total)}
    packed.update(grads_of(model))
    model.zero_grad(set_to_none=True)
    info = {
        "kind": "causal-lm", "seed": seed, "loss": out.loss.item(), "batch": [LONG_B, LONG_T],
        "packed": {"segments": PACKED_SEGMENTS, "loss": total, "trained_tokens": count,
                   "note": "packed.safetensors: each segment run alone through transformers (positions from 0), "
                           "logits placed at the segment's packed positions; targets are already shifted"},
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
    }
    save_fixture(name, model, tensors, info)
    save_file({k: v.contiguous() for k, v in packed.items()}, os.path.join(ROOT, name, "packed.safetensors"),
              metadata={"format": "pt"})


def main():
    torch.use_deterministic_algorithms(True)
    cfg_long = make_config(hidden=32, layers=2, heads=4, kv_heads=2, head_dim=8, inter=48, vocab=128,
                           theta=10000, tied=False, max_pos=128)
    if sys.argv[1:] == ["--only", "llama-long"]:
        long_fixture("llama-long", cfg_long, seed=777)
        return
    long_fixture("llama-long", cfg_long, seed=777)
    # (a) causal LM, GQA 4:2, untied, non-default rope theta — the main parity fixture
    cfg_a = make_config(hidden=64, layers=2, heads=4, kv_heads=2, head_dim=16, inter=96, vocab=260,
                        theta=500000, tied=False)
    model_a = causal_fixture("llama-gqa", cfg_a, seed=1234)
    # (a') the same weights saved as bfloat16 (dtype loading); no expected file: compare with (a) rounded
    bf = os.path.join(ROOT, "llama-gqa-bf16")
    if os.path.exists(bf):
        shutil.rmtree(bf)
    model_a.to(torch.bfloat16).save_pretrained(bf, safe_serialization=True)
    # (b) and (c) use a smaller body so all fixtures stay < 1.5 MB
    cfg_b = make_config(hidden=32, layers=2, heads=2, kv_heads=1, head_dim=16, inter=48, vocab=260,
                        theta=500000, tied=False, pad=0, num_labels=1)
    seqcls_fixture("llama-seqcls", cfg_b, seed=99)
    # (c) tied embeddings, plain multi-head attention, default theta
    cfg_c = make_config(hidden=32, layers=2, heads=2, kv_heads=2, head_dim=16, inter=48, vocab=260,
                        theta=10000, tied=True)
    causal_fixture("llama-tied", cfg_c, seed=4321)
    total = 0
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    print(f"fixtures written under {os.path.normpath(ROOT)}: {total / 1e6:.3f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
