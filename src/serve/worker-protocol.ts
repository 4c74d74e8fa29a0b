// Messages between the server (main thread) and its generation worker (src/serve/worker.ts).
import type { SequenceEvent, SequenceRequest } from "./batcher.js";

export type ToWorker =
  | { type: "submit"; req: SequenceRequest }
  | { type: "cancel"; id: string }
  | { type: "shutdown" };

export type FromWorker =
  | { type: "ready"; contextSize: number; vocabSize: number }
  | { type: "events"; events: { id: string; event: SequenceEvent }[] }
  | { type: "error"; id: string; message: string }
  | { type: "fatal"; message: string };
