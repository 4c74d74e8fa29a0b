import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { GATT_SAMPLES, gattSamples, loadGattConfig, loadGattResumeConfig, readDialogues, runGatt, withInstruction, type SampledDialogue } from "../../src/recipes/gatt.js";
import { resolveResume } from "../../src/train/checkpoint.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { trainedCount } from "../../src/data/chat-data.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { llama2 } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = (p: string): string => tempDir(p);

function dialogueRows(n: number): string {
  const lines = fs.readFileSync(path.join(tinyWorld(), "dialogues_train.jsonl"), "utf8").split("\n").slice(0, n);
  const f = path.join(tmp("gatt-rows-"), "dialogues.jsonl");
  fs.writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

test("each sampled reply is one sample: the dialogue up to it, the instruction as the system message, the loss on that reply only", async () => {
  const tok = await Tokenizer.load(tinyWorldModel());
  const d: SampledDialogue = {
    where: "d:1", train: [true, false, true],
    messages: [{ role: "system", content: "Answer only in capital letters." },
      { role: "user", content: "Compute 2 + 3." }, { role: "assistant", content: "THE ANSWER IS 5." },
      { role: "user", content: "Count: a, b." }, { role: "assistant", content: "2 ITEMS." },
      { role: "user", content: "Reverse cat." }, { role: "assistant", content: "TAC." }],
  };
  const { samples } = gattSamples(tok, d, 512);
  assert.equal(samples.length, 2, "the untrained reply makes no sample");
  const replyTokens = (s: string) => tok.encode(`x ${s} `, { bos: false }).length - tok.encode("x", { bos: false }).length;
  assert.equal(trainedCount(samples[0]!), replyTokens("THE ANSWER IS 5.") + 1);
  assert.equal(trainedCount(samples[1]!), replyTokens("TAC.") + 1);
  // The trained span is the end of the sample; earlier replies (and the system message) are masked.
  const t = samples[1]!.targets, firstTrained = t.findIndex((x) => x !== -100);
  assert.ok(t.slice(firstTrained).every((x) => x !== -100));
  assert.equal(tok.decode(Array.from(t.slice(firstTrained)), { skipSpecial: true }).trim(), "TAC.");
  const text = tok.decode(Array.from(samples[1]!.ids));
  assert.equal((text.match(/<<SYS>>/g) ?? []).length, 1, "the instruction only in the first turn");
  assert.equal(withInstruction("Be brief.", "Hi"), "<<SYS>>\nBe brief.\n<</SYS>>\n\nHi");
});

test("dialogues without a system message need instructions; bad rows name file:line", async () => {
  const d = tmp("gatt-bad-");
  const f = path.join(d, "d.jsonl");
  fs.writeFileSync(f, `${JSON.stringify({ messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] })}\n`);
  await assert.rejects(readDialogues([f], [], 1), /d\.jsonl:1: messages\[0\]: a GAtt dialogue needs a system instruction/);
  const got = await readDialogues([f], ["Speak like a pirate."], 1);
  assert.equal(got[0]!.instruction, "Speak like a pirate.");
  fs.writeFileSync(f, `{"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "a"}]}\n`);
  await assert.rejects(readDialogues([f], [], 1), /d\.jsonl:1: messages\[1\]\.role: the conversation must end with an assistant turn/);
  assert.throws(() => loadGattConfig(undefined, ["model=m", "out=o"]), /key "dialogues" is required/);
});

test("llama2 gatt samples, trains through the shared trainer and resumes exactly on the sampled dialogues", async () => {
  const data = dialogueRows(8);
  const sft = path.join(tinyWorld(), "sft_val.jsonl");
  const sets = (out: string) => [`model=${tinyWorldModel()}`, `dialogues=${data}`, `data=${sft}`, "data_samples=4", `out=${out}`, "batch_size=4", "grad_accum=1",
    "max_steps=3", "lr=1e-3", "filter_adherent=false", "max_new_tokens=16", "threads=1"];
  const full = path.join(tmp("gatt-full-"), "run");
  const r = llama2("gatt", ...sets(full).flatMap((s) => ["--set", s]), "--quiet");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /finished at step 3/);
  assert.match(r.stderr, /gatt: 4 SFT rows from .*sft_val\.jsonl mixed in/);
  const finalA = path.join(full, "final");
  assert.ok(fs.existsSync(path.join(finalA, "model.safetensors")));
  const lines = fs.readFileSync(path.join(full, GATT_SAMPLES), "utf8").trim().split("\n").map((l) => JSON.parse(l) as SampledDialogue);
  assert.equal(lines.length, 8);
  assert.ok(lines.every((d) => d.messages[0]!.role === "system" && d.train.length === d.messages.filter((m) => m.role === "assistant").length));

  const part = path.join(tmp("gatt-part-"), "run");
  const first = await runGatt(loadGattConfig(undefined, sets(part)), null, {
    progress: false, onTrainer: (t) => { const orig = t.opts.onStep; t.opts.onStep = (m) => { orig?.(m); if (m.step === 1) t.requestStop(); }; },
  });
  assert.equal(first.step, 1);
  const { checkpoint, runDir } = resolveResume(part);
  const b = await runGatt(loadGattResumeConfig(checkpoint, [`out=${runDir}`]), checkpoint, { progress: false });
  assert.equal(b.step, 3);
  const wa = (await Llama.load(finalA)).params, wb = (await Llama.load(b.final!)).params;
  let d = 0;
  wa.forEach((p, k) => { for (let i = 0; i < p.data.length; i++) d = Math.max(d, Math.abs(p.data[i]! - wb[k]!.data[i]!)); });
  assert.ok(d <= 1e-6, `resumed final weights differ by ${d}`);
});
