// readJsonBody, the one request-body reader of `serve` and the annotation page: the caller's error type
// carries the status (413 over the limit, 400 for invalid JSON or a non-object when objects only), an empty
// body is {} only where asked.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { readJsonBody, type RequestBodyOptions } from "../../src/serve/request-body.js";

class TeapotError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** POSTs `body` to a server that reads it with `opts`; returns what the reader resolved or rejected with. */
async function post(body: string, opts: Omit<RequestBodyOptions, "error">): Promise<{ value?: unknown; error?: TeapotError }> {
  let result: { value?: unknown; error?: TeapotError } = {};
  const server = http.createServer((req, res) => {
    readJsonBody(req, { ...opts, error: (s, m) => new TeapotError(s, m) }).then(
      (value) => { result = { value }; res.end("ok"); },
      (error: TeapotError) => { result = { error }; res.writeHead(error.status).end(error.message); },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  try {
    await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body }).then((r) => r.text()).catch(() => "");
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  return result;
}

test("a JSON body parses; any JSON value unless objects only", async () => {
  assert.deepEqual((await post('{"a":[1,2]}', { maxBytes: 100 })).value, { a: [1, 2] });
  assert.deepEqual((await post("[1]", { maxBytes: 100 })).value, [1]);
  const e = (await post("[1]", { maxBytes: 100, objectOnly: true })).error;
  assert.ok(e instanceof TeapotError);
  assert.equal(e.status, 400);
  assert.match(e.message, /must be a JSON object/);
});

test("invalid JSON is a 400 of the caller's type; an empty body is {} only when asked", async () => {
  const bad = (await post("{nope", { maxBytes: 100 })).error;
  assert.ok(bad instanceof TeapotError);
  assert.equal(bad.status, 400);
  assert.match(bad.message, /not valid JSON/);
  assert.equal((await post("", { maxBytes: 100 })).error?.status, 400);
  assert.deepEqual((await post("", { maxBytes: 100, empty: {} })).value, {});
});

test("a body over the limit is a 413 naming the limit", async () => {
  const e = (await post(JSON.stringify({ s: "x".repeat(5000) }), { maxBytes: 1000 })).error;
  assert.ok(e instanceof TeapotError);
  assert.equal(e.status, 413);
  assert.match(e.message, /larger than 1000 bytes/);
  assert.deepEqual((await post(JSON.stringify({ s: "x".repeat(900) }), { maxBytes: 1000 })).value, { s: "x".repeat(900) });
});
