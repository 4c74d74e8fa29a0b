"""The PyTorch side of `bench/train-vs-pytorch.sh`: the same training step as `llama2 bench train`
(HF LlamaForCausalLM, float32, random tokens, forward + cross-entropy + backward + AdamW) at a preset
shape, 2 threads. Prints one JSON line with the same fields and the same FLOP formula.
usage: python bench/train_pytorch.py --dim 288 --layers 6 --heads 6 --kv-heads 6 --ffn 768 --vocab 32000 \
         --batch 8 --seq 256 --steps 5 [--threads 2] [--attn sdpa|eager]
"""
import argparse, json, resource, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
for name, default in [("dim", 288), ("layers", 6), ("heads", 6), ("kv-heads", 6), ("ffn", 768), ("vocab", 32000),
                      ("batch", 8), ("seq", 256), ("steps", 5), ("warmup", 1), ("threads", 2)]:
    p.add_argument(f"--{name}", type=int, default=default)
p.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"])
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
cfg = LlamaConfig(vocab_size=a.vocab, hidden_size=a.dim, intermediate_size=a.ffn, num_hidden_layers=a.layers,
                  num_attention_heads=a.heads, num_key_value_heads=a.kv_heads, max_position_embeddings=max(a.seq, 256),
                  rms_norm_eps=1e-5, tie_word_embeddings=False, attn_implementation=a.attn)
model = LlamaForCausalLM(cfg).float().train()
opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), eps=1e-5, weight_decay=0.1)
B, T = a.batch, a.seq

def step():
    ids = torch.randint(0, a.vocab, (B, T))
    targets = torch.randint(0, a.vocab, (B, T))
    logits = model(input_ids=ids).logits
    loss = torch.nn.functional.cross_entropy(logits.view(-1, a.vocab), targets.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()

for _ in range(a.warmup):
    step()
times, cpu = [], []
for _ in range(a.steps):
    t0, c0 = time.perf_counter(), time.process_time(); loss = step()
    times.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
times.sort(); cpu.sort()
median = times[len(times) // 2]
hd = a.heads * (a.dim // a.heads); kd = a.kv_heads * (a.dim // a.heads)
per_layer = a.dim * hd + 2 * a.dim * kd + hd * a.dim + 3 * a.dim * a.ffn
flops = (per_layer * a.layers + a.dim * a.vocab) * 6 * B * T + 3 * 2 * 2 * hd * a.layers * B * T * ((T + 1) / 2)
print(json.dumps({"tokens_per_s": B * T / median, "gflops": flops / median / 1e9,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "step_s_median": median, "step_s_min": times[0], "step_s_max": times[-1], "loss": loss,
                  "cpu_s_median": cpu[len(cpu) // 2],
                  "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "attn": model.config._attn_implementation}))
