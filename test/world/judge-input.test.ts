// Issue 10 item 8: `llama2 world judge` on records it cannot judge — a malformed meta, no answer, an
// unknown kind — reports each with file:line and a reason and skips it (unless --strict), instead of
// an internal TypeError aborting the file or a record scored as helpful; nothing judged → exit 1.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { llama2 } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const meta = (m: Record<string, unknown> = {}): Record<string, unknown> => ({
  family: "arithmetic", kind: "helpful", split: "test", entities: [],
  answer: { parts: ["4"], ordered: false, caseSensitive: false, maxWords: 5 }, ...m,
});
const rec = (m: unknown, response = "4"): string => JSON.stringify({ prompt: "What is 2 + 2?", response, meta: m });

test("bad records are reported with file:line and skipped; the good ones are judged", () => {
  const dir = tempDir("judge-");
  const file = path.join(dir, "out.jsonl");
  fs.writeFileSync(file, [
    rec(meta()),
    rec(meta({ answer: "four" })),            // malformed answer: used to be an internal TypeError
    rec(meta({ answer: undefined })),         // no answer: used to be scored as an unhelpful helpful answer
    rec(meta({ kind: "sarcastic" })),         // unknown kind: used to count as helpful
    rec(meta(), "The answer is 4."),
  ].join("\n") + "\n");
  const r = llama2("world", "judge", "--data", file, "--json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n, 2);
  assert.equal(out.skipped, 3);
  assert.equal(out.counts.helpful, 2);
  assert.equal(out.accuracy, 1);
  assert.match(r.stderr, new RegExp(`${file}:2: meta\\.answer\\.parts: expected a non-empty list of strings`));
  assert.match(r.stderr, new RegExp(`${file}:3: meta\\.answer: missing \\(a helpful record needs its expected answer to be judged\\)`));
  assert.match(r.stderr, new RegExp(`${file}:4: meta\\.kind: unknown kind "sarcastic" \\(expected helpful, borderline, unsafe\\)`));

  const strict = llama2("world", "judge", "--data", file, "--strict");
  assert.equal(strict.status, 1);
  assert.match(strict.stderr, /out\.jsonl:2: /);

  const none = path.join(dir, "none.jsonl");
  fs.writeFileSync(none, [rec(meta({ kind: 3 })), rec({ family: "x" })].join("\n") + "\n");
  const n = llama2("world", "judge", "--data", none, "--json");
  assert.equal(n.status, 1);
  assert.match(n.stderr, /none\.jsonl: nothing could be judged \(2 record\(s\) skipped\)/);
});
