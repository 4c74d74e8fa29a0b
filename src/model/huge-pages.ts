// The weights a decoding step streams, put on 2 MiB pages (native/hugepages.cpp): batch-1 decoding reads
// every weight once a token, and with 4 KiB pages every 4 KiB of it costs a TLB miss — on the 2-core VM
// one core streamed 61 MB in 4.1 ms of CPU from 4 KiB pages and in 2.2 ms from 2 MiB pages (README,
// Benchmarks). Arrays of at least a huge page are advised where they are; a frozen model's smaller
// weights (each layer of stories15M is 0.3–0.9 MB) are copied into one huge-page buffer and adopted
// from there. Values never change, only where they live.
import { native } from "../native/addon.js";
import type { Linear } from "./linear.js";

const HUGE = 2 << 20;
// Arrays already handled (a weight whose storage is replaced later is new here, and handled again).
const handled = new WeakSet<object>();

type Stored = Float32Array | Uint16Array | Uint8Array;

function stored(l: Linear): Stored {
  const s = l.storage;
  return s.kind === "f32" ? l.weight.data : s.kind === "bf16" ? s.bits : s.blocks;
}

/**
 * Puts the weights of these linears on huge pages. `frozen`: no parameter is trained, so small weights
 * may move into a shared buffer (a trained model keeps its arrays: the optimizer holds them).
 */
export function useHugePages(linears: readonly Linear[], frozen: boolean): void {
  const big: Stored[] = [], small: Linear[] = [];
  for (const l of new Set(linears)) {
    const a = stored(l);
    if (a.length === 0 || handled.has(a)) continue;
    if (a.byteLength >= 2 * HUGE) big.push(a);
    else if (frozen) small.push(l);
  }
  if (big.length > 0) native.adviseHugePages(big);
  for (const a of big) handled.add(a);
  if (small.length === 0) return;
  const at = (n: number): number => Math.ceil(n / 64) * 64;  // each weight on its own cache lines
  const total = small.reduce((n, l) => n + at(stored(l).byteLength), 0);
  const buf = native.allocHugePages(total);
  let off = 0;
  for (const l of small) {
    const a = stored(l);
    const moved = new (a.constructor as new (b: ArrayBuffer, o: number, n: number) => Stored)(buf, off, a.length);
    moved.set(a);
    off += at(a.byteLength);
    const s = l.storage;
    if (s.kind === "f32") l.weight.data = moved as Float32Array;
    else if (s.kind === "bf16") l.storage = { kind: "bf16", bits: moved as Uint16Array };
    else l.storage = { kind: "q8_0", blocks: moved as Uint8Array };
    handled.add(moved);
  }
}
