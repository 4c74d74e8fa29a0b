// The helpfulness and safety reward models of RLHF (§3.2.2) loaded together, scoring (prompt, response)
// exactly as `llama2 reward score` does: the chat rendering of the prompt with the response as the
// assistant reply, ending with its </s>, read at the scalar head's last token.
import { Llama } from "../model/llama.js";
import { Tokenizer } from "../tokenizer/tokenizer.js";
import { encodeChat, type ChatMessage } from "../tokenizer/chat-template.js";
import { scoreSequences } from "../recipes/reward-task.js";
import { combinedReward } from "./combined-reward.js";

export interface LoadedRm { model: Llama; tokenizer: Tokenizer; dir: string }

export async function loadRewardModel(dir: string): Promise<LoadedRm> {
  const model = await Llama.load(dir, { trainable: false });
  if (model.head !== "score") throw new Error(`${dir}: holds a causal LM, not a reward model (LlamaForSequenceClassification, from llama2 reward train)`);
  return { model, tokenizer: await Tokenizer.load(dir), dir };
}

/** Raw scores and the value samples are ranked by. */
export interface Scored { reward: number; rewardHelpful: number | null; rewardSafety: number | null }

export class RewardModels {
  constructor(readonly helpful: LoadedRm | null, readonly safety: LoadedRm | null) {
    if (!helpful && !safety) throw new Error("at least one reward model (reward_helpful or reward_safety) is needed");
  }

  static async load(helpful: string | null, safety: string | null): Promise<RewardModels> {
    return new RewardModels(helpful ? await loadRewardModel(helpful) : null, safety ? await loadRewardModel(safety) : null);
  }

  private raw(rm: LoadedRm, items: ReadonlyArray<{ messages: ChatMessage[]; response: string }>): Float64Array {
    const maxLen = rm.model.config.maxPositionEmbeddings;
    const seqs = items.map(({ messages, response }) => {
      const ids = encodeChat(rm.tokenizer, [...messages, { role: "assistant", content: response }]).ids;
      return Int32Array.from(ids.length > maxLen ? ids.slice(ids.length - maxLen) : ids); // keep the answer's end
    });
    return scoreSequences(rm.model, seqs);
  }

  /** Rc of (4) on the probability scale with both RMs; the raw score with one. */
  score(items: ReadonlyArray<{ messages: ChatMessage[]; response: string; isSafety: boolean }>): Scored[] {
    const h = this.helpful ? this.raw(this.helpful, items) : null;
    const s = this.safety ? this.raw(this.safety, items) : null;
    return items.map((it, i) => {
      const rh = h ? h[i]! : null, rs = s ? s[i]! : null;
      const reward = rh !== null && rs !== null ? combinedReward(rh, rs, it.isSafety) : (rh ?? rs)!;
      return { reward, rewardHelpful: rh, rewardSafety: rs };
    });
  }
}
