"""Compression and speed parity of our BPE trainer against Python sentencepiece.

Trains sentencepiece (model_type=bpe, byte_fallback, split_digits, identity normalizer, dummy
prefix, allow_whitespace_only_pieces: Llama 2's trainer_spec) and our `llama2 tokenizer train` on
the same corpus with the same vocabulary size, then reports bytes/token of both on held-out text,
vocabulary overlap, and wall-clock training time (median of --repeat runs, run alternately).
Ours is measured twice: with our tokenizer.json in HF `tokenizers`, and with our tokenizer.model in
sentencepiece (the two must give identical ids).

  /root/.cache/llama2-reference-venv/bin/python scripts/reference/compare_bpe_trainer.py \
      --train test/fixtures/tokenizer/corpus.txt --heldout test/fixtures/tokenizer/heldout.txt \
      --vocab-size 2000 --out test/fixtures/tokenizer/trainer_compression.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import sentencepiece as spm
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train_spm(files, vocab_size, prefix, coverage, threads, user_symbols):
    t0 = time.perf_counter()
    spm.SentencePieceTrainer.train(
        user_defined_symbols=user_symbols,
        input=",".join(files), model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
        character_coverage=coverage, byte_fallback=True, split_digits=True,
        allow_whitespace_only_pieces=True, normalization_rule_name="identity",
        add_dummy_prefix=True, remove_extra_whitespaces=False, max_sentence_length=4192,
        max_sentencepiece_length=16, num_threads=threads, minloglevel=2,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    return time.perf_counter() - t0


def train_ours(files, vocab_size, out, coverage, user_symbols):
    cmd = ["node", os.path.join(ROOT, "dist/src/cli/main.js"), "tokenizer", "train", "--vocab-size", str(vocab_size),
           "--out", out, "--character-coverage", str(coverage), "--quiet"]
    if user_symbols:
        cmd += ["--user-defined-symbols", ",".join(user_symbols)]
    for f in files:
        cmd += ["--input", f]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--vocab-size", type=int, required=True)
    ap.add_argument("--coverage", type=float, default=0.9995)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--user-defined-symbols", default="")
    ap.add_argument("--record-pieces", action="store_true", help="store sentencepiece's normal pieces in the JSON")
    ap.add_argument("--out", help="write the result JSON here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bpe-compare-") as work:
        return compare(args, work)


def compare(args, work):
    """Trains sentencepiece and ours in WORK on the same corpus and compares vocabularies, encodings and times."""
    prefix = os.path.join(work, "spm")
    ours_dir = os.path.join(work, "ours")
    users = [u for u in args.user_defined_symbols.split(",") if u]
    t_spm, t_ours = [], []
    for _ in range(args.repeat):
        t_spm.append(train_spm(args.train, args.vocab_size, prefix, args.coverage, args.threads, users))
        t_ours.append(train_ours(args.train, args.vocab_size, ours_dir, args.coverage, users))

    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    ours_sp = spm.SentencePieceProcessor(model_file=os.path.join(ours_dir, "tokenizer.model"))
    ours_hf = Tokenizer.from_file(os.path.join(ours_dir, "tokenizer.json"))

    n_bytes = n_spm = n_ours_hf = n_ours_sp = 0
    mismatched = 0
    with open(args.heldout, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]
    for line in lines:
        n_bytes += len(line.encode("utf-8"))
        n_spm += len(sp.encode(line))
        a = ours_hf.encode(line, add_special_tokens=False).ids
        b = ours_sp.encode(line)
        n_ours_hf += len(a)
        n_ours_sp += len(b)
        mismatched += int(a != b)

    spm_pieces = {sp.id_to_piece(i) for i in range(sp.get_piece_size())}
    ours_pieces = {ours_sp.id_to_piece(i) for i in range(ours_sp.get_piece_size())}
    same_order = 0
    for i in range(sp.get_piece_size()):
        if sp.id_to_piece(i) != ours_sp.id_to_piece(i):
            break
        same_order += 1
    def normal_pieces(p):
        return [p.id_to_piece(i) for i in range(p.get_piece_size())
                if not (p.is_control(i) or p.is_unknown(i) or p.is_byte(i) or p.is_unused(i)) and p.id_to_piece(i) not in users]
    spm_normal, ours_normal = normal_pieces(sp), normal_pieces(ours_sp)
    bpt_spm = n_bytes / n_spm
    bpt_ours = n_ours_hf and n_bytes / n_ours_hf
    result = {
        "corpus": [os.path.relpath(f, ROOT) for f in args.train],
        "corpus_bytes": sum(os.path.getsize(f) for f in args.train),
        "heldout": os.path.relpath(args.heldout, ROOT),
        "heldout_lines": len(lines),
        "heldout_bytes": n_bytes,
        "vocab_size": args.vocab_size,
        "character_coverage": args.coverage,
        "sentencepiece_version": spm.__version__,
        "sentencepiece": {"tokens": n_spm, "bytes_per_token": bpt_spm},
        "ours": {"tokens": n_ours_hf, "bytes_per_token": bpt_ours, "tokens_via_sentencepiece": n_ours_sp},
        "ours_vs_sentencepiece_bytes_per_token": bpt_ours / bpt_spm,
        "lines_where_our_tokenizer_json_and_tokenizer_model_differ": mismatched,
        "vocab_overlap": len(spm_pieces & ours_pieces) / len(spm_pieces),
        "identical_leading_ids": same_order,
        "user_defined_symbols": users,
        "normal_pieces_identical_in_order": spm_normal == ours_normal,
        "train_seconds": {"sentencepiece": t_spm, "ours": t_ours,
                          "median_ratio_ours_over_sentencepiece": statistics.median(t_ours) / statistics.median(t_spm)},
    }
    if result["corpus_bytes"] < 5_000_000:
        result["train_seconds"]["note"] = ("corpus under 5 MB: these times are mostly process start-up; "
                                           "speed is measured by bench/tokenizer-train-vs-sentencepiece.sh")
    if args.record_pieces:
        result["sentencepiece_normal_pieces"] = spm_normal
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    sys.exit(main())
