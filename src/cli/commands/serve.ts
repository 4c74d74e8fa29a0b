// `llama2 serve --model DIR [--host 127.0.0.1] [--port 8080] [--parallel N] [--queue N] [--api-key KEY] [--dtype D]`:
// an OpenAI-compatible server (src/serve/server.ts). The first stdout line is `listening on http://HOST:PORT`.
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { startServer } from "../../serve/server.js";
import { headOfDir } from "../model-kind.js";
import { requireHead } from "../../model/model-kind.js";
import { parseWeightDtype } from "../../model/weight-storage.js";

export const command = defineCommand({
  name: "serve",
  summary: "serve a model over OpenAI's chat-completions and completions API (continuous batching)",
  usage: "--model DIR [--host 127.0.0.1] [--port 8080] [--parallel N] [--queue N] [--api-key KEY] [--dtype float32|bfloat16|q8_0] [--ctx-size N] [--threads N]",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "causal-LM model directory (HF layout) with its tokenizer" },
    host: { type: "string", value: "HOST", default: "127.0.0.1", description: "address to bind (0.0.0.0 to accept other machines)" },
    port: { type: "string", value: "N", default: 8080, description: "TCP port; 0 picks a free one (the first stdout line says which)" },
    parallel: { type: "string", value: "N", default: 4, description: "sequences decoded together (continuous batching slots)" },
    queue: { type: "string", value: "N", default: 16, description: "requests that may wait beyond the running ones; more get 429 + Retry-After" },
    "api-key": { type: "string", value: "KEY", description: "require Authorization: Bearer KEY on every /v1 request" },
    "ctx-size": { type: "string", value: "N", defaultText: "the model's max_position_embeddings", description: "positions per slot (prompt + answer)" },
    threads: { type: "string", value: "N", description: "compute threads of the generation worker" },
    dtype: { type: "string", value: "D", default: "float32", choices: ["float32", "bfloat16", "q8_0", "f32", "bf16"], description: "storage of the linear weights: float32, bfloat16 (bf16) or q8_0 (ggml's 8-bit blocks); float32 accumulation either way" },
  },
  examples: [
    "llama2 serve --model runs/demo/sft/final --port 8080",
    "llama2 serve --model DIR --port 0 --parallel 8 --api-key secret",
    "llama2 serve --model llama-2-7b-chat --dtype q8_0 --port 8080",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const dir = f.str("model");
  requireHead(headOfDir(dir), "serve", dir);
  const port = f.int("port"), parallel = f.int("parallel"), queue = f.int("queue");
  if (port < 0 || port > 65535) throw new UsageError(`serve: --port must be in [0, 65535], got ${port}`);
  if (parallel < 1) throw new UsageError(`serve: --parallel must be >= 1, got ${parallel}`);
  if (queue < 0) throw new UsageError(`serve: --queue must be >= 0, got ${queue}`);
  const ctx = f.strOpt("ctx-size"), threads = f.strOpt("threads");
  const server = await startServer({
    modelDir: dir, host: f.str("host"), port, parallel, queue, apiKey: f.strOpt("api-key") ?? null,
    contextSize: ctx === undefined ? undefined : f.int("ctx-size"), threads: threads === undefined ? undefined : f.int("threads"),
    dtype: parseWeightDtype(f.str("dtype"), "--dtype"),
  });
  process.stdout.write(`listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.stderr.write(`${sig}: closing (open streams end, new requests get 503)\n`);
      server.close().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
