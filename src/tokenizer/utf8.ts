// UTF-8 decoding of byte-fallback pieces the way sentencepiece's Decode does it (ProcessBytePieces):
// each well-formed character is emitted, each byte that cannot start one becomes U+FFFD. With
// `final = false` an incomplete character at the end is held back (streaming).

/** Length of the well-formed UTF-8 character at bytes[i], 0 if invalid, -1 if valid so far but cut off. */
function charLength(bytes: ArrayLike<number>, i: number, end: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  let n: number, lo = 0x80, hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) n = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) { n = 3; if (b0 === 0xe0) lo = 0xa0; if (b0 === 0xed) hi = 0x9f; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 4; if (b0 === 0xf0) lo = 0x90; if (b0 === 0xf4) hi = 0x8f; }
  else return 0;
  for (let k = 1; k < n; k++) {
    if (i + k >= end) return -1;
    const b = bytes[i + k]!;
    if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Decodes bytes[0..length); returns the text and how many bytes were consumed (all of them when
 * `final`; otherwise a trailing incomplete character is left for the next call).
 */
export function decodeUtf8Lenient(bytes: ArrayLike<number>, length: number, final: boolean): { text: string; consumed: number } {
  let out = "";
  let i = 0, runStart = 0;
  const flushRun = (end: number): void => {
    if (end > runStart) out += decoder.decode(Uint8Array.from(Array.prototype.slice.call(bytes, runStart, end) as number[]));
  };
  while (i < length) {
    const n = charLength(bytes, i, length);
    if (n > 0) { i += n; continue; }
    if (n < 0 && !final) break;
    flushRun(i);
    out += "\uFFFD";
    i += 1;
    runStart = i;
  }
  flushRun(i);
  return { text: out, consumed: i };
}
