# Chat templates other than the Llama 2 one, rendered and tokenized by transformers' apply_chat_template on the
# real Llama 2 vocabulary (test/fixtures/tokenizer/llama2-32k): Zephyr/TinyLlama-chat, ChatML written as plain
# text, the old Llama-2-chat template with its default system prompt, and a differently written template that
# renders exactly as Llama 2 (which llama2-ts must keep on Meta's turn-by-turn ids).
# Run: /root/.cache/llama2-reference-venv/bin/python scripts/reference/make_chat_template_fixtures.py
# Output: test/fixtures/tokenizer/chat-templates.json
import json
import os

import transformers
from transformers import AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "test", "fixtures", "tokenizer")

TEMPLATES = {
    # TinyLlama/TinyLlama-1.1B-Chat-v1.0 (Zephyr format)
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    # ChatML with its markers as plain text (this vocabulary has no <|im_start|> token)
    "chatml": "{{ bos_token }}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # meta-llama/Llama-2-7b-chat-hf's first template: a default system prompt when none is given
    "llama2-default-system": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = 'You are a helpful assistant.' %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    # the Llama 2 format written another way (whitespace control, no system-variable dance)
    "llama2-rewritten": "{%- for message in messages -%}\n{%- if loop.first and message['role'] == 'system' -%}{%- elif message['role'] == 'user' -%}\n{{- bos_token + '[INST] ' -}}{%- if loop.index0 == 1 and messages[0]['role'] == 'system' -%}{{- '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' -}}{%- endif -%}{{- message['content'].strip() + ' [/INST]' -}}\n{%- else -%}{{- ' ' + message['content'].strip() + ' ' + eos_token -}}{%- endif -%}\n{%- endfor -%}",
}
CHATS = [
    [{"role": "user", "content": "Where is Tika?"}],
    [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": "Hello there"},
     {"role": "assistant", "content": "Bonjour !"}, {"role": "user", "content": "How are you?\nFine?"}],
]


def main():
    src = os.path.join(FIX, "llama2-32k")
    tok = AutoTokenizer.from_pretrained(src)
    cases = []
    for name, tpl in TEMPLATES.items():
        for messages in CHATS:
            text = tok.apply_chat_template(messages, chat_template=tpl, tokenize=False, add_generation_prompt=True)
            ids = tok.apply_chat_template(messages, chat_template=tpl, tokenize=True, add_generation_prompt=True, return_dict=False)
            cases.append({"template": name, "messages": messages, "add_generation_prompt": True, "text": text, "ids": list(ids)})
    out = {"tokenizer": "llama2-32k", "templates": TEMPLATES, "cases": cases,
           "versions": {"transformers": transformers.__version__}}
    with open(os.path.join(FIX, "chat-templates.json"), "w") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.join(FIX, "chat-templates.json"))


if __name__ == "__main__":
    main()
