// The quantizers of the int8 path: weights at load (exact when a block is already on a grid), activations per call.
#include "CKernels.h"
#include <math.h>

// Adding and subtracting 1.5·2^23 rounds a float of magnitude < 2^22 to the nearest integer, ties to even, in the
// default rounding mode; unlike nearbyintf it vectorizes on baseline x86-64. Callers keep |v| ≤ 32767.
static inline float round_half_even(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

// A grid counts as exact when no value is further than this fraction of a step from its grid point: the values
// came from f16 scales and minima through f32 arithmetic, so they sit on the grid up to f32 rounding only.
static const float grid_tolerance_in_steps = 1e-3f;
// The step is found as the smallest positive distance between a block value and one of a few reference values
// (the minimum, the maximum and the first grid_references values). That distance is a multiple of the true step
// when the neighbouring levels are absent (measured on SmolLM2: the minimum of a Q4_1 block is often an outlier
// 6 steps below the rest, and Q8_0 blocks use few of their 255 levels), so it is also tried divided by
// 2..max_grid_divisor. With 6 references and divisors up to 8 every block of SmolLM2's Q4_1 matrices and Q8_0
// embedding measured exact (up to 4 divisors from the minimum alone: 93% of Q4_1 and 12% of Q8_0 blocks).
enum { grid_references = 6, max_grid_divisor = 8 };

// Fills q (levels around `center`, clamped to ±127) for step `d` and minimum `lo`, sets offset = lo + center·d, and
// returns whether every value is within `tolerance` of offset + q·d (stopping at the first that is not).
static int fill_grid(const float *v, float lo, float d, int center, float tolerance, int8_t *q, float *offset) {
    const float inverse = 1.0f / d;
    const float off = lo + (float)center * d;
    *offset = off;
    for (int k = 0; k < MG_Q8_BLOCK; k++) {
        float n = round_half_even((v[k] - off) * inverse);
        n = n > 127.0f ? 127.0f : (n < -127.0f ? -127.0f : n);
        q[k] = (int8_t)n;
        if (fabsf(off + n * d - v[k]) > tolerance) return 0;
    }
    return 1;
}

static float smallest_gap(const float *v, float reference, float gap) {
    for (int k = 0; k < MG_Q8_BLOCK; k++) {
        const float distance = fabsf(v[k] - reference);
        if (distance > 0) gap = fminf(gap, distance);
    }
    return gap;
}

static void quantize_weight_block(const float *v, int8_t *q, float *scale, float *offset) {
    float lo = v[0], hi = v[0];
    for (int k = 1; k < MG_Q8_BLOCK; k++) {
        lo = fminf(lo, v[k]);
        hi = fmaxf(hi, v[k]);
    }
    if (!(hi > lo)) {
        *scale = 0;
        *offset = lo;
        for (int k = 0; k < MG_Q8_BLOCK; k++) q[k] = 0;
        return;
    }
    float gap = smallest_gap(v, hi, smallest_gap(v, lo, hi - lo));
    for (int r = 0; r < grid_references; r++) gap = smallest_gap(v, v[r], gap);
    for (int j = 1; j <= max_grid_divisor; j++) {
        const float d = gap / (float)j;
        const float points = round_half_even((hi - lo) / d);
        if (points > 254.0f) break;
        if (fill_grid(v, lo, d, (int)points / 2, grid_tolerance_in_steps * d, q, offset)) {
            *scale = d;
            return;
        }
    }
    // No grid: 255 levels from the minimum to the maximum, centred, so the error is at most half a step.
    const float d = (hi - lo) / 254.0f;
    fill_grid(v, lo, d, 127, INFINITY, q, offset);
    *scale = d;
}

void mg_q8_quantize_weights(const float *w, int64_t rows, int64_t cols, int8_t *q, float *scales, float *offsets) {
    const int64_t blocks = cols / MG_Q8_BLOCK;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t b = 0; b < blocks; b++)
            quantize_weight_block(w + r * cols + b * MG_Q8_BLOCK, q + r * cols + b * MG_Q8_BLOCK,
                                  scales + r * blocks + b, offsets + r * blocks + b);
}

void mg_q8_quantize_activations(const float *x, int64_t rows, int64_t cols, int16_t *q, float *scales, float *sums) {
    const int64_t blocks = cols / MG_Q8_BLOCK;
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < blocks; b++) {
            const float *src = x + r * cols + b * MG_Q8_BLOCK;
            int16_t *dst = q + r * cols + b * MG_Q8_BLOCK;
            float amax = 0, sum = 0;
            for (int k = 0; k < MG_Q8_BLOCK; k++) {
                amax = fmaxf(amax, fabsf(src[k]));
                sum += src[k];
            }
            const float scale = amax / 32767.0f;
            const float inverse = scale > 0 ? 1.0f / scale : 0.0f;
            scales[r * blocks + b] = scale;
            sums[r * blocks + b] = sum;
            for (int k = 0; k < MG_Q8_BLOCK; k++) {
                float v = round_half_even(src[k] * inverse);
                // x·(1/scale) can land a hair above 32767 by rounding.
                v = v > 32767.0f ? 32767.0f : (v < -32767.0f ? -32767.0f : v);
                dst[k] = (int16_t)v;
            }
        }
    }
}
