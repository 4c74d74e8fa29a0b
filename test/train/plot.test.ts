// `llama2 plot` (src/train/plot.ts): Vega-Lite spec from metrics.jsonl, SVG and PNG output.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { curvesSpec, plotRun, renderSvg } from "../../src/train/plot.js";
import { tempDir } from "../helpers/tmp.js";

function metricsFile(): string {
  const dir = tempDir("plot-");
  const lines = [];
  for (let s = 1; s <= 30; s++) {
    lines.push(JSON.stringify({ step: s, loss: 6 - s / 10, lr: 1e-3 * Math.min(1, s / 5), grad_norm: 1 }));
    if (s % 10 === 0) lines.push(JSON.stringify({ step: s, val_loss: 6.2 - s / 10, val_ppl: 100 }));
  }
  const f = path.join(dir, "metrics.jsonl");
  fs.writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

test("the curves spec carries every train loss, each eval's val loss and the learning rate", () => {
  const f = metricsFile();
  const lines = fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const spec = curvesSpec(lines, "run") as unknown as { vconcat: { data: { values: Record<string, unknown>[] } }[] };
  const loss = spec.vconcat[0].data.values;
  assert.equal(loss.filter((p) => p.series === "train loss").length, 30);
  assert.deepEqual(loss.filter((p) => p.series === "val loss").map((p) => p.step), [10, 20, 30]);
  assert.equal(spec.vconcat[1].data.values.length, 30);
  assert.throws(() => curvesSpec([{ step: 1, val_ppl: 3 }], "x"), /no loss values/);
});

test("plot writes an SVG with both panels, and a PNG (or says which font it needs)", async () => {
  const f = metricsFile();
  const svg = await renderSvg(curvesSpec(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l)), "run"));
  assert.ok(svg.startsWith("<svg"));
  for (const label of ["train loss", "val loss", "learning rate", "step"]) assert.ok(svg.includes(label), label);
  const png = path.join(path.dirname(f), "c.png");
  try {
    await plotRun(f, png, "run");
    const head = fs.readFileSync(png).subarray(0, 8);
    assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  } catch (e) {
    assert.match((e as Error).message, /--font FILE\.ttf/);
  }
  await assert.rejects(plotRun(f, path.join(path.dirname(f), "c.jpg"), "run"), /expected a \.svg or \.png/);
});
