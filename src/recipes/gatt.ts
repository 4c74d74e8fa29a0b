// Ghost Attention (paper §3.3, Figure 9): for multi-turn dialogues under an instruction, sample every
// assistant turn with the current model while the instruction is concatenated to each user turn
// (as a <<SYS>> block, the format the model knows); then train on the dialogue with the instruction
// only in the first turn (as the system message). Each sampled turn t is one sample — the dialogue
// up to reply t with the loss on reply t only; earlier turns, replies included, get -100. Training
// is SFT's (src/recipes/sft-train.ts); the sampled dialogues are saved in OUT/gatt_samples.jsonl so
// a resumed run trains on exactly the same data.
import fs from "node:fs";
import path from "node:path";
import { ChatDataError, makeSample, rowMessages, type ChatSample } from "../data/chat-data.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { generate } from "../model/generate.js";
import { Llama } from "../model/llama.js";
import { Rng, permutation } from "../model/rng.js";
import { B_SYS, E_SYS, encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { resolveResume } from "../train/checkpoint.js";
import { readJsonl } from "../world/jsonl.js";
import { adheres } from "../world/oracle.js";
import type { Constraint } from "../world/types.js";
import { GATT_SCHEMA, type GattConfig } from "./gatt-config.js";
import { tokenizerDirFor } from "./sft.js";
import { checkTrainKeys, loadCheckpointConfig, loadRecipeConfig, loadSamples, openRunDirFor, trainSamples, worldOf, type SftResult, type SftRunOptions } from "./sft-train.js";
import type { RunDir } from "../train/run-dir.js";

export const GATT_SAMPLES = "gatt_samples.jsonl";

export function loadGattConfig(file: string | undefined, sets: string[]): GattConfig {
  const cfg = loadRecipeConfig<GattConfig>(GATT_SCHEMA, file, sets);
  checkGattConfig(cfg, file ?? "--set");
  return cfg;
}

export function loadGattResumeConfig(checkpoint: string, sets: string[]): GattConfig {
  const cfg = loadCheckpointConfig<GattConfig>(GATT_SCHEMA, checkpoint, sets);
  checkGattConfig(cfg, path.join(checkpoint, "trainer_state.json"));
  return cfg;
}

/** Checks the keys a fresh GAtt run needs; `src` names where the config came from. */
export function checkGattConfig(c: GattConfig, src: string): void {
  if (!c.model) throw new Error(`${src}: key "model" is required (the model to improve, e.g. an SFT model)`);
  if (c.dialogues.length === 0) throw new Error(`${src}: key "dialogues" is required (JSONL dialogues, e.g. a world's dialogues_train.jsonl)`);
  if (!(c.temperature >= 0)) throw new Error(`${src}: key "temperature" must be >= 0`);
  if (!(c.top_p > 0 && c.top_p <= 1)) throw new Error(`${src}: key "top_p" must be in (0, 1]`);
  if (!(c.max_new_tokens >= 1)) throw new Error(`${src}: key "max_new_tokens" must be >= 1`);
  checkTrainKeys(c, src);
}

/** A dialogue to sample: its instruction, user turns, the checkable constraint if the world gave one. */
export interface GattDialogue { where: string; instruction: string; users: string[]; constraint: Constraint | null }

/** Reads dialogues; those without a system message draw one of `instructions` (or are an error without them). */
export async function readDialogues(files: readonly string[], instructions: string[], seed: number): Promise<GattDialogue[]> {
  const rng = new Rng(seed ^ 0x6a77);
  const out: GattDialogue[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) throw new ChatDataError(`${file}: no such file`);
    for await (const l of readJsonl(file)) {
      const where = `${file}:${l.line}`;
      if ("error" in l) throw new ChatDataError(`${where}: ${l.error}`);
      const msgs = rowMessages(l.value, where);
      let instruction = msgs[0]!.role === "system" ? msgs[0]!.content : null;
      if (instruction === null) {
        if (instructions.length === 0) throw new ChatDataError(`${where}: messages[0]: a GAtt dialogue needs a system instruction (or set instructions=FILE)`);
        instruction = instructions[rng.int(instructions.length)]!;
      }
      const meta = (l.value as { meta?: { constraint?: Constraint | null } }).meta;
      out.push({ where, instruction, users: msgs.filter((m) => m.role === "user").map((m) => m.content), constraint: meta?.constraint ?? null });
    }
  }
  if (out.length === 0) throw new ChatDataError(`${files.join(", ")}: no dialogues`);
  return out;
}

/** The user turn as sampled: the instruction concatenated to it, as a <<SYS>> block. */
export function withInstruction(instruction: string, user: string): string {
  return `${B_SYS}${instruction}${E_SYS}${user}`;
}

/** A sampled dialogue: messages as trained (instruction as the system message) and which replies to train. */
export interface SampledDialogue { messages: ChatMessage[]; train: boolean[]; where: string }

/** Samples every assistant turn of each dialogue with `model`, turn by turn across the batch. */
export function sampleDialogues(model: Llama, tok: Tokenizer, dialogues: GattDialogue[], c: Pick<GattConfig, "temperature" | "top_p" | "max_new_tokens" | "seed" | "filter_adherent">,
  log: (s: string) => void = () => {}): SampledDialogue[] {
  const maxPos = model.config.maxPositionEmbeddings;
  const replies: string[][] = dialogues.map(() => []);
  const turns = Math.max(...dialogues.map((d) => d.users.length));
  const bs = 32, minRoom = Math.min(16, c.max_new_tokens);
  let cut = 0;
  for (let k = 0; k < turns; k++) {
    // Dialogues still going: a turn whose prompt leaves no room for a reply ends its dialogue there.
    const asked = dialogues.map((d, i) => ({ d, i })).filter(({ d, i }) => d.users.length > k && replies[i]!.length === k).map(({ d, i }) => {
      const m: ChatMessage[] = [];
      for (let j = 0; j <= k; j++) {
        m.push({ role: "user", content: withInstruction(d.instruction, d.users[j]!) });
        if (j < k) m.push({ role: "assistant", content: replies[i]![j]! });
      }
      return { i, prompt: encodeChat(tok, m, { addGenerationPrompt: true }).ids };
    });
    const active = asked.filter((a) => a.prompt.length + minRoom <= maxPos);
    cut += asked.length - active.length;
    active.sort((a, b) => a.prompt.length - b.prompt.length);
    for (let s = 0; s < active.length; s += bs) {
      const chunk = active.slice(s, s + bs);
      const room = Math.min(c.max_new_tokens, maxPos - Math.max(...chunk.map((a) => a.prompt.length)));
      const g = generate(model, chunk.map((a) => a.prompt), c.temperature > 0
        ? { maxNewTokens: room, temperature: c.temperature, topP: c.top_p, seed: (c.seed * 7919 + k * 104729 + s) >>> 0 }
        : { maxNewTokens: room, greedy: true });
      chunk.forEach(({ i }, j) => replies[i]!.push(tok.decode(g.ids[j]!.filter((id) => id !== tok.eosId), { skipSpecial: true }).trim()));
    }
    log(`gatt: sampled turn ${k + 1} of ${active.length} dialogues`);
  }
  if (cut > 0) log(`gatt: ${cut} dialogue(s) ended early: the next turn did not fit the model's ${maxPos} positions`);
  return dialogues.map((d, i) => {
    const messages: ChatMessage[] = [{ role: "system", content: d.instruction }];
    replies[i]!.forEach((r, j) => messages.push({ role: "user", content: d.users[j]! }, { role: "assistant", content: r }));
    const train = replies[i]!.map((r) => r.length > 0 && (!c.filter_adherent || !d.constraint || adheres(d.constraint, r)));
    return { messages, train, where: d.where };
  });
}

/** Samples of a sampled dialogue: one per trained reply t — the dialogue up to reply t, the loss on reply t only. */
export function gattSamples(tok: Tokenizer, d: SampledDialogue, seqLen: number): { samples: ChatSample[]; truncated: number } {
  const samples: ChatSample[] = [];
  let truncated = 0;
  let reply = -1;
  for (let m = 0; m < d.messages.length; m++) {
    if (d.messages[m]!.role !== "assistant") continue;
    reply++;
    if (!d.train[reply]) continue;
    const enc = encodeChat(tok, d.messages.slice(0, m + 1));
    // Keep only the last reply's span (and its </s>) in the mask.
    const mask = enc.assistantMask.slice();
    let t = mask.length - 1;
    while (t >= 0 && mask[t]) t--;
    for (let i = 0; i <= t; i++) mask[i] = false;
    const r = makeSample(enc.ids, mask, `${d.where} turn ${reply + 1}`, seqLen);
    samples.push(r.sample);
    if (r.truncated) truncated++;
  }
  return { samples, truncated };
}

/** Runs (or resumes) Ghost Attention fine-tuning. */
export async function runGatt(cfg: GattConfig, resumeFrom: string | null, opts: SftRunOptions = {}): Promise<SftResult> {
  // Own the run directory before sampling (and writing gatt_samples.jsonl): another run there stops at once.
  const run = openRunDirFor(cfg.out, resumeFrom, opts, "llama2 gatt");
  try {
    return await gattIn(cfg, resumeFrom, opts, run);
  } finally {
    run.release(); // the trainer released it already unless setup failed
  }
}

async function gattIn(cfg: GattConfig, resumeFrom: string | null, opts: SftRunOptions, run: RunDir): Promise<SftResult> {
  const log = opts.log ?? (() => {});
  const tokenizerDir = tokenizerDirFor(cfg, resumeFrom);
  const tokenizer = await Tokenizer.load(tokenizerDir);
  const samplesFile = path.join(cfg.out, GATT_SAMPLES);
  let sampled: SampledDialogue[];
  if (resumeFrom && fs.existsSync(samplesFile)) {
    sampled = [];
    for await (const l of readJsonl(samplesFile)) {
      if ("error" in l) throw new Error(`${samplesFile}:${l.line}: ${l.error}`);
      sampled.push(l.value as SampledDialogue);
    }
  } else {
    if (resumeFrom) throw new Error(`${samplesFile}: missing; a GAtt run resumes from the dialogues it sampled`);
    const instructions = cfg.instructions ? fs.readFileSync(cfg.instructions, "utf8").split("\n").map((s) => s.trim()).filter((s) => s !== "") : [];
    const dialogues = await readDialogues(cfg.dialogues, instructions, cfg.seed);
    const sampler = await Llama.load(cfg.model);
    sampled = sampleDialogues(sampler, tokenizer, dialogues, cfg, log);
    fs.mkdirSync(cfg.out, { recursive: true });
    writeFileAtomic(samplesFile, sampled.map((d) => JSON.stringify(d)).join("\n") + "\n");
  }
  const model = await Llama.load(resumeFrom ?? cfg.model);
  const seqLen = cfg.seq_len ?? model.config.maxPositionEmbeddings;
  const samples: ChatSample[] = [];
  let truncated = 0;
  for (const d of sampled) {
    const r = gattSamples(tokenizer, d, seqLen);
    samples.push(...r.samples);
    truncated += r.truncated;
  }
  const replies = sampled.reduce((a, d) => a + d.train.length, 0);
  log(`gatt: ${samples.length} of ${replies} sampled replies kept for training`);
  if (samples.length === 0) throw new Error(`${cfg.dialogues.join(", ")}: no sampled reply to train on${cfg.filter_adherent ? " (none adhered to its instruction; try filter_adherent=false)" : ""}`);
  if (cfg.data.length > 0) {
    const mix = await loadSamples(cfg.data, tokenizer, seqLen);
    let rows = mix.samples;
    if (cfg.data_samples !== null && cfg.data_samples < rows.length) {
      const p = permutation(rows.length, new Rng((cfg.seed ^ 0x5f7) >>> 0));
      rows = Array.from(p.subarray(0, cfg.data_samples), (i) => mix.samples[i]!);
    }
    samples.push(...rows);
    truncated += mix.truncated;
    log(`gatt: ${rows.length} SFT rows from ${cfg.data.join(", ")} mixed in`);
  }
  return trainSamples({ model, tokenizer, tokenizerDir, samples, truncated, val: [], config: cfg, world: worldOf(cfg.dialogues[0]), run }, resumeFrom, opts);
}

export { resolveResume };
