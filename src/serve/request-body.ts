// The JSON body of an HTTP request, read once for both servers (the OpenAI-compatible `serve` and the
// annotation page): a size limit (413), invalid JSON (400), optionally "must be an object" and "empty means
// {}". Each server passes the error type it answers with, so a refusal reaches its client in that server's
// error shape.
import type http from "node:http";

export interface RequestBodyOptions {
  /** Largest body accepted, in bytes; a larger one is refused with status 413 and the request destroyed. */
  maxBytes: number;
  /** Makes the error a refusal is rejected with (the caller's HTTP error type). */
  error: (status: number, message: string) => Error;
  /** The value of an empty body; without it an empty body is invalid JSON. */
  empty?: unknown;
  /** Refuse anything but a JSON object (status 400). */
  objectOnly?: boolean;
}

/** Reads and parses the JSON body of `req`; rejects with `opts.error(status, message)`. */
export function readJsonBody(req: http.IncomingMessage, opts: RequestBodyOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (b: Buffer) => {
      size += b.length;
      if (size > opts.maxBytes) {
        reject(opts.error(413, `the request body is larger than ${opts.maxBytes} bytes`));
        req.destroy();
        return;
      }
      parts.push(b);
    });
    req.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      if (text === "" && opts.empty !== undefined) return resolve(opts.empty);
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        return reject(opts.error(400, `the request body is not valid JSON: ${(e as Error).message}`));
      }
      if (opts.objectOnly && (!v || typeof v !== "object" || Array.isArray(v))) return reject(opts.error(400, "the request body must be a JSON object"));
      resolve(v);
    });
    req.on("error", reject);
  });
}
