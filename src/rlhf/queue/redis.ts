// A quick reachability check of the queue's Redis before BullMQ (whose client retries forever) is
// started: a TCP connect with a timeout, so a wrong rollout.queue / --queue fails at once, naming the URL.
import net from "node:net";
import { parseRedisUrl } from "./protocol.js";

/** Resolves when HOST:PORT of `url` accepts a TCP connection within `timeoutMs`; else throws naming the URL. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const { host, port } = parseRedisUrl(url);
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host, port });
    const fail = (why: string): void => { s.destroy(); reject(new Error(`cannot reach Redis at ${url}: ${why} (is redis-server running there?)`)); };
    s.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs / 1000} s`));
    s.once("error", (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    s.once("connect", () => { s.end(); resolve(); });
  });
}
