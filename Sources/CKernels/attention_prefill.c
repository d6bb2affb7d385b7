// Causal attention of a block of prefill rows for one head, as blocked products instead of one dot product per
// (row, position): the decode kernel's shape reads every key once per query row and sums each dot across lanes,
// which costs several times the arithmetic. Here a head's keys are transposed once into scratch so four query rows
// times sixteen positions accumulate in eight ymm registers, and scores·V keeps four rows times sixteen output
// values in registers while streaming V. Rows past a tile's causal limit are skipped, not masked afterwards. The
// softmax exponentials are vectorized too (expf was a fifth of the kernel's time).
//
// An f16 cache (the int8 serving path's) is widened as it is read (exactly), keys while they are transposed and values
// in the scores·V loop: the products run on the f32 values an f32 cache of the widened numbers would give.
#include "CKernels.h"
#include "half_float.h"
#include "softmax_reference.h"
#include <math.h>

#define ROW_TILE 4
#define POS_TILE 16

static inline int64_t padded_positions(int64_t rows, int64_t first_visible) {
    const int64_t positions = first_visible + rows - 1;
    return (positions + POS_TILE - 1) / POS_TILE * POS_TILE;
}

int64_t mg_attention_prefill_scratch(int64_t rows, int64_t first_visible, int64_t head_dim) {
    // Transposed keys, then scores.
    return padded_positions(rows, first_visible) * (head_dim + rows);
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/// Element i of a cache (f16 when kv_f16, else f32), as f32.
static inline __attribute__((always_inline)) float kv_at(const void *cache, int32_t kv_f16, int64_t i) {
    return kv_f16 ? mg_f16_to_f32(((const uint16_t *)cache)[i]) : ((const float *)cache)[i];
}

/// keys (positions, head_dim at stride; f16 when kv_f16) into kt (head_dim, padded), zeros past the last position.
static inline __attribute__((always_inline)) void transpose_keys(const void *keys, int32_t kv_f16, int64_t kv_stride,
                                                                 int64_t head_dim, int64_t positions, int64_t padded,
                                                                 float *kt) {
    for (int64_t p = 0; p < positions; p++)
        for (int64_t d = 0; d < head_dim; d++) kt[d * padded + p] = kv_at(keys, kv_f16, p * kv_stride + d);
    for (int64_t d = 0; d < head_dim; d++)
        for (int64_t p = positions; p < padded; p++) kt[d * padded + p] = 0;
}

/// Softmax of row i over its visible positions; the rest of the row up to `positions` becomes zero.
static inline __attribute__((always_inline)) void causal_softmax(float *s, int64_t visible, int64_t positions) {
    softmax_like_reference(s, visible);
    for (int64_t p = visible; p < positions; p++) s[p] = 0;
}

void mg_attention_prefill_head(const float *q, int64_t q_stride, const void *keys, const void *values,
                               int32_t kv_f16, int64_t kv_stride, int64_t head_dim, int64_t rows,
                               int64_t first_visible, float scale, float *scratch, float *out, int64_t out_stride) {
    const int64_t positions = first_visible + rows - 1;
    const int64_t padded = padded_positions(rows, first_visible);
    float *kt = scratch, *s = scratch + head_dim * padded;
    transpose_keys(keys, kv_f16, kv_stride, head_dim, positions, padded, kt);
    for (int64_t i = 0; i < rows; i++) {
        const int64_t visible = first_visible + i;
        float *si = s + i * padded;
        for (int64_t p = 0; p < visible; p++) {
            float acc = 0;
            for (int64_t d = 0; d < head_dim; d++) acc += q[i * q_stride + d] * kt[d * padded + p];
            si[p] = acc * scale;
        }
        causal_softmax(si, visible, positions);
        for (int64_t d = 0; d < head_dim; d++) {
            float acc = 0;
            for (int64_t p = 0; p < visible; p++) acc += si[p] * kv_at(values, kv_f16, p * kv_stride + d);
            out[i * out_stride + d] = acc;
        }
    }
}

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))

#include "softmax_avx2.h"
#include "transpose8_avx2.h"

/// Softmax of row i over its visible positions; the rest of the row up to `positions` becomes zero.
static inline __attribute__((always_inline)) AVX2 void causal_softmax_avx2(float *s, int64_t visible,
                                                                           int64_t positions) {
    softmax_avx2(s, visible);
    for (int64_t p = visible; p < positions; p++) s[p] = 0;
}

/// Elements i ..< i + 8 of a cache (f16 when kv_f16, else f32), as f32: kv_at eight at a time.
static inline __attribute__((always_inline)) AVX2 __m256 kv_at8(const void *cache, int32_t kv_f16, int64_t i) {
    return kv_f16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)cache + i)))
                  : _mm256_loadu_ps((const float *)cache + i);
}

/// transpose_keys eight positions by eight dimensions at a time through registers (head_dim a multiple of 16): the
/// one-value-at-a-time scatter into kt was a third of this kernel's samples in a 512-token prefill.
static inline __attribute__((always_inline)) AVX2 void transpose_keys_avx2(const void *keys, int32_t kv_f16,
                                                                          int64_t kv_stride, int64_t head_dim,
                                                                          int64_t positions, int64_t padded,
                                                                          float *kt) {
    int64_t p0 = 0;
    for (; p0 + 8 <= positions; p0 += 8)
        for (int64_t d0 = 0; d0 < head_dim; d0 += 8) {
            __m256 r[8];
            for (int j = 0; j < 8; j++) r[j] = kv_at8(keys, kv_f16, (p0 + j) * kv_stride + d0);
            transpose8(r);
            for (int j = 0; j < 8; j++) _mm256_storeu_ps(kt + (d0 + j) * padded + p0, r[j]);
        }
    for (int64_t p = p0; p < positions; p++)
        for (int64_t d = 0; d < head_dim; d++) kt[d * padded + p] = kv_at(keys, kv_f16, p * kv_stride + d);
    for (int64_t d = 0; d < head_dim; d++)
        for (int64_t p = positions; p < padded; p++) kt[d * padded + p] = 0;
}

AVX2 void mg_attention_prefill_head_avx2(const float *q, int64_t q_stride, const void *keys,
                                         const void *cached_values, int32_t kv_f16, int64_t kv_stride,
                                         int64_t head_dim, int64_t rows, int64_t first_visible, float scale,
                                         float *scratch, float *out, int64_t out_stride) {
    if (head_dim % POS_TILE != 0) {
        mg_attention_prefill_head(q, q_stride, keys, cached_values, kv_f16, kv_stride, head_dim, rows, first_visible,
                                  scale, scratch, out, out_stride);
        return;
    }
    const int64_t positions = first_visible + rows - 1;
    const int64_t padded = padded_positions(rows, first_visible);
    float *kt = scratch, *s = scratch + head_dim * padded;
    transpose_keys_avx2(keys, kv_f16, kv_stride, head_dim, positions, padded, kt);

    const __m256 vscale = _mm256_set1_ps(scale);

    for (int64_t i0 = 0; i0 < rows; i0 += ROW_TILE) {
        const int64_t tile_rows = min64(ROW_TILE, rows - i0);
        // A short last tile repeats its last row in the spare lanes; those results are never stored.
        const float *qr[ROW_TILE];
        for (int k = 0; k < ROW_TILE; k++) qr[k] = q + min64(i0 + k, rows - 1) * q_stride;
        const int64_t tile_visible = first_visible + i0 + tile_rows - 1;  // the tile's last row sees the most

        // scores = q·Kᵀ · scale for positions below the tile's limit, sixteen at a time.
        for (int64_t p0 = 0; p0 < tile_visible; p0 += POS_TILE) {
            __m256 acc[ROW_TILE][2];
            for (int k = 0; k < ROW_TILE; k++) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
            for (int64_t d = 0; d < head_dim; d++) {
                const __m256 k0 = _mm256_loadu_ps(kt + d * padded + p0);
                const __m256 k1 = _mm256_loadu_ps(kt + d * padded + p0 + 8);
                for (int k = 0; k < ROW_TILE; k++) {
                    const __m256 b = _mm256_broadcast_ss(qr[k] + d);
                    acc[k][0] = _mm256_fmadd_ps(b, k0, acc[k][0]);
                    acc[k][1] = _mm256_fmadd_ps(b, k1, acc[k][1]);
                }
            }
            for (int k = 0; k < tile_rows; k++) {
                _mm256_storeu_ps(s + (i0 + k) * padded + p0, _mm256_mul_ps(acc[k][0], vscale));
                _mm256_storeu_ps(s + (i0 + k) * padded + p0 + 8, _mm256_mul_ps(acc[k][1], vscale));
            }
        }
        for (int k = 0; k < tile_rows; k++)
            causal_softmax_avx2(s + (i0 + k) * padded, first_visible + i0 + k, tile_visible);

        // out = scores · V over the same positions, sixteen output values at a time.
        const float *sr[ROW_TILE];
        for (int k = 0; k < ROW_TILE; k++) sr[k] = s + min64(i0 + k, rows - 1) * padded;
        for (int64_t d0 = 0; d0 < head_dim; d0 += 16) {
            __m256 acc[ROW_TILE][2];
            for (int k = 0; k < ROW_TILE; k++) acc[k][0] = acc[k][1] = _mm256_setzero_ps();
            // An f16 cache is widened as it is read (two vcvtph2ps per position): widening whole heads into scratch
            // first, once per task, made a 512-token prefill 6% slower.
#define PV_STEPS(LOAD8)                                                                                    \
    for (int64_t p = 0; p < tile_visible; p++) {                                                           \
        const __m256 v0 = LOAD8(p * kv_stride + d0), v1 = LOAD8(p * kv_stride + d0 + 8);                   \
        for (int k = 0; k < ROW_TILE; k++) {                                                               \
            const __m256 b = _mm256_broadcast_ss(sr[k] + p);                                               \
            acc[k][0] = _mm256_fmadd_ps(b, v0, acc[k][0]);                                                 \
            acc[k][1] = _mm256_fmadd_ps(b, v1, acc[k][1]);                                                 \
        }                                                                                                  \
    }
            // Expanded once per element type, so the f16 test is not inside the loop.
#define LOAD_F32(i) kv_at8(cached_values, 0, (i))
#define LOAD_F16(i) kv_at8(cached_values, 1, (i))
            if (kv_f16) { PV_STEPS(LOAD_F16) } else { PV_STEPS(LOAD_F32) }
#undef LOAD_F16
#undef LOAD_F32
#undef PV_STEPS
            for (int k = 0; k < tile_rows; k++) {
                _mm256_storeu_ps(out + (i0 + k) * out_stride + d0, acc[k][0]);
                _mm256_storeu_ps(out + (i0 + k) * out_stride + d0 + 8, acc[k][1]);
            }
        }
    }
}
