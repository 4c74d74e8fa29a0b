"""Checks an SFT/GAtt RUN_DIR/final in transformers (issue 11 "OUT/final loads in transformers with the same logits
and its chat template renders the Llama 2 format"): loads the model strictly, renders a conversation with the
directory's own chat template via apply_chat_template and compares it with the Llama 2 format, then compares
transformers' next-token log-probabilities on the rendered chat with `llama2 score --ids ... --json` on the same ids.
Usage (after `npx tsc -p .`): $(bash ../shared/tools/reference-env.sh) scripts/reference/check_sft_final.py RUN_DIR/final
"""
import json, subprocess, sys
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlamaForCausalLM

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "system", "content": "Answer only in capital letters."}, {"role": "user", "content": "Compute 759 - 313."},
            {"role": "assistant", "content": "THE ANSWER IS 446."}, {"role": "user", "content": "Sort these words: pear, fig."}]
LLAMA2 = "<s>[INST] <<SYS>>\nAnswer only in capital letters.\n<</SYS>>\n\nCompute 759 - 313. [/INST] THE ANSWER IS 446. </s><s>[INST] Sort these words: pear, fig. [/INST]"


def main():
    d = sys.argv[1]
    model, info = LlamaForCausalLM.from_pretrained(d, output_loading_info=True, dtype=torch.float32, attn_implementation="eager")
    assert not any(info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys")), info
    tok = AutoTokenizer.from_pretrained(d)
    render = tok.apply_chat_template(MESSAGES, tokenize=False)
    assert render == LLAMA2, repr(render)
    ids = tok(render, add_special_tokens=False).input_ids
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double()
    ref = torch.log_softmax(logits, -1)[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
    out = subprocess.run(["node", str(ROOT / "dist/src/cli/main.js"), "score", "--model", d, "--ids", ",".join(map(str, ids)), "--json"],
                         check=True, capture_output=True, text=True).stdout
    ours = torch.tensor(json.loads(out)["token_logprobs"], dtype=torch.float64)
    err = float((ours - ref).abs().max())
    print(json.dumps({"dir": d, "tokens": len(ids), "chat_template_render_ok": True, "max_abs_logprob_diff": err}))
    sys.exit(0 if err < 1e-4 else 1)


if __name__ == "__main__":
    main()
