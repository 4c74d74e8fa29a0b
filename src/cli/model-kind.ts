// What a model directory holds, read from its config.json (architectures / num_labels) or
// adapter_config.json (a PEFT adapter over a causal LM), so commands can refuse the wrong kind of
// model with a message that says what the directory is and which command fits.
import fs from "node:fs";
import path from "node:path";

/** "causal-lm", or a phrase describing what else the directory holds. */
export function describeModelDir(dir: string): "causal-lm" | "sequence-classification" | string {
  const adapter = path.join(dir, "adapter_config.json");
  if (fs.existsSync(adapter)) {
    const t = (JSON.parse(fs.readFileSync(adapter, "utf8")) as { task_type?: string }).task_type;
    return t === undefined || t === "CAUSAL_LM" ? "causal-lm" : `holds a PEFT adapter for task ${t}`;
  }
  const file = path.join(dir, "config.json");
  if (!fs.existsSync(file)) return `has no config.json (not a model directory)`;
  const cfg = JSON.parse(fs.readFileSync(file, "utf8")) as { architectures?: string[] };
  const arch = cfg.architectures?.[0] ?? "LlamaForCausalLM";
  if (arch.endsWith("ForSequenceClassification")) return "sequence-classification";
  if (arch.endsWith("ForCausalLM")) return "causal-lm";
  return `holds a ${arch}`;
}
