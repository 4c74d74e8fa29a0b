// Worker thread of `data prepare --workers N`: loads the tokenizer once, then encodes batches of
// documents (each wrapped in <s> … </s>) and sends back one flat Int32Array of ids plus the
// per-document lengths, transferring the buffers instead of copying them.
import { parentPort, workerData } from "node:worker_threads";
import { Tokenizer } from "../tokenizer/tokenizer.js";

export interface EncodeRequest {
  id: number;
  texts: string[];
}

export interface EncodeResponse {
  id: number;
  ids: Int32Array;
  lengths: Int32Array;
}

const { tokenizerDir, parseSpecial } = workerData as { tokenizerDir: string; parseSpecial?: boolean };
const tokenizer = await Tokenizer.load(tokenizerDir);
parentPort!.on("message", (req: EncodeRequest) => {
  const parts = req.texts.map((t) => tokenizer.encode(t, { bos: true, eos: true, parseSpecial: parseSpecial === true }));
  const lengths = Int32Array.from(parts, (p) => p.length);
  const ids = new Int32Array(lengths.reduce((a, b) => a + b, 0));
  let o = 0;
  for (const p of parts) {
    ids.set(p, o);
    o += p.length;
  }
  const res: EncodeResponse = { id: req.id, ids, lengths };
  parentPort!.postMessage(res, [ids.buffer, lengths.buffer]);
});
parentPort!.postMessage({ ready: true });
