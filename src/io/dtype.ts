// Conversions between float32 and the 16-bit float formats of safetensors checkpoints:
// bfloat16 (top half of a float32, written with round-to-nearest-even like torch's `.to(torch.bfloat16)`)
// and IEEE half (F16, round-to-nearest-even, subnormals, inf/NaN). Array versions work in place on views.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bit pattern → bfloat16 bits, round-to-nearest-even; NaN stays a (quiet) NaN. */
export function f32BitsToBf16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x0040) & 0xffff;
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** One float → bfloat16 bits. */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  return f32BitsToBf16(u32[0]!);
}

/** bfloat16 bits → float (exact). */
export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** float32 bit pattern → IEEE half bits, round-to-nearest-even. */
export function f32BitsToF16(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf / NaN (kept quiet)
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal → ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e; // 14..24
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1))) h += 1; // may carry into the smallest normal: still right
    return sign | h;
  }
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1; // carry may round up to inf: correct
  return sign | h;
}

/** IEEE half bits → float (exact). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Float32Array → bfloat16 bits into `out` (same length). */
export function encodeBf16(src: Float32Array, out: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16(bits[i]!);
}

/** bfloat16 bits → Float32Array `out` (same length). */
export function decodeBf16(src: Uint16Array, out: Float32Array): void {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
}

/** Float32Array → IEEE half bits into `out`. */
export function encodeF16(src: Float32Array, out: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16(bits[i]!);
}

/** IEEE half bits → Float32Array `out` (via a 64 K lookup table built on first use). */
export function decodeF16(src: Uint16Array, out: Float32Array): void {
  const t = f16Table();
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]!]!;
}

let table: Float32Array | null = null;
function f16Table(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = f16ToF32(h);
  }
  return table;
}
