// The head a model directory holds, read from its config.json (or adapter_config.json for a PEFT adapter)
// without loading the weights, for commands that must refuse the wrong kind of model before starting
// expensive work (`llama2 serve` loads its model in a worker). The message is src/model/model-kind.ts's.
import path from "node:path";
import type { HeadKind } from "../model/weights.js";
import { readHfConfig } from "../model/hf-config.js";
import { isAdapterDir, readAdapterDir } from "../model/peft.js";

export function headOfDir(dir: string): { head: HeadKind; numLabels: number } {
  if (isAdapterDir(dir)) return readAdapterDir(dir).taskType === "SEQ_CLS" ? { head: "score", numLabels: 1 } : { head: "lm", numLabels: 0 };
  const c = readHfConfig(path.join(dir, "config.json"));
  return c.kind === "causal-lm" ? { head: "lm", numLabels: 0 } : { head: "score", numLabels: c.numLabels };
}
