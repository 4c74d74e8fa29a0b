// The token ids a command works on: --ids 1,2,3 (no tokenizer needed), or text through the model
// directory's tokenizer (--text / --prompt, and --response for reward scoring, in the chat format).
import type { Flags } from "./args.js";
import { UsageError } from "./args.js";

export async function inputIds(command: string, f: Flags, modelDir: string): Promise<number[]> {
  const ids = f.ints("ids");
  if (ids) return ids;
  const text = f.strOpt("text") ?? f.strOpt("prompt");
  if (text === undefined) throw new UsageError(`${command}: give --ids 1,2,3 or --prompt/--text STR`);
  throw new UsageError(`${command}: text input needs a tokenizer in ${modelDir} (not supported yet; use --ids)`);
}
