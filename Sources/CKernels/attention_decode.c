// One query head's decode attention over a cached sequence, with every float operation in the same order as the
// Swift reference it replaces (F32.dot, F32.softmax, F32.axpy in LlamaModel's decode path), so results are
// bit-identical: a dot product keeps two 8-lane accumulators over 16-value steps and sums their lanes in order,
// softmax sums exp() in position order, and the output adds score·value lane by lane.
//
// Why C: the Swift version made one function call per position for the dot and one for the axpy (Quant's helpers
// do not inline across modules) and ran on the baseline ISA; here the head's output accumulators stay in registers
// across positions and the 8-lane loops become single ymm operations on AVX2 machines.
#include "CKernels.h"
#include "softmax_reference.h"
#include <math.h>

// A fused multiply-add rounds once where the reference rounds twice (mul, then add): keep them separate.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define LANES 8

static inline __attribute__((always_inline)) float dot_like_reference(const float *a, const float *b, int64_t n) {
    float acc0[LANES] = {0}, acc1[LANES] = {0};
    int64_t i = 0;
    for (; i + 2 * LANES <= n; i += 2 * LANES) {
        for (int l = 0; l < LANES; l++) acc0[l] += a[i + l] * b[i + l];
        for (int l = 0; l < LANES; l++) acc1[l] += a[i + LANES + l] * b[i + LANES + l];
    }
    float sum = -0.0f;
    for (int l = 0; l < LANES; l++) sum += acc0[l] + acc1[l];
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}


static inline __attribute__((always_inline)) void attention_head(const float *q, const float *keys,
                                                                 const float *values, int64_t positions,
                                                                 int64_t stride, int64_t head_dim, float scale,
                                                                 float *scores, float *out) {
    for (int64_t p = 0; p < positions; p++) scores[p] = dot_like_reference(q, keys + p * stride, head_dim) * scale;
    softmax_like_reference(scores, positions);
    int64_t i = 0;
    // Eight output values at a time stay in registers over all positions; out starts at zero like the reference's.
    for (; i + LANES <= head_dim; i += LANES) {
        float acc[LANES] = {0};
        for (int64_t p = 0; p < positions; p++) {
            const float a = scores[p];
            const float *v = values + p * stride + i;
            for (int l = 0; l < LANES; l++) acc[l] = acc[l] + a * v[l];
        }
        for (int l = 0; l < LANES; l++) out[i + l] = acc[l];
    }
    for (; i < head_dim; i++) {
        float acc = 0;
        for (int64_t p = 0; p < positions; p++) acc = acc + scores[p] * values[p * stride + i];
        out[i] = acc;
    }
}

void mg_attention_decode_heads(const float *q, int64_t heads, const float *keys, const float *values,
                               int64_t positions, int64_t stride, int64_t head_dim, float scale, float *scores,
                               float *out) {
    for (int64_t g = 0; g < heads; g++)
        attention_head(q + g * head_dim, keys, values, positions, stride, head_dim, scale, scores + g * positions,
                       out + g * head_dim);
}

// The same operations with ymm intrinsics: left to itself the compiler split the dot product into xmm halves.
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

static inline __attribute__((always_inline)) AVX2 float dot_avx2(const float *a, const float *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 2 * LANES <= n; i += 2 * LANES) {
        acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
        acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(_mm256_loadu_ps(a + i + LANES), _mm256_loadu_ps(b + i + LANES)));
    }
    float lanes[LANES];
    _mm256_storeu_ps(lanes, _mm256_add_ps(acc0, acc1));
    float sum = -0.0f;
    for (int l = 0; l < LANES; l++) sum += lanes[l];
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

/// Transposes eight rows of eight floats in registers: afterwards r[l] holds lane l of every input row.
static inline __attribute__((always_inline)) AVX2 void transpose8(__m256 r[LANES]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/// scores[p] = q·k_p · scale for eight positions at once, bit-identical to dot_avx2 per position: each position's
/// two accumulators are added lane-wise as before, then a transpose puts lane l of all eight positions in one
/// register, so the in-order lane sum (-0 + l0 + l1 + … + l7) runs for eight positions in eight vector adds instead
/// of a store and eight dependent scalar adds each. Needs head_dim a multiple of 16 (dot_avx2 has no tail then).
static inline __attribute__((always_inline)) AVX2 void dot8_avx2(const float *q, const float *keys, int64_t stride,
                                                                 int64_t head_dim, float scale, float *scores) {
    __m256 r[LANES];
    for (int j = 0; j < LANES; j++) {
        const float *b = keys + j * stride;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (int64_t i = 0; i < head_dim; i += 2 * LANES) {
            acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(b + i)));
            acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(_mm256_loadu_ps(q + i + LANES), _mm256_loadu_ps(b + i + LANES)));
        }
        r[j] = _mm256_add_ps(acc0, acc1);
    }
    transpose8(r);
    __m256 sum = _mm256_set1_ps(-0.0f);
    for (int l = 0; l < LANES; l++) sum = _mm256_add_ps(sum, r[l]);
    _mm256_storeu_ps(scores, _mm256_mul_ps(sum, _mm256_set1_ps(scale)));
}

/// out[g] += Σ_p scores[g][p] · v_p over WIDTH ymm of output (8·WIDTH values from `dim` on) for HEADS query heads
/// at once: each value vector is loaded once for all heads. Per output lane the operations are the reference's
/// (acc = acc + score·v in position order, starting from zero), so results do not depend on WIDTH or HEADS.
#define WEIGHTED_SUM(HEADS, WIDTH)                                                                                    \
    do {                                                                                                             \
        __m256 acc[HEADS][WIDTH];                                                                                    \
        for (int g = 0; g < HEADS; g++)                                                                              \
            for (int k = 0; k < WIDTH; k++) acc[g][k] = _mm256_setzero_ps();                                         \
        for (int64_t p = 0; p < positions; p++) {                                                                    \
            const float *v = values + p * stride + dim;                                                              \
            __m256 vk[WIDTH];                                                                                        \
            for (int k = 0; k < WIDTH; k++) vk[k] = _mm256_loadu_ps(v + k * LANES);                                  \
            for (int g = 0; g < HEADS; g++) {                                                                        \
                const __m256 a = _mm256_broadcast_ss(scores + (first + g) * positions + p);                          \
                for (int k = 0; k < WIDTH; k++) acc[g][k] = _mm256_add_ps(acc[g][k], _mm256_mul_ps(a, vk[k]));       \
            }                                                                                                        \
        }                                                                                                            \
        for (int g = 0; g < HEADS; g++)                                                                              \
            for (int k = 0; k < WIDTH; k++) _mm256_storeu_ps(out + (first + g) * head_dim + dim + k * LANES, acc[g][k]); \
    } while (0)

/// The query heads first ..< first + count (count 1-3) of the value phase, over output values dim ..< dim + 8·width.
static inline __attribute__((always_inline)) AVX2 void weighted_sum(const float *scores, const float *values,
                                                                   int64_t positions, int64_t stride, int64_t head_dim,
                                                                   int64_t first, int count, int64_t dim, int width,
                                                                   float *out) {
    if (width == 4) {
        if (count == 3) WEIGHTED_SUM(3, 4); else if (count == 2) WEIGHTED_SUM(2, 4); else WEIGHTED_SUM(1, 4);
    } else {
        if (count == 3) WEIGHTED_SUM(3, 1); else if (count == 2) WEIGHTED_SUM(2, 1); else WEIGHTED_SUM(1, 1);
    }
}

AVX2 void mg_attention_decode_heads_avx2(const float *q, int64_t heads, const float *keys, const float *values,
                                         int64_t positions, int64_t stride, int64_t head_dim, float scale,
                                         float *scores, float *out) {
    // Scores, eight positions at a time for every head: the eight keys stay in L1 while each head uses them.
    int64_t p = 0;
    if (head_dim % (2 * LANES) == 0)
        for (; p + LANES <= positions; p += LANES)
            for (int64_t g = 0; g < heads; g++)
                dot8_avx2(q + g * head_dim, keys + p * stride, stride, head_dim, scale, scores + g * positions + p);
    for (; p < positions; p++)
        for (int64_t g = 0; g < heads; g++)
            scores[g * positions + p] = dot_avx2(q + g * head_dim, keys + p * stride, head_dim) * scale;
    for (int64_t g = 0; g < heads; g++) softmax_like_reference(scores + g * positions, positions);
    // Weighted sum of the values, up to three heads at a time (12 accumulators + 4 loaded vectors fit 16 ymm).
    for (int64_t first = 0; first < heads; first += 3) {
        const int count = heads - first < 3 ? (int)(heads - first) : 3;
        int64_t dim = 0;
        for (; dim + 4 * LANES <= head_dim; dim += 4 * LANES)
            weighted_sum(scores, values, positions, stride, head_dim, first, count, dim, 4, out);
        for (; dim + LANES <= head_dim; dim += LANES)
            weighted_sum(scores, values, positions, stride, head_dim, first, count, dim, 1, out);
        for (; dim < head_dim; dim++)
            for (int64_t g = first; g < first + count; g++) {
                const float *s = scores + g * positions;
                float acc = 0;
                for (int64_t i = 0; i < positions; i++) acc = acc + s[i] * values[i * stride + dim];
                out[g * head_dim + dim] = acc;
            }
    }
}
