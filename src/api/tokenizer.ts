// The tokenizer as the library presents it (`lm.tokenizer`): encode/decode, the Llama 2 chat format
// (encodeChat with its assistant mask, applyChatTemplate as transformers spells it) and streaming
// decode — one object over src/tokenizer/tokenizer.ts and src/tokenizer/chat-template.ts.
import { Tokenizer, type DecodeOptions, type EncodeOptions } from "../tokenizer/tokenizer.js";
import { encodeChat, type ChatMessage, type ChatOptions, type EncodedChat } from "../tokenizer/chat-template.js";
import { encodeModelChat, renderModelChat } from "../tokenizer/model-chat-template.js";
import type { StreamDecoder, StreamDecoderOptions } from "../tokenizer/stream-decoder.js";

/** Options of {@link LmTokenizer.applyChatTemplate} (transformers' `apply_chat_template` keywords). */
export interface ApplyChatTemplateOptions {
  /** Return token ids (default true) or the rendered text. */
  tokenize?: boolean;
  /** Require the conversation to end with a user turn, i.e. render a prompt for the next reply (default false). */
  addGenerationPrompt?: boolean;
}

/** A model's tokenizer (tokenizer.json or tokenizer.model, with tokenizer_config.json). */
export class LmTokenizer {
  /** Wraps a loaded Tokenizer (`Tokenizer.load(dir)`); most callers use `LmTokenizer.load(dir)`. */
  constructor(readonly inner: Tokenizer) {}

  /** Loads the tokenizer files of a model or tokenizer directory. */
  static async load(dir: string): Promise<LmTokenizer> {
    return new LmTokenizer(await Tokenizer.load(dir));
  }

  /** Number of pieces. */
  get vocabSize(): number { return this.inner.vocabSize; }
  /** Id of `<s>` (-1 if none). */
  get bosId(): number { return this.inner.bosId; }
  /** Id of `</s>` (-1 if none). */
  get eosId(): number { return this.inner.eosId; }

  /** Token ids of `text`; `<s>` first when the tokenizer config adds it (override with `bos`). */
  encode(text: string, opts?: EncodeOptions): number[] {
    return this.inner.encode(text, opts);
  }

  /** Text of `ids` (special tokens kept unless `skipSpecial`). */
  decode(ids: readonly number[], opts?: DecodeOptions): string {
    return this.inner.decode(ids, opts);
  }

  /**
   * Ids of a Llama 2 chat (`[INST] ... [/INST]` turns, optional leading system message) and, per
   * token, whether it belongs to an assistant reply — the mask SFT trains on.
   */
  encodeChat(messages: readonly ChatMessage[], opts?: ChatOptions): EncodedChat {
    return encodeChat(this.inner, messages, opts);
  }

  /**
   * The chat rendered with the model's chat template, as transformers' apply_chat_template: token ids (default)
   * or, with `tokenize: false`, the text with `<s>`/`</s>` written out. The Llama 2 format (Meta's ids) unless
   * the tokenizer carries another template (tokenizer_config.json or chat_template.jinja), rendered with Jinja.
   */
  applyChatTemplate(messages: readonly ChatMessage[], opts: ApplyChatTemplateOptions & { tokenize: false }): string;
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ApplyChatTemplateOptions): number[];
  applyChatTemplate(messages: readonly ChatMessage[], opts: ApplyChatTemplateOptions = {}): number[] | string {
    const gen = opts.addGenerationPrompt === true;
    return opts.tokenize === false ? renderModelChat(this.inner, messages, gen) : encodeModelChat(this.inner, messages, gen);
  }

  /** Decodes ids one at a time, holding back incomplete UTF-8; the pieces join to `decode(ids)`. */
  createStreamDecoder(opts?: StreamDecoderOptions): StreamDecoder {
    return this.inner.createStreamDecoder(opts);
  }
}
