// The preference-annotation page (`llama2 annotate`; paper §3.2.1): a plain HTML/CSS/JS page on
// node:http where an annotator reads (or writes) a prompt, samples two responses streamed side by side
// from two model variants and/or temperatures (generation in the server's worker with continuous
// batching, src/serve/engine-client.ts), says which is better, by how much and whether each is safe,
// and the row is appended to the output (src/serve/annotation-log.ts). Which variant is A is hidden.
import http from "node:http";
import crypto from "node:crypto";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { GenerationEngine } from "./engine-client.js";
import type { SequenceEvent } from "./batcher.js";
import { AnnotationLog } from "./annotation-log.js";
import { readJsonBody } from "./request-body.js";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./annotation-page.js";
import { readPrompts, type PromptRow } from "../rlhf/prompts.js";
import { comparisonRow, type ResponseSource } from "../data/comparison-row.js";
import { PreferenceDataError } from "../data/preferences.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { ChatFormatError, type ChatMessage } from "../tokenizer/chat-template.js";
import { encodeModelChat } from "../tokenizer/model-chat-template.js";
import type { Tokenizer } from "../tokenizer/tokenizer.js";
import { isRating } from "../world/ratings.js";

/** What `llama2 annotate` takes. */
export interface AnnotationServerOptions {
  /** Chat model directory for the first variant. */
  model: string;
  /** A second model variant (default: the same model at the second temperature). */
  modelB?: string | null;
  /** JSONL prompts: rows with `prompt` or `messages` (history shown above the prompt). */
  prompts: string;
  /** Preference JSONL to append to (resumed when it exists). */
  out: string;
  host?: string;
  /** TCP port; 0 picks a free one (default 8090). */
  port?: number;
  /** Temperatures of the first and the second variant (default 0.7, 1.2). */
  temperatures?: [number, number];
  /** The question asked: helpfulness or safety (collected separately, as in the paper). Default helpful. */
  kind?: "helpful" | "safety";
  /** Annotator name pre-filled in the page (it can be changed there). */
  annotator?: string | null;
  /** Longest response (default 256 tokens, bounded by the context). */
  maxNewTokens?: number;
  /** Compute threads of each generation worker. */
  threads?: number;
  /** Uniform draws in [0, 1) for the hidden A/B assignment (default: crypto). */
  random?: () => number;
}

/** A listening annotation page. */
export interface AnnotationServer {
  url: string;
  port: number;
  /** Prompts in the file, prompts with a row, and the first without one (null: all done). */
  progress(): { total: number; done: number; next: number | null };
  /** Bytes of a torn last line dropped when the output was reopened (a crash mid-write). */
  recoveredBytes: number;
  /** Stops the page and the generation workers; the output file is complete. */
  close(): Promise<void>;
}

interface Variant { engine: GenerationEngine; tok: Tokenizer; source: ResponseSource }
interface Slot { variant: Variant; text: string; done: boolean; seq: string }
interface Pending { prompt: { prompt: string } | { messages: ChatMessage[] }; index: number | null; A: Slot; B: Slot }

const QUESTIONS = { helpful: "Which response is more helpful?", safety: "Which response is safer?" } as const;
const REFUSED = "Not recorded: the chosen response is marked unsafe and the other safe. The paper leaves such pairs out " +
  "(a safer response is taken to be the better one); change the choice or the safety marks, or sample again.";

/** Starts the annotation page; resolves once it listens (the models are loaded in their workers by then). */
export async function startAnnotationServer(o: AnnotationServerOptions): Promise<AnnotationServer> {
  const kind = o.kind ?? "helpful";
  const [t1, t2] = o.temperatures ?? [0.7, 1.2];
  const maxNew = o.maxNewTokens ?? 256;
  const random = o.random ?? (() => crypto.randomInt(0, 2 ** 32) / 2 ** 32);
  const prompts = await readPrompts(o.prompts);
  const log = new AnnotationLog(o.out, prompts.length);
  const dirA = path.resolve(o.model), dirB = path.resolve(o.modelB ?? o.model);
  const e1 = new GenerationEngine({ modelDir: dirA, parallel: 2, threads: o.threads });
  const e2 = dirB === dirA ? e1 : new GenerationEngine({ modelDir: dirB, parallel: 2, threads: o.threads });
  const engines = [...new Set([e1, e2])];
  try {
    await Promise.all(engines.map((e) => e.ready));
  } catch (e) {
    await Promise.all(engines.map((x) => x.close()));
    log.close();
    throw e;
  }
  const variants: [Variant, Variant] = [
    { engine: e1, tok: await loadTokenizer(dirA), source: { model: dirA, temperature: t1 } },
    { engine: e2, tok: await loadTokenizer(dirB), source: { model: dirB, temperature: t2 } },
  ];
  const pending = new Map<string, Pending>();

  const state = (): object => {
    const next = log.next();
    const p = next === null ? null : prompts[next]!;
    return {
      kind, question: QUESTIONS[kind], total: prompts.length, done: log.done, left: prompts.length - log.done, rows: log.rows,
      index: next, history: p ? p.messages.slice(0, -1) : [], prompt: p ? p.messages.at(-1)!.content : "",
      annotator: o.annotator ?? null,
    };
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) sendJson(res, status, { error: { message: (e as Error).message ?? String(e), code: (e as HttpError).code ?? null } });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const route = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET") {
      if (route === "/" || route === "/index.html") return sendText(res, PAGE_HTML, "text/html; charset=utf-8");
      if (route === "/app.js") return sendText(res, PAGE_JS, "text/javascript; charset=utf-8");
      if (route === "/style.css") return sendText(res, PAGE_CSS, "text/css; charset=utf-8");
      if (route === "/api/state") return sendJson(res, 200, state());
    }
    if (req.method === "POST") {
      const body = (await readJsonBody(req, { maxBytes: MAX_BODY, error: (st, m) => new HttpError(st, m), empty: {}, objectOnly: true })) as Record<string, unknown>;
      if (route === "/api/sample") return sample(body, req, res);
      if (route === "/api/submit") return sendJson(res, 200, submit(body));
      if (route === "/api/undo") {
        const row = log.undo();
        if (row === null) throw new HttpError(409, "there is no row to undo", "nothing_to_undo");
        return sendJson(res, 200, { ...state(), undone: { prompt_index: row.prompt_index } });
      }
    }
    throw new HttpError(404, `no route ${req.method} ${route}`);
  }

  function sample(body: Record<string, unknown>, req: http.IncomingMessage, res: http.ServerResponse): void {
    const text = body["prompt"], index = body["index"];
    if (typeof text !== "string" || text.trim() === "") throw new HttpError(400, "write a prompt first", "prompt");
    if (index !== null && !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < prompts.length))
      throw new HttpError(400, `index must be a prompt row (0..${prompts.length - 1}) or null`, "index");
    const row: PromptRow | null = index === null ? null : prompts[index as number]!;
    const messages: ChatMessage[] = [...(row ? row.messages.slice(0, -1) : []), { role: "user", content: text }];
    const promptField = row && row.prompt === undefined ? { messages } : { prompt: text };
    // The hidden assignment: a fair coin decides which variant is shown as A.
    const swap = random() < 0.5;
    const [va, vb] = swap ? [variants[1], variants[0]] : [variants[0], variants[1]];
    const id = crypto.randomUUID();
    const p: Pending = {
      prompt: promptField, index: index as number | null,
      A: { variant: va, text: "", done: false, seq: `${id}-A` }, B: { variant: vb, text: "", done: false, seq: `${id}-B` },
    };
    const ids = { A: ids0(va.tok, messages), B: ids0(vb.tok, messages) };
    pending.set(id, p);
    while (pending.size > 8) pending.delete(pending.keys().next().value!);
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive" });
    res.flushHeaders();
    let open = true;
    const send = (obj: object): void => { if (open) res.write(`data: ${JSON.stringify(obj)}\n\n`); };
    const finish = (): void => { if (open) { open = false; res.end(); } };
    res.on("close", () => { if (open) { open = false; p.A.variant.engine.cancel(p.A.seq); p.B.variant.engine.cancel(p.B.seq); } });
    send({ type: "start", id });
    for (const name of ["A", "B"] as const) {
      const slot = p[name], prompt = ids[name];
      const ctx = slot.variant.engine.contextSize;
      const maxTokens = Math.min(maxNew, ctx - prompt.length);
      if (maxTokens < 1) { send({ type: "error", message: `the prompt has ${prompt.length} tokens and the model's context is ${ctx}` }); finish(); return; }
      slot.variant.engine.submit({
        id: slot.seq, prompt, maxTokens, temperature: slot.variant.source.temperature, topP: 1, topK: 0,
        seed: crypto.randomInt(0, 2 ** 31), stop: [], logprobs: false, topLogprobs: 0, stripLeadingSpace: true,
      }, (e: SequenceEvent) => {
        if (e.kind === "text") { slot.text += e.text; if (e.text !== "") send({ type: "text", slot: name, text: e.text }); return; }
        slot.done = true;
        send({ type: "done", slot: name, finish: e.finishReason });
        if (p.A.done && p.B.done) { send({ type: "end" }); finish(); }
      }, (message) => { send({ type: "error", message }); finish(); });
    }
  }

  function submit(b: Record<string, unknown>): object {
    const p = typeof b["id"] === "string" ? pending.get(b["id"]) : undefined;
    if (!p) throw new HttpError(409, "this comparison is no longer open: sample again", "unknown_comparison");
    if (!p.A.done || !p.B.done) throw new HttpError(409, "wait until both responses are complete", "still_sampling");
    if (b["choice"] !== "A" && b["choice"] !== "B") throw new HttpError(400, `choice must be "A" or "B"`, "choice");
    if (!isRating(b["rating"])) throw new HttpError(400, "rating must be significantly_better, better, slightly_better or negligibly_better", "rating");
    for (const s of ["A", "B"] as const)
      if (p[s].text.trim() === "") throw new HttpError(422, `Response ${s} is empty, so the pair cannot be recorded: sample again`, "empty_response");
    const annotator = typeof b["annotator"] === "string" && b["annotator"].trim() !== "" ? b["annotator"].trim() : (o.annotator ?? null);
    const cand = (s: "A" | "B") => ({ text: p[s].text, safe: b[`${s.toLowerCase()}_unsafe`] !== true, source: p[s].variant.source });
    const row = comparisonRow({
      prompt: p.prompt, a: cand("A"), b: cand("B"), aChosen: b["choice"] === "A", rating: b["rating"], kind,
      promptIndex: p.index, annotator, createdAt: new Date().toISOString(),
    });
    if (row === null) throw new HttpError(422, REFUSED, "chosen_unsafe");
    try {
      log.append(row);
    } catch (e) {
      if (e instanceof PreferenceDataError) throw new HttpError(422, e.message, "invalid_row");
      throw e;
    }
    for (const [k, v] of pending) if (v === p) pending.delete(k);
    return state();
  }

  function ids0(tok: Tokenizer, messages: ChatMessage[]): number[] {
    try {
      return encodeModelChat(tok, messages);
    } catch (e) {
      if (e instanceof ChatFormatError) throw new HttpError(400, e.message, "prompt");
      throw e;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 8090, o.host ?? "127.0.0.1", () => resolve());
  }).catch(async (e: unknown) => {
    await Promise.all(engines.map((x) => x.close()));
    log.close();
    throw e;
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    recoveredBytes: log.recoveredBytes,
    progress: () => ({ total: prompts.length, done: log.done, next: log.next() }),
    async close(): Promise<void> {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.all(engines.map((e) => e.close()));
      server.closeAllConnections();
      await closed;
      log.close();
    },
  };
}

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly code: string | null = null) { super(message); }
}

function sendJson(res: http.ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}

function sendText(res: http.ServerResponse, text: string, type: string): void {
  res.writeHead(200, {
    "Content-Type": type, "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store",
    // Everything the page loads comes from this server: it works offline.
    "Content-Security-Policy": "default-src 'self'",
  });
  res.end(text);
}
