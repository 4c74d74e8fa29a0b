// `llama2 eval` (paper §3.4 / §4 evaluations, on the generated world): batched greedy answers to the
// world's prompts_SPLIT.jsonl (single-turn helpful, unsafe, borderline) and to every turn of
// dialogues_SPLIT.jsonl (each turn answered after the model's own earlier answers), judged by the
// world's oracle judge; optionally the mean raw score of reward models on the single-turn answers.
import fs from "node:fs";
import path from "node:path";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { generate } from "../model/generate.js";
import type { Llama } from "../model/llama.js";
import { scoreLastToken } from "../model/score.js";
import { Judge, type JudgeReport } from "../world/judge.js";
import { readJsonl, JsonlWriter } from "../world/jsonl.js";
import type { DialogueMeta, TaskMeta } from "../world/types.js";

/** The judge's report plus the split and, with reward models, their mean raw scores. */
export interface EvalReport extends JudgeReport {
  split: string;
  /** Mean raw helpfulness-RM score of the single-turn answers. */
  reward_helpful?: number;
  /** Mean raw safety-RM score of the single-turn answers. */
  reward_safety?: number;
  /** Answers whose prompt left fewer than max_new_tokens positions of context (cut short or prompt cut at the left). */
  context_limited: number;
}

export interface EvalOptions {
  /** A directory written by `llama2 world generate`. */
  world: string;
  split?: string;
  /** Default 64. */
  maxNewTokens?: number;
  /** Rows per generation batch (default 32). */
  batchSize?: number;
  /** Reward models (LlamaForSequenceClassification) with their tokenizers. */
  rewardHelpful?: { model: Llama; tokenizer: Tokenizer };
  rewardSafety?: { model: Llama; tokenizer: Tokenizer };
  /** Write every judged record (prompt/messages, response, meta) to this JSONL file. */
  answersOut?: string;
  /** Progress notes. */
  progress?: (line: string) => void;
}

interface Row { prompt: number[]; answer: string }

async function readRecords(file: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const l of readJsonl(file)) {
    if ("error" in l) throw new Error(`${file}:${l.line}: ${l.error}`);
    out.push(l.value as Record<string, unknown>);
  }
  return out;
}

/** Greedy answers for chat prompts, batched by length; prompts too long for the context keep their end. */
function answerAll(model: Llama, tok: Tokenizer, prompts: ChatMessage[][], maxNew: number, batchSize: number, limited: { n: number }): string[] {
  const maxPos = model.config.maxPositionEmbeddings;
  const rows: Row[] = prompts.map((m) => ({ prompt: encodeChat(tok, m, { addGenerationPrompt: true }).ids, answer: "" }));
  const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.prompt.length - rows[b]!.prompt.length);
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    let batch = idx.map((i) => rows[i]!.prompt);
    const room = Math.max(1, Math.min(maxNew, maxPos - Math.max(...batch.map((p) => p.length))));
    batch = batch.map((p) => {
      if (p.length + room > maxPos || room < maxNew) limited.n++;
      return p.length + room > maxPos ? p.slice(p.length + room - maxPos) : p;
    });
    const g = generate(model, batch, { maxNewTokens: room, greedy: true });
    idx.forEach((i, k) => {
      const ids = g.ids[k]!.filter((id) => id !== tok.eosId);
      rows[i]!.answer = tok.decode(ids, { skipSpecial: true }).trim();
    });
  }
  return rows.map((r) => r.answer);
}

function meanScore(rm: { model: Llama; tokenizer: Tokenizer }, pairs: { prompt: string; response: string }[], batchSize: number): number {
  let sum = 0;
  for (let s = 0; s < pairs.length; s += batchSize) {
    const seqs = pairs.slice(s, s + batchSize).map((p) =>
      encodeChat(rm.tokenizer, [{ role: "user", content: p.prompt }, { role: "assistant", content: p.response }]).ids);
    for (const r of scoreLastToken(rm.model, seqs)) sum += r[0]!;
  }
  return pairs.length ? sum / pairs.length : NaN;
}

/** Generates, judges and reports (see EvalReport). */
export async function evaluateModel(model: Llama, tokenizer: Tokenizer, opts: EvalOptions): Promise<EvalReport> {
  if (model.head !== "lm") throw new Error("eval: the model has no language-model head");
  const split = opts.split ?? "test", maxNew = opts.maxNewTokens ?? 64, bs = opts.batchSize ?? 32;
  const pf = path.join(opts.world, `prompts_${split}.jsonl`), df = path.join(opts.world, `dialogues_${split}.jsonl`);
  if (!fs.existsSync(pf) && !fs.existsSync(df)) throw new Error(`${opts.world}: no prompts_${split}.jsonl or dialogues_${split}.jsonl (a directory from \`llama2 world generate\`)`);
  const judge = new Judge();
  const limited = { n: 0 };
  const writer = opts.answersOut ? new JsonlWriter(opts.answersOut) : null;
  const report: Partial<EvalReport> = {};
  try {
    const prompts = fs.existsSync(pf) ? await readRecords(pf) : [];
    prompts.forEach((r, i) => { if (typeof r.prompt !== "string") throw new Error(`${pf}:${i + 1}: prompt: expected a string`); });
    opts.progress?.(`eval: ${prompts.length} prompts from ${pf}`);
    const answers = answerAll(model, tokenizer, prompts.map((r) => [{ role: "user", content: r.prompt as string }]), maxNew, bs, limited);
    const pairs = prompts.map((r, i) => ({ prompt: r.prompt as string, response: answers[i]! }));
    prompts.forEach((r, i) => {
      const rec = { prompt: r.prompt, response: answers[i], meta: r.meta as TaskMeta };
      judge.add(rec);
      writer?.put(rec);
    });
    if (opts.rewardHelpful) report.reward_helpful = meanScore(opts.rewardHelpful, pairs, bs);
    if (opts.rewardSafety) report.reward_safety = meanScore(opts.rewardSafety, pairs, bs);

    const dialogues = fs.existsSync(df) ? await readRecords(df) : [];
    opts.progress?.(`eval: ${dialogues.length} dialogues from ${df}`);
    // Conversation so far per dialogue: system (if any), then user / own answer pairs.
    const convs = dialogues.map((d, i) => {
      const msgs = d.messages;
      if (!Array.isArray(msgs)) throw new Error(`${df}:${i + 1}: messages: expected a list`);
      const m = msgs as ChatMessage[];
      return { sys: m[0]?.role === "system" ? [m[0]] : [], users: m.filter((x) => x.role === "user").map((x) => x.content), done: [] as ChatMessage[] };
    });
    const turns = Math.max(0, ...convs.map((c) => c.users.length));
    for (let k = 0; k < turns; k++) {
      const active = convs.map((c, i) => ({ c, i })).filter(({ c }) => c.users.length > k);
      const asked = active.map(({ c }) => [...c.sys, ...c.done, { role: "user" as const, content: c.users[k]! }]);
      const got = answerAll(model, tokenizer, asked, maxNew, bs, limited);
      active.forEach(({ c }, j) => c.done.push({ role: "user", content: c.users[k]! }, { role: "assistant", content: got[j]! }));
    }
    convs.forEach((c, i) => {
      const rec = { messages: [...c.sys, ...c.done], meta: dialogues[i]!.meta as DialogueMeta };
      judge.add(rec);
      writer?.put(rec);
    });
  } catch (e) {
    writer?.abort();
    throw e;
  }
  writer?.close();
  return { ...judge.report(), split, ...report, context_limited: limited.n };
}
