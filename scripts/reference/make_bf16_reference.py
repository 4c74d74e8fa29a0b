# transformers' own bfloat16 error on the float32 parity fixtures, the yardstick for llama2-ts's bf16
# weights (test/model/weight-dtype.test.ts): for llama-gqa and llama-tied, the logits of the test's 16
# ids in float32, with the model cast to bfloat16 (`model.to(torch.bfloat16)`, what torch_dtype=bfloat16
# loading gives: bf16 weights and bf16 activations), and with every weight rounded to bf16 but float32
# compute; their max abs error against float32 and the greedy (argmax) token at each position.
# Run with the reference env: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_bf16_reference.py
# Output: test/fixtures/bf16/<name>.json (beside, not inside, the model directories: those hold only save_pretrained files)
import json
import os

import torch
import transformers
from transformers import LlamaForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "models")
IDS = [1, 17, 42, 99, 3, 250, 7, 7, 128, 64, 200, 5, 9, 31, 77, 140]  # weight-dtype.test.ts `ids`


def logits_of(model):
    with torch.no_grad():
        return model(input_ids=torch.tensor([IDS])).logits[0].float()


for name in ["llama-gqa", "llama-tied"]:
    d = os.path.join(ROOT, name)
    f32 = logits_of(LlamaForCausalLM.from_pretrained(d, torch_dtype=torch.float32).eval())
    full = logits_of(LlamaForCausalLM.from_pretrained(d, torch_dtype=torch.float32).eval().to(torch.bfloat16))
    rounded = LlamaForCausalLM.from_pretrained(d, torch_dtype=torch.float32).eval()
    with torch.no_grad():
        for p in rounded.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    wonly = logits_of(rounded)
    out = {
        "ids": IDS,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "logit_scale": f32.abs().max().item(),
        "bf16_max_abs_err": (full - f32).abs().max().item(),
        "bf16_weights_f32_compute_max_abs_err": (wonly - f32).abs().max().item(),
        "f32_greedy": f32.argmax(-1).tolist(),
        "bf16_greedy": full.argmax(-1).tolist(),
        "bf16_weights_f32_compute_greedy": wonly.argmax(-1).tolist(),
    }
    with open(os.path.join(ROOT, "..", "bf16", f"{name}.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(name, json.dumps({k: v for k, v in out.items() if "err" in k or k == "logit_scale"}))
