// A pool of tokenizer worker threads for `data prepare` (src/data/encode-worker.ts): batches of
// documents go out round-robin and come back as promises, which the caller awaits in submission
// order so the token stream is byte-identical to single-threaded encoding.
import { Worker } from "node:worker_threads";
import type { EncodeRequest, EncodeResponse } from "./encode-worker.js";

export class EncodePool {
  private readonly pending = new Map<number, { resolve: (r: EncodeResponse) => void; reject: (e: Error) => void }>();
  private next = 0;

  private constructor(private readonly workers: Worker[]) {
    for (const w of workers) {
      w.on("message", (m: EncodeResponse) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.resolve(m);
      });
      w.on("error", (e) => this.failAll(e));
    }
  }

  /** Starts `n` workers, each loading the tokenizer in `tokenizerDir`. */
  static async start(tokenizerDir: string, n: number, parseSpecial = false): Promise<EncodePool> {
    const url = new URL("./encode-worker.js", import.meta.url);
    const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { tokenizerDir, parseSpecial } }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }): void => {
        if (m.ready) {
          w.off("message", onMsg);
          w.off("error", reject);
          resolve();
        }
      };
      w.on("message", onMsg);
      w.once("error", reject);
    })));
    return new EncodePool(workers);
  }

  /** Encodes `texts`; resolves to the flat ids and per-document lengths. */
  encode(texts: string[]): Promise<EncodeResponse> {
    const id = this.next++;
    const w = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const req: EncodeRequest = { id, texts };
      w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
