// The generation worker (worker_threads): holds the model and runs the continuous batcher off the
// main event loop, so the HTTP server keeps answering /health and accepting requests while long
// generations run. Messages in: submit / cancel / shutdown; out: ready, events (everything one step
// produced, in one message: a message per token per stream cost a tenth of a 16-stream step), error.
import { parentPort, workerData } from "node:worker_threads";
import { Llama } from "../model/llama.js";
import { loadTokenizer } from "../tokenizer/resolve.js";
import { ContinuousBatcher, type SequenceEvent, type SequenceRequest } from "./batcher.js";
import type { ToWorker, FromWorker } from "./worker-protocol.js";
import type { EngineOptions } from "./engine-client.js";

const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

async function main(): Promise<void> {
  const { modelDir, parallel, contextSize, threads, dtype } = workerData as EngineOptions;
  const { native } = await import("../native/addon.js");
  if (threads) native.setThreadCount(threads);
  const model = await Llama.load(modelDir, { trainable: false, dtype });
  const tok = await loadTokenizer(modelDir);
  const batcher = new ContinuousBatcher(model, tok, { parallel, contextSize });
  let events: { id: string; event: SequenceEvent }[] = [];
  const flush = (): void => { if (events.length) { post({ type: "events", events }); events = []; } };
  let running = false;
  let stopping = false;
  const loop = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      while (!batcher.idle) {
        try { batcher.step(); } finally { flush(); }
        await new Promise<void>((r) => setImmediate(r)); // lets submit/cancel messages in between steps
      }
    } catch (e) {
      post({ type: "fatal", message: (e as Error).message });
    } finally {
      running = false;
    }
    if (stopping) port.close();
  };
  port.on("message", (m: ToWorker) => {
    if (m.type === "submit") {
      try {
        batcher.submit(m.req as SequenceRequest, (event) => events.push({ id: m.req.id, event }));
      } catch (e) {
        post({ type: "error", id: m.req.id, message: (e as Error).message });
        return;
      }
      void loop();
    } else if (m.type === "cancel") batcher.cancel(m.id);
    else if (m.type === "shutdown") { stopping = true; if (!running) port.close(); }
  });
  post({
    type: "ready", contextSize: batcher.contextSize, vocabSize: model.config.vocabSize,
  });
}

main().catch((e: unknown) => post({ type: "fatal", message: (e as Error).message }));
