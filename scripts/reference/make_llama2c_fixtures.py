"""Fixtures for `llama2 export --format llama2c`: what karpathy/llama2.c's own export.py and tokenizer.py write.

Makes a small random HF LlamaForCausalLM (untied classifier, rope theta 10000, no GQA: export.py's load_hf_model
assumes n_kv_heads = n_heads), saves it to test/fixtures/llama2c/hf/, runs llama2.c's load_hf_model + model_export
for versions 0, 1 and 2, and its tokenizer.py export on test/fixtures/tokenizer/sp/tokenizer.model.

  usage: $(../shared/tools/reference-env.sh) scripts/reference/make_llama2c_fixtures.py --llama2c PATH_TO_LLAMA2C_CHECKOUT
"""
import argparse, os, shutil, sys, tempfile

import torch
from transformers import LlamaConfig, LlamaForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--llama2c", required=True, help="a llama2.c checkout (export.py, model.py, tokenizer.py)")
ap.add_argument("--out", default="test/fixtures/llama2c")
args = ap.parse_args()
sys.path.insert(0, os.path.abspath(args.llama2c))
import export as l2c_export  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=320, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=2, max_position_embeddings=32, rms_norm_eps=1e-5, rope_theta=10000.0,
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
model = LlamaForCausalLM(cfg)
with torch.no_grad():
    for p in model.parameters():
        p.normal_(0, 0.3)
hf_dir = os.path.join(args.out, "hf")
model.save_pretrained(hf_dir, safe_serialization=True)

for v in (0, 1, 2):
    # a fresh load per version: legacy_export negates params.vocab_size in place
    l2c_export.model_export(l2c_export.load_hf_model(hf_dir), os.path.join(args.out, f"v{v}.bin"), v)

with tempfile.TemporaryDirectory() as tmp:
    spm = os.path.join(tmp, "tokenizer.model")
    shutil.copy("test/fixtures/tokenizer/sp/tokenizer.model", spm)
    Tokenizer(spm).export()
    shutil.copy(os.path.join(tmp, "tokenizer.bin"), os.path.join(args.out, "tokenizer.bin"))
print("wrote", args.out)
