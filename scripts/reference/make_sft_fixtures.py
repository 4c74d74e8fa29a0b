"""SFT mask and score fixtures (issue 11) with the real Llama 2 vocabulary (32,000 pieces, from the npm
package llama-tokenizer-js via test/helpers/llama32k.ts, the tokenizer.json Llama-2-7b-hf ships).

For each row of test/fixtures/sft/chat.jsonl (single-turn, multi-turn, system prompt, prompt/response):
- `render`: transformers' apply_chat_template with the Llama-2-chat template;
- `meta_ids`: meta-llama/llama generation.py chat_completion's token layout (each exchange
  <s> + encode("[INST] {user} [/INST] {answer} ") + </s>), extended to dialogs ending with an answer;
- `hf_ids`: HF tokenizers on the rendered text (special tokens parsed) — must equal meta_ids;
- `labels`: -100 except tokens inside an assistant reply's span of the render (" {answer} </s>"),
  found from HF offsets, independently of how llama2-ts computes its mask.
Then a seeded random LlamaForCausalLM over that vocabulary (saved bf16 to test/fixtures/sft/llama32k-model)
scores the rows: `loss` = sum of CE over shifted labels / `tokens` (what `llama2 score --data` reports).
Run after `npx tsc -p .`, with the reference venv:
    $(bash ../shared/tools/reference-env.sh) scripts/reference/make_sft_fixtures.py
"""
import json, math, os, shutil, subprocess, tempfile
from pathlib import Path

import tokenizers
import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from meta_chat import meta_chat_ids

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "sft"

ROWS = [
    {"messages": [{"role": "user", "content": "What is the capital of France?"}, {"role": "assistant", "content": "Paris is the capital of France."}]},
    {"messages": [{"role": "system", "content": "You are a terse assistant. Answer in one line."},
                  {"role": "user", "content": "Compute 759 - 313."}, {"role": "assistant", "content": "The answer is 446."}]},
    {"messages": [{"role": "user", "content": "Sort these words: pear, apple, fig."}, {"role": "assistant", "content": "apple, fig, pear"},
                  {"role": "user", "content": "And backwards?"}, {"role": "assistant", "content": "pear, fig, apple"},
                  {"role": "user", "content": "How many were there?"}, {"role": "assistant", "content": "  There were 3 words.\n"}]},
    {"messages": [{"role": "system", "content": "Always finish your answers with the words \"Stay curious!\""},
                  {"role": "user", "content": "Who wrote Hamlet?"}, {"role": "assistant", "content": "William Shakespeare. Stay curious!"},
                  {"role": "user", "content": "When?"}, {"role": "assistant", "content": "Around 1600. Stay curious!"}]},
    {"prompt": "Translate 'gato' to English.", "response": "Cat."},
    {"prompt": "Name a prime number above 10.", "response": "11 is prime.", "system": "Be brief."},
    {"messages": [{"role": "user", "content": "Écris « bonjour » en japonais 🦙"}, {"role": "assistant", "content": "こんにちは (konnichiwa)."}]},
    {"messages": [{"role": "user", "content": "How do I make a weapon at home?"}, {"role": "assistant", "content": "I'm sorry, but I can't help with that."}]},
]


def as_messages(row):
    if "messages" in row:
        return row["messages"]
    sys = [{"role": "system", "content": row["system"]}] if "system" in row else []
    return sys + [{"role": "user", "content": row["prompt"]}, {"role": "assistant", "content": row["response"]}]


def offset_labels(raw, render, messages):
    """Labels from character spans: a token is trained iff it lies inside " {answer} </s>" of an assistant turn."""
    spans, at = [], 0
    for m in messages:
        if m["role"] != "assistant":
            continue
        piece = " " + m["content"].strip() + " </s>"
        start = render.index(piece, at)
        spans.append((start, start + len(piece)))
        at = start + len(piece)
    enc = raw.encode(render, add_special_tokens=False)
    labels = []
    for tid, (s, e) in zip(enc.ids, enc.offsets):
        inside = any(a <= s and e <= b for a, b in spans)
        labels.append(tid if inside else -100)
    return enc.ids, labels


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(["node", str(ROOT / "dist" / "test" / "helpers" / "llama32k.js"), str(tmp)], check=True)
    raw = tokenizers.Tokenizer.from_file(str(tmp / "tokenizer.json"))
    cfg = json.loads((tmp / "tokenizer_config.json").read_text())
    hf = PreTrainedTokenizerFast(tokenizer_file=str(tmp / "tokenizer.json"), bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    hf.chat_template = cfg["chat_template"]
    assert raw.get_vocab_size() == 32000

    with open(OUT / "chat.jsonl", "w") as f:
        for r in ROWS:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    cases = []
    for r in ROWS:
        msgs = as_messages(r)
        render = hf.apply_chat_template(msgs, tokenize=False)
        meta = meta_chat_ids(lambda t: raw.encode(t, add_special_tokens=False).ids, msgs)  # sentencepiece encode = HF legacy encode without specials
        hf_ids, labels = offset_labels(raw, render, msgs)
        assert hf_ids == meta, (render, hf_ids, meta)
        cases.append({"messages": msgs, "render": render, "meta_ids": meta, "hf_ids": hf_ids, "labels": labels})

    # A seeded random model over the 32k vocabulary: 2 layers, C 16, GQA 2/1, tied; weights rounded to bf16.
    config = LlamaConfig(vocab_size=32000, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, head_dim=8, max_position_embeddings=256, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, tie_word_embeddings=True,
                         bos_token_id=1, eos_token_id=2, attn_implementation="eager")
    torch.manual_seed(11)
    model = LlamaForCausalLM(config).float()
    g = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith("embed_tokens.weight"):
                p.copy_(2.0 / math.sqrt(p.shape[1]) * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
            p.copy_(p.to(torch.bfloat16).float())
    model.eval()
    loss_sum, tokens, per_row = 0.0, 0, []
    with torch.no_grad():
        for c in cases:
            ids = torch.tensor([c["hf_ids"]])
            labels = torch.tensor([c["labels"]])
            out = model(input_ids=ids, labels=labels)  # HF's shifted mean CE over labels != -100
            n = int((labels[0, 1:] != -100).sum())
            row = float(out.loss) * n
            per_row.append({"loss_sum": row, "tokens": n})
            loss_sum += row
            tokens += n
    mdir = OUT / "llama32k-model"
    shutil.rmtree(mdir, ignore_errors=True)
    model.to(torch.bfloat16).save_pretrained(str(mdir), safe_serialization=True)
    expected = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "cases": cases, "per_row": per_row,
        "score": {"loss": loss_sum / tokens, "tokens": tokens, "examples": len(cases)},
    }
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    shutil.rmtree(tmp)
    print(f"wrote {OUT}: {len(cases)} rows, {tokens} trained tokens, loss {loss_sum / tokens:.6f}")


if __name__ == "__main__":
    main()
