# The PEFT round trip for LoRA adapters (issue 8 Prove): a PEFT-made adapter on the llama-gqa fixture,
# PEFT's logits, loss and adapter gradients on a batch; then the same adapter re-saved by llama2-ts's
# writer (scripts/reference/lora_resave.mjs, needs `npx tsc -p .` first), loaded back with
# AutoPeftModelForCausalLM, whose logits must equal PEFT's own.
# Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_lora_fixture.py
# Output: test/fixtures/models/lora-gqa/{peft,ours}/ + expected.safetensors + expected.json
import json
import os
import shutil
import subprocess
import sys

import torch
import peft
import transformers
from peft import AutoPeftModelForCausalLM, LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "test", "fixtures", "models")
BASE = os.path.abspath(os.path.join(MODELS, "llama-gqa"))
OUT = os.path.join(MODELS, "lora-gqa")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main():
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    base = LlamaForCausalLM.from_pretrained(BASE, torch_dtype=torch.float32, attn_implementation="eager")
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM")
    model = get_peft_model(base, cfg)
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():  # B starts at zero in PEFT; give it values so the adapters change the logits
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))
    model.eval()
    peft_dir = os.path.join(OUT, "peft")
    model.save_pretrained(peft_dir)
    os.remove(os.path.join(peft_dir, "README.md"))  # PEFT's model-card template
    # A portable base path for the committed fixture (llama2-ts resolves it against the adapter directory).
    cfg_path = os.path.join(peft_dir, "adapter_config.json")
    with open(cfg_path) as f:
        adapter_cfg = json.load(f)
    adapter_cfg["base_model_name_or_path"] = "../../llama-gqa"
    with open(cfg_path, "w") as f:
        json.dump(adapter_cfg, f, indent=2)
        f.write("\n")
    ids = torch.randint(3, 260, (2, 12), generator=g)
    ids[:, 0] = 1
    labels = ids.clone()
    labels[0, :3] = -100
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    tensors = {"input_ids": ids, "labels": labels, "logits": out.logits.detach(), "loss": out.loss.detach().reshape(())}
    for n, p in model.named_parameters():
        if p.grad is not None:  # PEFT's saved names drop the adapter name ".default"
            tensors["grad." + n.replace(".default", "")] = p.grad.detach().clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "expected.safetensors"), metadata={"format": "pt"})

    # Our writer: load PEFT's adapter with llama2-ts and save it again; PEFT must load that one the same.
    ours = os.path.join(OUT, "ours")
    subprocess.run(["node", os.path.join(HERE, "lora_resave.mjs"), peft_dir, BASE, ours], check=True)
    back = AutoPeftModelForCausalLM.from_pretrained(ours, torch_dtype=torch.float32, attn_implementation="eager")
    back.eval()
    with torch.no_grad():
        again = back(input_ids=ids).logits
    diff = float((again - out.logits.detach()).abs().max())
    assert diff < 1e-5, f"PEFT loaded our adapter with different logits: max abs diff {diff}"
    info = {
        "base": "../llama-gqa", "lora": {"r": 4, "lora_alpha": 8, "target_modules": TARGETS},
        "loss": out.loss.item(), "peft_loads_ours_max_abs_diff": diff,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "note": "peft/ was written by PEFT save_pretrained; ours/ by llama2-ts from peft/; "
                "AutoPeftModelForCausalLM.from_pretrained(ours) reproduced PEFT's logits within peft_loads_ours_max_abs_diff",
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"lora fixture written under {os.path.normpath(OUT)}; PEFT loads ours with max abs diff {diff:.2e}", file=sys.stderr)


if __name__ == "__main__":
    main()
