// The OpenAI-compatible server called from a web page on another origin (a browser chat UI, the openai client with
// dangerouslyAllowBrowser): the CORS preflight is answered without the API key and every response allows the origin,
// as llama.cpp's server does; the request itself still needs the key.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../src/serve/server.js";
import { fixture } from "../helpers/fixtures.js";

const server = await startServer({ modelDir: fixture("tiny-world"), port: 0, parallel: 1, apiKey: "k" });
after(() => server.close());

test("a browser's CORS preflight gets 204 with the requested headers allowed, and the answers carry Access-Control-Allow-Origin", async () => {
  const origin = { Origin: "http://localhost:5173" };
  const pre = await fetch(`${server.url}/v1/chat/completions`, { method: "OPTIONS", headers: { ...origin,
    "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-stainless-os" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization,content-type,x-stainless-os");
  const body = JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 2 });
  const ok = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body, headers: { ...origin, "Content-Type": "application/json", Authorization: "Bearer k" } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), "*");
  assert.equal(((await ok.json()) as { object: string }).object, "chat.completion");
  const denied = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body, headers: { ...origin, "Content-Type": "application/json" } });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get("access-control-allow-origin"), "*", "the page can read the 401's error body");
});
