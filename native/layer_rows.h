// Per-row pieces of the layer kernels, shared by their N-API entries (rmsnorm.cpp, rope.cpp,
// swiglu.cpp, attention.cpp) and by the fused decoding step (decode.cpp), so a token decoded in
// one native call runs the same machine code as the op-by-op path and gives the same bits.
#pragma once
#include <cstdint>
#include <vector>

namespace llama2 {

/** RMSNorm of one row: out[C] = w * (x * r), r = rsqrt(mean(x^2) + eps) (mean in double); returns r. */
float rmsnormRow(float* out, const float* x, const float* w, int64_t C, float eps);

/** RoPE inverse frequencies inv[D/2] = 1 / theta^(2i/D), in float32 as LlamaRotaryEmbedding. */
std::vector<float> ropeInvFreq(float theta, int64_t D);
/** cos/sin of pos * inv[i] for i < half (sign -1: the backward's rotation). */
void ropeAngles(int64_t pos, const float* inv, int64_t half, float sign, float* cs, float* sn);
/** Rotates one head x[2*half] in place (rotate_half pairs i, i + half) by the given cos/sin. */
void ropeHead(float* x, int64_t half, const float* cs, const float* sn);

/** out[i] = silu(gate[i]) * up[i] for i in [i0, i1) (the SIMD level's kernel). */
void swigluRange(float* out, const float* gate, const float* up, int64_t i0, int64_t i1);

/**
 * Attention of one query (decoding) for head h: q[H*D] at position pos0 over keys/values k, v
 * [S, KH, D] of one cache row, slots [keyStart, pos0] visible; out[H*D] head h written.
 * sc: S floats of scratch. The same per-head kernel attentionForward uses for short queries.
 */
void attentionDecodeHead(int64_t S, int64_t pos0, int64_t H, int64_t KH, int64_t D, int64_t h, float* out,
                         const float* q, const float* k, const float* v, const int32_t* keyStart, float* sc);

}  // namespace llama2
