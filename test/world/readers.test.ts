import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { convertFile, formatError, type Format } from "../../src/world/readers/convert.js";
import { parseTranscript } from "../../src/world/readers/hh.js";
import { tempDir } from "../helpers/tmp.js";

// The committed excerpts live in test/fixtures/world (this file runs from dist/test/world).
const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../../test/fixtures/world");
const tmp = tempDir("readers-");
const rows = (f: string): any[] => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l));

let runs = 0;
async function convert(format: Format, name: string, opts = {}) {
  const out = path.join(tmp, `${name}.${format}.${runs++}.out.jsonl`);
  const r = await convertFile(format, path.join(FIX, name), out, opts);
  return { ...r, out, errs: r.errors.map((e) => `${e.line}: ${e.message.split(" (")[0]}`) };
}

test("HH transcripts split into turns at the Human/Assistant markers", () => {
  assert.deepEqual(parseTranscript("\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye\n\nAssistant: see you", "chosen"), [
    { role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: "bye" }, { role: "assistant", content: "see you" },
  ]);
});

test("hh: good lines become prompt or messages + chosen/rejected; bad lines are reported by line and field and skipped", async () => {
  const r = await convert("hh", "hh.jsonl");
  assert.deepEqual(r.errs, [
    "4: not valid JSON", "5: rejected: missing",
    "6: rejected: chosen and rejected differ before their last Assistant turn",
    "7: chosen: the transcript must start with a \"Human:\" turn",
  ]);
  const out = rows(r.out);
  assert.equal(out.length, 4);
  assert.equal(out[0].prompt, "What is a good way to keep tomatoes fresh?");
  assert.equal(out[0].rejected, "Put them in the freezer.");
  assert.equal(out[0].rating, "negligibly_better");
  assert.deepEqual(out[1].messages.map((m: any) => m.role), ["user", "assistant", "user"]);
  assert.match(out[1].chosen, /^For ten kids/);
  assert.match(out[2].chosen, /don’t boil it – and/);
  assert.equal(out[3].meta.line, 8);
  assert.ok(formatError(r.errors[1]!).startsWith(`${path.join(FIX, "hh.jsonl")}:5: rejected:`));
});

test("hh: a gzipped file reads the same as the plain one, and --rating sets the default strength", async () => {
  const a = await convert("hh", "hh.jsonl", { rating: "better" }), b = await convert("hh", "hh.jsonl.gz", { rating: "better" });
  assert.deepEqual(rows(b.out), rows(a.out));
  assert.deepEqual(b.errs, a.errs);
  assert.ok(rows(b.out).every((x) => x.rating === "better"));
});

test("strict mode stops at the first bad line and writes no output file", async () => {
  const r = await convert("hh", "hh.jsonl", { strict: true });
  assert.equal(r.written, false);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.line, 4);
  assert.equal(fs.existsSync(r.out), false);
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-")), []);
});

test("messages: role lists and ShareGPT conversations convert; bad roles, a trailing user turn and non-string content are reported", async () => {
  const r = await convert("messages", "messages.jsonl");
  assert.deepEqual(r.errs, [
    "3: messages[0].role: unknown role \"narrator\"",
    "4: messages[0]: the last message must be the assistant's answer",
    "5: messages[1].content: expected a string",
  ]);
  const out = rows(r.out);
  assert.deepEqual(out.map((x) => x.meta.line), [1, 2, 7]);
  assert.equal(out[0].messages[0].role, "system");
  assert.deepEqual(out[1].messages, [{ role: "user", content: "hi" }, { role: "assistant", content: "Hello! How can I help you today?" }]);
  assert.equal(out[2].messages.length, 4);
});

test("alpaca: instruction and input join into the user turn; missing or non-string output and bad JSON are reported", async () => {
  const r = await convert("alpaca", "alpaca.jsonl");
  assert.deepEqual(r.errs, ["3: output: missing", "4: output: expected a string, got number", "5: not valid JSON"]);
  const out = rows(r.out);
  assert.equal(out.length, 3);
  assert.equal(out[0].messages[0].content, "Give three tips for staying healthy.");
  assert.equal(out[1].messages[0].content, "Translate the sentence to French.\n\nGood morning, friend.");
  assert.equal(out[1].messages[1].content, "Bonjour, mon ami.");
  assert.equal(out[2].meta.line, 6);
});

test("prefs: margins, score pairs, named ratings and PKU-style safety rows map to ratings and labels", async () => {
  const r = await convert("prefs", "prefs.jsonl");
  assert.deepEqual(r.errs, [
    "5: score_chosen: lower than the rejected answer's score",
    "6: chosen: missing",
    "7: rating: unknown rating \"amazing\"",
  ]);
  const out = rows(r.out);
  assert.equal(out.length, 5);
  assert.equal(out[0].rating, "better"); // margin 0.7 is nearest to Table 27's 2/3
  assert.equal(out[1].rating, "significantly_better"); // (8.5 - 3) / 9 = 0.61 on a 1–10 scale
  assert.equal(out[1].prompt, "Write a greeting."); // taken from the message-list answers
  assert.equal(out[1].chosen, "Hello, and welcome!");
  assert.equal(out[2].rating, "slightly_better");
  assert.equal(out[2].prompt, "Name a planet.");
  assert.match(out[3].chosen, /^I can't help/);
  assert.deepEqual(out[3].safety, { label: "only_chosen_safe", chosen_safe: true, rejected_safe: false });
  assert.deepEqual(out[4].messages.map((m: any) => m.role), ["user", "assistant", "user"]);
});
