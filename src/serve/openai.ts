// OpenAI's chat-completions and completions request/response shapes as the official clients use them
// (openai-node types; ../shared/paper/peers.md): request validation with errors that name the field,
// and the response, chunk and error objects. Pure functions: the HTTP server wires them to the engine.
import type { TokenLogprob } from "./batcher.js";

/** An error the client sees: HTTP status and OpenAI's {"error": {message, type, param, code}}. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly param: string | null = null,
    readonly code: string | null = null, readonly type = errorType(status)) { super(message); }
  body(): object { return { error: { message: this.message, type: this.type, param: this.param, code: this.code } }; }
}

function errorType(status: number): string {
  return status === 400 ? "invalid_request_error" : status === 401 ? "authentication_error" : status === 404 ? "not_found_error"
    : status === 429 ? "rate_limit_error" : status === 503 ? "unavailable_error" : "server_error";
}

export interface ChatMessageIn { role: "system" | "user" | "assistant"; content: string }

/** The sampling and output settings shared by both endpoints. */
export interface GenerationParams {
  maxTokens: number | null;
  /** The request field maxTokens came from (errors name it), null when neither was sent. */
  maxTokensField: "max_tokens" | "max_completion_tokens" | null;
  temperature: number;
  topP: number;
  topK: number;
  seed: number | null;
  stop: string[];
  n: number;
  logprobs: boolean;
  topLogprobs: number;
  stream: boolean;
  includeUsage: boolean;
  /** Extension (llama.cpp, vLLM): generate past </s> until max_tokens. */
  ignoreEos: boolean;
}

export interface ChatRequest extends GenerationParams { kind: "chat"; messages: ChatMessageIn[] }
export interface CompletionRequest extends GenerationParams { kind: "completion"; prompt: string | number[] }

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const bad = (param: string, message: string): ApiError => new ApiError(400, message, param);

function optNumber(o: Json, key: string, check: (n: number) => boolean, rule: string, integer = false): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || !check(v))
    throw bad(key, `'${key}' must be ${integer ? "an integer" : "a number"} ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

function optBool(o: Json, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw bad(key, `'${key}' must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function params(o: Json, legacyLogprobs: boolean): GenerationParams {
  const maxA = optNumber(o, "max_tokens", (n) => n >= 1, ">= 1", true);
  const maxB = optNumber(o, "max_completion_tokens", (n) => n >= 1, ">= 1", true);
  let stop: string[] = [];
  const s = o.stop;
  if (typeof s === "string") stop = [s];
  else if (Array.isArray(s)) {
    if (s.length > 4 || s.some((x) => typeof x !== "string")) throw bad("stop", "'stop' must be a string or an array of up to 4 strings");
    stop = s as string[];
  } else if (s !== undefined && s !== null) throw bad("stop", "'stop' must be a string or an array of up to 4 strings");
  stop = stop.filter((x) => x.length > 0);
  let logprobs = false, topLogprobs = 0;
  if (legacyLogprobs) { // completions: logprobs is the number of alternatives (0-5)
    const lp = optNumber(o, "logprobs", (n) => n >= 0 && n <= 5, "between 0 and 5", true);
    if (lp !== undefined) { logprobs = true; topLogprobs = lp; }
  } else {
    logprobs = optBool(o, "logprobs") ?? false;
    topLogprobs = optNumber(o, "top_logprobs", (n) => n >= 0 && n <= 20, "between 0 and 20", true) ?? 0;
    if (topLogprobs > 0 && !logprobs) throw bad("top_logprobs", "'top_logprobs' needs 'logprobs': true");
  }
  const so = o.stream_options;
  if (so !== undefined && so !== null && !isObj(so)) throw bad("stream_options", "'stream_options' must be an object");
  if (isObj(so) && so.include_usage !== undefined && so.include_usage !== null && typeof so.include_usage !== "boolean")
    throw bad("stream_options.include_usage", `'stream_options.include_usage' must be a boolean, got ${JSON.stringify(so.include_usage)}`);
  if (o.model !== undefined && o.model !== null && typeof o.model !== "string") throw bad("model", `'model' must be a string, got ${JSON.stringify(o.model)}`);
  const stream = optBool(o, "stream") ?? false;
  return {
    maxTokens: maxB ?? maxA ?? null,
    maxTokensField: maxB !== undefined ? "max_completion_tokens" : maxA !== undefined ? "max_tokens" : null,
    temperature: optNumber(o, "temperature", (n) => n >= 0 && n <= 2, "between 0 and 2") ?? 1,
    topP: optNumber(o, "top_p", (n) => n > 0 && n <= 1, "in (0, 1]") ?? 1,
    topK: optNumber(o, "top_k", (n) => n >= 0, ">= 0", true) ?? 0,
    seed: optNumber(o, "seed", () => true, "", true) ?? null,
    stop,
    n: optNumber(o, "n", (n) => n >= 1 && n <= 16, "between 1 and 16", true) ?? 1,
    logprobs, topLogprobs, stream,
    includeUsage: stream && isObj(so) && so.include_usage === true,
    ignoreEos: optBool(o, "ignore_eos") ?? false,
  };
}

function messageContent(m: Json, i: number): string {
  const c = m.content;
  if (typeof c === "string") return c;
  if (Array.isArray(c)) { // content parts: text only
    return c.map((p, j) => {
      if (isObj(p) && p.type === "text" && typeof p.text === "string") return p.text;
      throw bad(`messages[${i}].content[${j}]`, `messages[${i}].content[${j}] must be a text part ({"type": "text", "text": ...})`);
    }).join("");
  }
  throw bad(`messages[${i}].content`, `messages[${i}].content must be a string or an array of text parts`);
}

export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObj(body)) throw new ApiError(400, "the request body must be a JSON object");
  const msgs = body.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) throw bad("messages", "'messages' is required: a non-empty array of {role, content}");
  const messages = msgs.map((m, i): ChatMessageIn => {
    if (!isObj(m)) throw bad(`messages[${i}]`, `messages[${i}] must be an object with role and content`);
    const role = m.role === "developer" ? "system" : m.role;
    if (role !== "system" && role !== "user" && role !== "assistant")
      throw bad(`messages[${i}].role`, `messages[${i}].role must be system, user or assistant, got ${JSON.stringify(m.role)}`);
    return { role, content: messageContent(m, i) };
  });
  return { kind: "chat", messages, ...params(body, false) };
}

export function parseCompletionRequest(body: unknown): CompletionRequest {
  if (!isObj(body)) throw new ApiError(400, "the request body must be a JSON object");
  let p = body.prompt;
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === "string") p = p[0];
  let prompt: string | number[];
  if (typeof p === "string") prompt = p;
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x) && (x as number) >= 0)) prompt = p as number[];
  else throw bad("prompt", "'prompt' is required: a string (or one string in an array, or an array of token ids)");
  return { kind: "completion", prompt, ...params(body, true) };
}

// ---- responses ----

export interface ChoiceResult {
  text: string;
  finishReason: "stop" | "length";
  logprobs: TokenLogprob[];
}

export function chatLogprobs(lps: TokenLogprob[]): object {
  return {
    content: lps.map((t) => ({
      token: t.token, logprob: t.logprob, bytes: t.bytes,
      top_logprobs: t.top.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })),
    })),
    refusal: null,
  };
}

export function completionLogprobs(lps: TokenLogprob[], offset0: number): object {
  let off = offset0;
  const text_offset: number[] = [];
  for (const t of lps) { text_offset.push(off); off += t.token.length; }
  return {
    tokens: lps.map((t) => t.token),
    token_logprobs: lps.map((t) => t.logprob),
    top_logprobs: lps.map((t) => Object.fromEntries(t.top.map((a) => [a.token, a.logprob]))),
    text_offset,
  };
}

export function usage(prompt: number, completion: number): object {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
