import { test } from "node:test";
import assert from "node:assert/strict";
import { bf16ToF32, f16ToF32, f32BitsToBf16, f32BitsToF16 } from "../../src/io/dtype.js";

const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

test("float32 to bfloat16 rounds to nearest, ties to even, on known bit patterns", () => {
  const cases: [number, number, string][] = [
    [0x3f800000, 0x3f80, "1.0 is exact"],
    [0x3f808000, 0x3f80, "tie with even lower half rounds down"],
    [0x3f818000, 0x3f82, "tie with odd lower half rounds up"],
    [0x3f808001, 0x3f81, "just above the tie rounds up"],
    [0x3f807fff, 0x3f80, "just below the tie rounds down"],
    [0xbf818000, 0xbf82, "negative tie rounds away like its magnitude"],
    [0x3fffffff, 0x4000, "carry into the exponent"],
    [0x7f7fffff, 0x7f80, "FLT_MAX rounds to +inf"],
    [0x7f800000, 0x7f80, "+inf stays inf"],
    [0x80000000, 0x8000, "-0 keeps its sign"],
    [0x00018000, 0x0002, "subnormal tie with odd half rounds up"],
  ];
  for (const [f, b, why] of cases) assert.equal(f32BitsToBf16(f), b, `${f.toString(16)}: ${why}`);
  const nan = f32BitsToBf16(0x7f800001); // a NaN whose payload would truncate to inf must stay NaN
  assert.ok(Number.isNaN(bf16ToF32(nan)));
});

test("every bfloat16 value survives bfloat16 → float32 → bfloat16 unchanged", () => {
  for (let h = 0; h < 65536; h++) {
    const x = bf16ToF32(h);
    if (Number.isNaN(x)) continue;
    assert.equal(f32BitsToBf16(bitsOf(x)), h);
  }
});

test("float32 to float16 handles rounding ties, overflow, subnormals and NaN", () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e9, 0x7c00],
    [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], // ties to even
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -25, 0x0002], // subnormals
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [-0, 0x8000],
  ];
  for (const [x, h] of cases) assert.equal(f32BitsToF16(bitsOf(x)), h, `${x}`);
  assert.ok(Number.isNaN(f16ToF32(f32BitsToF16(bitsOf(NaN)))));
});

test("every float16 value survives float16 → float32 → float16 unchanged", () => {
  for (let h = 0; h < 65536; h++) {
    const x = f16ToF32(h);
    if (Number.isNaN(x)) continue;
    assert.equal(f32BitsToF16(bitsOf(x)), h, `0x${h.toString(16)}`);
  }
});
