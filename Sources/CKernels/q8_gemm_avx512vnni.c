// AVX-512 VNNI level of the int8 block product: a zmm register holds one 32-value block of int16 activations, the
// block's weights are sign-extended to int16 straight from memory (vpmovsxbw), and one EVEX vpdpwssd gives 16 int32
// partial sums of two products each (exact, and exactly converted to f32).
#include "CKernels.h"
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define INLINE512 static inline __attribute__((always_inline)) T512

// One block of an NR × MR tile. The tile's weight rows lie in one 8-row group, so from the tile's first row (w.q,
// w.scales: its block 0) row r's values of block b are at mg_q8_value_offset(r, b, blocks) and its scale at
// b · MG_Q8_ROW_GROUP + r (CKernels.h).
INLINE512 void step512(const int NR, const int MR, mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t b,
                       __m512 acc[4][2]) {
    const int64_t cols = blocks * MG_Q8_BLOCK;
    __m512i xv[2];
    __m512 dx[2];
    for (int i = 0; i < MR; i++) {
        xv[i] = _mm512_loadu_si512((const void *)(x.q + i * cols + b * MG_Q8_BLOCK));
        dx[i] = _mm512_set1_ps(x.scales[i * blocks + b]);
    }
    for (int r = 0; r < NR; r++) {
        const int8_t *wb = w.q + mg_q8_value_offset(r, b, blocks);
        // Same software prefetch as the ymm levels (see q8_gemm_ymm.inc): the same rows of the next 8-row group.
        _mm_prefetch((const char *)(w.q + mg_q8_value_offset(MG_Q8_ROW_GROUP + r, b, blocks)), _MM_HINT_T0);
        const __m512i wv = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)wb));
        const __m512 dw = _mm512_set1_ps(w.scales[b * MG_Q8_ROW_GROUP + r]);
        for (int i = 0; i < MR; i++) {
            const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpwssd_epi32(_mm512_setzero_si512(), wv, xv[i]));
            acc[r][i] = _mm512_fmadd_ps(dot, _mm512_mul_ps(dw, dx[i]), acc[r][i]);
        }
    }
}

// Σ_b wo[b] · xsum[b], sixteen blocks at a time, where a row's offsets sit MG_Q8_ROW_GROUP floats apart (the
// grouped table, CKernels.h) and are gathered; the tail is gathered under a mask so nothing past the row is read.
INLINE512 float offset_dot512(const float *wo, const float *xsum, int64_t blocks) {
    const __m512i stride = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                              _mm512_set1_epi32(MG_Q8_ROW_GROUP));
    __m512 acc = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 16 <= blocks; b += 16)
        acc = _mm512_fmadd_ps(_mm512_i32gather_ps(stride, wo + b * MG_Q8_ROW_GROUP, 4), _mm512_loadu_ps(xsum + b), acc);
    if (b < blocks) {
        const __mmask16 tail = (__mmask16)((1u << (blocks - b)) - 1);
        const __m512 w = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), tail, stride, wo + b * MG_Q8_ROW_GROUP, 4);
        acc = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(tail, xsum + b), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

INLINE512 void tile512(const int NR, const int MR, mg_q8_weights w, mg_q8_activations x, int64_t blocks, float *y,
                       int64_t ldy) {
    __m512 acc[4][2];
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < MR; i++) acc[r][i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) step512(NR, MR, w, x, blocks, b, acc);
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < MR; i++)
            y[i * ldy + r] = _mm512_reduce_add_ps(acc[r][i])
                             + offset_dot512(w.offsets + r, x.sums + i * blocks, blocks);
}

// A 4-row weight group meets every activation row before the next group.
T512 void mg_q8_gemm_avx512vnni(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                                float *y, int64_t ldy, float *scratch) {
    (void)scratch;
    const int64_t cols = blocks * MG_Q8_BLOCK;
#define TILE512(NR, MR)                                                                                         \
    tile512(NR, MR, (mg_q8_weights){w.q + mg_q8_value_offset(j, 0, blocks), w.scales + mg_q8_param_index(j, 0, blocks), \
                                    w.offsets + mg_q8_param_index(j, 0, blocks)},                              \
            (mg_q8_activations){x.q + i * cols, x.scales + i * blocks, x.sums + i * blocks}, blocks, y + i * ldy + j, \
            ldy)
    int64_t j = 0;
    for (; j + 4 <= wrows; j += 4) {
        int64_t i = 0;
        for (; i + 2 <= xrows; i += 2) TILE512(4, 2);
        if (i < xrows) TILE512(4, 1);
    }
    for (; j < wrows; j++) {
        int64_t i = 0;
        for (; i + 2 <= xrows; i += 2) TILE512(1, 2);
        if (i < xrows) TILE512(1, 1);
    }
#undef TILE512
}
