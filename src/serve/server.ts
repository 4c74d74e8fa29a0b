// An OpenAI-compatible HTTP server (node:http): POST /v1/chat/completions and /v1/completions (JSON or
// server-sent events), GET /v1/models, GET /health. Generation runs in a worker with continuous
// batching (src/serve/worker.ts); this thread parses, tokenizes, bounds the queue (429 + Retry-After
// beyond `parallel` running and `queue` waiting), checks the bearer key, cancels generations whose
// client disconnected, and on close() stops accepting and ends open streams cleanly. CORS is open (as llama.cpp's
// server), so web pages on other origins can call it; --api-key still gates every request but the preflight.
import http from "node:http";
import crypto from "node:crypto";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { GenerationEngine } from "./engine-client.js";
import { readJsonBody } from "./request-body.js";
import type { SequenceEvent, SequenceRequest, TokenLogprob } from "./batcher.js";
import {
  ApiError, chatLogprobs, completionLogprobs, parseChatRequest, parseCompletionRequest, usage,
  type ChatRequest, type CompletionRequest, type GenerationParams,
} from "./openai.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import type { WeightDtype } from "../model/weight-storage.js";
import { ChatFormatError } from "../tokenizer/chat-template.js";
import { encodeModelChat } from "../tokenizer/model-chat-template.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";

/** What `llama2 serve` takes. */
export interface ServerOptions {
  modelDir: string;
  host?: string;
  port?: number;
  /** Sequences decoded together (default 4, as llama.cpp's server). */
  parallel?: number;
  /** Requests waiting beyond the running ones before 429 (default 16). */
  queue?: number;
  apiKey?: string | null;
  contextSize?: number;
  threads?: number;
  /** Storage of the linear weights (default float32; bfloat16 / q8_0 as generate --dtype and the library's dtype). */
  dtype?: WeightDtype;
  /** Name listed by /v1/models (default: the model directory's name). */
  modelName?: string;
}

/** A listening server: its URL and a clean close(). */
export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, ends open streams, stops the worker. */
  close(): Promise<void>;
}

interface Job {
  /** One sequence per choice. */
  seqIds: string[];
  cancel(): void;
  /** Ends the response early (shutdown). */
  abort(): void;
}

const MAX_BODY = 8 << 20;

/** Starts the OpenAI-compatible server (generation in a worker thread); resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const parallel = opts.parallel ?? 4, queueLimit = opts.queue ?? 16;
  const tok = await loadTokenizer(opts.modelDir);
  const engine = new GenerationEngine({ modelDir: opts.modelDir, parallel, contextSize: opts.contextSize, threads: opts.threads, dtype: opts.dtype });
  await engine.ready;
  const modelName = opts.modelName ?? path.basename(path.resolve(opts.modelDir));
  const created = Math.floor(Date.now() / 1000);
  const jobs = new Set<Job>();
  let closing = false;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const err = e instanceof ApiError ? e : new ApiError(500, (e as Error).message ?? String(e));
      if (!res.headersSent) sendJson(res, err.status, err.body());
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = url.pathname.replace(/\/+$/, "");
    // CORS, as llama.cpp's server: a web page on another origin (a browser chat UI, the openai client with
    // dangerouslyAllowBrowser) may call the API; its preflight carries no Authorization, the request itself does.
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Authorization, Content-Type",
        "Access-Control-Max-Age": "86400",
      });
      return void res.end();
    }
    if (req.method === "GET" && route === "/health") return sendJson(res, 200, { status: "ok" });
    if (opts.apiKey) {
      const auth = req.headers.authorization ?? "";
      if (auth !== `Bearer ${opts.apiKey}`) throw new ApiError(401, "invalid or missing API key (Authorization: Bearer KEY)", null, "invalid_api_key");
    }
    if (req.method === "GET" && route === "/v1/models")
      return sendJson(res, 200, { object: "list", data: [{ id: modelName, object: "model", created, owned_by: "llama2-ts" }] });
    if (req.method === "POST" && (route === "/v1/chat/completions" || route === "/v1/completions")) {
      if (closing) throw new ApiError(503, "the server is shutting down");
      const body = await readJsonBody(req, { maxBytes: MAX_BODY, error: (st, m) => new ApiError(st, m) });
      const parsed = route === "/v1/chat/completions" ? parseChatRequest(body) : parseCompletionRequest(body);
      return complete(parsed, body, req, res);
    }
    throw new ApiError(404, `no route ${req.method} ${url.pathname}`);
  }

  function promptIds(r: ChatRequest | CompletionRequest): number[] {
    if (r.kind === "completion") {
      if (typeof r.prompt !== "string") {
        const bad = r.prompt.find((id) => id >= engine.vocabSize);
        if (bad !== undefined) throw new ApiError(400, `prompt token id ${bad} is outside the vocabulary (${engine.vocabSize})`, "prompt");
        return r.prompt;
      }
      return tok.encode(r.prompt, { parseSpecial: false });
    }
    try {
      return encodeModelChat(tok, r.messages);
    } catch (e) {
      if (e instanceof ChatFormatError) throw new ApiError(400, e.message, "messages");
      throw e;
    }
  }

  function complete(r: ChatRequest | CompletionRequest, body: unknown, req: http.IncomingMessage, res: http.ServerResponse): void {
    const prompt = promptIds(r);
    const ctx = engine.contextSize;
    const maxTokens = r.maxTokens ?? ctx - prompt.length;
    if (prompt.length + maxTokens > ctx || maxTokens < 1)
      throw new ApiError(400, `this model's context is ${ctx} tokens; the prompt has ${prompt.length} and ${maxTokens} more were requested`,
        r.maxTokensField ?? (r.kind === "chat" ? "messages" : "prompt"), "context_length_exceeded");
    // Bounds: `parallel` sequences run, `queue` more may wait; beyond that the client retries later.
    if (engine.inFlight + r.n > parallel + queueLimit) {
      res.setHeader("Retry-After", "1");
      throw new ApiError(429, `the server is busy (${parallel} running, ${queueLimit} queued); retry later`, null, "server_busy");
    }
    const id = `${r.kind === "chat" ? "chatcmpl" : "cmpl"}-${crypto.randomUUID().replaceAll("-", "")}`;
    const model = typeof (body as { model?: unknown }).model === "string" ? (body as { model: string }).model : modelName;
    const createdAt = Math.floor(Date.now() / 1000);
    const baseSeed = r.seed ?? crypto.randomInt(0, 2 ** 31);
    const choices = Array.from({ length: r.n }, () => ({ text: "", finish: null as null | "stop" | "length", logprobs: [] as TokenLogprob[], tokens: 0, started: false }));
    let done = 0, finished = false;
    const seqIds = choices.map((_, i) => `${id}-${i}`);
    const job: Job = {
      seqIds,
      cancel: () => { for (const s of seqIds) engine.cancel(s); },
      abort: () => {
        job.cancel();
        if (r.stream && !finished) { finished = true; res.write("data: [DONE]\n\n"); res.end(); }
        else if (!finished) { finished = true; sendJson(res, 503, new ApiError(503, "the server is shutting down").body()); }
      },
    };
    jobs.add(job);
    const finish = (): void => { finished = true; jobs.delete(job); };
    // A client that goes away cancels its generation and frees its slots.
    res.on("close", () => { if (!finished) { job.cancel(); finish(); } });

    if (r.stream) {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
      res.flushHeaders();
    }
    const chunk = (i: number, payload: { text?: string; finish?: "stop" | "length" | null; logprobs?: TokenLogprob[] }): object => {
      const c = choices[i]!;
      if (r.kind === "chat") {
        const delta: Record<string, unknown> = {};
        if (!c.started) { delta.role = "assistant"; c.started = true; }
        if (payload.text !== undefined && payload.text !== "") delta.content = payload.text;
        if (!c.started || delta.role) delta.content ??= "";
        return {
          id, object: "chat.completion.chunk", created: createdAt, model, system_fingerprint: null,
          choices: [{ index: i, delta, logprobs: payload.logprobs?.length ? chatLogprobs(payload.logprobs) : null, finish_reason: payload.finish ?? null }],
          ...(r.includeUsage ? { usage: null } : {}),
        };
      }
      return {
        id, object: "text_completion", created: createdAt, model,
        choices: [{ index: i, text: payload.text ?? "", logprobs: payload.logprobs?.length ? completionLogprobs(payload.logprobs, c.text.length) : null, finish_reason: payload.finish ?? null }],
        ...(r.includeUsage ? { usage: null } : {}),
      };
    };
    const send = (obj: object): void => { if (!finished) res.write(`data: ${JSON.stringify(obj)}\n\n`); };
    const onEvent = (i: number) => (e: SequenceEvent): void => {
      if (finished) return;
      const c = choices[i]!;
      if (e.kind === "text") {
        if (r.stream && (e.text !== "" || e.logprobs.length > 0)) send(chunk(i, { text: e.text, logprobs: e.logprobs }));
        c.text += e.text;
        c.logprobs.push(...e.logprobs);
        return;
      }
      c.finish = e.finishReason;
      c.tokens = e.completionTokens;
      if (r.stream) send(chunk(i, { finish: e.finishReason }));
      if (++done < r.n) return;
      const completion = choices.reduce((a, x) => a + x.tokens, 0);
      if (r.stream) {
        if (r.includeUsage) send({ id, object: r.kind === "chat" ? "chat.completion.chunk" : "text_completion", created: createdAt, model, choices: [], usage: usage(prompt.length, completion) });
        res.write("data: [DONE]\n\n");
        res.end();
      } else if (r.kind === "chat") {
        sendJson(res, 200, {
          id, object: "chat.completion", created: createdAt, model, system_fingerprint: null,
          choices: choices.map((x, k) => ({ index: k, message: { role: "assistant", content: x.text, refusal: null }, logprobs: r.logprobs ? chatLogprobs(x.logprobs) : null, finish_reason: x.finish })),
          usage: usage(prompt.length, completion),
        });
      } else {
        sendJson(res, 200, {
          id, object: "text_completion", created: createdAt, model,
          choices: choices.map((x, k) => ({ index: k, text: x.text, logprobs: r.logprobs ? completionLogprobs(x.logprobs, 0) : null, finish_reason: x.finish })),
          usage: usage(prompt.length, completion),
        });
      }
      finish();
    };
    const onError = (message: string): void => {
      if (finished) return;
      job.cancel();
      if (r.stream) { send({ error: { message, type: "server_error", param: null, code: null } }); res.end(); }
      else sendJson(res, 500, new ApiError(500, message).body());
      finish();
    };
    seqIds.forEach((sid, i) => engine.submit(sequenceRequest(sid, prompt, maxTokens, r, baseSeed + i), onEvent(i), onError));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    async close(): Promise<void> {
      closing = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const j of [...jobs]) j.abort();
      server.closeIdleConnections();
      await engine.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
      server.closeAllConnections();
    },
  };
}

function sequenceRequest(id: string, prompt: number[], maxTokens: number, r: GenerationParams & { kind: string }, seed: number): SequenceRequest {
  return {
    id, prompt, maxTokens, temperature: r.temperature, topP: r.topP, topK: r.topK, seed, stop: r.stop,
    logprobs: r.logprobs, topLogprobs: r.topLogprobs, stripLeadingSpace: r.kind === "chat", ignoreEos: r.ignoreEos,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export type { Tokenizer };
