// The coordinator's side of snapshots: publishes a model directory (or a model in memory, saved first:
// PPO's policy changes every iteration) under its content hash, either by copying it into a directory the
// workers share or by serving its files over HTTP (GET /snapshots/HASH/NAME, node:http, nothing else).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Llama } from "../../model/llama.js";
import { describeFiles, modelFiles, type SnapshotRef } from "./snapshot.js";

/** Where published snapshots go: a shared directory, or an HTTP server on host:port advertised as url. */
export type SnapshotTarget = { dir: string } | { host: string; port: number; url: string | null };

/** Publishes snapshots for rollout jobs; close() stops the HTTP server. */
export class SnapshotStore {
  private readonly served = new Map<string, Map<string, string>>(); // hash → (name → absolute path)
  private server: http.Server | null = null;
  private baseUrl = "";
  private saved = 0;

  private constructor(private readonly target: SnapshotTarget, private readonly scratch: string) {}

  /** A store publishing to `target`; `scratch` holds models saved from memory (a directory of the run). */
  static async open(target: SnapshotTarget, scratch: string): Promise<SnapshotStore> {
    const s = new SnapshotStore(target, scratch);
    if ("dir" in target) fs.mkdirSync(target.dir, { recursive: true });
    else await s.listen(target);
    return s;
  }

  /** The HTTP URL prefix workers fetch from (empty in shared-directory mode). */
  get url(): string { return this.baseUrl; }

  private async listen(t: { host: string; port: number; url: string | null }): Promise<void> {
    this.server = http.createServer((req, res) => {
      const m = /^\/snapshots\/([0-9a-f]{64})\/(.+)$/.exec((req.url ?? "").split("?")[0]!);
      const file = m ? this.served.get(m[1]!)?.get(decodeURIComponent(m[2]!)) : undefined;
      if (req.method !== "GET" || !file) { res.writeHead(404, { "content-type": "text/plain" }).end("no such snapshot file\n"); return; }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": fs.statSync(file).size });
      fs.createReadStream(file).on("error", () => res.destroy()).pipe(res);
    });
    await new Promise<void>((resolve, reject) => { this.server!.once("error", reject); this.server!.listen(t.port, t.host, () => resolve()); });
    const port = (this.server.address() as AddressInfo).port;
    this.baseUrl = (t.url ?? `http://${t.host.includes(":") ? `[${t.host}]` : t.host}:${port}`).replace(/\/+$/, "") + "/snapshots/";
  }

  /** Publishes the files of model directory `dir` (as they are now) and returns the job's reference to them. */
  async publishDir(dir: string): Promise<SnapshotRef> {
    const files = modelFiles(dir);
    const m = await describeFiles(files);
    if ("dir" in this.target) {
      const dst = path.join(this.target.dir, m.hash);
      if (!fs.existsSync(dst)) {
        const tmp = path.join(this.target.dir, `.${m.hash}.partial-${process.pid}`);
        fs.rmSync(tmp, { recursive: true, force: true });
        for (const [name, abs] of files) {
          fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
          fs.copyFileSync(abs, path.join(tmp, name));
        }
        try { fs.renameSync(tmp, dst); } catch (e) { fs.rmSync(tmp, { recursive: true, force: true }); if (!fs.existsSync(dst)) throw e; }
      }
      return { ...m, source: dst };
    }
    this.served.set(m.hash, files);
    return { ...m, source: this.baseUrl + m.hash + "/" };
  }

  /** Saves a model held in memory (with the tokenizer files of `tokenizerDir`) and publishes it; older saves are removed. */
  async publishModel(model: Llama, tokenizerDir: string): Promise<SnapshotRef> {
    const dir = path.join(this.scratch, `policy-${++this.saved}`);
    fs.rmSync(dir, { recursive: true, force: true });
    await model.save(dir);
    for (const f of ["tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json"])
      if (fs.existsSync(path.join(tokenizerDir, f))) fs.copyFileSync(path.join(tokenizerDir, f), path.join(dir, f));
    const ref = await this.publishDir(dir);
    const old = path.join(this.scratch, `policy-${this.saved - 2}`); // jobs of the previous iteration may still be fetching
    if (this.saved > 2 && fs.existsSync(old)) {
      for (const [h, files] of this.served) if ([...files.values()].some((f) => f.startsWith(old + path.sep))) this.served.delete(h);
      fs.rmSync(old, { recursive: true, force: true });
    }
    if ("dir" in this.target) fs.rmSync(dir, { recursive: true, force: true }); // copied into the shared directory
    return ref;
  }

  /** Stops the HTTP server (shared-directory mode: nothing to do). */
  async close(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
