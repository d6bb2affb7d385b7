// Decode attention of the query heads sharing one key/value head over a cached sequence. The scalar kernel does every
// float operation in the same order as the Swift reference it replaced (F32.dot, F32.softmax, F32.axpy), so its
// results are bit-identical: a dot product keeps two 8-lane accumulators over 16-value steps and sums their lanes in
// order, softmax sums exp() in position order, and the output adds score·value lane by lane. The AVX2 kernel differs
// from it in the last bits: it takes the softmax eight positions at a time with a polynomial exp (softmax_avx2.h;
// the in-order expf calls and adds were ~15% of a 512-position decode's attention), and its dot products and
// weighted sums use fused multiply-adds, with each cached key widened once for all the query heads that share it
// (single-core harness, 3 heads × 640 f16 positions: 14.9 → 12.4 µs per call; decode at 512-912 positions 1.03-1.05×
// in steps alternated within one run, AMD EPYC Zen 3).
//
// Why C: the Swift version made one function call per position for the dot and one for the axpy (Quant's helpers
// do not inline across modules) and ran on the baseline ISA; here the head's output accumulators stay in registers
// across positions and the 8-lane loops become single ymm operations on AVX2 machines.
//
// The cache holds f32 (the reference path) or f16 (the int8 serving path, half the bytes to stream per token): each
// kernel is compiled once per element type from the .inc files, reading the cache through KV_LOAD1 / KV_LOAD8. An
// f16 value widens to f32 exactly, so the f16 kernels compute the bits the f32 ones compute on the widened cache.
#include "CKernels.h"
#include "half_float.h"
#include "softmax_reference.h"
#include <math.h>

// A fused multiply-add rounds once where the reference rounds twice (mul, then add): the baseline kernel keeps them
// separate; the AVX2 kernel's FMAs are explicit intrinsics, which this does not touch.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define LANES 8

#define KV_CAT_(a, b) a##b
#define KV_CAT(a, b) KV_CAT_(a, b)
#define KV_FN(name) KV_CAT(name, KV_SUFFIX)

#define KV_T float
#define KV_SUFFIX _f32
#define KV_LOAD1(p) (*(p))
#include "attention_decode_scalar.inc"
#undef KV_T
#undef KV_SUFFIX
#undef KV_LOAD1

#define KV_T uint16_t
#define KV_SUFFIX _f16
#define KV_LOAD1(p) mg_f16_to_f32(*(p))
#include "attention_decode_scalar.inc"
#undef KV_T
#undef KV_SUFFIX
#undef KV_LOAD1

void mg_attention_decode_heads(const float *q, int64_t heads, const void *keys, const void *values, int32_t kv_f16,
                               int64_t positions, int64_t stride, int64_t head_dim, float scale, float *scores,
                               float *out) {
    if (kv_f16)
        decode_heads_f16(q, heads, keys, values, positions, stride, head_dim, scale, scores, out);
    else
        decode_heads_f32(q, heads, keys, values, positions, stride, head_dim, scale, scores, out);
}

// The same operations with ymm intrinsics: left to itself the compiler split the dot product into xmm halves.
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

#include "softmax_avx2.h"

#include "transpose8_avx2.h"

/// out[g] = Σ_p scores[g][p] · v_p over WIDTH ymm of output (8·WIDTH values from `dim` on) for HEADS query heads
/// at once: each value vector is loaded once for all heads. Per output lane acc = fma(score, v, acc) in position
/// order, starting from zero, so results do not depend on WIDTH or HEADS.
#define WEIGHTED_SUM(HEADS, WIDTH)                                                                                    \
    do {                                                                                                             \
        __m256 acc[HEADS][WIDTH];                                                                                    \
        for (int g = 0; g < HEADS; g++)                                                                              \
            for (int k = 0; k < WIDTH; k++) acc[g][k] = _mm256_setzero_ps();                                         \
        for (int64_t p = 0; p < positions; p++) {                                                                    \
            const KV_T *v = values + p * stride + dim;                                                               \
            __m256 vk[WIDTH];                                                                                        \
            for (int k = 0; k < WIDTH; k++) vk[k] = KV_LOAD8(v + k * LANES);                                        \
            for (int g = 0; g < HEADS; g++) {                                                                        \
                const __m256 a = _mm256_broadcast_ss(scores + (first + g) * positions + p);                          \
                for (int k = 0; k < WIDTH; k++) acc[g][k] = _mm256_fmadd_ps(a, vk[k], acc[g][k]);                    \
            }                                                                                                        \
        }                                                                                                            \
        for (int g = 0; g < HEADS; g++)                                                                              \
            for (int k = 0; k < WIDTH; k++) _mm256_storeu_ps(out + (first + g) * head_dim + dim + k * LANES, acc[g][k]); \
    } while (0)

#define KV_T float
#define KV_SUFFIX _f32
#define KV_LOAD1(p) (*(p))
#define KV_LOAD8(p) _mm256_loadu_ps(p)
#include "attention_decode_avx2.inc"
#undef KV_T
#undef KV_SUFFIX
#undef KV_LOAD1
#undef KV_LOAD8

#define KV_T uint16_t
#define KV_SUFFIX _f16
#define KV_LOAD1(p) _cvtsh_ss(*(p))
#define KV_LOAD8(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#include "attention_decode_avx2.inc"
#undef KV_T
#undef KV_SUFFIX
#undef KV_LOAD1
#undef KV_LOAD8

AVX2 void mg_attention_decode_heads_avx2(const float *q, int64_t heads, const void *keys, const void *values,
                                         int32_t kv_f16, int64_t positions, int64_t stride, int64_t head_dim,
                                         float scale, float *scores, float *out) {
    if (kv_f16)
        decode_heads_avx2_f16(q, heads, keys, values, positions, stride, head_dim, scale, scores, out, NULL, NULL);
    else
        decode_heads_avx2_f32(q, heads, keys, values, positions, stride, head_dim, scale, scores, out, NULL, NULL);
}

AVX2 void mg_attention_decode_part_avx2(const float *q, int64_t heads, const void *keys, const void *values,
                                        int32_t kv_f16, int64_t positions, int64_t stride, int64_t head_dim,
                                        float scale, float *scores, float *out, float *maxima, float *sums) {
    if (kv_f16)
        decode_heads_avx2_f16(q, heads, keys, values, positions, stride, head_dim, scale, scores, out, maxima, sums);
    else
        decode_heads_avx2_f32(q, heads, keys, values, positions, stride, head_dim, scale, scores, out, maxima, sums);
}
