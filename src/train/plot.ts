// Training curves from RUN_DIR/metrics.jsonl: loss (train, and val at eval steps) and learning
// rate against the step, as a Vega-Lite spec rendered headlessly by Vega to SVG; PNG goes through
// resvg's WebAssembly build (no native canvas), with a TrueType font from the system or --font.
import fs from "node:fs";
import { createRequire } from "node:module";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { readMetrics, type MetricsLine } from "./metrics-log.js";

/** The Vega-Lite spec of a run's curves: loss on top (log y), learning rate below. */
export function curvesSpec(lines: MetricsLine[], title: string): TopLevelSpec {
  const points: { step: number; value: number; series: string }[] = [];
  const lr: { step: number; lr: number }[] = [];
  for (const l of lines) {
    if (typeof l.step !== "number") continue;
    if (typeof l.loss === "number") points.push({ step: l.step, value: l.loss, series: "train loss" });
    if (typeof l.val_loss === "number") points.push({ step: l.step, value: l.val_loss, series: "val loss" });
    if (typeof l.lr === "number") lr.push({ step: l.step, lr: l.lr });
  }
  if (points.length === 0) throw new Error("no loss values to plot");
  const x = { field: "step", type: "quantitative", title: "step" } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    background: "white",
    vconcat: [
      {
        width: 640, height: 300,
        data: { values: points },
        mark: { type: "line", point: points.length <= 100 ? { size: 18 } : false, clip: true },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", title: "loss (nats/token)", scale: { type: "log" } },
          color: { field: "series", type: "nominal", title: null, scale: { domain: ["train loss", "val loss"] } },
        },
      },
      {
        width: 640, height: 150,
        data: { values: lr },
        mark: "line",
        encoding: { x, y: { field: "lr", type: "quantitative", title: "learning rate", axis: { format: ".1e" } } },
      },
    ],
  } as TopLevelSpec;
}

/** Renders a spec to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

let wasmReady: Promise<void> | null = null;

/** Rasterises SVG to PNG with resvg (WebAssembly); `font` is a .ttf/.otf path (default: a system font). */
export async function svgToPng(svg: string, font?: string): Promise<Uint8Array> {
  const fontFile = font ?? FONT_CANDIDATES.find((f) => fs.existsSync(f));
  if (!fontFile) throw new Error(`PNG output needs a TrueType font for the labels; none found in ${FONT_CANDIDATES.join(", ")} — pass --font FILE.ttf or write .svg`);
  const resvg = await import("@resvg/resvg-wasm");
  if (!wasmReady) {
    const require = createRequire(import.meta.url);
    wasmReady = resvg.initWasm(fs.readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  }
  await wasmReady;
  const fontData = new Uint8Array(fs.readFileSync(fontFile));
  const r = new resvg.Resvg(svg, {
    font: { fontBuffers: [fontData], defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: 2 },
  });
  return r.render().asPng();
}

/** Reads RUN_DIR/metrics.jsonl and writes the curves to `out` (.svg or .png). */
export async function plotRun(metricsFile: string, out: string, title: string, font?: string): Promise<void> {
  const svg = await renderSvg(curvesSpec(readMetrics(metricsFile), title));
  if (out.toLowerCase().endsWith(".png")) fs.writeFileSync(out, await svgToPng(svg, font));
  else if (out.toLowerCase().endsWith(".svg")) fs.writeFileSync(out, svg);
  else throw new Error(`--out ${out}: expected a .svg or .png file name`);
}
