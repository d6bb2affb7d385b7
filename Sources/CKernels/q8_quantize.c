// The one int8 quantizer, shared by weights (at load) and activations (per call), so every kernel sees the same bytes.
#include "CKernels.h"
#include <math.h>

// Adding and subtracting 1.5·2^23 rounds a float of magnitude < 2^22 to the nearest integer, ties to even, in the
// default rounding mode; unlike nearbyintf it vectorizes on baseline x86-64. |x·inverse| ≤ 127 here.
static inline float round_half_even(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

void mg_q8_quantize(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scales) {
    const int64_t blocks = cols / MG_Q8_BLOCK;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *src = x + r * cols + b * MG_Q8_BLOCK;
            int8_t *dst = q + r * cols + b * MG_Q8_BLOCK;
            float amax = 0;
            for (int k = 0; k < MG_Q8_BLOCK; k++) amax = fmaxf(amax, fabsf(src[k]));
            const float scale = amax / 127.0f;
            const float inverse = scale > 0 ? 1.0f / scale : 0.0f;
            scales[r * blocks + b] = scale;
            for (int k = 0; k < MG_Q8_BLOCK; k++) {
                float v = round_half_even(src[k] * inverse);
                // x·(1/scale) can land a hair above 127 by rounding; clamp keeps -128 out for the sign trick.
                v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
                dst[k] = (int8_t)v;
            }
        }
    }
}
