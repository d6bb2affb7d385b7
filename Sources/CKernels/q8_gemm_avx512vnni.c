// AVX-512 VNNI level of the int8 block product: a zmm register holds two 32-value blocks, and one EVEX vpdpbusd
// gives 16 int32 partial sums (lanes 0-7 the first block, 8-15 the second). AVX-512 has no vpsignb, so x·sign(w)
// is a masked negate of x under w's sign bits (vpmovb2m). An odd last block is loaded with byte/float masks that
// zero the upper half, so it contributes nothing there and never reads past the row.
#include "CKernels.h"
#include <immintrin.h>

#define T512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define INLINE512 static inline __attribute__((always_inline)) T512

// Spreads two per-block scales over lanes 0-7 and 8-15.
INLINE512 __m512 pair_scales(const float *s, __mmask16 mask) {
    const __m512i spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(spread, _mm512_maskz_loadu_ps(mask, s));
}

// Two blocks (or one, under the masks) of an NR × MR tile.
INLINE512 void step512(const int NR, const int MR, const int8_t *w, const float *ws, const int8_t *x,
                       const float *xs, int64_t blocks, int64_t b, __mmask64 bytes, __mmask16 scales,
                       __m512 acc[4][2]) {
    const int64_t cols = blocks * MG_Q8_BLOCK;
    const __m512i zero = _mm512_setzero_si512();
    __m512i xv[2];
    __m512 dx[2];
    for (int i = 0; i < MR; i++) {
        xv[i] = _mm512_maskz_loadu_epi8(bytes, x + i * cols + b * MG_Q8_BLOCK);
        dx[i] = pair_scales(xs + i * blocks + b, scales);
    }
    for (int r = 0; r < NR; r++) {
        // Same software prefetch as the ymm levels (see q8_gemm_ymm.inc): the next 4-row group, one line per step.
        _mm_prefetch((const char *)(w + (r + 4) * cols + b * MG_Q8_BLOCK), _MM_HINT_T0);
        const __m512i wv = _mm512_maskz_loadu_epi8(bytes, w + r * cols + b * MG_Q8_BLOCK);
        const __m512i aw = _mm512_abs_epi8(wv);
        const __mmask64 negative = _mm512_movepi8_mask(wv);
        const __m512 dw = pair_scales(ws + r * blocks + b, scales);
        for (int i = 0; i < MR; i++) {
            const __m512i sx = _mm512_mask_sub_epi8(xv[i], negative, zero, xv[i]);
            const __m512 dot = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, aw, sx));
            acc[r][i] = _mm512_fmadd_ps(dot, _mm512_mul_ps(dw, dx[i]), acc[r][i]);
        }
    }
}

INLINE512 void tile512(const int NR, const int MR, const int8_t *w, const float *ws, const int8_t *x,
                       const float *xs, int64_t blocks, float *y, int64_t ldy) {
    __m512 acc[4][2];
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < MR; i++) acc[r][i] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2) step512(NR, MR, w, ws, x, xs, blocks, b, ~(__mmask64)0, 0x3, acc);
    if (b < blocks) step512(NR, MR, w, ws, x, xs, blocks, b, 0xFFFFFFFFull, 0x1, acc);
    for (int r = 0; r < NR; r++)
        for (int i = 0; i < MR; i++) y[i * ldy + r] = _mm512_reduce_add_ps(acc[r][i]);
}

// Same loop order as the ymm levels: a 4-row weight group meets every activation row before the next group.
T512 void mg_q8_gemm_avx512vnni(const int8_t *w, const float *ws, const int8_t *x, const float *xs,
                                int64_t blocks, int64_t xrows, int64_t wrows, float *y, int64_t ldy) {
    const int64_t cols = blocks * MG_Q8_BLOCK;
    int64_t j = 0;
    for (; j + 4 <= wrows; j += 4) {
        int64_t i = 0;
        for (; i + 2 <= xrows; i += 2)
            tile512(4, 2, w + j * cols, ws + j * blocks, x + i * cols, xs + i * blocks, blocks, y + i * ldy + j, ldy);
        if (i < xrows)
            tile512(4, 1, w + j * cols, ws + j * blocks, x + i * cols, xs + i * blocks, blocks, y + i * ldy + j, ldy);
    }
    for (; j < wrows; j++) {
        int64_t i = 0;
        for (; i + 2 <= xrows; i += 2)
            tile512(1, 2, w + j * cols, ws + j * blocks, x + i * cols, xs + i * blocks, blocks, y + i * ldy + j, ldy);
        if (i < xrows)
            tile512(1, 1, w + j * cols, ws + j * blocks, x + i * cols, xs + i * blocks, blocks, y + i * ldy + j, ldy);
    }
}
