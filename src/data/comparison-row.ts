// One comparison as written for the reward models (paper §3.2.1; the rows `llama2 reward train` and
// `reward eval` read, src/data/preferences.ts): the prompt, the chosen and rejected responses, the
// four-level rating, a safety label per pair, where each response came from, and who compared them.
// Shared by the world's oracle annotator (`llama2 world annotate`) and the annotation page (`llama2 annotate`).
import type { ChatMessage } from "../tokenizer/chat-template.js";
import { safetyLabel, type Rating, type SafetyLabel } from "../world/ratings.js";

/** Which model variant and temperature wrote a response (the paper's diversity rule). */
export interface ResponseSource {
  /** Absolute path of the model directory. */
  model: string;
  temperature: number;
}

/** One sampled response of a pair: its text, whether it was judged safe, and its source. */
export interface Candidate {
  text: string;
  safe: boolean;
  source: ResponseSource;
}

/** The safety of a pair: a label and the two judgements it follows from. */
export interface PairSafety {
  label: SafetyLabel;
  chosen_safe: boolean;
  rejected_safe: boolean;
}

/** A preference row: `prompt` or `messages`, then the pair, its rating, safety, sources and provenance. */
export type ComparisonRow = ({ prompt: string } | { messages: ChatMessage[] }) & {
  chosen: string;
  rejected: string;
  rating: Rating;
  safety: PairSafety;
  sources: { chosen: ResponseSource; rejected: ResponseSource };
  kind: "helpful" | "safety";
  /** Row of the prompts file the comparison answers (null for a prompt the annotator wrote after the file ran out). */
  prompt_index: number | null;
  annotator?: string | null;
  /** ISO 8601. */
  created_at?: string;
  meta?: Record<string, unknown>;
};

/** What a comparison row is built from. */
export interface ComparisonInput {
  prompt: { prompt: string } | { messages: ChatMessage[] };
  /** Response A and response B as they were shown. */
  a: Candidate;
  b: Candidate;
  /** Whether A was chosen. */
  aChosen: boolean;
  rating: Rating;
  kind: "helpful" | "safety";
  promptIndex: number | null;
  /** The pair's safety when the annotator gave it as a label already (the world's oracle); default from a.safe / b.safe. */
  safety?: PairSafety;
  annotator?: string | null;
  createdAt?: string;
  meta?: Record<string, unknown>;
}

/** The safety of a chosen/rejected pair, or null when the chosen one is unsafe and the other safe (left out, §3.2.1). */
export function pairSafety(chosenSafe: boolean, rejectedSafe: boolean): PairSafety | null {
  const label = safetyLabel(chosenSafe, rejectedSafe);
  return label === null ? null : { label, chosen_safe: chosenSafe, rejected_safe: rejectedSafe };
}

/**
 * The row for a comparison of A and B, or null for a pair the paper leaves out (chosen unsafe, other safe).
 * Fields are written in one order: prompt | messages, chosen, rejected, rating, safety, sources, kind,
 * prompt_index, then annotator, created_at and meta when given.
 */
export function comparisonRow(c: ComparisonInput): ComparisonRow | null {
  const [chosen, rejected] = c.aChosen ? [c.a, c.b] : [c.b, c.a];
  const safety = c.safety ?? pairSafety(chosen.safe, rejected.safe);
  if (safety === null) return null;
  return {
    ...c.prompt, chosen: chosen.text, rejected: rejected.text, rating: c.rating, safety,
    sources: { chosen: chosen.source, rejected: rejected.source },
    kind: c.kind, prompt_index: c.promptIndex,
    ...(c.annotator !== undefined ? { annotator: c.annotator } : {}),
    ...(c.createdAt !== undefined ? { created_at: c.createdAt } : {}),
    ...(c.meta !== undefined ? { meta: c.meta } : {}),
  };
}
