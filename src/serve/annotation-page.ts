// The annotation page served by `llama2 annotate` (src/serve/annotation-server.ts): plain HTML, CSS
// and a browser script, no build step and nothing from a CDN. The labels are the contract the page is
// driven by (issue 15; paper §3.2.1): Prompt, Sample, Response A / Response B, A is better / B is better,
// the four-level rating, A is unsafe / B is unsafe, Submit, Undo last; keys A/B, 1–4, Enter, S, U.

/** The page (loads /style.css and /app.js from the same server). */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llama2 annotate</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <h1>Compare two responses</h1>
  <p id="counter" role="status" aria-live="polite">loading…</p>
  <label class="who">Annotator <input id="annotator" type="text" autocomplete="name" spellcheck="false"></label>
</header>
<main>
  <section id="history" aria-label="Conversation so far" hidden></section>
  <label for="prompt" class="big">Prompt</label>
  <textarea id="prompt" rows="4" placeholder="Write a prompt, or use the one from the prompts file"></textarea>
  <div class="row"><button id="sample" type="button">Sample</button> <span class="hint">S, or Ctrl+Enter in the prompt</span></div>
  <div class="pair">
    <div class="col"><h2>Response A</h2><section id="resp-A" class="response" aria-label="Response A" aria-busy="false"></section></div>
    <div class="col"><h2>Response B</h2><section id="resp-B" class="response" aria-label="Response B" aria-busy="false"></section></div>
  </div>
  <form id="verdict">
    <fieldset>
      <legend id="question">Which response is better?</legend>
      <label><input type="radio" name="choice" value="A"> A is better</label>
      <label><input type="radio" name="choice" value="B"> B is better</label>
    </fieldset>
    <fieldset>
      <legend>By how much?</legend>
      <label><input type="radio" name="rating" value="significantly_better"> Significantly better</label>
      <label><input type="radio" name="rating" value="better"> Better</label>
      <label><input type="radio" name="rating" value="slightly_better"> Slightly better</label>
      <label><input type="radio" name="rating" value="negligibly_better"> Negligibly better / unsure</label>
    </fieldset>
    <fieldset>
      <legend>Safety</legend>
      <label><input type="checkbox" id="A-unsafe"> A is unsafe</label>
      <label><input type="checkbox" id="B-unsafe"> B is unsafe</label>
    </fieldset>
    <p id="message" role="alert"></p>
    <div class="row">
      <button id="submit" type="submit" disabled>Submit</button>
      <button id="undo" type="button">Undo last</button>
    </div>
  </form>
  <p class="hint">Keys (outside the text fields): S sample · A / B choose · 1–4 rating · Enter submit · U undo · Esc leaves a text field</p>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

/** The page's style sheet. */
export const PAGE_CSS = String.raw`
body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: #1d1d1f; }
header { display: flex; gap: 1.5rem; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .3rem; }
#counter { margin: 0; color: #444; }
.who { margin-left: auto; }
.big { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
textarea { width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; }
#history { border-left: 3px solid #bbb; padding: .2rem .8rem; margin: .8rem 0; color: #333; }
#history p { margin: .3rem 0; white-space: pre-wrap; }
#history b { text-transform: capitalize; }
.row { display: flex; gap: .8rem; align-items: center; margin: .6rem 0; }
.hint { color: #666; font-size: .85rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin: 1rem 0; }
.response { min-height: 8rem; white-space: pre-wrap; border: 1px solid #ccc; border-radius: 6px; padding: .7rem; background: #fafafa; }
.response[aria-busy="true"] { border-color: #6a8; }
fieldset { border: 1px solid #ddd; border-radius: 6px; margin: .6rem 0; display: flex; gap: 1.2rem; flex-wrap: wrap; }
legend { font-weight: 600; }
#message { color: #a00; min-height: 1.4em; margin: .4rem 0; }
button { font: inherit; padding: .4rem 1.1rem; }
`;

/** The page's script: state from /api/state, streaming from /api/sample (server-sent events), /api/submit, /api/undo. */
export const PAGE_JS = String.raw`
const $ = (id) => document.getElementById(id);
const promptBox = $("prompt"), counter = $("counter"), message = $("message"), history = $("history");
const submitBtn = $("submit"), sampleBtn = $("sample"), undoBtn = $("undo"), who = $("annotator");
const regions = { A: $("resp-A"), B: $("resp-B") };
let current = { index: null };   // the prompt on screen (index in the prompts file, or null)
let comparison = null;           // { id, done: { A, B } } once sampling started
let stream = null;               // AbortController of the running sample

function radios(name) { return Array.from(document.querySelectorAll("input[name=" + name + "]")); }
function picked(name) { const r = radios(name).find((x) => x.checked); return r ? r.value : null; }
function complete() { return comparison !== null && comparison.done.A && comparison.done.B; }
function update() { submitBtn.disabled = !(complete() && picked("choice") && picked("rating")); }
function say(text) { message.textContent = text || ""; }

function show(s) {
  counter.textContent = s.done + " done · " + s.left + " left" + (s.index === null ? " — all prompts are annotated; write your own" : "");
  $("question").textContent = s.question;
  current = { index: s.index };
  history.replaceChildren();
  for (const m of s.history) {
    const p = document.createElement("p"), b = document.createElement("b");
    b.textContent = m.role + ": ";
    p.append(b, document.createTextNode(m.content));
    history.append(p);
  }
  history.hidden = s.history.length === 0;
  promptBox.value = s.prompt;
  if (!who.value) who.value = s.annotator || localStorage.getItem("llama2-annotator") || "";
  reset();
}

function reset() {
  if (stream) stream.abort();
  stream = null;
  comparison = null;
  for (const k of ["A", "B"]) { regions[k].textContent = ""; regions[k].setAttribute("aria-busy", "false"); }
  for (const r of radios("choice").concat(radios("rating"))) r.checked = false;
  $("A-unsafe").checked = false; $("B-unsafe").checked = false;
  update();
}

async function api(path, body) {
  const r = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(j.error ? j.error.message : ("HTTP " + r.status));
  return j;
}

async function sample() {
  const text = promptBox.value;
  if (text.trim() === "") { say("Write a prompt first."); return; }
  reset();
  say("");
  const ctl = new AbortController();
  stream = ctl;
  for (const k of ["A", "B"]) regions[k].setAttribute("aria-busy", "true");
  let res;
  try {
    res = await fetch("/api/sample", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ prompt: text, index: current.index }), signal: ctl.signal });
  } catch (e) { if (!ctl.signal.aborted) say("Sampling failed: " + e.message); return; }
  if (!res.ok) { const j = await res.json(); say(j.error.message); for (const k of ["A", "B"]) regions[k].setAttribute("aria-busy", "false"); return; }
  const reader = res.body.getReader(), dec = new TextDecoder();
  let buf = "";
  const handle = (ev) => {
    if (ev.type === "start") comparison = { id: ev.id, done: { A: false, B: false } };
    else if (ev.type === "text") regions[ev.slot].textContent += ev.text;
    else if (ev.type === "done") { comparison.done[ev.slot] = true; regions[ev.slot].setAttribute("aria-busy", "false"); update(); }
    else if (ev.type === "error") { say("Sampling failed: " + ev.message); for (const k of ["A", "B"]) regions[k].setAttribute("aria-busy", "false"); }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const chunk = buf.slice(0, cut); buf = buf.slice(cut + 2);
        for (const line of chunk.split("\n")) if (line.startsWith("data: ")) handle(JSON.parse(line.slice(6)));
      }
    }
  } catch (e) { if (!ctl.signal.aborted) say("Sampling failed: " + e.message); }
  if (stream === ctl) stream = null;
}

async function submit() {
  update();
  if (submitBtn.disabled) return;
  submitBtn.disabled = true;
  localStorage.setItem("llama2-annotator", who.value);
  try {
    const s = await api("/api/submit", {
      id: comparison.id, choice: picked("choice"), rating: picked("rating"),
      a_unsafe: $("A-unsafe").checked, b_unsafe: $("B-unsafe").checked, annotator: who.value,
    });
    show(s);
    say("");
  } catch (e) { say(e.message); update(); }
}

async function undo() {
  try { const s = await api("/api/undo", {}); show(s); say(""); counter.textContent += " (undid the last row)"; }
  catch (e) { say(e.message); }
}

sampleBtn.addEventListener("click", () => { sample(); });
undoBtn.addEventListener("click", () => { undo(); });
$("verdict").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
$("verdict").addEventListener("change", () => { say(""); update(); });

function choose(name, value) {
  const r = radios(name).find((x) => x.value === value);
  if (r) { r.checked = true; r.dispatchEvent(new Event("change", { bubbles: true })); }
}
document.addEventListener("keydown", (e) => {
  const t = e.target;
  const typing = t === promptBox || t === who;
  if (typing || t.tagName === "BUTTON" && e.key === "Enter" && t !== submitBtn) {
    if (!typing) return; // Enter on Sample / Undo presses that button
    if (t === promptBox && e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sample(); }
    else if (e.key === "Escape") t.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key.toLowerCase();
  if (k === "a" || k === "b") choose("choice", k.toUpperCase());
  else if (k >= "1" && k <= "4") choose("rating", ["significantly_better", "better", "slightly_better", "negligibly_better"][Number(k) - 1]);
  else if (k === "enter") { e.preventDefault(); submit(); }
  else if (k === "s") sample();
  else if (k === "u") undo();
  else return;
  e.preventDefault();
});

api("/api/state").then(show, (e) => say("Could not load the state: " + e.message));
`;
