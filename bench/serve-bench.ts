// The server under load (issue 13, Measure): total tokens/s and time to first token with 1, 4 and 16
// concurrent streams, through the official `openai` client against a real `llama2 serve` — beside
// llama.cpp (node-llama-cpp 3.21.1, in process: one context with one sequence per stream, which llama.cpp
// decodes in shared batches) on the same weights exported to GGUF. Every stream is a greedy streamed chat
// completion of a different prompt, the same prompt tokens on both sides; rounds alternate the two.
//   usage: node dist/bench/serve-bench.js [--model DIR] [--dtype float32|bfloat16|q8_0] [--streams 1,4,16]
//          [--max-tokens 128] [--threads 2] [--cpp-threads N] [--rounds 2] [--no-llamacpp] [--json]
// Without --model it makes a stories15M-shaped model with seeded random weights and the 32k Llama vocabulary
// (test/fixtures/tokenizer/llama2-32k) in a temporary directory. node-llama-cpp runs the GGUF of the same
// type on --cpp-threads threads (default --threads; its busy-waiting workers can make 1 faster than 2 on a
// loaded 2-core machine, DESIGN.md §7) (f32, f16 for bfloat16 — ggml's CPU build has no bf16 matmul of its own to compare — or q8_0).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { Llama } from "../src/model/llama.js";
import { preset } from "../src/model/presets.js";
import { Tokenizer } from "../src/tokenizer/tokenizer.js";
import { encodeChat } from "../src/tokenizer/chat-template.js";
import { median } from "../src/bench/timing.js";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const cli = path.join(root, "dist", "src", "cli", "main.js");

function args(): { model: string | null; dtype: string; streams: number[]; maxTokens: number; threads: number; cppThreads: number; rounds: number; llamacpp: boolean; json: boolean } {
  const a = process.argv.slice(2);
  const o = { model: null as string | null, dtype: "float32", streams: [1, 4, 16], maxTokens: 128, threads: 2, cppThreads: 0, rounds: 2, llamacpp: true, json: false };
  for (let i = 0; i < a.length; i++) {
    const v = (): string => { if (i + 1 >= a.length) throw new Error(`serve-bench: ${a[i]} needs a value`); return a[++i]!; };
    switch (a[i]) {
      case "--model": o.model = v(); break;
      case "--dtype": o.dtype = v(); break;
      case "--streams": o.streams = v().split(",").map(Number); break;
      case "--max-tokens": o.maxTokens = Number(v()); break;
      case "--threads": o.threads = Number(v()); break;
      case "--cpp-threads": o.cppThreads = Number(v()); break;
      case "--rounds": o.rounds = Number(v()); break;
      case "--no-llamacpp": o.llamacpp = false; break;
      case "--json": o.json = true; break;
      default: throw new Error(`serve-bench: unknown argument ${a[i]} (see the usage at the top of bench/serve-bench.ts)`);
    }
  }
  if (o.streams.some((s) => !(s >= 1 && Number.isInteger(s)))) throw new Error("serve-bench: --streams takes positive integers, e.g. 1,4,16");
  if (!o.cppThreads) o.cppThreads = o.threads;
  return o;
}

/** One load level's result: all streams started together. */
interface Level { streams: number; tokens: number; seconds: number; tokens_per_s: number; ttft_median_ms: number; ttft_max_ms: number }

function level(streams: number, t0: number, runs: { first: number; end: number; tokens: number }[]): Level {
  const tokens = runs.reduce((n, r) => n + r.tokens, 0), seconds = (Math.max(...runs.map((r) => r.end)) - t0) / 1000;
  const ttft = runs.map((r) => r.first - t0);
  return { streams, tokens, seconds, tokens_per_s: tokens / seconds, ttft_median_ms: median(ttft), ttft_max_ms: Math.max(...ttft) };
}

const prompt = (i: number): string => `Tell me story number ${i + 1} about a fox, a river and a lantern.`;

async function startServer(model: string, dtype: string, parallel: number, threads: number): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [cli, "serve", "--model", model, "--port", "0", "--parallel", String(parallel), "--queue", "64", "--dtype", dtype],
    { env: { ...process.env, LLAMA2_NUM_THREADS: String(threads) }, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on("exit", (code) => reject(new Error(`serve-bench: llama2 serve exited (${code}) before listening`)));
  });
  return { proc, url };
}

async function oursLevel(client: OpenAI, streams: number, maxTokens: number): Promise<Level> {
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: streams }, async (_, i) => {
    const s = await client.chat.completions.create({ model: "bench", messages: [{ role: "user", content: prompt(i) }], max_tokens: maxTokens,
      temperature: 0, stream: true, stream_options: { include_usage: true } });
    let first = 0, tokens = 0;
    for await (const chunk of s) {
      if (!first && chunk.choices[0]?.delta?.content) first = performance.now();
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
    return { first: first || performance.now(), end: performance.now(), tokens };
  }));
  return level(streams, t0, runs);
}

async function main(): Promise<void> {
  const o = args();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "serve-bench-"));
  try {
    let model = o.model;
    if (!model) {
      model = path.join(work, "stories15M");
      const m = new Llama(preset("stories15M"), { trainable: false }).initRandom(1);
      await m.save(model);
      for (const f of ["tokenizer.json", "tokenizer_config.json"])
        fs.copyFileSync(path.join(root, "test", "fixtures", "tokenizer", "llama2-32k", f), path.join(model, f));
    }
    const ggufType = o.dtype === "q8_0" ? "q8_0" : o.dtype === "float32" || o.dtype === "f32" ? "f32" : "f16";
    const gguf = path.join(work, `model-${ggufType}.gguf`);
    if (o.llamacpp) {
      const r = spawnSync(process.execPath, [cli, "export", "--model", model, "--format", "gguf", "--out", gguf, "--type", ggufType], { stdio: "inherit" });
      if (r.status !== 0) throw new Error("serve-bench: llama2 export failed");
    }
    const tok = await Tokenizer.load(model);
    const promptIds = (i: number): number[] => encodeChat(tok, [{ role: "user", content: prompt(i) }], { addGenerationPrompt: true }).ids;
    const maxStreams = Math.max(...o.streams);
    const results: { side: string; round: number; level: Level }[] = [];
    const say = (side: string, round: number, l: Level): void => {
      results.push({ side, round, level: l });
      if (!o.json) console.log(`round ${round} ${side.padEnd(10)} ${String(l.streams).padStart(2)} streams: ${l.tokens_per_s.toFixed(1)} tokens/s total, time to first token median ${l.ttft_median_ms.toFixed(0)} ms (max ${l.ttft_max_ms.toFixed(0)}), ${l.tokens} tokens in ${l.seconds.toFixed(2)} s`);
    };
    const cpp = o.llamacpp ? await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error }) : null;
    for (let round = 1; round <= o.rounds; round++) {
      // llama2-ts: a fresh server per round (warmed by one request), every level against it.
      const { proc, url } = await startServer(model, o.dtype, maxStreams, o.threads);
      try {
        const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "bench", maxRetries: 0 });
        await oursLevel(client, 1, 4);
        for (const s of o.streams) say("llama2-ts", round, await oursLevel(client, s, o.maxTokens));
      } finally {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
      }
      if (!cpp) continue;
      const m = await cpp.loadModel({ modelPath: gguf });
      try {
        for (const s of o.streams) {
          const ctx = await m.createContext({ sequences: s, contextSize: 512, threads: o.cppThreads });
          try {
            const seqs = Array.from({ length: s }, () => ctx.getSequence());
            const warm = seqs[0]!;
            for await (const _ of warm.evaluate(promptIds(99) as never[], { temperature: 0 })) break;
            await warm.clearHistory();
            const t0 = performance.now();
            const runs = await Promise.all(seqs.map(async (seq, i) => {
              let first = 0, tokens = 0;
              for await (const _ of seq.evaluate(promptIds(i) as never[], { temperature: 0 })) {
                if (!first) first = performance.now();
                if (++tokens >= o.maxTokens) break;
              }
              return { first, end: performance.now(), tokens };
            }));
            say("llama.cpp", round, level(s, t0, runs));
          } finally {
            await ctx.dispose();
          }
        }
      } finally {
        await m.dispose();
      }
    }
    await cpp?.dispose();
    const summary = o.streams.map((s) => {
      const side = (name: string): { tokens_per_s: number; ttft_median_ms: number } | null => {
        const ls = results.filter((r) => r.side === name && r.level.streams === s).map((r) => r.level);
        return ls.length ? { tokens_per_s: median(ls.map((l) => l.tokens_per_s)), ttft_median_ms: median(ls.map((l) => l.ttft_median_ms)) } : null;
      };
      return { streams: s, llama2_ts: side("llama2-ts"), llama_cpp: side("llama.cpp") };
    });
    if (o.json) console.log(JSON.stringify({ dtype: o.dtype, gguf_type: o.llamacpp ? ggufType : null, threads: o.threads, cpp_threads: o.cppThreads, max_tokens: o.maxTokens, rounds: o.rounds, summary, results }));
    else for (const r of summary) {
      const a = r.llama2_ts!, b = r.llama_cpp;
      console.log(`${String(r.streams).padStart(2)} streams (median of ${o.rounds}): llama2-ts ${a.tokens_per_s.toFixed(1)} tokens/s, TTFT ${a.ttft_median_ms.toFixed(0)} ms` +
        (b ? ` | llama.cpp ${b.tokens_per_s.toFixed(1)} tokens/s, TTFT ${b.ttft_median_ms.toFixed(0)} ms | ratio ${(a.tokens_per_s / b.tokens_per_s).toFixed(2)}x` : ""));
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
