// Checks on loaded weights (issue 10 item 3): a NaN or ±Inf in a checkpoint makes every output
// NaN (score printed "nll NaN", generate "0 0 0"), so loading refuses it naming the tensor and the
// first bad element; integer tensors where float weights belong are refused by name instead of
// being converted. `allowNonFinite` keeps the file loadable for forensics.
import { native } from "../native/addon.js";
import type { Dtype } from "../io/safetensors.js";

/** Index of the first NaN/±Inf in `data`, or -1. */
export function firstNonFinite(data: Float32Array): number {
  // Fast path: Σx² accumulated in double is finite iff every x is (float32² never overflows a double).
  if (data.length > 0 && Number.isFinite(native.sumSquares(data, data.length))) return -1;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) return i; // NaN - NaN and Inf - Inf are NaN; every finite x gives 0
  }
  return -1;
}

/** The multi-dimensional index of flat element `i` of a row-major tensor: [r, c] for a matrix. */
export function unravelIndex(i: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    out[d] = n > 0 ? i % n : 0;
    i = n > 0 ? Math.floor(i / n) : 0;
  }
  return out;
}

/** A loaded tensor holds NaN/Inf, or an integer dtype where float weights belong. */
export class BadWeightsError extends Error {
  /** `tensor`: the HF name of the offending tensor. */
  constructor(message: string, readonly tensor: string) {
    super(message);
    this.name = "BadWeightsError";
  }
}

/** Throws naming `file`, the tensor and the first non-finite element (flat and [i, j] index, value). */
export function checkFinite(file: string, name: string, t: { shape: number[]; data: Float32Array }): void {
  const i = firstNonFinite(t.data);
  if (i < 0) return;
  let count = 0;
  for (let j = i; j < t.data.length; j++) if (!Number.isFinite(t.data[j]!)) count++;
  throw new BadWeightsError(`${file}: tensor "${name}" holds a non-finite value: ${t.data[i]} at index ${i}` +
    `${t.shape.length > 1 ? ` ([${unravelIndex(i, t.shape).join(", ")}] of shape [${t.shape.join(", ")}])` : ""}` +
    `${count > 1 ? ` (${count} non-finite values in all)` : ""}; the checkpoint is corrupt or diverged ` +
    "(load with --allow-nonfinite / allowNonFinite: true to inspect it anyway)", name);
}

/** checkFinite for a tensor kept as raw bfloat16 bits (exponent all ones = Inf or NaN). */
export function checkFiniteBf16(file: string, name: string, shape: number[], bits: Uint16Array): void {
  let i = -1;
  for (let j = 0; j < bits.length; j++) if ((bits[j]! & 0x7f80) === 0x7f80) { i = j; break; }
  if (i < 0) return;
  const widened = new Float32Array(new Uint32Array([bits[i]! << 16]).buffer)[0]!;
  throw new BadWeightsError(`${file}: tensor "${name}" holds a non-finite value: ${widened} at index ${i}` +
    `${shape.length > 1 ? ` ([${unravelIndex(i, shape).join(", ")}] of shape [${shape.join(", ")}])` : ""}; the checkpoint is corrupt or diverged ` +
    "(load with --allow-nonfinite / allowNonFinite: true to inspect it anyway)", name);
}

/** Float dtypes a weight may be stored in. */
const FLOAT_DTYPES: ReadonlySet<string> = new Set(["F32", "F16", "BF16", "F64"]);

/** Throws when a weight is stored as an integer dtype (I32/I64/…): its values are not weights. */
export function checkFloatDtype(file: string, name: string, dtype: Dtype | string): void {
  if (FLOAT_DTYPES.has(dtype)) return;
  throw new BadWeightsError(`${file}: tensor "${name}" is stored as ${dtype}, but model weights must be a float dtype ` +
    "(F32, BF16, F16 or F64); this is not a Llama weight file, or it was quantized into a format this loader does not read", name);
}
