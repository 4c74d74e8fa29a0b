// `llama2 annotate` as an annotator uses it: the real command (a process, --port 0), the page in headless
// Debian chromium driven by playwright-core through its accessible names (getByRole with the labels).
// Several comparisons by mouse and by keyboard, the rows written, the refused unsafe-chosen pair, undo,
// a crash (SIGKILL) and restart resuming at the first prompt without a row, then reward train on the file.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { ensureDebianPackage } from "../helpers/debian-package.js";
import { tinyWorldModel } from "../helpers/tiny-world.js";
import { llama2 } from "../helpers/cli.js";
import { readPreferences } from "../../src/data/preferences.js";
import { tempDir } from "../helpers/tmp.js";

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "cli", "main.js");
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const work = tempDir("annotate-page-");
const prompts = path.join(work, "prompts.jsonl"), out = path.join(work, "prefs.jsonl");
const PROMPTS = [
  { prompt: "Who wrote the letter to the river?" },
  { prompt: "What is a river?" },
  { messages: [{ role: "system", content: "Answer briefly." }, { role: "user", content: "Hello there." },
    { role: "assistant", content: "Hello. How can I help?" }, { role: "user", content: "Tell me about the mountain." }] },
  { prompt: "How do I bake bread?" },
];
fs.writeFileSync(prompts, PROMPTS.map((p) => JSON.stringify(p)).join("\n") + "\n");

let proc: ChildProcess | null = null;
let browser: Browser | null = null;
after(async () => { await browser?.close(); proc?.kill("SIGKILL"); });

/** Starts `llama2 annotate` and resolves with the URL from its first stdout line. */
function start(): Promise<string> {
  const p = spawn(process.execPath, [MAIN, "annotate", "--model", tinyWorldModel(), "--prompts", prompts, "--out", out,
    "--port", "0", "--temperatures", "0.7,1.2", "--max-new-tokens", "24", "--annotator", "cli-name", "--threads", "1"],
  { stdio: ["ignore", "pipe", "pipe"] });
  proc = p;
  let stdout = "", stderr = "";
  p.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    p.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split("\n")[0]!;
      if (stdout.includes("\n")) {
        const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
        if (m) resolve(m[1]!); else reject(new Error(`first stdout line: ${JSON.stringify(line)}`));
      }
    });
    p.once("exit", (code) => reject(new Error(`annotate exited ${code} before listening: ${stderr}`)));
  });
}

const rows = (): any[] => fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const region = (page: Page, s: "A" | "B") => page.getByRole("region", { name: `Response ${s}`, exact: true });
const radio = (page: Page, name: string) => page.getByRole("radio", { name, exact: true });

// Page-side functions reach the DOM through globalThis (this project compiles without the DOM library); they
// are passed as functions, not strings, because the page's Content-Security-Policy forbids eval.
const bothDone = (): boolean => ["resp-A", "resp-B"].every((id) => (globalThis as any).document.getElementById(id).getAttribute("aria-busy") === "false");
/** Records every change of the two regions: their aria-busy and text length. */
const watch = (): void => {
  const g = globalThis as any;
  g.obs?.disconnect();
  g.seen = [];
  g.obs = new g.MutationObserver(() => {
    for (const id of ["resp-A", "resp-B"]) {
      const el = g.document.getElementById(id);
      g.seen.push({ busy: el.getAttribute("aria-busy"), len: el.textContent.length });
    }
  });
  for (const id of ["resp-A", "resp-B"]) g.obs.observe(g.document.getElementById(id), { attributes: true, childList: true, characterData: true, subtree: true });
};

/** Waits until the counter reads e.g. "2 done · 2 left". */
async function counterIs(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (globalThis as any).document.getElementById("counter").textContent.includes(t), text);
}

/** Clicks Sample (or presses S) until both responses are complete and non-empty; returns them and whether text arrived while aria-busy was "true". */
async function sample(page: Page, how: "click" | "key" = "click"): Promise<{ A: string; B: string; busyWhileText: boolean }> {
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.evaluate(watch);
    if (how === "click") await page.getByRole("button", { name: "Sample", exact: true }).click();
    else await page.keyboard.press("s");
    await page.waitForFunction(() => ["resp-A", "resp-B"].every((id) => (globalThis as any).document.getElementById(id).getAttribute("aria-busy") === "false")
      && (globalThis as any).seen.length > 0);
    const A = (await region(page, "A").textContent())!, B = (await region(page, "B").textContent())!;
    const busyWhileText = await page.evaluate(() => (globalThis as any).seen.some((s: { busy: string; len: number }) => s.busy === "true" && s.len > 0));
    if (A.trim() !== "" && B.trim() !== "") return { A, B, busyWhileText };
  }
  throw new Error("six samples in a row gave an empty response");
}

async function counter(page: Page): Promise<string> { return (await page.getByRole("status").textContent())!; }

test("an annotator compares pairs in chromium; rows, refusal, undo, shortcuts, crash and resume; the file trains a reward model", async () => {
  const exe = ensureDebianPackage("chromium");
  let url = await start();
  browser = await chromium.launch({ executablePath: exe, args: FLAGS, headless: true });
  const page = await browser.newPage();
  const requested: string[] = [];
  page.on("request", (q) => requested.push(q.url()));
  await page.goto(url);
  const promptBox = page.getByRole("textbox", { name: "Prompt", exact: true });
  await counterIs(page, "0 done · 4 left");
  assert.equal(await promptBox.inputValue(), PROMPTS[0]!.prompt);
  assert.equal(await page.getByRole("textbox", { name: "Annotator" }).inputValue(), "cli-name");
  const submit = page.getByRole("button", { name: "Submit", exact: true });

  // 1. By mouse: Submit waits for both the choice and the rating.
  // (a loaded machine may deliver a whole short answer in one read: sample again until a stream was seen arriving)
  let s1 = await sample(page);
  for (let i = 0; i < 5 && !s1.busyWhileText; i++) s1 = await sample(page);
  assert.ok(s1.busyWhileText, "text streamed into a region while it was aria-busy=true");
  assert.equal(await submit.isDisabled(), true);
  await radio(page, "A is better").check();
  assert.equal(await submit.isDisabled(), true, "no rating yet");
  await radio(page, "Better").check();
  assert.equal(await submit.isDisabled(), false);
  await page.getByRole("textbox", { name: "Annotator" }).fill("ana");
  await submit.click();
  await counterIs(page, "1 done · 3 left");
  assert.equal(await promptBox.inputValue(), PROMPTS[1]!.prompt, "the next prompt loads");
  assert.equal(await region(page, "A").textContent(), "", "the responses are cleared");
  let r = rows();
  assert.equal(r.length, 1);
  assert.equal(r[0].prompt, PROMPTS[0]!.prompt);
  assert.equal(r[0].chosen, s1.A);
  assert.equal(r[0].rejected, s1.B);
  assert.equal(r[0].rating, "better");
  assert.deepEqual(r[0].safety, { label: "both_safe", chosen_safe: true, rejected_safe: true });
  assert.deepEqual(new Set([r[0].sources.chosen.temperature, r[0].sources.rejected.temperature]), new Set([0.7, 1.2]));
  assert.equal(r[0].sources.chosen.model, path.resolve(tinyWorldModel()));
  assert.equal(r[0].kind, "helpful");
  assert.equal(r[0].prompt_index, 0);
  assert.equal(r[0].annotator, "ana");
  assert.ok(!Number.isNaN(Date.parse(r[0].created_at)) && r[0].created_at === new Date(r[0].created_at).toISOString());
  // Everything the page loaded came from the command itself (no CDN), and it never says which variant is A.
  assert.ok(requested.length >= 3 && requested.every((u) => u.startsWith(url + "/")), requested.join(" "));
  const html = await page.content();
  assert.ok(!html.includes("1.2") && !html.includes(path.basename(tinyWorldModel())), "no temperature or model name on the page");

  // 2. By keyboard, on a prompt the annotator rewrote: Ctrl+Enter samples from the prompt box, Esc leaves it, B, 1, Enter.
  await promptBox.fill("Write me a short poem about a river.");
  await promptBox.focus();
  let s2: { A: string; B: string };
  for (;;) {
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction(bothDone);
    s2 = { A: (await region(page, "A").textContent())!, B: (await region(page, "B").textContent())! };
    if (s2.A.trim() && s2.B.trim()) break;
  }
  await page.keyboard.press("Escape");
  await page.keyboard.press("b");
  assert.equal(await radio(page, "B is better").isChecked(), true);
  await page.keyboard.press("1");
  assert.equal(await radio(page, "Significantly better").isChecked(), true);
  await page.keyboard.press("4");
  assert.equal(await radio(page, "Negligibly better / unsure").isChecked(), true);
  await page.keyboard.press("3");
  await page.keyboard.press("Enter");
  await counterIs(page, "2 done · 2 left");
  r = rows();
  assert.equal(r.length, 2);
  assert.equal(r[1].prompt, "Write me a short poem about a river.");
  assert.equal(r[1].prompt_index, 1);
  assert.equal(r[1].chosen, s2.B);
  assert.equal(r[1].rejected, s2.A);
  assert.equal(r[1].rating, "slightly_better");

  // 3. A messages prompt: history shown; chosen unsafe + other safe is refused and not written; both unsafe is kept.
  const hist = page.getByRole("region", { name: "Conversation so far" });
  assert.match((await hist.textContent())!, /Answer briefly\.[\s\S]*Hello there\.[\s\S]*Hello\. How can I help\?/);
  assert.equal(await promptBox.inputValue(), "Tell me about the mountain.");
  const s3 = await sample(page, "key");
  await radio(page, "A is better").check();
  await radio(page, "Negligibly better / unsure").check();
  await page.getByRole("checkbox", { name: "A is unsafe", exact: true }).check();
  await submit.click();
  const alert = page.getByRole("alert");
  await page.waitForFunction(() => (globalThis as any).document.getElementById("message").textContent.includes("Not recorded"));
  assert.match((await alert.textContent())!, /chosen response is marked unsafe and the other safe/);
  assert.equal(rows().length, 2, "the refused pair is not written");
  assert.match(await counter(page), /2 done · 2 left/);
  await page.getByRole("checkbox", { name: "B is unsafe", exact: true }).check();
  await submit.click();
  await counterIs(page, "3 done · 1 left");
  r = rows();
  assert.equal(r.length, 3);
  assert.deepEqual(r[2].messages, [...PROMPTS[2]!.messages!]);
  assert.equal(r[2].chosen, s3.A);
  assert.deepEqual(r[2].safety, { label: "both_unsafe", chosen_safe: false, rejected_safe: false });
  assert.equal(r[2].rating, "negligibly_better");

  // 4. Undo takes the last row back and returns to its prompt.
  await page.getByRole("button", { name: "Undo last", exact: true }).click();
  await counterIs(page, "2 done · 2 left");
  assert.equal(rows().length, 2);
  assert.equal(await promptBox.inputValue(), "Tell me about the mountain.");
  // and once more with the U key
  await page.keyboard.press("u");
  await counterIs(page, "1 done · 3 left");
  assert.equal(rows().length, 1);
  await sample(page);
  await radio(page, "B is better").check();
  await radio(page, "Better").check();
  await submit.click();
  await counterIs(page, "2 done · 2 left");

  // 5. A crash (SIGKILL) loses nothing submitted; the restarted command resumes at the first prompt without a row.
  const before = fs.readFileSync(out, "utf8");
  proc!.kill("SIGKILL");
  await new Promise((res) => proc!.once("exit", res));
  assert.equal(fs.readFileSync(out, "utf8"), before);
  url = await start();
  await page.goto(url);
  await counterIs(page, "2 done · 2 left");
  assert.equal(await promptBox.inputValue(), "Tell me about the mountain.");
  for (const [choice, rating] of [["A is better", "Significantly better"], ["B is better", "Slightly better"]] as const) {
    await sample(page);
    await radio(page, choice).check();
    await radio(page, rating).check();
    await submit.click();
    await page.waitForFunction(() => (globalThis as any).document.getElementById("submit").disabled && (globalThis as any).document.getElementById("resp-A").textContent === "");
  }
  await counterIs(page, "4 done · 0 left");
  r = rows();
  assert.deepEqual(r.map((x) => x.prompt_index), [0, 1, 2, 3]);
  // The name typed in the page is written; the restarted page (a new port, so a new origin) starts from --annotator.
  assert.deepEqual(r.map((x) => x.annotator), ["ana", "ana", "cli-name", "cli-name"]);
  proc!.kill("SIGTERM");
  await new Promise((res) => proc!.once("exit", res));
  proc = null;

  // 6. The file reads as reward train reads it, and trains a reward model.
  const read = await readPreferences(out, "small");
  assert.equal(read.length, 4);
  const rm = path.join(work, "rm");
  const t = llama2("reward", "train", "--quiet", "--set", `model=${tinyWorldModel()}`, "--set", `data=${out}`, "--set", `out=${rm}`,
    "--set", "max_steps=2", "--set", "pairs_per_step=2", "--set", "batch_pairs=2", "--set", "threads=1");
  assert.equal(t.status, 0, t.stderr);
  assert.ok(fs.existsSync(path.join(rm, "final", "config.json")));
  const config = JSON.parse(fs.readFileSync(path.join(rm, "final", "config.json"), "utf8"));
  assert.deepEqual(config.architectures, ["LlamaForSequenceClassification"]);
});
