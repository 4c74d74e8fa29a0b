// The main thread's handle on the generation worker: submits sequences, routes their events back by
// id, cancels, and counts what is running so the server can bound its queue.
import { Worker } from "node:worker_threads";
import type { SequenceEvent, SequenceRequest } from "./batcher.js";
import type { FromWorker, ToWorker } from "./worker-protocol.js";
import type { WeightDtype } from "../model/weight-storage.js";

export interface EngineOptions {
  modelDir: string;
  parallel: number;
  contextSize?: number;
  threads?: number;
  /** Storage of the linear weights the worker loads (default float32). */
  dtype?: WeightDtype;
}

export class GenerationEngine {
  private readonly worker: Worker;
  private readonly handlers = new Map<string, { onEvent: (e: SequenceEvent) => void; onError: (m: string) => void }>();
  contextSize = 0;
  vocabSize = 0;
  /** Rejects when the worker dies. */
  readonly ready: Promise<void>;
  private dead: string | null = null;

  constructor(readonly opts: EngineOptions) {
    this.worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: opts });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on("message", (m: FromWorker) => {
        if (m.type === "ready") { this.contextSize = m.contextSize; this.vocabSize = m.vocabSize; resolve(); }
        else if (m.type === "events") {
          for (const { id, event } of m.events) {
            const h = this.handlers.get(id);
            if (!h) continue;
            if (event.kind === "done") this.handlers.delete(id);
            h.onEvent(event);
          }
        } else if (m.type === "error") {
          const h = this.handlers.get(m.id);
          this.handlers.delete(m.id);
          h?.onError(m.message);
        } else if (m.type === "fatal") {
          this.fail(m.message);
          reject(new Error(m.message));
        }
      });
      this.worker.on("error", (e) => { this.fail(e.message); reject(e); });
      this.worker.on("exit", (code) => { this.fail(`generation worker exited (code ${code})`); reject(new Error(this.dead!)); });
    });
  }

  private fail(message: string): void {
    this.dead ??= message;
    for (const h of this.handlers.values()) h.onError(message);
    this.handlers.clear();
  }

  /** Sequences submitted and not finished. */
  get inFlight(): number { return this.handlers.size; }

  submit(req: SequenceRequest, onEvent: (e: SequenceEvent) => void, onError: (m: string) => void): void {
    if (this.dead) { onError(this.dead); return; }
    this.handlers.set(req.id, { onEvent, onError });
    this.post({ type: "submit", req });
  }

  cancel(id: string): void {
    if (!this.handlers.delete(id)) return;
    this.post({ type: "cancel", id });
  }

  private post(m: ToWorker): void { this.worker.postMessage(m); }

  /** Lets running sequences finish their current step, then ends the worker. */
  async close(): Promise<void> {
    for (const id of [...this.handlers.keys()]) this.cancel(id);
    this.post({ type: "shutdown" });
    await Promise.race([new Promise((r) => this.worker.once("exit", r)), new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate();
  }
}
