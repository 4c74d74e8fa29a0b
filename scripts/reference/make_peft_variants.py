# PEFT adapters as PEFT itself saves them for settings users pick that our own writer never produces:
# target_modules="all-linear" (saved as full module paths), a regex string, use_rslora, lora_dropout, and
# modules_to_save=["lm_head"] (which llama2-ts refuses, naming the field). Each on the llama-gqa fixture,
# with PEFT's logits; the supported ones are also re-saved by llama2-ts (scripts/reference/lora_resave.mjs,
# needs `npx tsc -p .` first) and loaded back with AutoPeftModelForCausalLM, whose logits must equal PEFT's.
# Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_peft_variants.py
# Output: test/fixtures/models/peft-variants/<name>/ (adapter_config.json, adapter_model.safetensors),
#         expected.safetensors (input_ids, logits.<name>), expected.json
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
import peft
import transformers
from peft import AutoPeftModelForCausalLM, LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import LlamaForCausalLM

if os.environ.get("PYTHONHASHSEED") != "0":  # PEFT saves "all-linear" from a set: fix its order so reruns give the same bytes
    os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, "PYTHONHASHSEED": "0"})

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "test", "fixtures", "models")
BASE = os.path.abspath(os.path.join(MODELS, "llama-gqa"))
OUT = os.path.join(MODELS, "peft-variants")

VARIANTS = {
    "all-linear": dict(r=2, lora_alpha=7, lora_dropout=0.05, target_modules="all-linear"),
    "regex": dict(r=4, lora_alpha=4, target_modules=r".*\.(q_proj|o_proj|down_proj)"),
    "rslora": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], use_rslora=True),
    "modules-to-save": dict(r=4, lora_alpha=8, target_modules=["q_proj"], modules_to_save=["lm_head"]),
}
SUPPORTED = ["all-linear", "regex", "rslora"]


def main():
    torch.use_deterministic_algorithms(True)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    g = torch.Generator().manual_seed(11)
    ids = torch.randint(3, 260, (2, 12), generator=g)
    ids[:, 0] = 1
    tensors = {"input_ids": ids}
    info = {"base": "../llama-gqa", "variants": {}, "versions": {
        "torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}}
    for name, kw in VARIANTS.items():
        base = LlamaForCausalLM.from_pretrained(BASE, dtype=torch.float32, attn_implementation="eager")
        model = get_peft_model(base, LoraConfig(task_type="CAUSAL_LM", **kw))
        with torch.no_grad():  # B starts at zero; give it values so the adapters change the logits
            for n, p in model.named_parameters():
                if "lora_B" in n:
                    p.copy_(0.3 * torch.randn(p.shape, generator=g))
                elif "modules_to_save" in n:
                    p.add_(0.1 * torch.randn(p.shape, generator=g))
        model.eval()
        d = os.path.join(OUT, name)
        model.save_pretrained(d)
        os.remove(os.path.join(d, "README.md"))  # PEFT's model-card template
        cfg_path = os.path.join(d, "adapter_config.json")
        with open(cfg_path) as f:
            cfg = json.load(f)
        cfg["base_model_name_or_path"] = "../../llama-gqa"  # portable: llama2-ts resolves it against the adapter dir
        with open(cfg_path, "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
            f.write("\n")
        with torch.no_grad():
            logits = model(input_ids=ids).logits
        tensors["logits." + name] = logits
        entry = {"lora_config": {k: v for k, v in kw.items()}, "saved_target_modules": cfg["target_modules"]}
        if name in SUPPORTED:  # our writer's copy must load in PEFT with the same logits
            with tempfile.TemporaryDirectory() as tmp:
                ours = os.path.join(tmp, "ours")
                subprocess.run(["node", os.path.join(HERE, "lora_resave.mjs"), d, BASE, ours], check=True)
                back = AutoPeftModelForCausalLM.from_pretrained(ours, dtype=torch.float32, attn_implementation="eager").eval()
                with torch.no_grad():
                    diff = float((back(input_ids=ids).logits - logits).abs().max())
            assert diff < 1e-5, f"{name}: PEFT loaded our re-saved adapter with different logits ({diff})"
            entry["peft_loads_ours_max_abs_diff"] = diff
        info["variants"][name] = entry
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, "expected.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    print(f"peft variants written under {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
