// The Llama tokenizer (paper §2.1: SentencePiece BPE, digits split, byte fallback): loads a HF
// `tokenizer.json` or a SentencePiece `tokenizer.model` (+ `tokenizer_config.json` for add_bos/eos
// and special tokens) and encodes/decodes with the exact ids of HF tokenizers / sentencepiece.
import fs from "node:fs/promises";
import path from "node:path";
import { BpeEncoder } from "./bpe.js";
import { specFromTokenizerJson, TokenizerFormatError } from "./hf-json.js";
import { specFromSentencePiece } from "./sentencepiece-model.js";
import { PieceKind, type AddedToken, type TokenizerSpec } from "./spec.js";
import { StreamDecoder, type StreamDecoderOptions } from "./stream-decoder.js";
import { decodeUtf8Lenient } from "./utf8.js";

export { TokenizerFormatError } from "./hf-json.js";
export type { StreamDecoder, StreamDecoderOptions } from "./stream-decoder.js";

/** Options of Tokenizer.encode; defaults come from tokenizer_config.json (Llama: bos on, eos off). */
export interface EncodeOptions {
  bos?: boolean;
  eos?: boolean;
  /**
   * Match special added tokens (e.g. "<s>") written in the text as control tokens, as HF tokenizers
   * does by default. Default false: they are plain text, as sentencepiece always treats them, so text
   * from a user (a chat message, a document) can never inject <s>, </s> or other control tokens.
   * Non-special added tokens match either way.
   */
  parseSpecial?: boolean;
}
/** Options of Tokenizer.decode; special (control) tokens are skipped unless skipSpecial is false. */
export interface DecodeOptions { skipSpecial?: boolean }

/** The fields of tokenizer_config.json this tokenizer honours. */
export interface TokenizerConfig {
  add_bos_token?: boolean;
  add_eos_token?: boolean;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  /** A template, or (older transformers) a list of named ones, "default" being the chat template. */
  chat_template?: string | { name: string; template: string }[];
}

/** The file transformers ≥ 4.50 saves the chat template in (instead of tokenizer_config.json's chat_template). */
export const CHAT_TEMPLATE_FILE = "chat_template.jinja";

/** The chat template of a tokenizer_config.json object (a string, or the "default" of a named list), or undefined. */
export function configChatTemplate(config: TokenizerConfig): string | undefined {
  const t = config.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.find((x) => x && x.name === "default" && typeof x.template === "string")?.template;
  return undefined;
}

const exists = (p: string): Promise<boolean> => fs.access(p).then(() => true, () => false);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** HF normalizer steps (Prepend only on non-empty text, as tokenizers does). */
type Steps = Extract<TokenizerSpec["normalization"], { kind: "hf" }>["steps"];

function applySteps(steps: Steps, seg: string): string {
  let s = seg;
  for (const step of steps) {
    if (step.op === "prepend") { if (s.length > 0) s = step.text + s; }
    else s = s.replaceAll(step.from, step.to);
  }
  return s;
}

/**
 * The Llama normalizations are all "optional leading ▁, then every space → ▁"; for those the encoder
 * can cut words on the raw text (BpeEncoder.encodeSpaced).
 */
function fastPath(spec: TokenizerSpec): "sentencepiece" | "legacy" | "metaspace" | null {
  const n = spec.normalization, SP = "\u2581";
  if (n.kind === "sentencepiece")
    return n.escapeWhitespaces && !n.removeExtraWhitespaces && spec.addedTokens.length === 0 ? "sentencepiece" : null;
  const [a, b] = n.steps;
  if (n.metaspace === null && n.steps.length === 2 && a!.op === "prepend" && a!.text === SP && b!.op === "replace" && b!.from === " " && b!.to === SP)
    return "legacy";
  if (n.steps.length === 0 && n.metaspace !== null && n.metaspace.replacement === SP && !n.metaspace.split) return "metaspace";
  return null;
}

/** A Llama-family BPE tokenizer. */
export class Tokenizer {
  private readonly encoder: BpeEncoder;
  /** Added tokens matched in the raw text: all / only non-special ones (encode with parseSpecial: false). */
  private readonly addedRe: RegExp | null;
  private readonly plainAddedRe: RegExp | null;
  /** HF added tokens with normalized: true, matched after the normalizer (same two variants). */
  private readonly normAddedRe: RegExp | null;
  private readonly normPlainAddedRe: RegExp | null;
  private readonly addedByContent = new Map<string, AddedToken>();
  /** Normalized-token patterns (their content run through the normalizer, as tokenizers does) → token. */
  private readonly addedByNormalized = new Map<string, AddedToken>();
  /** Default for encode({bos}). */
  addBos: boolean;
  /** Default for encode({eos}). */
  addEos: boolean;
  bosId: number;
  eosId: number;
  /** -1 when the tokenizer has no padding token. */
  padId: number;
  unkId: number;
  /** Which normalization encodeSpaced can do without building the normalized string (null: generic path). */
  private readonly fast: "sentencepiece" | "legacy" | "metaspace" | null;
  /** The chat template (chat_template.jinja, else tokenizer_config.json's chat_template), if any. */
  chatTemplate: string | undefined;
  /** Where chatTemplate came from (for errors). */
  chatTemplateSource: string | undefined;

  private constructor(readonly spec: TokenizerSpec, config: TokenizerConfig = {}, configSrc = "tokenizer_config.json") {
    this.encoder = new BpeEncoder(spec.bpe, spec.splitAtSpaces);
    for (const t of spec.addedTokens) this.addedByContent.set(t.content, t);
    // With no normalizer step, the normalized text is the raw text: match everything there.
    const n = spec.normalization;
    const afterNormalizer = (t: AddedToken): boolean => t.normalized === true && n.kind === "hf" && n.steps.length > 0;
    const all = [...this.addedByContent.values()];
    for (const t of all.filter(afterNormalizer)) this.addedByNormalized.set(applySteps((n as { steps: Steps }).steps, t.content), t);
    const alternation = (tokens: AddedToken[]): RegExp | null => {
      const contents = tokens.map((t) => (afterNormalizer(t) ? applySteps((n as { steps: Steps }).steps, t.content) : t.content));
      contents.sort((a, b) => b.length - a.length);
      return contents.length ? new RegExp(contents.map(escapeRegExp).join("|"), "gu") : null;
    };
    const plain = (t: AddedToken): boolean => spec.kinds[t.id] !== PieceKind.Control;
    this.addedRe = alternation(all.filter((t) => !afterNormalizer(t)));
    this.plainAddedRe = alternation(all.filter((t) => !afterNormalizer(t) && plain(t)));
    this.normAddedRe = alternation(all.filter(afterNormalizer));
    this.normPlainAddedRe = alternation(all.filter((t) => afterNormalizer(t) && plain(t)));
    this.addBos = config.add_bos_token ?? spec.addBos;
    this.addEos = config.add_eos_token ?? spec.addEos;
    const idOf = (field: keyof TokenizerConfig, fallback: number): number => {
      const v = config[field] as TokenizerConfig["bos_token"] | undefined;
      if (v === undefined) return fallback;
      if (v === null) return -1;
      const content = typeof v === "string" ? v : v.content;
      const id = spec.pieceToId.get(content);
      if (id === undefined) throw new TokenizerFormatError(`${configSrc}: ${field} "${content}" is not in the vocabulary of ${spec.source}`);
      return id;
    };
    this.bosId = idOf("bos_token", spec.bosId);
    this.eosId = idOf("eos_token", spec.eosId);
    this.unkId = idOf("unk_token", spec.unkId);
    this.padId = idOf("pad_token", spec.padId);
    this.chatTemplate = configChatTemplate(config);
    this.chatTemplateSource = this.chatTemplate !== undefined ? `${configSrc} chat_template` : undefined;
    this.fast = fastPath(spec);
  }

  /**
   * Loads `dir/tokenizer.json` (preferred) or `dir/tokenizer.model`, and `dir/tokenizer_config.json`
   * when present.
   */
  static async load(dir: string): Promise<Tokenizer> {
    const jsonPath = path.join(dir, "tokenizer.json"), modelPath = path.join(dir, "tokenizer.model");
    const configPath = path.join(dir, "tokenizer_config.json");
    let config: TokenizerConfig = {};
    if (await exists(configPath)) {
      try { config = JSON.parse(await fs.readFile(configPath, "utf8")) as TokenizerConfig; }
      catch (e) { throw new TokenizerFormatError(`${configPath}: ${(e as Error).message}`); }
    }
    let tok: Tokenizer;
    if (await exists(jsonPath)) {
      let json: unknown;
      try { json = JSON.parse(await fs.readFile(jsonPath, "utf8")); }
      catch (e) { throw new TokenizerFormatError(`${jsonPath}: ${(e as Error).message}`); }
      tok = new Tokenizer(specFromTokenizerJson(json, jsonPath), config, configPath);
    } else if (await exists(modelPath)) tok = new Tokenizer(specFromSentencePiece(await fs.readFile(modelPath), modelPath), config, configPath);
    else throw new TokenizerFormatError(`${dir}: neither tokenizer.json nor tokenizer.model found`);
    // transformers reads chat_template.jinja before tokenizer_config.json's key (and saves only the file).
    const templatePath = path.join(dir, CHAT_TEMPLATE_FILE);
    if (await exists(templatePath)) {
      tok.chatTemplate = await fs.readFile(templatePath, "utf8");
      tok.chatTemplateSource = templatePath;
    }
    return tok;
  }

  /** From a parsed tokenizer.json object (and optionally a parsed tokenizer_config.json). */
  static fromJSON(json: unknown, config?: TokenizerConfig): Tokenizer {
    return new Tokenizer(specFromTokenizerJson(json), config);
  }

  /** From the bytes of a SentencePiece tokenizer.model. */
  static fromSentencePiece(model: Uint8Array, config?: TokenizerConfig): Tokenizer {
    return new Tokenizer(specFromSentencePiece(model), config);
  }

  /** Number of ids (vocabulary plus added tokens). */
  get vocabSize(): number { return this.spec.pieces.length; }

  /** The piece string of an id (e.g. "▁the", "<0x0A>", "<s>"). */
  idToPiece(id: number): string {
    const p = this.spec.pieces[id];
    if (p === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
    return p;
  }

  /** The id of a piece, or undefined. */
  pieceToId(piece: string): number | undefined {
    return this.spec.pieceToId.get(piece);
  }

  /** True for control/special tokens (<s>, </s>, HF special added tokens). */
  isSpecial(id: number): boolean {
    return this.spec.kinds[id] === PieceKind.Control;
  }

  /** Text → ids, with <s>/</s> per the options or the tokenizer_config defaults. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if ((opts.bos ?? this.addBos) && this.bosId >= 0) out.push(this.bosId);
    const n = this.spec.normalization;
    if (n.kind === "sentencepiece") {
      let t = text;
      if (n.removeExtraWhitespaces) t = t.replace(/ +/g, " ").replace(/^ | $/g, "");
      if (t.length > 0 && this.fast === "sentencepiece") this.encoder.encodeSpaced(t, n.addDummyPrefix, out);
      else if (t.length > 0) {
        if (n.escapeWhitespaces) t = t.replaceAll(" ", "\u2581");
        if (n.addDummyPrefix) t = "\u2581" + t;
        this.splitAdded(t, this.addedRe, (seg) => this.encoder.encode(seg, out), out);
      }
    } else {
      const special = opts.parseSpecial === true;
      const normRe = special ? this.normAddedRe : this.normPlainAddedRe;
      this.splitAdded(text, special ? this.addedRe : this.plainAddedRe, (seg, offset) => {
        if (normRe === null) { this.encodeHfSegment(seg, offset, true, out); return; }
        // tokenizers' AddedVocabulary::extract_and_normalize: normalize, then split on normalized tokens
        const s = applySteps(n.steps, seg);
        this.splitAdded(s, normRe, (part, at) => this.encodeHfSegment(part, offset + at, false, out), out, true);
      }, out);
    }
    if ((opts.eos ?? this.addEos) && this.eosId >= 0) out.push(this.eosId);
    return out;
  }

  /** One HF segment between added tokens: normalizer (unless done), Metaspace pre-tokenizer, BPE. */
  private encodeHfSegment(seg: string, offset: number, normalize: boolean, out: number[]): void {
    const n = this.spec.normalization;
    if (n.kind !== "hf") return;
    if (this.fast === "legacy") { this.encoder.encodeSpaced(seg, normalize && seg.length > 0, out); return; }
    const ms = n.metaspace;
    if (this.fast === "metaspace") {
      const c = seg.charCodeAt(0);
      const startsWithSpace = c === 0x20 || c === 0x2581;
      this.encoder.encodeSpaced(seg, !startsWithSpace && (ms!.prepend === "always" || (ms!.prepend === "first" && offset === 0)), out);
      return;
    }
    let s = normalize ? applySteps(n.steps, seg) : seg;
    if (ms) {
      s = s.replaceAll(" ", ms.replacement);
      if (!s.startsWith(ms.replacement) && (ms.prepend === "always" || (ms.prepend === "first" && offset === 0)))
        s = ms.replacement + s;
      if (ms.split) {
        let start = 0;
        for (let i = 1; i < s.length; i++)
          if (s.startsWith(ms.replacement, i)) { this.encoder.encode(s.slice(start, i), out); start = i; }
        s = s.slice(start);
      }
    }
    if (s.length > 0) this.encoder.encode(s, out);
  }

  /** Cuts `text` at added tokens: calls onText(segment, offset) for the text between them, pushes their ids. */
  private splitAdded(text: string, re: RegExp | null, onText: (segment: string, offset: number) => void, out: number[], normalized = false): void {
    if (re === null) { onText(text, 0); return; }
    const byContent = normalized ? this.addedByNormalized : this.addedByContent;
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const tok = byContent.get(m[0])!;
      let start = m.index, end = start + m[0].length;
      if (tok.singleWord && ((start > 0 && WORD_CHAR.test(text[start - 1]!)) || (end < text.length && WORD_CHAR.test(text[end]!)))) {
        re.lastIndex = start + 1;
        continue;
      }
      if (tok.lstrip) while (start > last && /\s/.test(text[start - 1]!)) start--;
      if (tok.rstrip) while (end < text.length && /\s/.test(text[end]!)) end++;
      if (start > last) onText(text.slice(last, start), last);
      out.push(tok.id);
      last = end;
      re.lastIndex = end;
    }
    if (last < text.length) onText(text.slice(last), last);
  }

  /** Ids → text (sentencepiece / HF Llama decoding: ▁ → space, byte pieces → UTF-8, first space dropped). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const skip = opts.skipSpecial ?? true;
    const { space, stripLeadingSpace, unkSurface } = this.spec.decode;
    let out = "";
    let firstFromUnk = false;
    const bytes: number[] = [];
    const flushBytes = (): void => {
      if (bytes.length) { out += decodeUtf8Lenient(bytes, bytes.length, true).text; bytes.length = 0; }
    };
    for (const id of ids) {
      const kind = this.spec.kinds[id];
      if (kind === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.vocabSize})`);
      if (kind === PieceKind.Control && skip) continue;
      const piece = this.spec.pieces[id]!;
      if (kind === PieceKind.Byte) { bytes.push(parseInt(piece.slice(3, 5), 16)); continue; }
      flushBytes();
      if (kind === PieceKind.Unknown && unkSurface !== null) {
        if (out.length === 0) firstFromUnk = true;
        out += unkSurface;
      } else out += piece.replaceAll(space, " ");
    }
    flushBytes();
    if (stripLeadingSpace && !firstFromUnk && out.startsWith(" ")) out = out.slice(1);
    return out;
  }

  /** An incremental decoder: push(id) returns only complete UTF-8 text; the concatenation equals decode(). */
  createStreamDecoder(opts: StreamDecoderOptions = {}): StreamDecoder {
    return new StreamDecoder(this.spec, opts);
  }
}
