# TRL's online RL trainer beside `llama2 ppo` (issue 14 "Measure"; bench/rlhf-vs-trl.sh runs both in one
# run). TRL 1.13 ships no PPOTrainer any more, so RLOOTrainer: the same stories15M-shaped policy and reward
# model directories (bench/rlhf-bench.ts prepare), the same prompts through the same chat template, the same
# batch structure — 16 completions an iteration (8 prompts x num_generations 2, RLOO's minimum) decoded in one
# generate call, 4 optimizer steps of 4 completions (steps_per_generation 4), max_completion_length N,
# temperature 1 — on the same number of CPU threads. Reports the medians (first iteration dropped as
# warm-up) of the time per iteration, its generation and reward-scoring parts and rollout tokens/s as JSON.
#   python scripts/reference/rloo_bench.py --policy DIR --reward DIR --prompts FILE [--iterations 4] [--new-tokens 64] [--threads 2]
#     [--gradient-checkpointing]   (RLOOConfig's default; off here, see below)
import argparse
import json
import statistics
import tempfile
import time

import torch
from datasets import Dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainerCallback
from trl import RLOOConfig, RLOOTrainer

ap = argparse.ArgumentParser()
ap.add_argument("--policy", required=True)
ap.add_argument("--reward", required=True)
ap.add_argument("--prompts", required=True)
ap.add_argument("--iterations", type=int, default=4)
ap.add_argument("--new-tokens", type=int, default=64)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--gradient-checkpointing", action="store_true", help="TRL's default (generation without a KV cache)")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

rows = [json.loads(l) for l in open(a.prompts) if l.strip()]
per_iter_prompts = 8
data = Dataset.from_list([{"prompt": [{"role": "user", "content": r["prompt"]}]} for r in rows[: per_iter_prompts * a.iterations]])
tok = AutoTokenizer.from_pretrained(a.policy)
if tok.pad_token is None:
    tok.pad_token = tok.eos_token
rtok = AutoTokenizer.from_pretrained(a.reward)
if rtok.pad_token is None:
    rtok.pad_token = rtok.eos_token
rm = AutoModelForSequenceClassification.from_pretrained(a.reward, num_labels=1)
rm.config.pad_token_id = rtok.pad_token_id

cfg = RLOOConfig(
    output_dir=tempfile.mkdtemp(prefix="rloo-bench-"), per_device_train_batch_size=4, gradient_accumulation_steps=1,
    steps_per_generation=4, num_generations=2, max_completion_length=a.new_tokens, temperature=1.0, learning_rate=1e-6,
    beta=0.01, num_iterations=1, max_steps=4 * a.iterations, logging_steps=1000, save_strategy="no", report_to=[],
    use_cpu=True, bf16=False, seed=3, dataloader_num_workers=0, shuffle_dataset=False, disable_tqdm=True,
    # RLOOConfig defaults to gradient checkpointing, under which generate() runs without its KV cache
    # (14 rollout tokens/s here instead of hundreds); off, as llama2 ppo (which does not checkpoint).
    gradient_checkpointing=a.gradient_checkpointing,
)

gen_times, gen_tokens, score_times, step_ends = [], [], [], []


class Clock(TrainerCallback):
    def on_step_end(self, args, state, control, **kw):
        step_ends.append(time.perf_counter())


trainer = RLOOTrainer(model=a.policy, reward_funcs=rm, args=cfg, train_dataset=data, processing_class=tok,
                      reward_processing_classes=rtok, callbacks=[Clock()])
gen, score = trainer._generate_single_turn, trainer._calculate_rewards


def timed_gen(*args, **kw):
    t0 = time.perf_counter()
    out = gen(*args, **kw)
    gen_times.append(time.perf_counter() - t0)
    gen_tokens.append(sum(len(c) for c in out))
    return out


def timed_score(*args, **kw):
    t0 = time.perf_counter()
    out = score(*args, **kw)
    score_times.append(time.perf_counter() - t0)
    return out


trainer._generate_single_turn, trainer._calculate_rewards = timed_gen, timed_score
t_start = time.perf_counter()
trainer.train()
# An iteration = one generation batch + its 4 optimizer steps: time between every 4th step end.
ends = [t_start] + step_ends[3::4]
iters = [b - e for e, b in zip(ends, ends[1:])][1:]
med = statistics.median
print(json.dumps({
    "trl": __import__("trl").__version__, "torch": torch.__version__, "threads": a.threads, "gradient_checkpointing": a.gradient_checkpointing, "iterations": len(iters),
    "rollouts_per_iteration": 16, "optimizer_steps_per_iteration": 4, "max_new_tokens": a.new_tokens,
    "iteration_s": med(iters), "generation_s": med(gen_times[1:]), "scoring_s": med(score_times[1:]),
    "response_length": med([t / 16 for t in gen_tokens[1:]]),
    "rollout_tokens_per_s": med([t / s for t, s in zip(gen_tokens[1:], gen_times[1:])]),
}))
