// Opens a demo run's report.html from file:// in headless Debian chromium (playwright-core) and reports what a
// reader's browser would show: console errors, uncaught page errors, every request the page made, and per chart
// (figure.chart) whether its inline SVG has a size and drawn marks (Vega's g.role-mark groups with shapes).
import { chromium } from "playwright-core";
import type nodeAssert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { ensureDebianPackage } from "./debian-package.js";

/** The project brief's flags for the headless browser. */
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface ChartCheck { id: string; width: number; height: number; marks: number }
export interface PageCheck { errors: string[]; requests: string[]; charts: ChartCheck[]; samples: number; title: string }

/** Loads `file` in chromium; `screenshot` (a .png path) also saves the top of the page at 1100 px width. */
export async function checkReportPage(file: string, screenshot?: string): Promise<PageCheck> {
  const browser = await chromium.launch({ executablePath: ensureDebianPackage("chromium"), args: CHROMIUM_FLAGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const errors: string[] = [], requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") errors.push(`console.${m.type()}: ${m.text()}`); });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- browser-side code; this project compiles without the DOM lib
    const charts: ChartCheck[] = await page.$$eval("figure.chart", (figs: any[]) => figs.map((f: any) => {
      const svg = f.querySelector("svg");
      const box = svg?.getBoundingClientRect();
      // A mark counts when its shape has geometry: a path with a non-empty d, or a rect/circle/line with a box.
      const shapes: any[] = svg ? Array.from(svg.querySelectorAll("g.role-mark path, g.role-mark rect, g.role-mark circle, g.role-mark line")) : [];
      const marks = shapes.filter((s: any) => {
        if (s.tagName === "path" && !(s.getAttribute("d") ?? "").trim()) return false;
        const b = s.getBBox();
        return b.width > 0 || b.height > 0;
      }).length;
      return { id: f.getAttribute("data-chart") ?? "", width: box?.width ?? 0, height: box?.height ?? 0, marks };
    }));
    const samples = await page.locator(".sample").count();
    const title = await page.title();
    if (screenshot) await page.screenshot({ path: screenshot, clip: { x: 0, y: 0, width: 1100, height: 1400 } });
    return { errors, requests, charts, samples, title };
  } finally {
    await browser.close();
  }
}

/** The result charts every demo report has (loss charts come on top: one per training run). */
export const RESULT_CHARTS = ["rates", "reward-per-stage", "rm-accuracy", "rs-reward-k", "reward-per-iteration", "adherence"];

/**
 * Asserts what the issue asks of the page: no console errors, nothing fetched but the file itself, and every
 * chart drawn — the six result charts and a loss chart per training run (pretraining, SFT, four RMs, the SFT
 * of each of the two RS iterations, PPO, GAtt: 10), each an SVG with a size and marks.
 */
export function assertReportRenders(c: PageCheck, assert: typeof nodeAssert): void {
  assert.deepEqual(c.errors, [], "console or page errors");
  assert.deepEqual(c.requests.filter((u) => !u.startsWith("file:") && !u.startsWith("data:")), [], "requests beyond the file");
  const ids = c.charts.map((x) => x.id);
  for (const id of RESULT_CHARTS) assert.ok(ids.includes(id), `chart ${id} missing (have ${ids.join(", ")})`);
  assert.equal(ids.filter((id) => id.startsWith("loss-")).length, 10, `loss charts: ${ids.join(", ")}`);
  for (const x of c.charts) {
    assert.ok(x.width > 50 && x.height > 50, `chart ${x.id}: SVG box ${x.width}x${x.height}`);
    assert.ok(x.marks > 0, `chart ${x.id}: no marks drawn`);
  }
  assert.ok(c.samples >= 4, `sample answers: ${c.samples}`);
}
