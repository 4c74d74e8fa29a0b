// startAnnotationServer over HTTP (no browser), with --model-b: the hidden A/B assignment follows its coin
// and the row maps the shown choice back to the right variant (model and temperature); the server refuses chosen-unsafe/other-safe pairs,
// comparisons not sampled, and bad ratings; undo with nothing to undo; reopening an output with a torn
// last line (a crash mid-write) drops it, and a bad row in an existing output is named by file:line and field.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startAnnotationServer } from "../../src/serve/annotation-server.js";
import { AnnotationLog } from "../../src/serve/annotation-log.js";
import { comparisonRow, pairSafety } from "../../src/data/comparison-row.js";
import { PreferenceDataError } from "../../src/data/preferences.js";
import { tinyWorldModel } from "../helpers/tiny-world.js";
import { tempDir } from "../helpers/tmp.js";

const work = tempDir("annotation-server-");
const prompts = path.join(work, "prompts.jsonl");
fs.writeFileSync(prompts, [{ prompt: "Who wrote the letter?" }, { prompt: "What is a river?" }, { prompt: "Where is the mountain?" }]
  .map((p) => JSON.stringify(p)).join("\n") + "\n");

/** POST /api/sample and read its server-sent events to the end. */
async function sample(url: string, prompt: string, index: number | null): Promise<{ id: string; A: string; B: string }> {
  const r = await fetch(`${url}/api/sample`, { method: "POST", body: JSON.stringify({ prompt, index }) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("content-type"), "text/event-stream");
  const events = (await r.text()).split("\n\n").filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, "")));
  assert.equal(events[0].type, "start");
  assert.equal(events.at(-1).type, "end");
  const text = (s: string) => events.filter((e) => e.type === "text" && e.slot === s).map((e) => e.text).join("");
  assert.ok(!JSON.stringify(events).includes("temperature"), "the stream does not reveal the variants");
  return { id: events[0].id, A: text("A"), B: text("B") };
}

async function post(url: string, route: string, body: object): Promise<{ status: number; json: any }> {
  const r = await fetch(`${url}${route}`, { method: "POST", body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

test("the coin decides which variant is A; the row maps the choice back; refusals write nothing", async () => {
  const out = path.join(work, "coin.jsonl");
  const coins = [0.1, 0.9]; // below 0.5: swapped (A = the second variant, temperature 1.5); 0.9: A = the first (0.5)
  // A second variant directory (a link to the same weights under another name: a second worker and tokenizer).
  const modelB = path.join(work, "model-b");
  fs.symlinkSync(path.resolve(tinyWorldModel()), modelB);
  const s = await startAnnotationServer({ model: tinyWorldModel(), modelB, prompts, out, port: 0, temperatures: [0.5, 1.5], maxNewTokens: 12,
    kind: "safety", annotator: "bo", random: () => coins.shift()!, threads: 1 });
  try {
    const state = (await (await fetch(`${s.url}/api/state`)).json()) as any;
    assert.equal(state.question, "Which response is safer?");
    assert.deepEqual([state.done, state.left, state.index, state.prompt], [0, 3, 0, "Who wrote the letter?"]);
    assert.equal((await post(s.url, "/api/undo", {})).status, 409, "nothing to undo");
    let c = await sample(s.url, "Who wrote the letter?", 0);
    while (!c.A.trim() || !c.B.trim()) { coins.unshift(0.1); c = await sample(s.url, "Who wrote the letter?", 0); }
    // Bad submissions: unknown comparison, no rating, chosen unsafe and other safe.
    assert.equal((await post(s.url, "/api/submit", { id: "nope", choice: "A", rating: "better" })).status, 409);
    assert.equal((await post(s.url, "/api/submit", { id: c.id, choice: "A", rating: "much" })).json.error.code, "rating");
    const refused = await post(s.url, "/api/submit", { id: c.id, choice: "B", rating: "better", a_unsafe: false, b_unsafe: true });
    assert.equal(refused.status, 422);
    assert.equal(refused.json.error.code, "chosen_unsafe");
    assert.equal(fs.readFileSync(out, "utf8"), "");
    // Only A unsafe, B chosen: the pair is kept (only_chosen_safe), B was the first variant (0.5).
    const ok = await post(s.url, "/api/submit", { id: c.id, choice: "B", rating: "better", a_unsafe: true, b_unsafe: false, annotator: "" });
    assert.equal(ok.status, 200);
    assert.deepEqual([ok.json.done, ok.json.index], [1, 1]);
    assert.equal((await post(s.url, "/api/submit", { id: c.id, choice: "B", rating: "better" })).status, 409, "a comparison is recorded once");
    let d = await sample(s.url, "What is a river?", 1);
    while (!d.A.trim() || !d.B.trim()) { coins.unshift(0.9); d = await sample(s.url, "What is a river?", 1); }
    assert.equal((await post(s.url, "/api/submit", { id: d.id, choice: "A", rating: "slightly_better", annotator: "cy" })).status, 200);
    const rows = fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows[0].chosen, c.B);
    assert.equal(rows[0].rejected, c.A);
    assert.deepEqual(rows[0].sources, { chosen: { model: path.resolve(tinyWorldModel()), temperature: 0.5 }, rejected: { model: modelB, temperature: 1.5 } });
    assert.deepEqual(rows[0].safety, { label: "only_chosen_safe", chosen_safe: true, rejected_safe: false });
    assert.deepEqual([rows[0].kind, rows[0].annotator, rows[0].prompt_index], ["safety", "bo", 0], "an empty name falls back to --annotator");
    assert.equal(rows[1].chosen, d.A);
    assert.deepEqual(rows[1].sources, { chosen: { model: path.resolve(tinyWorldModel()), temperature: 0.5 }, rejected: { model: modelB, temperature: 1.5 } });
    assert.equal(rows[1].annotator, "cy");
    assert.deepEqual(Object.keys(rows[1]), ["prompt", "chosen", "rejected", "rating", "safety", "sources", "kind", "prompt_index", "annotator", "created_at"]);
    const undo = await post(s.url, "/api/undo", {});
    assert.deepEqual([undo.status, undo.json.undone.prompt_index, undo.json.index, undo.json.done], [200, 1, 1, 1]);
    assert.equal(fs.readFileSync(out, "utf8").trim().split("\n").length, 1);
  } finally {
    await s.close();
  }
});

test("once every prompt has a row, the page takes prompts the annotator writes (prompt_index null)", async () => {
  const one = path.join(work, "one.jsonl"), out = path.join(work, "own.jsonl");
  fs.writeFileSync(one, JSON.stringify({ prompt: "What is a river?" }) + "\n");
  fs.writeFileSync(out, JSON.stringify(comparisonRow({
    prompt: { prompt: "What is a river?" }, aChosen: true, rating: "better", kind: "helpful", promptIndex: 0,
    a: { text: "Water.", safe: true, source: { model: "/m", temperature: 0.7 } }, b: { text: "Rock.", safe: true, source: { model: "/m", temperature: 1.2 } },
  })) + "\n");
  const s = await startAnnotationServer({ model: tinyWorldModel(), prompts: one, out, port: 0, maxNewTokens: 12, threads: 1 });
  try {
    assert.deepEqual(s.progress(), { total: 1, done: 1, next: null });
    const state = (await (await fetch(`${s.url}/api/state`)).json()) as any;
    assert.deepEqual([state.done, state.left, state.index, state.prompt], [1, 0, null, ""]);
    assert.equal((await post(s.url, "/api/sample", { prompt: "  ", index: null })).json.error.code, "prompt", "an empty prompt is refused");
    let c = await sample(s.url, "Tell me about the mountain.", null);
    while (!c.A.trim() || !c.B.trim()) c = await sample(s.url, "Tell me about the mountain.", null);
    assert.equal((await post(s.url, "/api/submit", { id: c.id, choice: "A", rating: "better" })).status, 200);
    const last = JSON.parse(fs.readFileSync(out, "utf8").trim().split("\n")[1]!);
    assert.deepEqual([last.prompt, last.prompt_index, last.annotator], ["Tell me about the mountain.", null, null]);
  } finally {
    await s.close();
  }
});

test("an output torn by a crash loses only its last partial line; a bad existing row is named by file:line and field", () => {
  const good = JSON.stringify(comparisonRow({
    prompt: { prompt: "What is a river?" }, aChosen: true, rating: "better", kind: "helpful", promptIndex: 1,
    a: { text: "Water.", safe: true, source: { model: "/m", temperature: 0.7 } }, b: { text: "Rock.", safe: true, source: { model: "/m", temperature: 1.2 } },
  }));
  const torn = path.join(work, "torn.jsonl");
  fs.writeFileSync(torn, good + "\n" + good.slice(0, 40));
  const log = new AnnotationLog(torn, 3);
  assert.equal(log.recoveredBytes, 40);
  assert.deepEqual([log.rows, log.done, log.next()], [1, 1, 0]);
  log.close();
  assert.equal(fs.readFileSync(torn, "utf8"), good + "\n");
  const bad = path.join(work, "bad.jsonl");
  fs.writeFileSync(bad, good + "\n" + JSON.stringify({ ...JSON.parse(good), chosen: "" }) + "\n");
  assert.throws(() => new AnnotationLog(bad, 3), (e: Error) => e instanceof PreferenceDataError && e.message === `${bad}:2: field "chosen" is empty`);
  fs.writeFileSync(bad, good + "\n");
  assert.throws(() => new AnnotationLog(bad, 1), /bad\.jsonl:1: field "prompt_index" is 1 but the prompts file has 1 rows/);
});

test("comparisonRow orders chosen/rejected and sources by the choice, and leaves out chosen-unsafe/other-safe pairs", () => {
  const a = { text: "a", safe: false, source: { model: "/a", temperature: 0.7 } }, b = { text: "b", safe: true, source: { model: "/b", temperature: 1.2 } };
  const base = { prompt: { prompt: "p" }, a, b, rating: "better" as const, kind: "safety" as const, promptIndex: 0 };
  assert.equal(comparisonRow({ ...base, aChosen: true }), null);
  const r = comparisonRow({ ...base, aChosen: false })!;
  assert.deepEqual([r.chosen, r.rejected, r.sources.chosen.model, r.sources.rejected.model], ["b", "a", "/b", "/a"]);
  assert.deepEqual(r.safety, { label: "only_chosen_safe", chosen_safe: true, rejected_safe: false });
  assert.deepEqual(pairSafety(false, false), { label: "both_unsafe", chosen_safe: false, rejected_safe: false });
  assert.deepEqual(pairSafety(true, true), { label: "both_safe", chosen_safe: true, rejected_safe: true });
});
