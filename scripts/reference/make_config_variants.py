# Llama-family checkpoints whose configs the main parity fixtures do not cover, saved by transformers'
# save_pretrained as users get them: grouped-query attention 8 heads / 1 KV head, head_dim != hidden/heads,
# a width that is no multiple of 8 (36 = 3 heads of 12), float16 storage, and sharded safetensors with
# model.safetensors.index.json. Each with transformers' float32 logits (from the saved files, reloaded: a
# model cast to fp16 in memory also rounds its RoPE inv_freq buffer) and greedy generate() ids.
# Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_config_variants.py
# Output: test/fixtures/models/variants/<name>/ (save_pretrained) + expected.safetensors + expected.json
import json
import math
import os
import shutil

import torch
import transformers
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "models", "variants")
V = 260
VARIANTS = {
    "gqa-8-1": dict(hidden_size=64, num_attention_heads=8, num_key_value_heads=1, intermediate_size=96),
    "head-dim-32": dict(hidden_size=32, num_attention_heads=4, num_key_value_heads=2, head_dim=32, intermediate_size=64),
    "dim-36": dict(hidden_size=36, num_attention_heads=3, num_key_value_heads=3, intermediate_size=100),
    "fp16": dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=1, intermediate_size=64, dtype=torch.float16),
    "sharded": dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=2, intermediate_size=64, shard="40KB"),
}


def init(model, g):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("embed_tokens.weight"):
                p.copy_(torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def main():
    torch.use_deterministic_algorithms(True)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    info = {"versions": {"torch": torch.__version__, "transformers": transformers.__version__}, "variants": {}}
    for i, (name, kw) in enumerate(VARIANTS.items()):
        kw = dict(kw)
        dtype, shard = kw.pop("dtype", None), kw.pop("shard", None)
        cfg = LlamaConfig(vocab_size=V, num_hidden_layers=2, max_position_embeddings=64, rms_norm_eps=1e-5,
                          tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, attn_implementation="eager", **kw)
        g = torch.Generator().manual_seed(100 + i)
        model = LlamaForCausalLM(cfg).eval()
        init(model, g)
        if dtype is not None:
            model = model.to(dtype)
        d = os.path.join(OUT, name)
        model.save_pretrained(d, **({"max_shard_size": shard} if shard else {}))
        ref = LlamaForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager").eval()
        ids = torch.randint(3, V, (2, 10), generator=g)
        ids[:, 0] = 1
        with torch.no_grad():
            logits = ref(ids).logits
        out = ref.generate(ids[:1], attention_mask=torch.ones_like(ids[:1]), do_sample=False, max_new_tokens=12,
                           output_scores=True, return_dict_in_generate=True)
        margin = min(float(torch.topk(s[0], 2).values[0] - torch.topk(s[0], 2).values[1]) for s in out.scores)
        save_file({"input_ids": ids, "logits": logits.contiguous(), "generate.output": out.sequences.contiguous()},
                  os.path.join(d, "expected.safetensors"))
        info["variants"][name] = {"files": sorted(os.listdir(d)), "greedy_min_margin": margin}
        print(name, sorted(os.listdir(d)), f"margin {margin:.3f}")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
