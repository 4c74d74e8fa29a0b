// Storage dtypes of a frozen model's linear weights (issue 8 item 2, issue 13 item 5): float32, or kept
// as bfloat16 (half the bytes; PyTorch/HF bf16) or ggml's Q8_0 (int8 blocks of 32 with an fp16 scale,
// ~1.06 bytes a weight; llama.cpp's q8_0). Activations and accumulation stay float32 in every kernel
// (native/qmatmul.cpp). The names are the ones `--dtype`, export's `--type` and the library take.
import { native } from "../native/addon.js";

/** A storage dtype for the weights of linear layers. */
export type WeightDtype = "float32" | "bfloat16" | "q8_0";

/** How a Linear's forward reads its weight [out, in]. */
export type WeightStorage =
  | { kind: "f32" }                          // the float32 Param.data itself
  | { kind: "bf16"; bits: Uint16Array }       // [out*in] bfloat16 bits
  | { kind: "q8_0"; blocks: Uint8Array };     // [out * in/32 * 34] ggml block_q8_0 rows

const ALIASES: Record<string, WeightDtype> = {
  float32: "float32", f32: "float32", bfloat16: "bfloat16", bf16: "bfloat16", q8_0: "q8_0",
};

/** Parses a dtype name (float32|bfloat16|q8_0, or f32|bf16); `what` names the field in the error. */
export function parseWeightDtype(name: string, what = "dtype"): WeightDtype {
  const d = ALIASES[name.toLowerCase()];
  if (!d) throw new Error(`${what}: unknown dtype ${JSON.stringify(name)} (expected float32, bfloat16 or q8_0; f32 and bf16 are aliases)`);
  return d;
}

/** Bytes one weight takes in a storage dtype (q8_0: 34 bytes per 32 weights). */
export function bytesPerWeight(d: WeightDtype): number {
  return d === "float32" ? 4 : d === "bfloat16" ? 2 : 34 / 32;
}

/**
 * A buffer for a low-precision copy: from native.allocHugePages when it spans huge pages (decoding streams
 * every weight each token; src/model/huge-pages.ts says why), else an ordinary one.
 */
function onHugePages(bytes: number): ArrayBuffer {
  return bytes >= 4 << 20 ? native.allocHugePages(bytes) : new ArrayBuffer(bytes);
}

/**
 * The storage for a weight [rows, cols] given as float32 values or as bfloat16 bits (a bf16
 * checkpoint read without a float32 copy). Q8_0 needs cols to be a multiple of 32.
 */
export function makeStorage(d: WeightDtype, rows: number, cols: number, src: { data?: Float32Array; bf16?: Uint16Array }, name = "weight"): WeightStorage {
  if (d === "float32") throw new Error(`${name}: float32 weights are the parameter itself, not a separate storage`);
  const n = rows * cols;
  if (d === "bfloat16") {
    if (src.bf16) return { kind: "bf16", bits: src.bf16 };
    const bits = new Uint16Array(onHugePages(2 * n));
    native.toBf16(bits, src.data!, n);
    return { kind: "bf16", bits };
  }
  if (cols % 32 !== 0) throw new Error(`${name}: q8_0 needs the input dimension to be a multiple of 32, got ${cols}`);
  const blocks = new Uint8Array(onHugePages(rows * (cols / 32) * 34));
  native.quantizeQ8_0(blocks, src.bf16 ?? src.data!, rows, cols);
  return { kind: "q8_0", blocks };
}
