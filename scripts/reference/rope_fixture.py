"""RoPE fixture: the cos/sin tables of transformers' LlamaRotaryEmbedding (default rope type,
float32 inv_freq and angles) for a few head dims, thetas and positions. Writes
test/fixtures/rope/rope.json, read by test/native/rope.test.ts.
Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/rope_fixture.py
"""
import json
import os

import torch
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

POSITIONS = [0, 1, 2, 17, 255, 1000, 2047, 4095]


def main():
    out = {"positions": POSITIONS, "cases": []}
    for head_dim, theta in [(8, 10000.0), (64, 10000.0), (48, 500000.0)]:
        cfg = LlamaConfig(hidden_size=head_dim * 2, num_attention_heads=2, rope_theta=theta,
                          max_position_embeddings=4096)
        rot = LlamaRotaryEmbedding(cfg)
        x = torch.zeros(1, len(POSITIONS), head_dim)
        cos, sin = rot(x, torch.tensor([POSITIONS]))
        out["cases"].append({"D": head_dim, "theta": theta,
                             "cos": [float(v) for v in cos[0, :, : head_dim // 2].reshape(-1).tolist()],
                             "sin": [float(v) for v in sin[0, :, : head_dim // 2].reshape(-1).tolist()]})
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "rope", "rope.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
