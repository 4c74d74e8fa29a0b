// The native compute core as one typed interface (STYLE.md: the whole native surface in one place).
// Every kernel lives in native/*.cpp and registers itself; this file loads the built addon and
// states each entry point's contract. Dimension letters, used in every shape comment:
//   B batch, T query length, S key/value capacity (cache length), Tk keys attended,
//   C model dim, H query heads, KH key/value heads, D head dim, F ffn hidden, V vocab, N rows.
// Backward kernels ACCUMULATE (+=) into parameter gradients and into input gradients unless
// the comment says "writes", so gradient accumulation over micro-batches comes free (llm.c).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";

export interface NativeAddon {
  /** Threads every kernel uses (LLAMA2_NUM_THREADS, else OMP_NUM_THREADS, else the usable CPUs). */
  threadCount(): number;
  /** Sets the threads every kernel uses from now on; 0 restores the default. */
  setThreadCount(n: number): void;
  /** How the addon was built: thread backend, whether the x86 SIMD paths are compiled in, LLAMA2_PORTABLE. */
  buildInfo(): { threads: "pool" | "openmp"; x86Simd: boolean; portable: boolean; arch: string };
  /** "avx512" | "avx2" | "portable": the micro-kernel chosen at run time. */
  simdLevel(): string;
  /** Forces a lower SIMD level (tests run every path); RangeError when the CPU lacks it. */
  setSimdLevel(level: "portable" | "avx2" | "avx512"): void;

  // ---- GEMM (native/gemm.cpp) ----
  /**
   * out[M,N] = (accumulate ? out : 0) + op(a)[M,K] · op(b)[K,N], row-major, contiguous.
   * op(a) = transA ? a^T where a is stored [K,M] : a stored [M,K]; likewise b ([N,K] when transB).
   * A linear layer y = x W^T (W stored [out,in] as in PyTorch) is matmul(y, x, W, BT, out, in, false, true, false).
   */
  matmul(out: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number,
    transA: boolean, transB: boolean, accumulate: boolean): void;

  // ---- bf16 / Q8_0 weights for frozen models (native/qmatmul*.cpp) ----
  /**
   * out[M,N] = (accumulate ? out : 0) + x[M,K] · W^T with W [N,K] stored as bfloat16 bits; float32
   * activations and accumulation. M <= 16 streams W once per 4 rows; larger M dequantizes 64-row panels
   * of W and runs the float32 GEMM on them.
   */
  matmulBf16(out: Float32Array, x: Float32Array, w: Uint16Array, M: number, N: number, K: number, accumulate: boolean): void;
  /**
   * The same with W in ggml's Q8_0: row n is K/32 blocks of 34 bytes {fp16 d, int8 q[32]}, w = d*q
   * (byte for byte ggml's block_q8_0). K must be a multiple of 32.
   */
  matmulQ8_0(out: Float32Array, x: Float32Array, w: Uint8Array, M: number, N: number, K: number, accumulate: boolean): void;
  /** Writes dst[rows * K/32 * 34] = Q8_0 blocks of src [rows,K] (float32, or bfloat16 bits); ggml's quantize_row_q8_0_ref. */
  quantizeQ8_0(dst: Uint8Array, src: Float32Array | Uint16Array, rows: number, K: number): void;
  /** Writes dst[rows,K] = d * q from Q8_0 blocks. */
  dequantizeQ8_0(dst: Float32Array, src: Uint8Array, rows: number, K: number): void;
  /** Writes dst[i] = bfloat16 bits of src[i] (round to nearest even, torch's .to(torch.bfloat16)) for i < n. */
  toBf16(dst: Uint16Array, src: Float32Array, n: number): void;
  /** The kernel family matmulBf16/matmulQ8_0 use now: "avx512bf16" | "avx512" | "avx2" | "portable". */
  qmatmulKernel(): string;
  /** Allows (default) or forbids vdpbf16ps in matmulBf16; RangeError when allowing it on a CPU without AVX512-BF16. */
  useDpbf16(on: boolean): void;

  // ---- elementwise / reductions (native/elementwise.cpp) ----
  /** a[i] += b[i] for i < n. */
  addInPlace(a: Float32Array, b: Float32Array, n: number): void;
  /** x[i] *= s for i < n. */
  scaleInPlace(x: Float32Array, s: number, n: number): void;
  /** sum of x[i]^2 for i < n, accumulated in double. */
  sumSquares(x: Float32Array, n: number): number;

  // ---- token embedding (native/embedding.cpp) ----
  /** writes out[N,C] = table[ids[n], :]; throws RangeError on an id outside [0, V). */
  embeddingForward(out: Float32Array, ids: Int32Array, table: Float32Array, N: number, C: number, V: number): void;
  /** dtable[ids[n], :] += dout[n, :]. */
  embeddingBackward(dtable: Float32Array, dout: Float32Array, ids: Int32Array, N: number, C: number): void;

  // ---- RMSNorm (native/rmsnorm.cpp) — HF LlamaRMSNorm: w * x / sqrt(mean(x^2) + eps) ----
  /** writes out[N,C] and rstd[N] (saved for backward). */
  rmsnormForward(out: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, N: number, C: number, eps: number): void;
  /** dx[N,C] += ..., dw[C] += ... */
  rmsnormBackward(dx: Float32Array, dw: Float32Array, dout: Float32Array, x: Float32Array, w: Float32Array,
    rstd: Float32Array, N: number, C: number): void;

  // ---- RoPE (native/rope.cpp) — HF rotate_half convention: pairs (i, i + D/2) ----
  /**
   * In place on x[N, nHeads, D]; token n has position pos[n]. inv_freq[i] = theta^(-2i/D) computed
   * in float32 as transformers does, angle = pos * inv_freq.
   */
  ropeForward(x: Float32Array, pos: Int32Array, N: number, nHeads: number, D: number, theta: number): void;
  /** In place: dx = R(-angle) dx (the transpose of the forward rotation). */
  ropeBackward(dx: Float32Array, pos: Int32Array, N: number, nHeads: number, D: number, theta: number): void;

  // ---- SwiGLU (native/swiglu.cpp): out = silu(gate) * up ----
  /** writes out[n] for n < count. */
  swigluForward(out: Float32Array, gate: Float32Array, up: Float32Array, count: number): void;
  /** WRITES dgate, dup (no accumulation: they are scratch activations). */
  swigluBackward(dgate: Float32Array, dup: Float32Array, dout: Float32Array, gate: Float32Array, up: Float32Array, count: number): void;

  // ---- causal self-attention with GQA (native/attention.cpp, FlashAttention-2 tiles) ----
  /**
   * q[B,T,H,D]; k,v [B,S,KH,D] (S = capacity, keys 0..pos0+T-1 are valid); out[B,T,H,D] (writes).
   * Query t of row b sits at absolute position pos0 + t and attends keys j <= pos0 + t with
   * j >= keyStart[b] (left padding for batched decoding; null = 0) and, when segIds[B,S] is not
   * null, only keys with segIds[b,j] == segIds[b,pos0+t] (packed sequences, block-diagonal).
   * lse[B,H,T] (writes, saved for backward) or null for inference: each query row's log-sum-exp
   * of its scaled, masked scores (-Infinity for a row that sees no key). Scale 1/sqrt(D).
   * H must be a multiple of KH: query head h uses kv head floor(h / (H/KH)) (HF repeat_kv).
   * A query that sees no key (a left-pad slot before keyStart[b]) outputs zeros.
   */
  attentionForward(out: Float32Array, lse: Float32Array | null, q: Float32Array, k: Float32Array, v: Float32Array,
    B: number, T: number, S: number, pos0: number, H: number, KH: number, D: number,
    keyStart: Int32Array | null, segIds: Int32Array | null): void;
  /**
   * Training case (pos0 = 0, S = T). dq[B,T,H,D] WRITES; dk, dv [B,T,KH,D] WRITE. out and lse
   * from the forward (the probabilities are recomputed per tile from lse); segIds[B,T] as given
   * to the forward, or null.
   */
  attentionBackward(dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array, out: Float32Array,
    lse: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, B: number, T: number, H: number, KH: number,
    D: number, segIds: Int32Array | null): void;

  // ---- one decoding step of the whole model (native/decode.cpp; src/model/infer.ts) ----
  /**
   * One new token for each of B cache rows (T = 1), the whole model in one call and one parallel region:
   * writes out[B,W] = head(norm(decoder(ids))) for the new tokens, appending their keys/values at slot
   * lengths[slots[b]] of cache row slots[b] (lengths are NOT advanced). Same per-row kernels and bits as
   * the op-by-op path (layer.ts). weights = [embed [V,C], finalNorm [C], head [W,C], then per layer
   * inputNorm [C], q [H*D,C], k [KH*D,C], v [KH*D,C], o [C,H*D], postNorm [C], gate [F,C], up [F,C],
   * down [C,F]]: matrices as Float32Array, Uint16Array (bf16 bits) or Uint8Array (Q8_0 blocks), vectors
   * Float32Array. cacheK/cacheV: L arrays [rows,S,KH*D]; lengths/keyStart [rows] (KVCache's).
   */
  decodeStep(out: Float32Array, ids: Int32Array, slots: Int32Array, B: number, weights: (Float32Array | Uint16Array | Uint8Array)[],
    cacheK: Float32Array[], cacheV: Float32Array[], lengths: Int32Array, keyStart: Int32Array, rows: number, S: number,
    L: number, C: number, F: number, H: number, KH: number, D: number, W: number, V: number, eps: number, theta: number): void;
  /**
   * Asks the OS for 2 MiB pages under each array (madvise MADV_HUGEPAGE + MADV_COLLAPSE on the 2 MiB-aligned
   * interior; native/hugepages.cpp): contents and addresses unchanged, fewer TLB misses when decoding streams
   * them. Returns the bytes now in huge pages (0 off Linux or when the kernel refuses).
   */
  adviseHugePages(arrays: ArrayBufferView[]): number;
  /** A zeroed ArrayBuffer of `bytes` at a 2 MiB-aligned address, on huge pages where the OS allows (native/hugepages.cpp). */
  allocHugePages(bytes: number): ArrayBuffer;
  /** Test hook: spins a waiting decodeStep thread allows before recomputing unfinished items (default 1000); returns the old value. */
  _decodeStealSpins(spins: number): number;

  // ---- softmax cross-entropy (native/cross_entropy.cpp) ----
  /**
   * logits[N,V]; targets[N] with -100 = ignored. Writes losses[N] (-log p(target), 0 when ignored).
   * When dlogits is not null, WRITES dlogits[N,V] = (softmax - onehot) * gradScale for trained rows
   * and 0 for ignored rows; dlogits may be the logits buffer itself (in place, saves N*V floats).
   * Returns the number of trained (non-ignored) rows.
   */
  crossEntropy(logits: Float32Array, targets: Int32Array, losses: Float32Array, dlogits: Float32Array | null,
    N: number, V: number, gradScale: number): number;
  /** writes out[N,V] = log_softmax(logits) row-wise (out may alias logits). */
  logSoftmax(out: Float32Array, logits: Float32Array, N: number, V: number): void;

  // ---- sampling (native/sampling.cpp) ----
  /** weights[V] = exp((logits - max) / temperature) in double; returns [max, sum of the weights]. */
  temperedExp(weights: Float64Array, logits: Float32Array, V: number, temperature: number): [number, number];
  /**
   * ids[b] = the token chosen from row b of logits [B, V] (src/model/sampling.ts chooseToken, all rows in
   * one call, in parallel); stats [B, 2] = (max, sum) of the row's exp pass (tempered; greedy rows: T = 1,
   * filled only when asked); params [B, 5] = (temperature, <= 0 greedy; top_k, 0 off; top_p, 1 off;
   * a uniform in [0, 1) from the row's RNG; greedy: 1 to fill stats).
   */
  sampleRows(ids: Int32Array, stats: Float64Array, logits: Float32Array, B: number, V: number, params: Float64Array): void;
  /** ids [B, K] = each row's K largest logits (descending, ties by id); lse[b] = log sum exp of row b. */
  topLogits(ids: Int32Array, lse: Float64Array, logits: Float32Array, B: number, V: number, K: number): void;

  // ---- AdamW (native/adamw.cpp) — torch.optim.AdamW, decoupled weight decay ----
  /**
   * For i < n: p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
   * p -= (lr / (1 - b1^step)) * m / (sqrt(v) / sqrt(1 - b2^step) + eps). step counts from 1.
   */
  adamwStep(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;

  // ---- tokenizer training: word counting (native/bpe_count.cpp, used by src/tokenizer/word-count.ts) ----
  /** A word counter: lines longer than maxSentenceLength bytes are skipped; metaPieces become a boundary. */
  wordCounterCreate(maxSentenceLength: number, allowWhitespaceOnlyPieces: boolean, metaPieces: string[],
    maxSentences: number): WordCounterHandle;
  /** Counts the complete lines of a chunk (the tail waits for the next chunk, or ends at endOfFile); false once maxSentences is reached. */
  wordCounterAdd(counter: WordCounterHandle, chunk: Uint8Array, endOfFile: boolean): boolean;
  /** Distinct words (spaces as ▁, dummy prefix included) and their frequencies. */
  wordCounterResult(counter: WordCounterHandle): { words: string[]; counts: Float64Array; lines: number; usedLines: number; tooLong: number };
  /** Test hook: an External with no type tag (a foreign handle for test/native/fuzz.test.ts). */
  _untaggedExternal(): unknown;
  /**
   * The BPE merge loop (native/bpe_train.cpp, twin of src/tokenizer/bpe-merge.ts learnMerges): C character symbols
   * (charStrs[C], charFlags[C] piece-rules flags, charScript[C] or -1), runs sym[N] split by runStart[R+1] with
   * runFreq[R]; rules = [maxPieceLength, splitDigits, splitByUnicodeScript, allowWhitespaceOnlyPieces]; taken = pieces
   * already in the vocabulary. Returns the merges in learning order.
   */
  bpeLearnMerges(charStrs: string[], charFlags: Uint8Array, charScript: Int32Array, sym: Int32Array, runStart: Int32Array,
    runFreq: Float64Array, maxMerges: number, rules: [number, boolean, boolean, boolean], taken: string[],
    onProgress: ((done: number) => void) | null): { piece: string[]; left: string[]; right: string[]; freq: Float64Array };
}

/** Opaque native word-counter state (freed by the garbage collector). */
export type WordCounterHandle = { readonly __wordCounter: unique symbol };

function findAddon(): string {
  // LLAMA2_NATIVE_ADDON picks another build of the addon (e.g. the portable one, `npm run build:portable`).
  const chosen = process.env.LLAMA2_NATIVE_ADDON;
  if (chosen !== undefined && chosen !== "") {
    const file = path.resolve(chosen);
    if (!fs.existsSync(file)) throw new Error(`llama2-ts: LLAMA2_NATIVE_ADDON=${chosen}: no such file`);
    return file;
  }
  // dist/src/native/addon.js -> package root is three levels up; src/native/addon.ts -> two.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "build", "Release", "llama2_native.node");
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("llama2-ts: native addon build/Release/llama2_native.node not found; run `npm ci` (or `npm run build:native`)");
}

// Threads come from native/parallel.h: by default a std::thread pool whose idle workers sleep
// (no spinning while JavaScript runs), so loading the addon needs no environment tuning and
// leaves process.env untouched. (An addon built with LLAMA2_OPENMP=1 uses libgomp, whose idle
// threads spin unless OMP_WAIT_POLICY=passive is set before start: bench/gemm.md.)

const require = createRequire(import.meta.url);
/** The loaded native addon. */
export const native: NativeAddon = require(findAddon()) as NativeAddon;
