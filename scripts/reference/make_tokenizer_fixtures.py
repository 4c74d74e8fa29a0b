"""Tokenizer parity fixtures (issue 3): a small SentencePiece BPE model trained like Llama 2's
(model_type=bpe, byte_fallback, split_digits, identity normalizer, no whitespace collapsing), its
Hugging Face conversions (tokenizer.json in the transformers-5 Metaspace form and the legacy
Prepend/Replace normalizer form), and the expected ids from sentencepiece and from HF tokenizers
for every line of test/fixtures/tokenizer/corpus.txt, plus Llama-2 chat renders and Meta's
chat_completion ids (meta-llama/llama generation.py). Run with the reference venv:
    /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_tokenizer_fixtures.py
The corpus was assembled from hand-written edge cases, the Zen of Python, CPython stdlib docstrings
and code lines; each line is one test case.
"""
import json, os, re, shutil, tempfile
from pathlib import Path

import sentencepiece as spm
import tokenizers
import transformers
from transformers import LlamaTokenizer
from transformers.convert_slow_tokenizer import LlamaConverter

from meta_chat import meta_chat_ids

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "tokenizer"
CORPUS = OUT / "corpus.txt"

# The official Llama-2-chat template (meta-llama/Llama-2-7b-chat-hf tokenizer_config.json).
HF_LLAMA2_TEMPLATE = (
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}"
    "{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}"
    "{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
)

EXTRA_CASES = [
    "first line\nsecond line",
    "paragraph one.\n\nparagraph two.\n\n\nthree newlines before this",
    "\n",
    "\n\n\n",
    "windows\r\nline endings\r\n",
    "code:\n    if x:\n        return 1\n\treturn 2\n",
    "ends with newline\n",
]

DIALOGS = [
    [{"role": "user", "content": "What is the capital of France?"}],
    [{"role": "system", "content": "You are a terse assistant."}, {"role": "user", "content": "Say hi."}],
    [{"role": "user", "content": "Hi!"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke about numbers like 1234."}],
    [{"role": "system", "content": "Always answer in French.\nBe brief."}, {"role": "user", "content": "Good morning"},
     {"role": "assistant", "content": "Bonjour"}, {"role": "user", "content": "  How are you?  "}],
    [{"role": "user", "content": "Write one emoji."}, {"role": "assistant", "content": " 🎉 "}],
    [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
     {"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2 with café and 東京"}],
]

def our_jinja_template():
    """LLAMA2_CHAT_TEMPLATE from src/tokenizer/chat-template.ts (a String.raw literal), if present."""
    src = ROOT / "src" / "tokenizer" / "chat-template.ts"
    if not src.exists():
        return None
    m = re.search(r"LLAMA2_CHAT_TEMPLATE\s*=\s*String\.raw`([^`]*)`", src.read_text())
    return m.group(1) if m else None


def main():
    lines = CORPUS.read_text(encoding="utf-8").split("\n")[:-1]
    cases = lines + EXTRA_CASES
    full = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        write_fixtures(lines, cases, full, Path(tmp))


def write_fixtures(lines, cases, full, tmp):
    """Trains the SentencePiece model in TMP, converts it, and writes every fixture under OUT."""
    os.chdir(tmp)  # a relative model_prefix keeps the temp path out of the model's trainer_spec
    spm.SentencePieceTrainer.train(
        input=str(CORPUS), model_prefix="sp", model_type="bpe", vocab_size=1200,
        byte_fallback=True, split_digits=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, allow_whitespace_only_pieces=True,
        character_coverage=0.9995, split_by_unicode_script=True, split_by_number=True,
        max_sentence_length=4192, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1, shuffle_input_sentence=False, minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(tmp / "sp.model"))

    sp_dir, hf_dir, legacy_dir = OUT / "sp", OUT / "hf", OUT / "hf-legacy"
    for d in (sp_dir, hf_dir, legacy_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    shutil.copy(tmp / "sp.model", sp_dir / "tokenizer.model")

    # transformers 5: LlamaTokenizer from tokenizer.model -> Metaspace(prepend_scheme="first") form.
    shutil.copy(tmp / "sp.model", tmp / "tokenizer.model")
    hf = LlamaTokenizer.from_pretrained(str(tmp))
    hf.chat_template = HF_LLAMA2_TEMPLATE
    hf.save_pretrained(str(hf_dir))
    for f in os.listdir(hf_dir):
        if f not in ("tokenizer.json", "tokenizer_config.json"):
            os.remove(hf_dir / f)

    # Legacy form (the one shipped with meta-llama/Llama-2-*-hf): normalizer Prepend("▁") + Replace(" ", "▁").
    # transformers 5.17's LlamaConverter(legacy=True) path crashes (SpmConverter passes vocab_scores as
    # model_type), so build the same file from the Metaspace one: identical vocab and merges, with
    # LlamaConverter's legacy normalizer, no pre-tokenizer, and Llama-2-hf's <s> post-processor.
    spec = json.loads((hf_dir / "tokenizer.json").read_text(encoding="utf-8"))
    spec["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
    spec["pre_tokenizer"] = None
    spec["model"]["merges"] = [" ".join(m) for m in spec["model"]["merges"]]  # the older "a b" string form
    spec["model"]["unk_token"] = "<unk>"
    spec["post_processor"] = {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    (legacy_dir / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (legacy_dir / "tokenizer_config.json").write_text(json.dumps({
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "pad_token": None, "legacy": True, "chat_template": HF_LLAMA2_TEMPLATE,
        "tokenizer_class": "LlamaTokenizer"}, indent=2) + "\n")

    hf_raw = tokenizers.Tokenizer.from_file(str(hf_dir / "tokenizer.json"))
    legacy_raw = tokenizers.Tokenizer.from_file(str(legacy_dir / "tokenizer.json"))
    enc = lambda t, s: t.encode(s, add_special_tokens=False).ids

    expected = {
        "versions": {"sentencepiece": spm.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "cases": cases,
        "sp": [sp.encode(c) for c in cases],
        "hf": [enc(hf_raw, c) for c in cases],
        "hfLegacy": [enc(legacy_raw, c) for c in cases],
        "spDecoded": [sp.decode(sp.encode(c)) for c in cases],
        "hfDecoded": [hf.decode(enc(hf_raw, c)) for c in cases],
        "full": {"sp": sp.encode(full), "hf": enc(hf_raw, full), "hfLegacy": enc(legacy_raw, full)},
        "withSpecial": {"text": "Hello world", "hf": hf("Hello world")["input_ids"]},
        "pieces": {"sp": [sp.id_to_piece(i) for i in range(sp.get_piece_size())]},
    }
    # Added tokens with normalized: true (older Llama conversions) are matched after the normalizer.
    spec_norm = json.loads((legacy_dir / "tokenizer.json").read_text(encoding="utf-8"))
    for t in spec_norm["added_tokens"]:
        t["normalized"] = True
    norm_raw = tokenizers.Tokenizer.from_str(json.dumps(spec_norm))
    special_cases = ["<s>Hello", "Hi <s> there</s>", "<s>[INST] x [/INST] y </s><s>[INST] z [/INST]", " <unk> ", "a</s>b"]
    expected["normalizedAddedTokens"] = {"cases": special_cases, "ids": [enc(norm_raw, c) for c in special_cases],
                                          "rawIds": [enc(legacy_raw, c) for c in special_cases]}
    # Less common tokenizer.json features, each applied to the legacy file (test/tokenizer applies the same edits).
    n_vocab = len(spec_norm["model"]["vocab"])
    variants = {
        "metaspaceSplit": lambda d: d.update(normalizer=None, pre_tokenizer={
            "type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}),
        "ignoreMerges": lambda d: d["model"].update(ignore_merges=True),
        "addedStrip": lambda d: d["added_tokens"].extend([
            {"id": n_vocab, "content": "<tool>", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": True},
            {"id": n_vocab + 1, "content": "xyz", "single_word": True, "lstrip": False, "rstrip": False, "normalized": False, "special": False}]),
    }
    variant_cases = cases[:80] + ["a <tool> b", "a<tool>b", "  <tool>  x", "xyz xyzabc abcxyz (xyz) xyz", "<tool>\n<tool>", "the   end   "]
    expected["variants"] = {"cases": variant_cases}
    for name, edit in variants.items():
        d = json.loads((legacy_dir / "tokenizer.json").read_text(encoding="utf-8"))
        edit(d)
        t = tokenizers.Tokenizer.from_str(json.dumps(d))
        expected["variants"][name] = [enc(t, c) for c in variant_cases]
    # UNUSED pieces still merge but are split back (bpe_model.cc resegment): mark a few, some of which
    # are intermediate steps of longer pieces.
    from sentencepiece import sentencepiece_model_pb2 as pb
    proto = pb.ModelProto()
    proto.ParseFromString((sp_dir / "tokenizer.model").read_bytes())
    marked = []
    for p in proto.pieces:
        if p.type == 1 and p.piece in ("\u2581th", "\u2581the", "ing", "\u2581a", "er", "\u2581\u2581\u2581\u2581", "re"):
            p.type = 5
            marked.append(p.piece)
    unused_dir = OUT / "sp-unused"
    shutil.rmtree(unused_dir, ignore_errors=True)
    unused_dir.mkdir()
    (unused_dir / "tokenizer.model").write_bytes(proto.SerializeToString())
    sp_unused = spm.SentencePieceProcessor(model_file=str(unused_dir / "tokenizer.model"))
    expected["unused"] = {"marked": marked, "ids": [sp_unused.encode(c) for c in cases[:150]]}
    diff_sp_hf = sum(a != b for a, b in zip(expected["sp"], expected["hf"]))
    diff_sp_legacy = sum(a != b for a, b in zip(expected["sp"], expected["hfLegacy"]))
    print(f"cases={len(cases)} vocab={sp.get_piece_size()} sp!=hf:{diff_sp_hf} sp!=hfLegacy:{diff_sp_legacy}")

    ours = our_jinja_template()
    chats = []
    for d in DIALOGS:
        render = hf.apply_chat_template(d, tokenize=False)
        item = {"messages": d, "render": render, "metaIds": meta_chat_ids(sp.encode, d, sp.bos_id(), sp.eos_id()),
                "hfLegacyIdsOfRender": enc(legacy_raw, render)}
        if ours is not None:
            item["oursRender"] = hf.apply_chat_template(d, tokenize=False, chat_template=ours)
            assert item["oursRender"] == render, (item["oursRender"], render)
        chats.append(item)
        print("chat meta==legacy(render):", item["metaIds"] == item["hfLegacyIdsOfRender"], repr(render[:60]))
    expected["chat"] = chats
    expected["chatTemplateCheckedWithTransformers"] = ours is not None
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
