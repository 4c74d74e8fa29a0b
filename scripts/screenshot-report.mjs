// Screenshot of a demo run's report.html for the README (docs/report.png): the page opened from file:// in
// Debian chromium through playwright-core, the top of it (results tables and the first charts) at 1100 px.
//   node scripts/screenshot-report.mjs runs/demo/report.html docs/report.png [height]
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [file, out, height = "1250"] = process.argv.slice(2);
if (!file || !out) { console.error("usage: node scripts/screenshot-report.mjs REPORT.html OUT.png [HEIGHT]"); process.exit(2); }
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: Number(height) }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(path.resolve(file)).href);
  await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1100, height: Number(height) } });
  console.error(`wrote ${out}`);
} finally {
  await browser.close();
}
