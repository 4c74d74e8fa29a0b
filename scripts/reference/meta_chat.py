"""Meta's Llama-2 chat encoding (meta-llama/llama generation.py chat_completion), shared by the reference
scripts that check our chat template's ids: make_tokenizer_fixtures.py, check_trained_tokenizer.py and
make_sft_fixtures.py. Extended to dialogs that end with an answer (each answered turn closes with </s>).
"""
B_INST, E_INST = "[INST]", "[/INST]"
B_SYS, E_SYS = "<<SYS>>\n", "\n<</SYS>>\n\n"


def meta_chat_ids(encode, dialog, bos=1, eos=2):
    """Token ids of `dialog` ([{role, content}], an optional system message first, then user/assistant
    turns); `encode(text)` is sentencepiece's encode without special tokens."""
    if dialog[0]["role"] == "system":
        dialog = [{"role": dialog[1]["role"], "content": B_SYS + dialog[0]["content"] + E_SYS + dialog[1]["content"]}] + dialog[2:]
    ids = []
    for prompt, answer in zip(dialog[::2], dialog[1::2]):
        ids += [bos] + encode(f"{B_INST} {(prompt['content']).strip()} {E_INST} {(answer['content']).strip()} ") + [eos]
    if len(dialog) % 2 == 1:
        ids += [bos] + encode(f"{B_INST} {(dialog[-1]['content']).strip()} {E_INST}")
    return ids
