// ggml's Q8_0 block format (ggml-quants.c quantize_row_q8_0_ref): each run of 32 values becomes
// {f16 d; int8 qs[32]} with d = amax / 127 and qs = round(x / d) — 34 bytes a block. Used by the GGUF
// exporter; the same layout is what the native q8_0 kernels read, so a file's blocks can be used as is.
import { f16ToF32, f32BitsToF16 } from "../io/dtype.js";

export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const toF16 = (x: number): number => { f32[0] = x; return f32BitsToF16(u32[0]!); };

/** Quantises x (rows of `rowLen` values, rowLen a multiple of 32) into Q8_0 blocks. */
export function quantizeQ8_0(x: Float32Array, rowLen: number): Uint8Array {
  if (rowLen % Q8_0_BLOCK !== 0 || x.length % rowLen !== 0) throw new Error(`q8_0: rows of ${rowLen} values are not a multiple of ${Q8_0_BLOCK}`);
  const nb = x.length / Q8_0_BLOCK;
  const out = new Uint8Array(nb * Q8_0_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(x[base + i]!));
    const d = amax / 127;
    const id = d !== 0 ? 1 / d : 0;
    const o = b * Q8_0_BYTES;
    view.setUint16(o, toF16(d), true);
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      // roundf (half away from zero), as ggml's reference quantiser
      const v = x[base + i]! * id;
      view.setInt8(o + 2 + i, Math.sign(v) * Math.round(Math.abs(v)));
    }
  }
  return out;
}

/** The inverse: Q8_0 blocks back to float32 (d stored as f16). */
export function dequantizeQ8_0(q: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const view = new DataView(q.buffer, q.byteOffset, q.byteLength);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const o = b * Q8_0_BYTES, d = f16ToF32(view.getUint16(o, true));
    for (let i = 0; i < Q8_0_BLOCK; i++) out[b * Q8_0_BLOCK + i] = d * view.getInt8(o + 2 + i);
  }
  return out;
}
