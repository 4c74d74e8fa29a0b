"""Q8_0 fixture: gguf-py's reference quantizer (gguf.quants, ggml's quantize_row_q8_0_ref in numpy)
on float32 rows that exercise an all-zero block, exact .5 ties, a huge and a tiny scale, and
random normals. Writes test/fixtures/q8_0/q8_0.json (input floats as float32 bit patterns and the
block bytes as hex), read by test/native/qmatmul.test.ts to prove our blocks are ggml's byte for byte.
Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/q8_0_fixture.py
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType, quants

K = 96


def main():
    rng = np.random.default_rng(20261201)
    rows = [
        np.zeros(K, np.float32),
        # ties: amax 127 gives d = 1, so x = k + 0.5 rounds half away from zero; then a zero block
        np.concatenate([np.arange(-15, 16, dtype=np.float32) + 0.5, [127.0], np.zeros(32, np.float32),
                        rng.normal(size=32).astype(np.float32)]).astype(np.float32),
        (rng.normal(size=K) * 3e4).astype(np.float32),
        (rng.normal(size=K) * 1e-6).astype(np.float32),
    ] + [rng.normal(size=K).astype(np.float32) for _ in range(4)]
    x = np.stack(rows).astype(np.float32)
    q = quants.quantize(x, GGMLQuantizationType.Q8_0)
    assert q.shape == (x.shape[0], K // 32 * 34), q.shape
    out = {"rows": int(x.shape[0]), "K": K, "input_bits": x.view(np.uint32).reshape(-1).tolist(),
           "q8_0_hex": q.tobytes().hex(), "dequantized": quants.dequantize(q, GGMLQuantizationType.Q8_0).reshape(-1).tolist()}
    path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "q8_0", "q8_0.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
