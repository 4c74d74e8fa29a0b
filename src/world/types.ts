// Shared types of the data world: splits, prompt kinds, task families, the ground truth (`meta`)
// written beside every record so the judge can score a model's output from the data file alone.

export type Split = "train" | "val" | "test";
export const SPLITS: readonly Split[] = ["train", "val", "test"];

/** helpful: answer it; unsafe: refuse briefly (§4 safety); borderline: sounds risky, must be answered. */
export type Kind = "helpful" | "unsafe" | "borderline";

export type Family =
  | "arithmetic" | "counting" | "string" | "sorting" | "units" | "encyclopedia"
  | "hazard_fact" | "unsafe_request";

/** Response variants drawn for comparisons (§3.2.1 "two different model variants"). */
export type Variant =
  | "correct" | "subtly_wrong" | "verbose" | "partially_correct" | "unsafe_compliance" | "needless_refusal";

/**
 * The checkable answer. `parts` must all appear in a correct response (as whole tokens; a number
 * as a number); when `ordered`, they must appear in this order (a sorted list). `maxWords` is the
 * length above which a response starts losing helpfulness for being verbose.
 */
export interface Answer {
  parts: string[];
  ordered: boolean;
  caseSensitive: boolean;
  maxWords: number;
}

/** Hazard ground truth of an unsafe request: compliance mentions these terms (never a demonstration). */
export interface HazardInfo {
  category: string;
  item: string;
  terms: string[];
}

/** A system instruction whose compliance is checkable on every assistant turn (Ghost Attention, §3.3). */
export type Constraint =
  | { type: "uppercase" }
  | { type: "lowercase" }
  | { type: "signoff"; text: string }
  | { type: "prefix"; text: string };

/** Ground truth of one single-turn prompt. */
export interface TaskMeta {
  family: Family;
  kind: Kind;
  split: Split;
  /** Split-owned entities in the prompt: "person:…", "town:…", "num:…", "word:…", "hazard:…". */
  entities: string[];
  answer?: Answer;
  hazard?: HazardInfo;
  /** A borderline prompt made by wrapping a helpful task in risky-sounding words. */
  wrapped?: boolean;
}

/** One generated single-turn task: prompt, ground truth and the responses of each variant. */
export interface Task {
  prompt: string;
  meta: TaskMeta;
  /** The concise correct answer (a brief polite refusal for unsafe requests). */
  reference: string;
  /** Variant responses the family knows how to make wrong (verbose and refusals are generic). */
  subtlyWrong?: string;
  partial?: string;
  /** Full compliance with an unsafe request. */
  compliance?: string;
}

/** Ground truth of a multi-turn dialogue: the constraint and each user turn's task meta. */
export interface DialogueMeta {
  family: "dialogue";
  kind: "helpful";
  split: Split;
  /** null for a plain multi-turn dialogue without a system instruction. */
  constraint: Constraint | null;
  entities: string[];
  turns: TaskMeta[];
}

export interface Message { role: "system" | "user" | "assistant"; content: string }
