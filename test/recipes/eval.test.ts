import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { Llama } from "../../src/model/llama.js";
import { scoreLastToken } from "../../src/model/score.js";
import { encodeChat } from "../../src/tokenizer/chat-template.js";
import { Tokenizer } from "../../src/tokenizer/tokenizer.js";
import { evaluateModel } from "../../src/recipes/eval.js";
import { judgeFile } from "../../src/world/judge.js";
import { tinyWorld, tinyWorldModel } from "../helpers/tiny-world.js";
import { llama2Json } from "../helpers/cli.js";
import { tempDir } from "../helpers/tmp.js";

const tmp = (p: string): string => tempDir(p);

/** A world directory with the first rows of the tiny world's test prompts and dialogues. */
function miniWorld(prompts: number, dialogues: number): string {
  const src = tinyWorld(), dir = tmp("eval-world-");
  const head = (f: string, n: number) => fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(src, f), "utf8").split("\n").slice(0, n).join("\n") + "\n");
  head("prompts_test.jsonl", prompts);
  head("dialogues_test.jsonl", dialogues);
  fs.copyFileSync(path.join(src, "world.json"), path.join(dir, "world.json"));
  return dir;
}

test("eval answers every prompt and every dialogue turn after the model's own answers, and reports the judge's numbers", async () => {
  const world = miniWorld(12, 5);
  const model = await Llama.load(tinyWorldModel());
  const tok = await Tokenizer.load(tinyWorldModel());
  const answers = path.join(tmp("eval-out-"), "answers.jsonl");
  const r = await evaluateModel(model, tok, { world, maxNewTokens: 12, batchSize: 5, answersOut: answers });
  assert.equal(r.split, "test");
  assert.equal(r.n, 17);
  const dialogues = fs.readFileSync(path.join(world, "dialogues_test.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const turns = dialogues.reduce((a, d) => a + d.messages.filter((m: { role: string }) => m.role === "user").length, 0);
  assert.equal(r.counts.dialogue_turns, turns);
  assert.equal(r.adherence_by_turn.length, Math.max(...dialogues.map((d) => d.meta.turns.length)));
  // The kept answers re-judge to the same report; dialogue records carry the model's own replies.
  const kept = fs.readFileSync(answers, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(kept.length, 17);
  const rejudged = await judgeFile(answers);
  assert.deepEqual(rejudged.errors, []);
  for (const k of ["helpfulness", "accuracy", "safety_violation_rate", "false_refusal_rate", "adherence_by_turn", "n", "counts"] as const)
    assert.deepEqual(rejudged.report[k], r[k], k);
  const d0 = kept[12];
  assert.deepEqual(d0.messages.filter((m: { role: string }) => m.role === "user").map((m: { content: string }) => m.content),
    dialogues[0].messages.filter((m: { role: string }) => m.role === "user").map((m: { content: string }) => m.content));
  assert.notDeepEqual(d0.messages.filter((m: { role: string }) => m.role === "assistant"), dialogues[0].messages.filter((m: { role: string }) => m.role === "assistant"));
  // Greedy decoding: the same numbers again.
  const again = await evaluateModel(model, tok, { world, maxNewTokens: 12, batchSize: 3 });
  assert.equal(again.helpfulness, r.helpfulness);
});

test("llama2 eval --json with reward models adds the mean raw RM score of the single-turn answers", async () => {
  const world = miniWorld(6, 1);
  const rmDir = tmp("eval-rm-");
  const base = await Llama.load(tinyWorldModel());
  const rm = new Llama(base.config, { head: "score", numLabels: 1 }).initRandom(5, 0.2);
  await rm.save(rmDir);
  for (const f of ["tokenizer.json", "tokenizer_config.json"]) fs.copyFileSync(path.join(tinyWorldModel(), f), path.join(rmDir, f));
  const out = path.join(tmp("eval-out-"), "a.jsonl");
  const r = llama2Json("eval", "--model", tinyWorldModel(), "--world", world, "--max-new-tokens", "10", "--reward-helpful", rmDir, "--reward-safety", rmDir, "--out", out, "--json");
  for (const k of ["helpfulness", "accuracy", "safety_violation_rate", "false_refusal_rate", "false_refusal_rate_borderline", "adherence_by_turn", "n", "split", "reward_helpful", "reward_safety"])
    assert.ok(k in r, k);
  const tok = await Tokenizer.load(rmDir);
  const single = fs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((x) => typeof x.prompt === "string");
  assert.equal(single.length, 6);
  const scores = scoreLastToken(await Llama.load(rmDir), single.map((x) => encodeChat(tok, [{ role: "user", content: x.prompt }, { role: "assistant", content: x.response }]).ids));
  const mean = scores.reduce((a, s) => a + s[0]!, 0) / scores.length;
  assert.ok(Math.abs(r.reward_helpful - mean) < 1e-5, `${r.reward_helpful} vs ${mean}`);
  assert.equal(r.reward_safety, r.reward_helpful);
});

test("eval on a directory that is not a world says so", async () => {
  const model = await Llama.load(tinyWorldModel());
  const tok = await Tokenizer.load(tinyWorldModel());
  await assert.rejects(evaluateModel(model, tok, { world: tmp("not-world-") }), /no prompts_test\.jsonl or dialogues_test\.jsonl/);
});
