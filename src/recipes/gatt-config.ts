// The Ghost Attention recipe's configuration (paper §3.3): the SFT keys plus the dialogues to
// sample, optional extra instructions, and how replies are sampled. Defaults as SFT's.
import type { Schema } from "../train/config.js";
import { SFT_SCHEMA } from "./sft-config.js";
import type { SftTrainKeys } from "./sft-train.js";

const { data: _data, val_data: _val, ...SFT_KEYS } = SFT_SCHEMA;

export const GATT_SCHEMA: Schema = {
  ...SFT_KEYS,
  data: { type: "string[]", default: [], path: true, doc: "optional SFT rows mixed into training (keeps what SFT taught, e.g. refusals)" },
  data_samples: { type: "int?", default: null, doc: "rows drawn (seeded) from data to mix in (default: all)" },
  dialogues: { type: "string[]", default: [], path: true, doc: "multi-turn dialogues (JSONL {messages: [system?, user, assistant, …]}; a world's dialogues_train.jsonl)" },
  instructions: { type: "string?", default: null, path: true, doc: "text file, one instruction per line, given to dialogues that have no system message" },
  temperature: { type: "number", default: 0, range: ">= 0", doc: "sampling temperature of the replies (0 = greedy)" },
  top_p: { type: "number", default: 1, range: "(0, 1]", doc: "nucleus sampling of the replies" },
  max_new_tokens: { type: "int", default: 64, doc: "longest sampled reply" },
  filter_adherent: { type: "bool", default: true, doc: "with world dialogues, train only on sampled replies the judge finds adherent to the instruction" },
};

/** A resolved Ghost Attention config (configs/gatt-*.yaml keys). */
export interface GattConfig extends SftTrainKeys {
  model: string;
  tokenizer: string | null;
  dialogues: string[];
  data: string[];
  data_samples: number | null;
  instructions: string | null;
  temperature: number;
  top_p: number;
  max_new_tokens: number;
  filter_adherent: boolean;
}
