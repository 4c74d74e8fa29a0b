// Hand-picked cases of native/napi_util.h's rules that once reached memory they should not
// (the fuzzer, fuzz.test.ts, covers them broadly; these name the exact bug each one guards).
import { test } from "node:test";
import assert from "node:assert/strict";
import { native, type WordCounterHandle } from "../../src/native/addon.js";

const f = (n: number): Float32Array => new Float32Array(n);

test("bpeLearnMerges checks every runStart value, not only the first and last", () => {
  const call = (runStart: number[]) => native.bpeLearnMerges(["a", "b"], new Uint8Array(2), new Int32Array(2),
    Int32Array.from([0, 1, 0, 1]), Int32Array.from(runStart), new Float64Array(runStart.length - 1).fill(1), 5, [16, false, true, false], [], null);
  assert.equal(call([0, 2, 4]).piece[0], "ab");
  // a middle value past sym.length used to index prev/next out of bounds
  assert.throws(() => call([0, 1000, 4]), (e: unknown) => e instanceof RangeError &&
    /bpeLearnMerges: argument 4 \(runStart\) must not decrease: runStart\[2\] = 4 < runStart\[1\] = 1000/.test(e.message));
  assert.throws(() => call([0, -3, 4]), /argument 4 \(runStart\) must not decrease/);
  assert.throws(() => call([0, 2, 5]), /argument 4 \(runStart\) must start at 0 and end at sym.length \(4\)/);
  assert.throws(() => native.bpeLearnMerges(["a"], new Uint8Array(1), new Int32Array(1), Int32Array.from([0, 3]),
    Int32Array.from([0, 2]), new Float64Array(1), 5, [16, false, true, false], [], null),
  /argument 3 \(sym\): sym\[1\] = 3 is not a character id in \[0, 1\)/);
});

test("a product of sizes that overflows 64 bits is a RangeError, not a wrapped small length", () => {
  // 2^32 * 2^32 wraps to 0 in int64: the old check passed an empty out and the kernel wrote to it
  assert.throws(() => native.matmul(f(0), f(0), f(0), 2 ** 32, 2 ** 32, 1, false, false, false),
    (e: unknown) => e instanceof RangeError && /matmul: M\*N is larger than 2\^53/.test(e.message));
  assert.throws(() => native.attentionForward(f(0), null, f(0), f(0), f(0), 2 ** 16, 2 ** 16, 2 ** 16, 0, 2 ** 16, 1, 2 ** 16, null, null),
    (e: unknown) => e instanceof RangeError && /attentionForward: B\*T\*H\*D is larger than 2\^53/.test(e.message));
  assert.throws(() => native.crossEntropy(f(0), new Int32Array(0), f(0), null, 2 ** 40, 2 ** 40, 1), /crossEntropy: N\*V is larger/);
});

test("sizes must be integers in [0, 2^53]: NaN, fractions, negatives and huge values are RangeErrors naming the argument", () => {
  for (const bad of [NaN, 1.5, -1, Infinity, 2 ** 53 + 2])
    assert.throws(() => native.addInPlace(f(4), f(4), bad), (e: unknown) => e instanceof RangeError && /addInPlace: argument 2 \(n\)/.test(e.message));
  assert.throws(() => native.addInPlace(f(4), f(4), "4" as unknown as number), (e: unknown) => e instanceof TypeError && /argument 2 \(n\) must be a number, got a string/.test(e.message));
});

test("word-counter handles are type-tagged: another External or object is a TypeError, not a cast", () => {
  const ok = native.wordCounterCreate(100, true, [], 0);
  assert.equal(native.wordCounterAdd(ok, new TextEncoder().encode("a b\n"), true), true);
  for (const wrong of [native._untaggedExternal(), {}, 0, null])
    assert.throws(() => native.wordCounterAdd(wrong as WordCounterHandle, new Uint8Array(1), false),
      (e: unknown) => e instanceof TypeError && /wordCounterAdd: argument 0 \(counter\) must be a word counter from wordCounterCreate/.test(e.message));
});

test("a failed allocation is a RangeError naming the function, not an abort", () => {
  // D = 1 and S huge with B = 0 does nothing (no scratch allocated); a real huge S needs a huge k
  native.attentionForward(f(0), null, f(0), f(0), f(0), 0, 1, 2 ** 50, 0, 1, 1, 1, null, null);
  assert.throws(() => native.wordCounterCreate(100, true, new Array(2 ** 32 - 1) as string[], 0),
    /wordCounterCreate: argument 2 \(metaPieces\): metaPieces\[0\] must be a string/);
});
