// The SFT objective on a dataset without training (`llama2 score --data FILE.jsonl`): the sum of
// −log p over every trained token (each assistant reply and its </s>) of every row, divided by
// their count — transformers' mean cross-entropy over labels != -100 on the same rows.
import { loadChatDataset, ChatDataError } from "../data/chat-data.js";
import { passBatches } from "../data/sft-batches.js";
import type { Llama } from "../model/llama.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";

/** `{"loss", "tokens", "examples"}` of `llama2 score --data`. */
export interface DatasetScore {
  /** Mean −log p per trained token (NaN when no token is trained). */
  loss: number;
  /** Trained tokens: assistant tokens plus one </s> per reply. */
  tokens: number;
  /** Rows scored. */
  examples: number;
}

/** Scores SFT rows (packed into batches of `batchSize` samples, default 16) under the model's LM head. */
export async function scoreDataset(model: Llama, tokenizer: Tokenizer, files: readonly string[], opts: { batchSize?: number } = {}): Promise<DatasetScore> {
  if (model.head !== "lm") throw new Error("score --data: the model has no language-model head");
  const seqLen = model.config.maxPositionEmbeddings;
  const data = await loadChatDataset(files, tokenizer);
  const long = data.samples.find((s) => s.ids.length > seqLen);
  if (long) throw new ChatDataError(`${long.where}: the row is ${long.ids.length + 1} tokens, longer than the model's max_position_embeddings ${seqLen}`);
  let lossSum = 0, tokens = 0;
  for (const b of passBatches(data.samples, opts.batchSize ?? 16, true, seqLen)) {
    const r = model.lmLoss(b.ids, b.targets, b.B, b.T, b.layout);
    lossSum += r.lossSum;
    tokens += r.count;
  }
  return { loss: tokens > 0 ? lossSum / tokens : NaN, tokens, examples: data.samples.length };
}
