// Reads a Hugging Face `tokenizer.json` of the Llama family into a TokenizerSpec: BPE model with
// byte_fallback / fuse_unk, merges as "a b" strings or [a, b] pairs, added_tokens, the legacy
// normalizer Prepend("▁") + Replace(" ", "▁") or the Metaspace pre-tokenizer, and the decoder chain
// Replace("▁", " ") / Metaspace, ByteFallback, Fuse, Strip — tokenizers' models/bpe and LlamaConverter.
import { buildMergeTable, canSplitAtSpaces, type BpeModel } from "./bpe.js";
import { bytePiece, PieceKind, type AddedToken, type DecodeRule, type Normalization, type TokenizerSpec } from "./spec.js";

type Json = Record<string, unknown>;

/** A tokenizer.json we cannot read; names the file and the field. */
export class TokenizerFormatError extends Error {}

function obj(v: unknown, where: string, src: string): Json {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TokenizerFormatError(`${src}: ${where} must be an object`);
  return v as Json;
}

function str(v: unknown, where: string, src: string): string {
  if (typeof v !== "string") throw new TokenizerFormatError(`${src}: ${where} must be a string`);
  return v;
}

function stringPattern(p: unknown, where: string, src: string): string {
  const o = obj(p, where, src);
  if (typeof o.String === "string") return o.String;
  throw new TokenizerFormatError(`${src}: ${where}: only String patterns are supported, got ${JSON.stringify(p)}`);
}

function normalizerSteps(n: unknown, src: string, where = "normalizer"): Extract<Normalization, { kind: "hf" }>["steps"] {
  if (n === null || n === undefined) return [];
  const o = obj(n, where, src);
  switch (o.type) {
    case "Sequence":
      return (o.normalizers as unknown[]).flatMap((x, i) => normalizerSteps(x, src, `${where}.normalizers[${i}]`));
    case "Prepend":
      return [{ op: "prepend", text: str(o.prepend, `${where}.prepend`, src) }];
    case "Replace":
      return [{ op: "replace", from: stringPattern(o.pattern, `${where}.pattern`, src), to: str(o.content, `${where}.content`, src) }];
    default:
      throw new TokenizerFormatError(`${src}: ${where}.type "${String(o.type)}" is not supported (Llama tokenizers use Prepend/Replace)`);
  }
}

function metaspace(p: unknown, src: string, where = "pre_tokenizer"): Extract<Normalization, { kind: "hf" }>["metaspace"] {
  if (p === null || p === undefined) return null;
  const o = obj(p, where, src);
  if (o.type === "Sequence") {
    const list = o.pretokenizers as unknown[];
    if (!Array.isArray(list) || list.length !== 1)
      throw new TokenizerFormatError(`${src}: ${where}: only a Sequence of one Metaspace is supported`);
    return metaspace(list[0], src, `${where}.pretokenizers[0]`);
  }
  if (o.type !== "Metaspace")
    throw new TokenizerFormatError(`${src}: ${where}.type "${String(o.type)}" is not supported (expected Metaspace or null)`);
  const scheme = o.prepend_scheme ?? (o.add_prefix_space === false ? "never" : "always");
  if (scheme !== "always" && scheme !== "first" && scheme !== "never")
    throw new TokenizerFormatError(`${src}: ${where}.prepend_scheme "${String(scheme)}" is not supported`);
  return { replacement: str(o.replacement ?? "\u2581", `${where}.replacement`, src), prepend: scheme, split: o.split !== false };
}

function decodeRule(d: unknown, src: string): DecodeRule {
  const steps: Json[] = [];
  const flatten = (x: unknown, where: string): void => {
    const o = obj(x, where, src);
    if (o.type === "Sequence") (o.decoders as unknown[]).forEach((y, i) => flatten(y, `${where}.decoders[${i}]`));
    else steps.push(o);
  };
  if (d === null || d === undefined) throw new TokenizerFormatError(`${src}: decoder is missing`);
  flatten(d, "decoder");
  const rule: DecodeRule = { space: "\u2581", stripLeadingSpace: false, unkSurface: null };
  for (const s of steps) {
    if (s.type === "Replace" && (s.content === " ")) rule.space = stringPattern(s.pattern, "decoder Replace.pattern", src);
    else if (s.type === "Metaspace") {
      rule.space = str(s.replacement ?? "\u2581", "decoder Metaspace.replacement", src);
      rule.stripLeadingSpace = (s.prepend_scheme ?? (s.add_prefix_space === false ? "never" : "always")) !== "never";
    } else if (s.type === "Strip") {
      if (s.content !== " " || Number(s.stop ?? 0) !== 0 || Number(s.start ?? 0) > 1)
        throw new TokenizerFormatError(`${src}: decoder Strip ${JSON.stringify(s)} is not supported (Llama uses content " ", start 1, stop 0)`);
      rule.stripLeadingSpace = Number(s.start ?? 0) === 1;
    } else if (s.type !== "ByteFallback" && s.type !== "Fuse")
      throw new TokenizerFormatError(`${src}: decoder type "${String(s.type)}" is not supported (Llama: Replace, ByteFallback, Fuse, Strip, Metaspace)`);
  }
  return rule;
}

/** The special tokens a TemplateProcessing post-processor puts around a single sequence. */
function templateEnds(p: unknown): { first?: string; last?: string } {
  if (p === null || typeof p !== "object") return {};
  const o = p as Json;
  if (o.type === "Sequence" && Array.isArray(o.processors)) {
    for (const x of o.processors) { const r = templateEnds(x); if (r.first || r.last) return r; }
    return {};
  }
  if (o.type !== "TemplateProcessing" || !Array.isArray(o.single)) return {};
  const single = o.single as Json[];
  const special = (x: Json | undefined): string | undefined => ((x?.SpecialToken as Json | undefined)?.id as string | undefined);
  return { first: special(single[0]), last: single.length > 1 ? special(single[single.length - 1]) : undefined };
}

/** Parses tokenizer.json text (already JSON.parse'd) into a TokenizerSpec. `src` names the file in errors. */
export function specFromTokenizerJson(json: unknown, src = "tokenizer.json"): TokenizerSpec {
  const root = obj(json, "top level", src);
  const model = obj(root.model, "model", src);
  if (model.type !== undefined && model.type !== "BPE")
    throw new TokenizerFormatError(`${src}: model.type "${String(model.type)}" is not supported (expected BPE)`);
  if (model.continuing_subword_prefix || model.end_of_word_suffix)
    throw new TokenizerFormatError(`${src}: model.continuing_subword_prefix/end_of_word_suffix are not supported`);
  const vocab = obj(model.vocab, "model.vocab", src);
  const pieceToId = new Map<string, number>();
  const pieces: string[] = [];
  for (const [p, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new TokenizerFormatError(`${src}: model.vocab["${p}"] must be a non-negative integer`);
    pieceToId.set(p, id as number);
    pieces[id as number] = p;
  }
  const added: AddedToken[] = [];
  const specialIds = new Set<number>();
  for (const [i, t] of ((root.added_tokens ?? []) as unknown[]).entries()) {
    const o = obj(t, `added_tokens[${i}]`, src);
    const id = o.id as number, content = str(o.content, `added_tokens[${i}].content`, src);
    if (!Number.isInteger(id) || id < 0) throw new TokenizerFormatError(`${src}: added_tokens[${i}].id must be a non-negative integer`);
    pieces[id] = content;
    pieceToId.set(content, id);
    if (o.special === true) specialIds.add(id);
    added.push({ id, content, lstrip: o.lstrip === true, rstrip: o.rstrip === true, singleWord: o.single_word === true, normalized: o.normalized === true });
  }
  for (let i = 0; i < pieces.length; i++) if (pieces[i] === undefined) throw new TokenizerFormatError(`${src}: no token has id ${i}`);

  const byteFallback = model.byte_fallback === true;
  const kinds = new Uint8Array(pieces.length).fill(PieceKind.Normal);
  let byteIds: Int32Array | null = null;
  if (byteFallback) {
    byteIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      const id = pieceToId.get(bytePiece(b));
      if (id !== undefined) { byteIds[b] = id; kinds[id] = PieceKind.Byte; }
    }
  }
  const unkPiece = typeof model.unk_token === "string" ? model.unk_token : null;
  const unkId = unkPiece !== null ? pieceToId.get(unkPiece) ?? -1 : -1;
  if (unkPiece !== null && unkId < 0) throw new TokenizerFormatError(`${src}: model.unk_token "${unkPiece}" is not in model.vocab`);
  if (unkId >= 0) kinds[unkId] = PieceKind.Unknown;
  for (const t of added) kinds[t.id] = specialIds.has(t.id) ? PieceKind.Control : PieceKind.UserDefined;

  const rules: Array<[number, number, number, number]> = [];
  const merges = (model.merges ?? []) as unknown[];
  for (let r = 0; r < merges.length; r++) {
    const m = merges[r];
    let a: string, b: string;
    if (typeof m === "string") {
      const sp = m.indexOf(" ");
      if (sp < 0 || m.indexOf(" ", sp + 1) >= 0) throw new TokenizerFormatError(`${src}: model.merges[${r}] "${m}" must be "left right"`);
      a = m.slice(0, sp); b = m.slice(sp + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") {
      [a, b] = m as [string, string];
    } else throw new TokenizerFormatError(`${src}: model.merges[${r}] must be "a b" or ["a", "b"]`);
    const ia = vocab[a], ib = vocab[b], im = vocab[a + b];
    if (typeof ia !== "number" || typeof ib !== "number" || typeof im !== "number")
      throw new TokenizerFormatError(`${src}: model.merges[${r}] ("${a}", "${b}") uses a piece missing from model.vocab`);
    rules.push([ia, ib, im, r]);
  }
  const table = buildMergeTable(rules);
  const charIds = new Map<string, number>();
  for (const [p, id] of Object.entries(vocab)) if ([...p].length === 1) charIds.set(p, id as number);
  const bpe: BpeModel = {
    merges: table, charIds, byteIds, unkId, fuseUnk: model.fuse_unk === true,
    wholeWords: model.ignore_merges === true ? new Map(Object.entries(vocab) as Array<[string, number]>) : null,
  };
  const ms = metaspace(root.pre_tokenizer, src);
  const normalization: Normalization = { kind: "hf", steps: normalizerSteps(root.normalizer, src), metaspace: ms };
  const ends = templateEnds(root.post_processor);
  const idOf = (p: string | undefined, fallback: string): number => pieceToId.get(p ?? fallback) ?? -1;
  return {
    source: src, pieces, kinds, pieceToId, bpe,
    splitAtSpaces: canSplitAtSpaces(pieces, table),
    addedTokens: added, addedOnNormalized: false, normalization, decode: decodeRule(root.decoder, src),
    bosId: idOf(ends.first, "<s>"), eosId: idOf(ends.last, "</s>"), padId: -1, unkId: unkId >= 0 ? unkId : idOf(undefined, "<unk>"),
    addBos: ends.first !== undefined, addEos: ends.last !== undefined,
  };
}
