// `llama2 annotate --model DIR [--model-b DIR] --prompts FILE.jsonl --out FILE.jsonl [--port N]
//  [--temperatures 0.7,1.2] [--kind helpful|safety] [--annotator NAME]`: the preference-annotation page
// for real annotators (src/serve/annotation-server.ts; paper §3.2.1). The first stdout line is
// `listening on http://HOST:PORT`; SIGINT / SIGTERM close it (every submitted row is already on disk).
import { defineCommand, parseFlags, UsageError } from "../args.js";
import { startAnnotationServer } from "../../serve/annotation-server.js";
import { headOfDir } from "../model-kind.js";
import { requireHead } from "../../model/model-kind.js";

export const command = defineCommand({
  name: "annotate",
  summary: "a web page where people compare two sampled responses, writing preference rows for reward train (§3.2.1)",
  usage: "--model DIR [--model-b DIR] --prompts FILE.jsonl --out FILE.jsonl [--port N] [--temperatures 0.7,1.2] [--kind helpful|safety] [--annotator NAME] [options]",
  description: "Serves a plain HTML page on 127.0.0.1 (works offline). Each comparison samples two responses from two variants\n" +
    "(--model / --model-b and the two temperatures; which one is A is random and hidden), and Submit appends one row to\n" +
    "--out, flushed, in the format llama2 reward train reads. Restarting resumes at the first prompt without a row.",
  options: {
    model: { type: "string", value: "DIR", required: true, description: "chat model that writes the first variant's responses (and the second's without --model-b)" },
    "model-b": { type: "string", value: "DIR", description: "a second model variant for the second response" },
    prompts: { type: "string", value: "FILE", required: true, description: "JSONL prompts: rows with \"prompt\" or \"messages\" (history shown above the prompt)" },
    out: { type: "string", value: "FILE", required: true, description: "preference JSONL to append to (resumed when it exists)" },
    port: { type: "string", value: "N", default: 8090, description: "TCP port on 127.0.0.1; 0 picks a free one (the first stdout line says which)" },
    host: { type: "string", value: "HOST", default: "127.0.0.1", description: "address to bind" },
    temperatures: { type: "string", value: "A,B", default: "0.7,1.2", description: "sampling temperatures of the first and the second variant" },
    kind: { type: "string", value: "KIND", default: "helpful", choices: ["helpful", "safety"], description: "the question asked: more helpful, or safer (separate files, as in the paper)" },
    annotator: { type: "string", value: "NAME", description: "annotator name written in each row (the page's name field overrides it)" },
    "max-new-tokens": { type: "string", value: "N", default: 256, description: "longest response" },
    threads: { type: "string", value: "N", description: "compute threads of each generation worker" },
  },
  examples: [
    "llama2 annotate --model runs/demo/sft/final --prompts world/prompts_train.jsonl --out prefs_helpful_people.jsonl",
    "llama2 annotate --model runs/rs/final --model-b runs/sft/final --prompts prompts.jsonl --out prefs_safety.jsonl --kind safety --annotator ana --port 0",
  ],
});

export async function run(argv: string[]): Promise<void> {
  const f = parseFlags(command, argv);
  const temps = f.str("temperatures").split(",").map(Number);
  if (temps.length !== 2 || temps.some((t) => !(t > 0)))
    throw new UsageError(`annotate: --temperatures expects two temperatures > 0 like 0.7,1.2, got "${f.str("temperatures")}"`);
  const port = f.int("port"), maxNew = f.int("max-new-tokens");
  if (port < 0 || port > 65535) throw new UsageError(`annotate: --port must be in [0, 65535], got ${port}`);
  if (maxNew < 1) throw new UsageError(`annotate: --max-new-tokens must be >= 1, got ${maxNew}`);
  const model = f.str("model"), modelB = f.strOpt("model-b") ?? null;
  for (const dir of modelB ? [model, modelB] : [model]) requireHead(headOfDir(dir), "annotate", dir);
  const threads = f.strOpt("threads");
  const server = await startAnnotationServer({
    model, modelB, prompts: f.str("prompts"), out: f.str("out"), host: f.str("host"), port,
    temperatures: [temps[0]!, temps[1]!], kind: f.str("kind") as "helpful" | "safety", annotator: f.strOpt("annotator") ?? null,
    maxNewTokens: maxNew, threads: threads === undefined ? undefined : f.int("threads"),
  });
  process.stdout.write(`listening on ${server.url}\n`);
  const p = server.progress();
  if (server.recoveredBytes > 0) process.stderr.write(`${f.str("out")}: dropped a torn last line (${server.recoveredBytes} bytes) left by a crash\n`);
  process.stderr.write(p.next === null
    ? `all ${p.total} prompts have a row in ${f.str("out")}; the page takes prompts the annotator writes\n`
    : `${p.done} of ${p.total} prompts done; starting at prompt ${p.next + 1}\n`);
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      process.stderr.write(`${sig}: closing (every submitted row is on disk)\n`);
      server.close().then(resolve, resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
