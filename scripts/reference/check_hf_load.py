# Loads a model directory written by llama2-ts in transformers (strictly: no missing, unexpected or mis-shaped
# tensors) and compares its output with an expected file written by our side: `input_ids` [B,T] plus `logits`
# [B,T,V] (causal LM) or `scores` [B,num_labels] (sequence classification, optional `attention_mask`).
# Usage: /root/.cache/llama2-reference-venv/bin/python scripts/reference/check_hf_load.py DIR EXPECTED.safetensors [--tol 1e-4]
# (scripts/reference/save_roundtrip.mjs SRC OUT --ours writes OUT and OUT.expected.safetensors from llama2-ts.)
# Prints the max abs error; exit status 1 when it exceeds --tol or loading reports a problem.
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, LlamaForCausalLM, LlamaForSequenceClassification


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("expected")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()

    cfg = AutoConfig.from_pretrained(args.dir)
    arch = (cfg.architectures or ["LlamaForCausalLM"])[0]
    cls = {"LlamaForCausalLM": LlamaForCausalLM, "LlamaForSequenceClassification": LlamaForSequenceClassification}[arch]
    model, info = cls.from_pretrained(args.dir, output_loading_info=True, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    problems = {k: v for k, v in info.items() if v and k != "error_msgs" or (k == "error_msgs" and v)}
    with open(os.path.join(args.dir, "config.json")) as f:
        saved = json.load(f)
    theta = model.config.rope_parameters["rope_theta"]
    print(f"{args.dir}: {arch}, dtype in config {saved.get('dtype')}, rope_theta {theta}, loading info {info}")

    exp = load_file(args.expected)
    ids = exp["input_ids"].long()
    attn = exp["attention_mask"].long() if "attention_mask" in exp else None
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=attn)
    key = "scores" if arch == "LlamaForSequenceClassification" else "logits"
    got, want = out.logits.float(), exp[key].float()
    if got.shape != want.shape:
        print(f"shape mismatch: transformers {list(got.shape)} vs expected {list(want.shape)}")
        sys.exit(1)
    err = (got - want).abs().max().item()
    print(f"{key}: max abs err {err:.3e} over {got.numel()} values (tol {args.tol:g})")
    if problems:
        print(f"loading problems: {problems}")
    sys.exit(0 if err <= args.tol and not problems else 1)


if __name__ == "__main__":
    main()
