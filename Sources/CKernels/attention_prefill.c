// Causal attention of a block of prefill rows for one head, as blocked products instead of one dot product per
// (row, position): the decode kernel's shape reads every key once per query row and sums each dot across lanes,
// which costs several times the arithmetic. Here a head's keys are transposed once into scratch so four query rows
// times sixteen positions accumulate in eight ymm registers, and scores·V keeps four rows times sixteen output
// values in registers while streaming V. Rows past a tile's causal limit are skipped, not masked afterwards. The
// softmax exponentials are vectorized too (expf was a fifth of the kernel's time).
#include "CKernels.h"
#include "softmax_reference.h"
#include <math.h>

#define ROW_TILE 4
#define POS_TILE 16

static inline int64_t padded_positions(int64_t rows, int64_t first_visible) {
    const int64_t positions = first_visible + rows - 1;
    return (positions + POS_TILE - 1) / POS_TILE * POS_TILE;
}

int64_t mg_attention_prefill_scratch(int64_t rows, int64_t first_visible, int64_t head_dim) {
    return padded_positions(rows, first_visible) * (head_dim + rows);
}

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/// keys (positions, head_dim at stride) into kt (head_dim, padded), zeros past the last position.
static inline __attribute__((always_inline)) void transpose_keys(const float *keys, int64_t kv_stride,
                                                                 int64_t head_dim, int64_t positions, int64_t padded,
                                                                 float *kt) {
    for (int64_t p = 0; p < positions; p++) {
        const float *k = keys + p * kv_stride;
        for (int64_t d = 0; d < head_dim; d++) kt[d * padded + p] = k[d];
    }
    for (int64_t d = 0; d < head_dim; d++)
        for (int64_t p = positions; p < padded; p++) kt[d * padded + p] = 0;
}

/// Softmax of row i over its visible positions; the rest of the row up to `positions` becomes zero.
static inline __attribute__((always_inline)) void causal_softmax(float *s, int64_t visible, int64_t positions) {
    softmax_like_reference(s, visible);
    for (int64_t p = visible; p < positions; p++) s[p] = 0;
}

void mg_attention_prefill_head(const float *q, int64_t q_stride, const float *keys, const float *values,
                               int64_t kv_stride, int64_t head_dim, int64_t rows, int64_t first_visible, float scale,
                               float *scratch, float *out, int64_t out_stride) {
    const int64_t positions = first_visible + rows - 1;
    const int64_t padded = padded_positions(rows, first_visible);
    float *kt = scratch, *s = scratch + head_dim * padded;
    transpose_keys(keys, kv_stride, head_dim, positions, padded, kt);
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
            for (int64_t p = 0; p < visible; p++) acc += si[p] * values[p * kv_stride + d];
            out[i * out_stride + d] = acc;
        }
    }
}

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/// e^x for x ≤ 0 (softmax arguments after subtracting the maximum), about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2,
/// e^r from Cephes' degree-6 polynomial for expf, 2^n put into the exponent bits. Below -87 the result is clamped to
/// e^-87 (≈1e-38), which a softmax sum of at least one 1 cannot tell from zero.
static inline __attribute__((always_inline)) AVX2 __m256 exp_nonpositive_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(scale));
}

static inline __attribute__((always_inline)) AVX2 float lane_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// causal_softmax eight positions at a time; the last partial group goes through expf.
static inline __attribute__((always_inline)) AVX2 void causal_softmax_avx2(float *s, int64_t visible,
                                                                           int64_t positions) {
    int64_t p = 0;
    __m256 vmax = _mm256_set1_ps(s[0]);
    for (; p + 8 <= visible; p += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(s + p));
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    float max_value = _mm_cvtss_f32(m);
    for (; p < visible; p++)
        if (s[p] > max_value) max_value = s[p];
    const __m256 top = _mm256_set1_ps(max_value);
    __m256 vsum = _mm256_setzero_ps();
    for (p = 0; p + 8 <= visible; p += 8) {
        const __m256 e = exp_nonpositive_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + p), top));
        _mm256_storeu_ps(s + p, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    float sum = lane_sum(vsum);
    for (; p < visible; p++) {
        const float e = expf(s[p] - max_value);
        s[p] = e;
        sum += e;
    }
    const __m256 inverse = _mm256_set1_ps(1 / sum);
    for (p = 0; p + 8 <= visible; p += 8) _mm256_storeu_ps(s + p, _mm256_mul_ps(_mm256_loadu_ps(s + p), inverse));
    for (; p < visible; p++) s[p] *= 1 / sum;
    for (p = visible; p < positions; p++) s[p] = 0;
}

AVX2 void mg_attention_prefill_head_avx2(const float *q, int64_t q_stride, const float *keys, const float *values,
                                         int64_t kv_stride, int64_t head_dim, int64_t rows, int64_t first_visible,
                                         float scale, float *scratch, float *out, int64_t out_stride) {
    if (head_dim % POS_TILE != 0) {
        mg_attention_prefill_head(q, q_stride, keys, values, kv_stride, head_dim, rows, first_visible, scale, scratch,
                                  out, out_stride);
        return;
    }
    const int64_t positions = first_visible + rows - 1;
    const int64_t padded = padded_positions(rows, first_visible);
    float *kt = scratch, *s = scratch + head_dim * padded;
    transpose_keys(keys, kv_stride, head_dim, positions, padded, kt);
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
            for (int64_t p = 0; p < tile_visible; p++) {
                const float *v = values + p * kv_stride + d0;
                const __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
                for (int k = 0; k < ROW_TILE; k++) {
                    const __m256 b = _mm256_broadcast_ss(sr[k] + p);
                    acc[k][0] = _mm256_fmadd_ps(b, v0, acc[k][0]);
                    acc[k][1] = _mm256_fmadd_ps(b, v1, acc[k][1]);
                }
            }
            for (int k = 0; k < tile_rows; k++) {
                _mm256_storeu_ps(out + (i0 + k) * out_stride + d0, acc[k][0]);
                _mm256_storeu_ps(out + (i0 + k) * out_stride + d0 + 8, acc[k][1]);
            }
        }
    }
}
