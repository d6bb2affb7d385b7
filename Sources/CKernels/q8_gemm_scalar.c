// The plain reference of the int8 block product (llama2.c runq.c's matmul, over many activation rows, plus the
// weights' per-block offset): an exact int32 sum per block, then both scales in f32. Every SIMD level is tested
// against this; the AVX2 and AVX-VNNI levels do the same f32 operations in the same order, so they must match it
// bit for bit.
#include "CKernels.h"
#include <math.h>

void mg_q8_gemm_scalar(mg_q8_weights w, mg_q8_activations x, int64_t blocks, int64_t xrows, int64_t wrows,
                       float *y, int64_t ldy, float *scratch) {
    (void)scratch;
    const int64_t cols = blocks * MG_Q8_BLOCK;
    for (int64_t i = 0; i < xrows; i++) {
        for (int64_t j = 0; j < wrows; j++) {
            float acc = 0;
            for (int64_t b = 0; b < blocks; b++) {
                const int8_t *wb = w.q + mg_q8_value_offset(j, b, blocks);
                const int16_t *xb = x.q + i * cols + b * MG_Q8_BLOCK;
                int32_t dot = 0;
                for (int k = 0; k < MG_Q8_BLOCK; k++) dot += (int32_t)wb[k] * (int32_t)xb[k];
                const int64_t p = mg_q8_param_index(j, b, blocks);
                const float scale = w.scales[p] * x.scales[i * blocks + b];
                acc = fmaf((float)dot, scale, acc);
                acc = fmaf(w.offsets[p], x.sums[i * blocks + b], acc);
            }
            y[i * ldy + j] = acc;
        }
    }
}
